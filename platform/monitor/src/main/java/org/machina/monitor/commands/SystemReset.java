package org.machina.monitor.commands;

import java.util.Map;
import java.util.Set;
import org.machina.api.monitor.CommandContext;
import org.machina.api.monitor.MonitorCommand;
import org.machina.api.monitor.MonitorException;
import org.osgi.service.component.annotations.Component;

/** QMP {@code system_reset}: resets the machine (event RESET). */
@Component(service = MonitorCommand.class, property = "machina.name=system_reset")
public final class SystemReset implements MonitorCommand {
    @Override
    public String name() {
        return "system_reset";
    }

    @Override
    public String description() {
        return "resets the machine (event RESET)";
    }

    @Override
    public Object execute(CommandContext context, Map<String, Object> arguments) throws MonitorException {
        Args.only(arguments, Set.of());
        context.requireMachine().reset("host-qmp-system-reset");
        return Map.of();
    }
}
