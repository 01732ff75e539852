package org.machina.block;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.machina.api.block.BlockNode;

/** Hostile and corrupt images are refused with an error naming the file, the structure and the offset. */
class Qcow2CorruptTest {
    @TempDir
    Path dir;
    Path img;

    @BeforeEach
    void image() throws Exception {
        Tools.need("qemu-img");
        Tools.need("qemu-io");
        img = dir.resolve("bad.qcow2");
        Tools.ok("qemu-img", "create", "-q", "-f", "qcow2", img.toString(), "4M");
        Tools.qemuIo(img, "qcow2", "write -P 0x9 0 128k");
    }

    void patch(long at, ByteBuffer value) throws IOException {
        try (FileChannel c = FileChannel.open(img, StandardOpenOption.WRITE)) {
            c.write(value.flip(), at);
        }
    }

    void patchInt(long at, int v) throws IOException {
        patch(at, ByteBuffer.allocate(4).putInt(v));
    }

    void patchLong(long at, long v) throws IOException {
        patch(at, ByteBuffer.allocate(8).putLong(v));
    }

    IOException refused(String... words) throws IOException {
        byte[] before = Files.readAllBytes(img);
        IOException e = assertThrows(IOException.class, () -> {
            try (BlockNode n = new Qcow2Driver().open("d", img, true, Map.of())) {
                n.read(0, ByteBuffer.allocate((int) Math.min(n.size(), 1 << 20)));
            }
        });
        String m = e.getMessage();
        assertTrue(m.contains(img.toString()), "names the file: " + m);
        for (String w : words) {
            assertTrue(m.contains(w), "'" + w + "' in: " + m);
        }
        assertArrayEquals(before, Files.readAllBytes(img), "read-only open wrote to the image");
        return e;
    }

    @Test
    void clusterBitsOutOfRange() throws IOException {
        patchInt(20, 22);
        refused("cluster_bits", "offset 20", "9..21");
        patchInt(20, 8);
        refused("cluster_bits");
    }

    @Test
    void unknownIncompatibleFeature() throws IOException {
        patchLong(72, 1L << 40);
        refused("incompatible_features", "offset 72", "0x10000000000");
        patchLong(72, 1L << 2);
        refused("external data file");
        patchLong(72, 1L << 4);
        patchInt(20, 12); // extended L2 with 4 KiB clusters
        refused("extended L2", "16 KiB");
    }

    @Test
    void l1TableBeyondFileOrOverHeader() throws IOException {
        patchLong(40, 1L << 40);
        refused("l1_table_offset", "beyond the end of the file");
        patchLong(40, 0);
        refused("l1_table_offset", "overlaps the header");
    }

    @Test
    void l1SizeOverflowAndHugeSize() throws IOException {
        patchInt(36, -1);
        refused("l1_size", "offset 36");
        patchInt(36, 1);
        patchLong(24, 1L << 62);
        refused("size", "offset 24");
        patchLong(24, 1L << 50);
        refused("l1_size", "too small");
    }

    @Test
    void l2TableOffsetBeyondFile() throws IOException {
        long l1 = readLong(40);
        patchLong(l1, (1L << 63) | (1L << 45));
        refused("L1 entry 0", "offset " + l1, "beyond the end of the file");
    }

    @Test
    void dataClusterOverlappingHeader() throws IOException {
        long l2 = readLong(readLong(40)) & Qcow2Node.OFFSET_MASK;
        patchLong(l2, (1L << 63));
        patchLong(l2, (1L << 63) | 0x200); // unaligned / inside the header cluster
        refused("L2 entry for cluster 0", "offset " + l2);
    }

    @Test
    void writeOverMetadataIsRefused() throws IOException {
        long l1 = readLong(40);
        long l2 = readLong(l1) & Qcow2Node.OFFSET_MASK;
        patchLong(l2, (1L << 63) | l1); // cluster 0's data "is" the L1 table
        try (BlockNode n = new Qcow2Driver().open("d", img, false, Map.of())) {
            IOException e = assertThrows(IOException.class, () -> n.write(0, ByteBuffer.allocate(512)));
            assertTrue(e.getMessage().contains("overlaps the L1 table") && e.getMessage().contains(img.toString()), e.getMessage());
        }
        assertTrue(readLong(l1) != 0, "L1 table intact");
    }

