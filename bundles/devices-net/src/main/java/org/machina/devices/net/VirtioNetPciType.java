package org.machina.devices.net;

import java.util.List;
import org.machina.api.device.Device;
import org.machina.api.device.DeviceConfig;
import org.machina.api.device.DeviceContext;
import org.machina.api.device.DeviceType;
import org.machina.api.device.PropertySpec;
import org.osgi.service.component.annotations.Component;

/** Publishes {@link VirtioNetPci} as device type {@code virtio-net-pci}. */
@Component(service = DeviceType.class, property = DeviceType.NAME_PROPERTY + "=" + VirtioNetPciType.NAME)
public final class VirtioNetPciType implements DeviceType {
    static final String NAME = "virtio-net-pci";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "virtio network device, transitional PCI function 1af4:1000 (legacy I/O BAR interface), over a netdev";
    }

    @Override
    public List<PropertySpec> properties() {
        return NicProperties.LIST;
    }

    @Override
    public Device create(DeviceContext context, DeviceConfig config) {
        return new VirtioNetPci(context, NicProperties.netdev(context, config), MacAddress.of(context, config.string("mac")),
                config.int32("addr"));
    }
}
