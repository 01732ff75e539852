package org.machina.devices.pc;

import java.util.List;
import org.machina.api.device.Device;
import org.machina.api.device.DeviceConfig;
import org.machina.api.device.DeviceContext;
import org.machina.api.device.DeviceType;
import org.machina.api.device.PropertySpec;
import org.osgi.service.component.annotations.Component;

/** Publishes {@link Lapic} as device type {@code apic} (the board adds it for {@code -cpu MODEL,+apic}). */
@Component(service = DeviceType.class, property = DeviceType.NAME_PROPERTY + "=" + LapicType.NAME)
public final class LapicType implements DeviceType {
    static final String NAME = "apic";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "Local APIC of the CPU at IA32_APIC_BASE (0xFEE00000): timer, LINT0/LINT1 (sink \"lapic\"), EOI to the I/O APIC";
    }

    @Override
    public List<PropertySpec> properties() {
        return List.of();
    }

    @Override
    public Device create(DeviceContext context, DeviceConfig config) {
        return new Lapic(context);
    }
}
