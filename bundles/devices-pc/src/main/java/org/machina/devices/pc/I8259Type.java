package org.machina.devices.pc;

import java.util.List;
import org.machina.api.device.Device;
import org.machina.api.device.DeviceConfig;
import org.machina.api.device.DeviceContext;
import org.machina.api.device.DeviceType;
import org.machina.api.device.PropertySpec;
import org.osgi.service.component.annotations.Component;

/** Publishes {@link I8259} as device type {@code i8259}. */
@Component(service = DeviceType.class, property = DeviceType.NAME_PROPERTY + "=" + I8259Type.NAME)
public final class I8259Type implements DeviceType {
    static final String NAME = "i8259";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "Master/slave 8259A interrupt controllers with ELCR (ISA IRQs 0-15, sink \"isa\")";
    }

    @Override
    public List<PropertySpec> properties() {
        return List.of();
    }

    @Override
    public Device create(DeviceContext context, DeviceConfig config) {
        return new I8259(context);
    }
}
