package org.machina.devices.tick;

import java.util.List;
import org.machina.api.device.Device;
import org.machina.api.device.DeviceConfig;
import org.machina.api.device.DeviceContext;
import org.machina.api.device.DeviceType;
import org.machina.api.device.PropertySpec;
import org.osgi.service.component.annotations.Component;

/** The {@code tick-counter} device type. */
@Component(service = DeviceType.class, property = "machina.name=tick-counter")
public final class TickCounterType implements DeviceType {
    @Override
    public String name() {
        return "tick-counter";
    }

    @Override
    public String description() {
        return "counts ticks of guest time at a programmable period (ports: COUNT, PERIOD_US, CTRL, ID)";
    }

    @Override
    public List<PropertySpec> properties() {
        return List.of(PropertySpec.integer("iobase", 0x510L, "first of 16 I/O ports"),
                PropertySpec.integer("irq", -1L, "ISA interrupt pulsed per tick when enabled (-1: none)"));
    }

    @Override
    public Device create(DeviceContext context, DeviceConfig config) {
        return new TickCounter(context, config.int32("iobase"), config.int32("irq"));
    }
}
