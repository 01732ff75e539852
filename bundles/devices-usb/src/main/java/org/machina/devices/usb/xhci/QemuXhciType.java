package org.machina.devices.usb.xhci;

import java.util.List;
import org.machina.api.device.Device;
import org.machina.api.device.DeviceConfig;
import org.machina.api.device.DeviceContext;
import org.machina.api.device.DeviceType;
import org.machina.api.device.PropertySpec;
import org.osgi.service.component.annotations.Component;

/** Publishes {@link Xhci} as {@code qemu-xhci} (PCI 1b36:000d). */
@Component(service = DeviceType.class, property = DeviceType.NAME_PROPERTY + "=" + QemuXhciType.NAME)
public final class QemuXhciType implements DeviceType {
    static final String NAME = "qemu-xhci";

    static List<PropertySpec> props() {
        return List.of(PropertySpec.integer("addr", -1L, "PCI device number 0..31 (-1: the first free slot)"));
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "xHCI USB host controller, PCI 1b36:000d, 4 USB 2 + 4 USB 3 root ports (bus ID.0)";
    }

    @Override
    public List<PropertySpec> properties() {
        return props();
    }

    @Override
    public Device create(DeviceContext context, DeviceConfig config) {
        return new Xhci(context, Xhci.Model.QEMU_XHCI, config.int32("addr"));
    }
}
