package org.machina.devices.usb.storage;

import java.util.List;
import org.machina.api.bus.usb.UsbBus;
import org.machina.api.device.Device;
import org.machina.api.device.DeviceConfig;
import org.machina.api.device.DeviceContext;
import org.machina.api.device.DeviceType;
import org.machina.api.device.PropertySpec;
import org.osgi.service.component.annotations.Component;

/** Publishes {@link UsbStorage} as device type {@code usb-storage}. */
@Component(service = DeviceType.class, property = DeviceType.NAME_PROPERTY + "=" + UsbStorageType.NAME)
public final class UsbStorageType implements DeviceType {
    static final String NAME = "usb-storage";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "USB mass storage (bulk-only transport, SCSI) over a drive, high speed";
    }

    @Override
    public List<PropertySpec> properties() {
        return List.of(
                PropertySpec.blockdev("drive", "the drive (-drive if=none,id=ID,...) the device stores on"),
                PropertySpec.string("bus", "", "the USB bus: ID.0 of a qemu-xhci/nec-usb-xhci (default: the first USB controller)"),
                PropertySpec.integer("port", -1L, "root port 1..N (-1: the first free port)"),
                PropertySpec.string("serial", "", "serial number string (default: derived from the device id)"));
    }

    @Override
    public Device create(DeviceContext context, DeviceConfig config) {
        String drive = config.optional("drive").filter(s -> !s.isEmpty()).orElseThrow(() ->
                new IllegalArgumentException("device '" + config.id() + "' (" + NAME + ") needs drive=ID"));
        String bus = config.string("bus");
        String serial = config.string("serial");
        if (serial.isEmpty()) {
            serial = String.format("%012X", config.id().hashCode() & 0xFFFFFFFFL);
        }
        return new UsbStorage(context, context.blockdev(drive), bus.isEmpty() ? UsbBus.DEFAULT : bus,
                config.int32("port"), serial);
    }
}
