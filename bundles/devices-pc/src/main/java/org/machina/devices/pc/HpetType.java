package org.machina.devices.pc;

import java.util.List;
import org.machina.api.device.Device;
import org.machina.api.device.DeviceConfig;
import org.machina.api.device.DeviceContext;
import org.machina.api.device.DeviceType;
import org.machina.api.device.PropertySpec;
import org.osgi.service.component.annotations.Component;

/** Publishes {@link Hpet} as device type {@code hpet}. */
@Component(service = DeviceType.class, property = DeviceType.NAME_PROPERTY + "=" + HpetType.NAME)
public final class HpetType implements DeviceType {
    static final String NAME = "hpet";
    /** Device property: attach the fast-path handlers ({@code -global hpet.fastpath=off} to compare). */
    static final String FASTPATH = "fastpath";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "HPET: 64-bit 100 MHz main counter, 3 comparators, legacy replacement of the PIT/RTC IRQ 0/8";
    }

    @Override
    public List<PropertySpec> properties() {
        return List.of(PropertySpec.integer("base", 0xFED0_0000L, "physical address of the 1 KiB register block"),
                PropertySpec.bool(FASTPATH, true, "serve main counter and GINTR_STA reads on the CPU's fast path"
                        + " (off: every access takes the normal path, to compare)"));
    }

    @Override
    public Device create(DeviceContext context, DeviceConfig config) {
        long base = config.integer("base");
        if (base < 0 || (base & 0x3FF) != 0 || base + Hpet.SIZE > 0x1_0000_0000L) {
            throw new IllegalArgumentException("device '" + config.id() + "': property base must be 1 KiB aligned below"
                    + " 4 GiB, not 0x" + Long.toHexString(base));
        }
        return new Hpet(context, base, config.bool(FASTPATH));
    }
}
