package org.machina.monitor.commands;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.machina.api.machine.Machine;
import org.machina.api.machine.MachineListener;
import org.machina.api.monitor.CommandContext;
import org.machina.api.monitor.MonitorCommand;
import org.machina.api.monitor.MonitorException;
import org.machina.api.monitor.MonitorException.ErrorClass;
import org.osgi.service.component.annotations.Component;

/**
 * QMP {@code device_del}: removes a device; clients see {@code DEVICE_DELETED}. The runtime
 * normally raises that event itself while removing; if it did not, this command emits it, so
 * clients get exactly one.
 */
@Component(service = MonitorCommand.class, property = "machina.name=device_del")
public final class DeviceDel implements MonitorCommand {
    @Override
    public String name() {
        return "device_del";
    }

    @Override
    public String description() {
        return "removes a device by id (event DEVICE_DELETED)";
    }

    @Override
    public Object execute(CommandContext context, Map<String, Object> arguments) throws MonitorException {
        Args.only(arguments, Set.of("id"));
        String id = Args.string(arguments, "id");
        Machine machine = context.requireMachine();
        if (machine.devices().stream().noneMatch(d -> d.id().equals(id))) {
            throw new MonitorException(ErrorClass.DeviceNotFound, "Device '" + id + "' not found");
        }
        AtomicBoolean raised = new AtomicBoolean();
        MachineListener watch = (m, event, data) -> {
            if (event.equals("DEVICE_DELETED") && id.equals(data.get("device"))) {
                raised.set(true);
            }
        };
        machine.addListener(watch);
        try {
            machine.removeDevice(id);
        } finally {
            machine.removeListener(watch);
        }
        if (!raised.get()) {
            context.emitEvent("DEVICE_DELETED", Map.of("device", id, "path", "/machine/peripheral/" + id));
        }
        return Map.of();
    }
}
