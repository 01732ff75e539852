package org.machina.monitor.commands;

import java.util.Optional;
import org.machina.api.machine.DeviceInfo;
import org.machina.api.machine.Machine;
import org.machina.api.monitor.MonitorException;
import org.machina.api.monitor.MonitorException.ErrorClass;

/**
 * The small QOM tree the monitor shows: {@code /machine}, {@code /machine/peripheral} and one
 * node per device, {@code /machine/peripheral/ID}, whose properties are {@code type} and the
 * device's own properties.
 */
final class Qom {
    static final String MACHINE = "/machine";
    static final String PERIPHERAL = "/machine/peripheral";

    private Qom() {
    }

    /** The device at {@code path} (absolute, or a bare device id as QEMU's partial paths allow). */
    static DeviceInfo device(Machine machine, String path) throws MonitorException {
        String id = path.startsWith(PERIPHERAL + "/") ? path.substring(PERIPHERAL.length() + 1)
                : path.startsWith("/") ? null : path;
        Optional<DeviceInfo> device = id == null ? Optional.empty()
                : machine.devices().stream().filter(d -> d.id().equals(id)).findFirst();
        return device.orElseThrow(() -> new MonitorException(ErrorClass.DeviceNotFound,
                "Device '" + path + "' not found"));
    }
}
