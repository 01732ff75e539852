package org.machina.monitor.commands;

import java.util.Map;
import java.util.Set;
import org.machina.api.monitor.CommandContext;
import org.machina.api.monitor.MonitorCommand;
import org.machina.api.monitor.MonitorException;
import org.osgi.service.component.annotations.Component;

/** QMP {@code stop}: pauses the machine (event STOP). */
@Component(service = MonitorCommand.class, property = "machina.name=stop")
public final class Stop implements MonitorCommand {
    @Override
    public String name() {
        return "stop";
    }

    @Override
    public String description() {
        return "pauses the machine (event STOP)";
    }

    @Override
    public Object execute(CommandContext context, Map<String, Object> arguments) throws MonitorException {
        Args.only(arguments, Set.of());
        context.requireMachine().pause("host-qmp-stop");
        return Map.of();
    }
}
