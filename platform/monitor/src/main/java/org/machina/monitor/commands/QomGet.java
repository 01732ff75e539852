package org.machina.monitor.commands;

import java.util.Map;
import java.util.Set;
import org.machina.api.machine.DeviceInfo;
import org.machina.api.machine.Machine;
import org.machina.api.monitor.CommandContext;
import org.machina.api.monitor.MonitorCommand;
import org.machina.api.monitor.MonitorException;
import org.osgi.service.component.annotations.Component;

/** QMP {@code qom-get}: one property of a device tree node (see {@link Qom}). */
@Component(service = MonitorCommand.class, property = "machina.name=qom-get")
public final class QomGet implements MonitorCommand {
    @Override
    public String name() {
        return "qom-get";
    }

    @Override
    public String description() {
        return "reads a property of a device tree node (type, or a device property)";
    }

    @Override
    public Object execute(CommandContext context, Map<String, Object> arguments) throws MonitorException {
        Args.only(arguments, Set.of("path", "property"));
        String path = Args.string(arguments, "path");
        String property = Args.string(arguments, "property");
        Machine machine = context.requireMachine();
        if (path.equals(Qom.MACHINE) && property.equals("type")) {
            return machine.boardType() + "-machine";
        }
        if (path.equals(Qom.PERIPHERAL) && property.equals("type")) {
            return "container";
        }
        DeviceInfo device = Qom.device(machine, path);
        if (property.equals("type")) {
            return device.type();
        }
        String value = device.properties().get(property);
        if (value == null) {
            throw Args.error("Property '" + device.type() + "." + property + "' not found; properties: type"
                    + (device.properties().isEmpty() ? "" : ", " + String.join(", ", device.properties().keySet())));
        }
        return value;
    }
}
