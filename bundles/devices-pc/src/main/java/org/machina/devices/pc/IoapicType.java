package org.machina.devices.pc;

import java.util.List;
import org.machina.api.device.Device;
import org.machina.api.device.DeviceConfig;
import org.machina.api.device.DeviceContext;
import org.machina.api.device.DeviceType;
import org.machina.api.device.PropertySpec;
import org.osgi.service.component.annotations.Component;

/** Publishes {@link Ioapic} as device type {@code ioapic}. */
@Component(service = DeviceType.class, property = DeviceType.NAME_PROPERTY + "=" + IoapicType.NAME)
public final class IoapicType implements DeviceType {
    static final String NAME = "ioapic";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "82093AA I/O APIC: 24 inputs (sink \"ioapic\"), messages to the local APIC (device apic)";
    }

    @Override
    public List<PropertySpec> properties() {
        return List.of(PropertySpec.integer("base", Ioapic.DEFAULT_BASE, "physical address of IOREGSEL/IOWIN"));
    }

    @Override
    public Device create(DeviceContext context, DeviceConfig config) {
        return new Ioapic(context, config.integer("base"));
    }
}
