package org.machina.devices.pc;

import java.util.List;
import org.machina.api.device.Device;
import org.machina.api.device.DeviceConfig;
import org.machina.api.device.DeviceContext;
import org.machina.api.device.DeviceType;
import org.machina.api.device.PropertySpec;
import org.osgi.service.component.annotations.Component;

/** Publishes {@link Port92} as device type {@code port92}. */
@Component(service = DeviceType.class, property = DeviceType.NAME_PROPERTY + "=" + Port92Type.NAME)
public final class Port92Type implements DeviceType {
    static final String NAME = "port92";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "System control port A (0x92): fast reset and A20 gate bit";
    }

    @Override
    public List<PropertySpec> properties() {
        return List.of();
    }

    @Override
    public Device create(DeviceContext context, DeviceConfig config) {
        return new Port92(context);
    }
}
