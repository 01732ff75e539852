package org.machina.block;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import org.machina.api.block.BlockNode;

/** Opens an image by format name or by probing, without a service registry (tools, tests, standalone NBD). */
public final class BlockImages {
    private BlockImages() {
    }

    /**
     * Opens {@code file} as {@code format} ({@code raw}, {@code qcow2}, or null to probe: qcow2 by magic, else raw).
     */
    public static BlockNode open(String nodeName, Path file, String format, boolean readOnly) throws IOException {
        if (format == null) {
            byte[] head = new byte[4];
            try (FileChannel c = FileChannel.open(file, StandardOpenOption.READ)) {
                c.read(ByteBuffer.wrap(head), 0);
            }
            format = new Qcow2Driver().probe(head) ? "qcow2" : "raw";
        }
        return switch (format) {
            case "raw" -> new RawDriver().open(nodeName, file, readOnly, Map.of());
            case "qcow2" -> new Qcow2Driver().open(nodeName, file, readOnly, Map.of());
            default -> throw new IOException("unknown image format '" + format + "' (accepted: raw, qcow2)");
        };
    }
}
