package org.machina.devices.pc;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.List;
import org.machina.api.device.Device;
import org.machina.api.device.DeviceConfig;
import org.machina.api.device.DeviceContext;
import org.machina.api.device.DeviceType;
import org.machina.api.device.PropertySpec;
import org.osgi.service.component.annotations.Component;

/** Publishes {@link Mc146818Rtc} as device type {@code mc146818rtc}. */
@Component(service = DeviceType.class, property = DeviceType.NAME_PROPERTY + "=" + Mc146818RtcType.NAME)
public final class Mc146818RtcType implements DeviceType {
    static final String NAME = "mc146818rtc";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "MC146818 real-time clock and 128-byte CMOS (0x70-0x71, IRQ8)";
    }

    @Override
    public List<PropertySpec> properties() {
        return List.of(
                PropertySpec.string("base", "utc",
                        "time at machine creation: 'utc' (host clock) or an ISO date-time such as 2024-01-31T12:00:00"),
                PropertySpec.integer("memory", 0L, "guest RAM in bytes, written into the CMOS memory-size bytes"),
                PropertySpec.string("irq-controller", "isa",
                        "interrupt controller whose input 8 the RTC drives: 'isa', or 'hpet-legacy' behind an HPET"));
    }

    @Override
    public Device create(DeviceContext context, DeviceConfig config) {
        long memory = config.integer("memory");
        if (memory < 0) {
            throw new IllegalArgumentException("device '" + config.id() + "': property memory must be >= 0, not " + memory);
        }
        return new Mc146818Rtc(context, parseBase(config.id(), config.string("base")), memory,
                config.string("irq-controller"));
    }

    /** Epoch seconds of the {@code base} property. */
    static long parseBase(String id, String base) {
        String b = base.trim();
        if (b.equalsIgnoreCase("utc")) {
            return Instant.now().getEpochSecond();
        }
        try {
            return OffsetDateTime.parse(b).toEpochSecond();
        } catch (DateTimeParseException e) {
            try {
                return LocalDateTime.parse(b).toEpochSecond(ZoneOffset.UTC);
            } catch (DateTimeParseException e2) {
                throw new IllegalArgumentException("device '" + id + "': property base '" + base
                        + "' is neither 'utc' nor an ISO date-time such as 2024-01-31T12:00:00 or 2024-01-31T12:00:00Z");
            }
        }
    }
}
