package org.machina.monitor.commands;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.machina.api.machine.DeviceInfo;
import org.machina.api.machine.Machine;
import org.machina.api.monitor.CommandContext;
import org.machina.api.monitor.MonitorCommand;
import org.machina.api.monitor.MonitorException;
import org.osgi.service.component.annotations.Component;

/** QMP {@code qom-list}: the children and properties of a node of the device tree (see {@link Qom}). */
@Component(service = MonitorCommand.class, property = "machina.name=qom-list")
public final class QomList implements MonitorCommand {
    @Override
    public String name() {
        return "qom-list";
    }

    @Override
    public String description() {
        return "lists the properties of a device tree node: /machine, /machine/peripheral, /machine/peripheral/ID";
    }

    @Override
    public Object execute(CommandContext context, Map<String, Object> arguments) throws MonitorException {
        Args.only(arguments, Set.of("path"));
        String path = Args.string(arguments, "path");
        Machine machine = context.requireMachine();
        List<Map<String, Object>> out = new ArrayList<>();
        out.add(property("type", "string"));
        switch (path) {
            case Qom.MACHINE, "/machine/" -> out.add(property("peripheral", "child<container>"));
            case Qom.PERIPHERAL, "/machine/peripheral/" -> {
                for (DeviceInfo d : machine.devices()) {
                    out.add(property(d.id(), "child<" + d.type() + ">"));
                }
            }
            default -> {
                DeviceInfo device = Qom.device(machine, path);
                for (String name : device.properties().keySet()) {
                    out.add(property(name, "string"));
                }
            }
        }
        return out;
    }

    private static Map<String, Object> property(String name, String type) {
        return Args.ordered("name", name, "type", type);
    }
}
