package org.machina.devices.storage;

import java.util.List;
import org.machina.api.device.Device;
import org.machina.api.device.DeviceConfig;
import org.machina.api.device.DeviceContext;
import org.machina.api.device.DeviceType;
import org.machina.api.device.PropertySpec;
import org.osgi.service.component.annotations.Component;

/** Publishes {@link PiixIde} as device type {@code piix3-ide} (the pc board adds it as 00:01.1). */
@Component(service = DeviceType.class, property = DeviceType.NAME_PROPERTY + "=" + PiixIdeType.NAME)
public final class PiixIdeType implements DeviceType {
    static final String NAME = "piix3-ide";
    /** Device property: attach the fast-path handlers ({@code -global piix3-ide.fastpath=off} to compare). */
    static final String FASTPATH = "fastpath";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "PIIX3 IDE controller, PCI function 8086:7010: legacy ports 0x1f0/0x3f6 (IRQ 14) and 0x170/0x376"
                + " (IRQ 15), bus-master DMA in BAR4; drives come as ide-hd and ide-cd";
    }

    @Override
    public List<PropertySpec> properties() {
        return List.of(
                PropertySpec.integer("addr", 1L, "PCI device number 0..31"),
                PropertySpec.integer("function", 1L, "PCI function number 0..7 (function 0 of the device must exist"
                        + " unless this is 0)"),
                PropertySpec.bool(FASTPATH, true, "serve the PIO data port, status and alternate status on the CPU's"
                        + " fast path (off: every access takes the normal path, to compare)"));
    }

    @Override
    public Device create(DeviceContext context, DeviceConfig config) {
        return new PiixIde(context, config.int32("addr"), config.int32("function"), config.bool(FASTPATH));
    }
}
