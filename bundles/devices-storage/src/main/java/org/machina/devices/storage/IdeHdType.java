package org.machina.devices.storage;

import java.util.List;
import org.machina.api.device.Device;
import org.machina.api.device.DeviceConfig;
import org.machina.api.device.DeviceContext;
import org.machina.api.device.DeviceType;
import org.machina.api.device.PropertySpec;
import org.osgi.service.component.annotations.Component;

/** Publishes an ATA disk on the IDE controller ({@link AtaDisk}) as device type {@code ide-hd}. */
@Component(service = DeviceType.class, property = DeviceType.NAME_PROPERTY + "=" + IdeHdType.NAME)
public final class IdeHdType implements DeviceType {
    static final String NAME = "ide-hd";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "ATA disk on the IDE controller (PIO, multiword/Ultra DMA, LBA48)";
    }

    @Override
    public List<PropertySpec> properties() {
        return IdeCdType.driveProperties("the drive (-drive ...,id=ID) the guest sees as this disk");
    }

    @Override
    public Device create(DeviceContext context, DeviceConfig config) {
        String drive = IdeCdType.requireDrive(config, NAME);
        String serial = config.string("serial");
        String model = config.string("model");
        return IdeDriveDevice.create(context, drive, config.string("bus"), config.int32("unit"),
                node -> new AtaDisk(node, serial.isEmpty() ? "QM" + drive : serial,
                        model.isEmpty() ? "MACHINA HARDDISK" : model));
    }
}
