package org.machina.devices.usb.video;

import java.util.List;
import org.machina.api.bus.usb.UsbBus;
import org.machina.api.device.Device;
import org.machina.api.device.DeviceConfig;
import org.machina.api.device.DeviceContext;
import org.machina.api.device.DeviceType;
import org.machina.api.device.PropertySpec;
import org.osgi.service.component.annotations.Component;

/** Publishes {@link UsbVideo} as device type {@code usb-video}. */
@Component(service = DeviceType.class, property = DeviceType.NAME_PROPERTY + "=" + UsbVideoType.NAME)
public final class UsbVideoType implements DeviceType {
    static final String NAME = "usb-video";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "USB Video Class 1.1 camera: YUYV 160x120..640x480 over bulk, synthetic test pattern with frame numbers";
    }

    @Override
    public List<PropertySpec> properties() {
        return List.of(
                PropertySpec.string("bus", "", "the USB bus: ID.0 of a qemu-xhci/nec-usb-xhci (default: the first USB controller)"),
                PropertySpec.integer("port", -1L, "root port 1..N (-1: the first free port)"),
                PropertySpec.oneOf("source", "pattern", "where frames come from", "pattern"));
    }

    @Override
    public Device create(DeviceContext context, DeviceConfig config) {
        String bus = config.string("bus");
        return new UsbVideo(context, bus.isEmpty() ? UsbBus.DEFAULT : bus, config.int32("port"));
    }
}
