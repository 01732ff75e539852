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
        return List.of(
                PropertySpec.string("output", I8259.CPU, "where INTR goes: \"cpu\" (its INTR pin and interrupt acknowledge),"
                        + " or an interrupt sink such as \"lapic\" (input 0, LINT0; the acknowledge is then bus \"extint\")"),
                PropertySpec.string("sink", "isa", "name of the interrupt sink the 8259 registers (inputs 0-15)"));
    }

    @Override
    public Device create(DeviceContext context, DeviceConfig config) {
        return new I8259(context, config.string("output"), config.string("sink"));
    }
}
