package org.machina.monitor.commands;

import java.util.Map;
import java.util.Set;
import org.machina.api.monitor.CommandContext;
import org.machina.api.monitor.MonitorCommand;
import org.machina.api.monitor.MonitorException;
import org.osgi.service.component.annotations.Component;

/** QMP {@code system_powerdown}: presses the guest power button (event POWERDOWN). */
@Component(service = MonitorCommand.class, property = "machina.name=system_powerdown")
public final class SystemPowerdown implements MonitorCommand {
    @Override
    public String name() {
        return "system_powerdown";
    }

    @Override
    public String description() {
        return "presses the guest power button (event POWERDOWN)";
    }

    @Override
    public Object execute(CommandContext context, Map<String, Object> arguments) throws MonitorException {
        Args.only(arguments, Set.of());
        context.requireMachine().powerButton();
        return Map.of();
    }
}
