package org.machina.devices.pc;

import java.util.List;
import org.machina.api.device.Device;
import org.machina.api.device.DeviceConfig;
import org.machina.api.device.DeviceContext;
import org.machina.api.device.DeviceType;
import org.machina.api.device.PropertySpec;
import org.osgi.service.component.annotations.Component;

/** Publishes {@link Uart16550} as device type {@code isa-serial}. */
@Component(service = DeviceType.class, property = DeviceType.NAME_PROPERTY + "=" + IsaSerialType.NAME)
public final class IsaSerialType implements DeviceType {
    static final String NAME = "isa-serial";
    static final int[] PORTS = {0x3f8, 0x2f8, 0x3e8, 0x2e8};
    static final int[] IRQS = {4, 3, 4, 3};

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "16550A UART on the ISA bus (COM1-COM4)";
    }

    @Override
    public List<PropertySpec> properties() {
        return List.of(
                PropertySpec.integer("index", 0L, "COM port number 0-3: COM1 0x3f8/IRQ4, COM2 0x2f8/IRQ3, "
                        + "COM3 0x3e8/IRQ4, COM4 0x2e8/IRQ3"),
                PropertySpec.integer("iobase", -1L, "base I/O port (-1: from index)"),
                PropertySpec.integer("irq", -1L, "ISA IRQ (-1: from index)"),
                PropertySpec.chardev("chardev", "character backend id (absent: output dropped, no input)"),
                PropertySpec.bool("paced", false, "true: transmit at the programmed baud rate in virtual time; "
                        + "false (default, as QEMU): each byte is sent and THRE set at once, so a 9600-baud "
                        + "console does not hold the guest's CPU in its transmit-wait loop"));
    }

    @Override
    public Device create(DeviceContext context, DeviceConfig config) {
        int index = config.int32("index");
        if (index < 0 || index > 3) {
            throw new IllegalArgumentException("device '" + config.id() + "': property index must be 0-3, not " + index);
        }
        int iobase = config.int32("iobase");
        if (iobase == -1) {
            iobase = PORTS[index];
        } else if (iobase < 0 || iobase > 0xfff8) {
            throw new IllegalArgumentException("device '" + config.id() + "': property iobase must be -1 or 0-0xfff8, not "
                    + iobase);
        }
        int irq = config.int32("irq");
        if (irq == -1) {
            irq = IRQS[index];
        } else if (irq < 0 || irq > 15) {
            throw new IllegalArgumentException("device '" + config.id() + "': property irq must be -1 or 0-15, not " + irq);
        }
        String chardev = config.optional("chardev").filter(s -> !s.isBlank()).orElse(null);
        return new Uart16550(context, iobase, irq, chardev, config.bool("paced"));
    }
}
