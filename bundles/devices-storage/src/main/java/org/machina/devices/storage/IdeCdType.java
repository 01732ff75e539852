package org.machina.devices.storage;

import java.util.List;
import org.machina.api.device.Device;
import org.machina.api.device.DeviceConfig;
import org.machina.api.device.DeviceContext;
import org.machina.api.device.DeviceType;
import org.machina.api.device.PropertySpec;
import org.osgi.service.component.annotations.Component;

/**
 * Publishes an ATAPI CD-ROM on the IDE controller ({@link AtapiCdrom}) as device type {@code ide-cd}
 * ({@link IdeCdDevice}: its tray survives a hot-swap).
 */
@Component(service = DeviceType.class, property = DeviceType.NAME_PROPERTY + "=" + IdeCdType.NAME)
public final class IdeCdType implements DeviceType {
    static final String NAME = "ide-cd";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "ATAPI CD-ROM on the IDE controller (read-only medium of 2048-byte blocks, PIO and DMA)";
    }

    @Override
    public List<PropertySpec> properties() {
        return driveProperties("the drive (-drive ...,id=ID, an ISO image) in the CD-ROM");
    }

    static List<PropertySpec> driveProperties(String driveHelp) {
        return List.of(
                PropertySpec.blockdev("drive", driveHelp),
                PropertySpec.string("bus", "", "IDE bus: ide.0 (primary) or ide.1 (secondary); empty: the first free place"),
                PropertySpec.integer("unit", -1L, "unit on the bus: 0 (master) or 1 (slave); -1: the first free"),
                PropertySpec.string("serial", "", "serial number reported by IDENTIFY (default: QM and the drive id)"),
                PropertySpec.string("model", "", "model reported by IDENTIFY"));
    }

    static String requireDrive(DeviceConfig config, String type) {
        return config.optional("drive").filter(s -> !s.isEmpty()).orElseThrow(() ->
                new IllegalArgumentException("device '" + config.id() + "' (" + type + ") needs drive=ID"));
    }

    @Override
    public Device create(DeviceContext context, DeviceConfig config) {
        String drive = requireDrive(config, NAME);
        String serial = config.string("serial");
        String model = config.string("model");
        AtapiCdrom cd = new AtapiCdrom(context.blockdev(drive), serial.isEmpty() ? "QM" + drive : serial,
                model.isEmpty() ? "MACHINA CD-ROM" : model);
        return new IdeCdDevice(context, drive, cd, IdeDriveDevice.channel(config.string("bus"), context.id()),
                IdeDriveDevice.unit(config.int32("unit"), context.id()));
    }
}
