package org.machina.devices.pc;

import java.util.List;
import org.machina.api.device.Device;
import org.machina.api.device.DeviceConfig;
import org.machina.api.device.DeviceContext;
import org.machina.api.device.DeviceType;
import org.machina.api.device.PropertySpec;
import org.osgi.service.component.annotations.Component;

/** Publishes {@link I8042} as device type {@code i8042}. */
@Component(service = DeviceType.class, property = DeviceType.NAME_PROPERTY + "=" + I8042Type.NAME)
public final class I8042Type implements DeviceType {
    static final String NAME = "i8042";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "i8042 keyboard controller (0x60, 0x64) with PS/2 keyboard and mouse, IRQ1/IRQ12, reset line";
    }

    @Override
    public List<PropertySpec> properties() {
        return List.of();
    }

    @Override
    public Device create(DeviceContext context, DeviceConfig config) {
        return new I8042(context);
    }
}
