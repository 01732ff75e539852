package org.machina.monitor.commands;

import java.util.Map;
import java.util.Set;
import org.machina.api.machine.MachineService;
import org.machina.api.monitor.CommandContext;
import org.machina.api.monitor.MonitorCommand;
import org.machina.api.monitor.MonitorException;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/** QMP {@code x-machina-device-types}: installed type names per kind (board, cpu, device, chardev, block). */
@Component(service = MonitorCommand.class, property = "machina.name=x-machina-device-types")
public final class DeviceTypes implements MonitorCommand {
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    volatile MachineService machines;

    @Override
    public String name() {
        return "x-machina-device-types";
    }

    @Override
    public String description() {
        return "installed type names per kind: board, cpu, device, chardev, block";
    }

    @Override
    public Object execute(CommandContext context, Map<String, Object> arguments) throws MonitorException {
        Args.only(arguments, Set.of());
        MachineService m = machines;
        if (m == null) {
            throw Args.error("type listing is not available: no MachineService (is the Machina runtime running?)");
        }
        return m.installedTypes();
    }
}
