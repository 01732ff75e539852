package org.machina.devices.debug;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
 * {@code post-code}: the POST diagnostic port. Every byte written to port 0x80 is appended to a
 * file as two hex digits and a newline ({@code --post-log FILE}). Reads return the last code
 * written. Port 0x80 is also used by guests as an I/O delay, so writes are cheap and buffered;
 * the file is flushed on every line so a crashed run keeps its log.
 */
@Component(service = DeviceType.class, property = "machina.name=post-code")
public final class PostCodeLog implements DeviceType {
    @Override
    public String name() {
        return "post-code";
    }

    @Override
    public String description() {
        return "POST code port 0x80: codes appended to a file, one hex byte a line";
    }

    @Override
    public List<PropertySpec> properties() {
        return List.of(PropertySpec.integer("iobase", 0x80L, "I/O port"),
                PropertySpec.string("path", null, "file the codes are appended to"));
    }

    @Override
    public Device create(DeviceContext context, DeviceConfig config) {
        int iobase = config.int32("iobase");
        Path path = Path.of(config.string("path"));
        return new Device() {
            private Writer out;
            private int last = 0xff;

            @Override
            public void realize() {
                try {
                    out = Files.newBufferedWriter(path, StandardCharsets.US_ASCII, StandardOpenOption.CREATE,
                            StandardOpenOption.APPEND);
                } catch (IOException e) {
                    throw new IllegalArgumentException("post-code: cannot open '" + path + "': " + e.getMessage(), e);
                }
                context.io().map(iobase, new MemoryRegion.Io("post-code", 1, new Mmio() {
                    @Override
                    public long read(long offset, int size) {
                        return last;
                    }

                    @Override
                    public void write(long offset, int size, long value) {
                        last = (int) value & 0xff;
                        try {
                            out.write(String.format("%02x%n", last));
                            out.flush();
                        } catch (IOException e) {
                            context.log().warn("post-code: writing {} failed: {}", path, e.getMessage());
                        }
                    }
                }, AccessSpec.BYTES));
            }

            @Override
            public void reset() {
            }

            @Override
            public void unrealize() {
                try {
                    out.close();
                } catch (IOException e) {
                    context.log().warn("post-code: closing {} failed: {}", path, e.getMessage());
                }
            }
        };
    }
}
