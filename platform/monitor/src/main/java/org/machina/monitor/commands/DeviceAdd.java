package org.machina.monitor.commands;

import java.util.LinkedHashMap;
import java.util.Map;
import org.machina.api.monitor.CommandContext;
import org.machina.api.monitor.MonitorCommand;
import org.machina.api.monitor.MonitorException;
import org.osgi.service.component.annotations.Component;

/**
 * QMP {@code device_add}: hot-plugs a device. {@code driver} is the device type, {@code id} the
 * instance id; every other argument becomes a device property (strings as given, numbers and
 * booleans in their JSON spelling).
 */
@Component(service = MonitorCommand.class, property = "machina.name=device_add")
public final class DeviceAdd implements MonitorCommand {
    @Override
    public String name() {
        return "device_add";
    }

    @Override
    public String description() {
        return "adds a device: driver=TYPE, id=ID, other arguments are properties";
    }

    @Override
    public Object execute(CommandContext context, Map<String, Object> arguments) throws MonitorException {
        String driver = Args.string(arguments, "driver");
        String id = Args.string(arguments, "id");
        Map<String, String> properties = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : arguments.entrySet()) {
            if (e.getKey().equals("driver") || e.getKey().equals("id")) {
                continue;
            }
            Object v = e.getValue();
            if (v instanceof String || v instanceof Number || v instanceof Boolean) {
                properties.put(e.getKey(), String.valueOf(v));
            } else {
                throw Args.error("Invalid parameter type for '" + e.getKey()
                        + "', expected: string, number or boolean");
            }
        }
        context.requireMachine().addDevice(driver, id, properties);
        return Map.of();
    }
}
