package org.machina.devices.debug;

import java.util.List;
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
 * {@code isa-debug-exit}: lets a test guest end the run with a status, as QEMU's device of the
 * same name. Register map:
 * <pre>
 * offset 0  write V (any size): the machine shuts down with exit status (V &lt;&lt; 1) | 1
 *           read: all ones
 * </pre>
 */
@Component(service = DeviceType.class, property = "machina.name=isa-debug-exit")
public final class DebugExit implements DeviceType {
    @Override
    public String name() {
        return "isa-debug-exit";
    }

    @Override
    public String description() {
        return "test exit port: a write ends the run with status (value << 1) | 1";
    }

    @Override
    public List<PropertySpec> properties() {
        return List.of(PropertySpec.integer("iobase", 0x501L, "I/O port"),
                PropertySpec.integer("iosize", 2L, "number of ports (1, 2 or 4)"));
    }

    @Override
    public Device create(DeviceContext context, DeviceConfig config) {
        int iobase = config.int32("iobase");
        int iosize = config.int32("iosize");
        if (iosize != 1 && iosize != 2 && iosize != 4) {
            throw new IllegalArgumentException("isa-debug-exit iosize must be 1, 2 or 4, not " + iosize);
        }
        Mmio ops = new Mmio() {
            @Override
            public long read(long offset, int size) {
                return -1L;
            }

            @Override
            public void write(long offset, int size, long value) {
                int status = (int) (((value & 0x7fffffffL) << 1) | 1);
                context.machine().requestShutdown("guest wrote 0x" + Long.toHexString(value) + " to isa-debug-exit", status);
            }
        };
        return new Device() {
            @Override
            public void realize() {
                context.io().map(iobase, new MemoryRegion.Io("debug-exit", iosize, ops, new AccessSpec(1, 4, 1, 4, true)));
            }

            @Override
            public void reset() {
            }
        };
    }
}
