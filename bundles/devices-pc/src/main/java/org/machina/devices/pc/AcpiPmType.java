package org.machina.devices.pc;

import java.util.List;
import org.machina.api.device.Device;
import org.machina.api.device.DeviceConfig;
import org.machina.api.device.DeviceContext;
import org.machina.api.device.DeviceType;
import org.machina.api.device.PropertySpec;
import org.osgi.service.component.annotations.Component;

/** Publishes {@link AcpiPm} as device type {@code acpi-pm}. */
@Component(service = DeviceType.class, property = DeviceType.NAME_PROPERTY + "=" + AcpiPmType.NAME)
public final class AcpiPmType implements DeviceType {
    static final String NAME = "acpi-pm";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "ACPI PM registers (PM1a event/control, 3.579545 MHz PM timer), SCI, power button and S5 power-off";
    }

    @Override
    public List<PropertySpec> properties() {
        return List.of(
                PropertySpec.integer("base", 0x600L, "first I/O port of the 12-byte PM block (must match the board's FADT)"),
                PropertySpec.integer("sci", 9L, "ISA IRQ of the system control interrupt"),
                PropertySpec.bool(HpetType.FASTPATH, true, "serve PM timer reads on the CPU's fast path (off: every"
                        + " access takes the normal path, to compare)"));
    }

    @Override
    public Device create(DeviceContext context, DeviceConfig config) {
        long base = config.integer("base");
        long sci = config.integer("sci");
        if (base <= 0 || base > 0xFFFF - AcpiPm.SIZE || (base & 3) != 0) {
            throw new IllegalArgumentException("device '" + config.id() + "': property base must be a 4-aligned port in"
                    + " 0x4-0xFFF0, not 0x" + Long.toHexString(base));
        }
        if (sci < 0 || sci > 15) {
            throw new IllegalArgumentException("device '" + config.id() + "': property sci must be an ISA IRQ 0-15, not " + sci);
        }
        return new AcpiPm(context, (int) base, (int) sci, config.bool(HpetType.FASTPATH));
    }
}
