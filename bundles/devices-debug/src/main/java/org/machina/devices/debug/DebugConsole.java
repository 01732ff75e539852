package org.machina.devices.debug;

import java.util.List;
import org.machina.api.chardev.CharBackend;
import org.machina.api.device.Device;
import org.machina.api.device.DeviceConfig;
import org.machina.api.device.DeviceContext;
import org.machina.api.device.DeviceType;
import org.machina.api.device.PropertySpec;
import org.machina.api.memory.AccessSpec;
import org.machina.api.memory.MemoryRegion;
import org.machina.api.memory.Mmio;
import org.osgi.service.component.annotations.Component;

/**
 * {@code isa-debugcon}: the Bochs/QEMU debug console port. Register map (one port):
 * <pre>
 * offset 0  write: the byte goes to the chardev
 *           read:  {@code readback} (0xE9, so guests can detect the port)
 * </pre>
 * Stateless.
 */
@Component(service = DeviceType.class, property = "machina.name=isa-debugcon")
public final class DebugConsole implements DeviceType {
    @Override
    public String name() {
        return "isa-debugcon";
    }

    @Override
    public String description() {
        return "debug console port: bytes written go to a chardev";
    }

    @Override
    public List<PropertySpec> properties() {
        return List.of(
                PropertySpec.integer("iobase", 0xe9L, "I/O port"),
                PropertySpec.integer("readback", 0xe9L, "value read from the port"),
                PropertySpec.chardev("chardev", "where output goes (none: dropped)"));
    }

    @Override
    public Device create(DeviceContext context, DeviceConfig config) {
        int iobase = config.int32("iobase");
        int readback = config.int32("readback") & 0xff;
        CharBackend out = config.optional("chardev").filter(s -> !s.isEmpty()).map(context::chardev).orElse(null);
        Mmio ops = new Mmio() {
            @Override
            public long read(long offset, int size) {
                return readback;
            }

            @Override
            public void write(long offset, int size, long value) {
                if (out != null) {
                    out.write((int) value & 0xff);
                }
            }
        };
        return new Device() {
            @Override
            public void realize() {
                context.io().map(iobase, new MemoryRegion.Io("debugcon", 1, ops, AccessSpec.BYTES));
            }

            @Override
            public void reset() {
            }
        };
    }
}
