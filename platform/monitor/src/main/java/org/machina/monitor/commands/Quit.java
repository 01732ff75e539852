package org.machina.monitor.commands;

import java.util.Map;
import java.util.Set;
import org.machina.api.monitor.CommandContext;
import org.machina.api.monitor.MonitorCommand;
import org.machina.api.monitor.MonitorException;
import org.osgi.service.component.annotations.Component;

/** QMP {@code quit}: stops the machine for good (event SHUTDOWN). */
@Component(service = MonitorCommand.class, property = "machina.name=quit")
public final class Quit implements MonitorCommand {
    @Override
    public String name() {
        return "quit";
    }

    @Override
    public String description() {
        return "stops the machine for good (event SHUTDOWN)";
    }

    @Override
    public Object execute(CommandContext context, Map<String, Object> arguments) throws MonitorException {
        Args.only(arguments, Set.of());
        context.requireMachine().shutdown("host-qmp-quit", 0);
        return Map.of();
    }
}
