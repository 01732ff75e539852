package org.machina.devices.net;

import java.util.List;
import org.machina.api.device.Device;
import org.machina.api.device.DeviceConfig;
import org.machina.api.device.DeviceContext;
import org.machina.api.device.DeviceType;
import org.machina.api.device.PropertySpec;
import org.machina.api.net.Netdev;
import org.osgi.service.component.annotations.Component;

/** Publishes {@link E1000} as device type {@code e1000}. */
@Component(service = DeviceType.class, property = DeviceType.NAME_PROPERTY + "=" + E1000Type.NAME)
public final class E1000Type implements DeviceType {
    static final String NAME = "e1000";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "Intel 82540EM gigabit Ethernet (8086:100E), PCI, over a netdev";
    }

    @Override
    public List<PropertySpec> properties() {
        return NicProperties.LIST;
    }

    @Override
    public Device create(DeviceContext context, DeviceConfig config) {
        Netdev netdev = NicProperties.netdev(context, config);
        return new E1000(context, netdev, MacAddress.of(context, config.string("mac")), config.int32("addr"));
    }
}