    @Test
    void truncatedFile() throws IOException {
        try (FileChannel c = FileChannel.open(img, StandardOpenOption.WRITE)) {
            c.truncate(50);
        }
        refused("truncated");
        try (FileChannel c = FileChannel.open(img, StandardOpenOption.WRITE)) {
            c.truncate(0);
        }
        refused("truncated");
    }

    @Test
    void refcountTableBeyondFile() throws IOException {
        patchLong(48, 1L << 44);
        refused("refcount_table_offset", "offset 48");
    }

    @Test
    void badBackingNameAndLoops() throws Exception {
        Path a = dir.resolve("a.qcow2");
        Path b = dir.resolve("b.qcow2");
        Tools.ok("qemu-img", "create", "-q", "-f", "qcow2", a.toString(), "1M");
        Tools.ok("qemu-img", "create", "-q", "-f", "qcow2", "-b", "a.qcow2", "-F", "qcow2", b.toString(), "1M");
        Tools.ok("qemu-img", "rebase", "-u", "-f", "qcow2", "-b", "b.qcow2", "-F", "qcow2", a.toString());
        IOException e = assertThrows(IOException.class, () -> new Qcow2Driver().open("b", b, true, Map.of()));
        assertTrue(e.getMessage().contains("loop"), e.getMessage());
        // a chain of 70 images is deeper than the limit
        Path prev = dir.resolve("c0.qcow2");
        Tools.ok("qemu-img", "create", "-q", "-f", "qcow2", prev.toString(), "1M");
        for (int i = 1; i < 70; i++) {
            Path next = dir.resolve("c" + i + ".qcow2");
            Tools.ok("qemu-img", "create", "-q", "-f", "qcow2", "-u", "-b", prev.getFileName().toString(), "-F", "qcow2",
                    next.toString(), "1M");
            prev = next;
        }
        Path last = prev;
        e = assertThrows(IOException.class, () -> new Qcow2Driver().open("c", last, true, Map.of()));
        assertTrue(e.getMessage().contains("deeper than 64"), e.getMessage());
        Tools.ok("qemu-img", "rebase", "-u", "-f", "qcow2", "-b", "missing.qcow2", "-F", "qcow2", a.toString());
        e = assertThrows(IOException.class, () -> new Qcow2Driver().open("a", a, true, Map.of()));
        assertTrue(e.getMessage().contains("missing.qcow2") && e.getMessage().contains(a.toString()), e.getMessage());
    }

    @Test
    void dirtyOrCorruptImageOnlyReadOnly() throws Exception {
        patchLong(72, 2); // corrupt bit
        try (BlockNode n = new Qcow2Driver().open("d", img, true, Map.of())) {
            n.read(0, ByteBuffer.allocate(512));
        }
        IOException e = assertThrows(IOException.class, () -> new Qcow2Driver().open("d", img, false, Map.of()));
        assertTrue(e.getMessage().contains("corrupt"), e.getMessage());
    }

    @Test
    void garbageCompressedData() throws Exception {
        Path raw = dir.resolve("x.raw");
        Tools.ok("qemu-img", "create", "-q", "-f", "raw", raw.toString(), "1M");
        Tools.qemuIo(raw, "raw", "write -P 0x3 0 1M");
        Tools.ok("qemu-img", "convert", "-c", "-O", "qcow2", raw.toString(), img.toString());
        long l2 = readLong(readLong(40)) & Qcow2Node.OFFSET_MASK;
        long e = readLong(l2);
        long host = e & ((1L << 54) - 1);
        patchLong(host, 0xffff_ffff_ffff_ffffL);
        refused("compressed cluster 0");
    }

    long readLong(long at) throws IOException {
        try (FileChannel c = FileChannel.open(img, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(8);
            c.read(b, at);
            return b.getLong(0);
        }
    }
}
