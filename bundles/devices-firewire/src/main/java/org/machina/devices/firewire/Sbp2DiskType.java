package org.machina.devices.firewire;

import java.util.List;
import org.machina.api.bus.ieee1394.Ieee1394Bus;
import org.machina.api.device.Device;
import org.machina.api.device.DeviceConfig;
import org.machina.api.device.DeviceContext;
import org.machina.api.device.DeviceType;
import org.machina.api.device.PropertySpec;
import org.osgi.service.component.annotations.Component;

/** Publishes {@link Sbp2Disk} as device type {@code sbp2-disk}. */
@Component(service = DeviceType.class, property = DeviceType.NAME_PROPERTY + "=" + Sbp2DiskType.NAME)
public final class Sbp2DiskType implements DeviceType {
    static final String NAME = "sbp2-disk";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "SBP-2 (SCSI over FireWire) disk node on a 1394 bus (needs an ohci-1394 before it)";
    }

    @Override
    public List<PropertySpec> properties() {
        return List.of(
                PropertySpec.blockdev("drive", "the drive (-drive ...,if=none,id=ID) the node serves"),
                PropertySpec.string("guid", "", "EUI-64 of the node (default: derived from the device id)"),
                PropertySpec.string("serial", "", "SCSI unit serial number (default: the drive id)"));
    }

    @Override
    public Device create(DeviceContext context, DeviceConfig config) {
        String drive = config.optional("drive").filter(s -> !s.isEmpty()).orElseThrow(() ->
                new IllegalArgumentException("device '" + config.id() + "' (" + NAME + ") needs drive=ID"));
        String g = config.string("guid");
        long guid = g.isEmpty() ? 0x0012_3400_0000_0000L | (config.id().hashCode() & 0xFFFF_FFFFL) << 4 | 2
                : DeviceConfig.parseLong(g);
        String serial = config.string("serial");
        return new Sbp2Disk(context, Ieee1394Bus.NAME, context.blockdev(drive), guid,
                serial.isEmpty() ? drive : serial);
    }
}
