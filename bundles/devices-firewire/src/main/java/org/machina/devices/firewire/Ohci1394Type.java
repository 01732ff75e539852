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
                PropertySpec.string("guid", "", "EUI-64 of the controller (default: TI's OUI and a value from the device id)"));
    }

    @Override
    public Device create(DeviceContext context, DeviceConfig config) {
        String g = config.string("guid");
        long guid = g.isEmpty() ? 0x0800_2800_0000_0000L | (config.id().hashCode() & 0xFF_FFFFL) << 8 | 1
                : DeviceConfig.parseLong(g);
        return new Ohci1394(context, config.int32("addr"), guid);
    }
}
