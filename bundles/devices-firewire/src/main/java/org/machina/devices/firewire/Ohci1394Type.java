package org.machina.devices.firewire;

import java.util.List;
import org.machina.api.device.Device;
import org.machina.api.device.DeviceConfig;
import org.machina.api.device.DeviceContext;
import org.machina.api.device.DeviceType;
import org.machina.api.device.PropertySpec;
import org.osgi.service.component.annotations.Component;

/** Publishes {@link Ohci1394} as device type {@code ohci-1394}. */
@Component(service = DeviceType.class, property = DeviceType.NAME_PROPERTY + "=" + Ohci1394Type.NAME)
public final class Ohci1394Type implements DeviceType {
    static final String NAME = "ohci-1394";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "IEEE 1394 OHCI 1.1 controller (TI TSB43AB22 104c:8023) owning a FireWire bus";
    }

    @Override
    public List<PropertySpec> properties() {
        return List.of(
                PropertySpec.integer("addr", -1L, "PCI device number 0..31 (-1: the first free slot)"),
                PropertySpec.string("guid", "", "EUI-64 of the controller (default: TI's OUI, a value from the device id"
                        + " and, with bus-name, the controller's place on the shared bus)"),
                PropertySpec.string("bus-name", "", "join the IEEE 1394 bus of that name shared by the ohci-1394 controllers"
                        + " of every machine in this runtime that name it (default: a bus of this machine's own)"));
    }

    @Override
    public Device create(DeviceContext context, DeviceConfig config) {
        String g = config.string("guid");
        String busName = config.string("bus-name");
        // on a shared bus the machines' controllers often have the same id: the join order tells them apart
        int serial = busName.isEmpty() ? 1 : 1 + SharedBus.segments(busName);
        long guid = g.isEmpty() ? 0x0800_2800_0000_0000L | (config.id().hashCode() & 0xFF_FFFFL) << 8 | serial & 0xFF
                : DeviceConfig.parseLong(g);
        if (!busName.isEmpty() && !busName.matches("[A-Za-z][A-Za-z0-9_.-]{0,63}")) {
            throw new IllegalArgumentException("ohci-1394 '" + config.id() + "': bus-name '" + busName
                    + "' is not a name (a letter, then up to 63 letters, digits, '-', '_', '.')");
        }
        return new Ohci1394(context, config.int32("addr"), guid, busName);
    }
}
