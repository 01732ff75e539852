package org.machina.devices.pc;

import java.util.List;
import org.machina.api.device.Device;
import org.machina.api.device.DeviceConfig;
import org.machina.api.device.DeviceContext;
import org.machina.api.device.DeviceType;
import org.machina.api.device.PropertySpec;
import org.osgi.service.component.annotations.Component;

/** Publishes {@link I8254} as device type {@code i8254}. */
@Component(service = DeviceType.class, property = DeviceType.NAME_PROPERTY + "=" + I8254Type.NAME)
public final class I8254Type implements DeviceType {
    static final String NAME = "i8254";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "8254 programmable interval timer (0x40-0x43, IRQ0) with port 0x61 gate and speaker bits";
    }

    @Override
    public List<PropertySpec> properties() {
        return List.of(PropertySpec.string("irq-controller", "isa",
                "interrupt controller whose input 0 OUT0 drives: 'isa', or 'hpet-legacy' behind an HPET"));
    }

    @Override
    public Device create(DeviceContext context, DeviceConfig config) {
        return new I8254(context, config.string("irq-controller"));
    }
}
