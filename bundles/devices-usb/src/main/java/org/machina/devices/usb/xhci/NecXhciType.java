package org.machina.devices.usb.xhci;

import java.util.List;
import org.machina.api.device.Device;
import org.machina.api.device.DeviceConfig;
import org.machina.api.device.DeviceContext;
import org.machina.api.device.DeviceType;
import org.machina.api.device.PropertySpec;
import org.osgi.service.component.annotations.Component;

/** Publishes {@link Xhci} as {@code nec-usb-xhci} (PCI 1033:0194, NEC uPD720200; answers NEC's firmware-revision command). */
@Component(service = DeviceType.class, property = DeviceType.NAME_PROPERTY + "=" + NecXhciType.NAME)
public final class NecXhciType implements DeviceType {
    static final String NAME = "nec-usb-xhci";


    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "xHCI USB host controller, PCI 1033:0194 (NEC uPD720200), 4 USB 2 + 4 USB 3 root ports (bus ID.0)";
    }

    @Override
    public List<PropertySpec> properties() {
        return QemuXhciType.props();
    }

    @Override
    public Device create(DeviceContext context, DeviceConfig config) {
        return new Xhci(context, Xhci.Model.NEC_XHCI, config.int32("addr"));
    }
}
