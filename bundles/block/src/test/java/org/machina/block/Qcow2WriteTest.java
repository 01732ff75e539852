package org.machina.block;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.machina.api.block.BlockNode;

/** Images written by our driver, then checked ({@code qemu-img check}) and read back by qemu-img. */
class Qcow2WriteTest {
    @TempDir
    Path dir;

    @BeforeEach
    void tools() {
        Tools.need("qemu-img");
        Tools.need("qemu-io");
    }

    static BlockNode open(Path img, boolean ro) throws IOException {
        return new Qcow2Driver().open("d", img, ro, Map.of());
    }

    /** Random writes of random lengths mirrored into {@code model}. */
    static void randomWrites(BlockNode n, byte[] model, long seed, int count, int maxLen) throws IOException {
        Random r = new Random(seed);
        for (int i = 0; i < count; i++) {
            int len = 1 + r.nextInt(maxLen);
            int off = r.nextInt(model.length - len);
            byte[] data = new byte[len];
            r.nextBytes(data);
            n.write(off, ByteBuffer.wrap(data));
            System.arraycopy(data, 0, model, off, len);
        }
    }

    static void assertClean(Path img) throws Exception {
        long[] c = Tools.check(img);
        assertEquals(0, c[1], "corruptions in " + img);
        assertEquals(0, c[2], "leaks in " + img);
        assertEquals(0, c[0], "qemu-img check exit code for " + img);
    }

    @ParameterizedTest
    @CsvSource({"1.1,65536,16", "0.10,65536,16", "1.1,512,16", "1.1,4096,16", "0.10,2097152,16", "1.1,512,1",
        "1.1,4096,2", "1.1,65536,8", "1.1,4096,64"})
    void randomWritesPassCheckAndCompare(String compat, int clusterSize, int refcountBits) throws Exception {
        Path img = dir.resolve("w.qcow2");
        int size = 6 << 20;
        Tools.ok("qemu-img", "create", "-q", "-f", "qcow2", "-o", "compat=" + compat + ",cluster_size=" + clusterSize
                + ",refcount_bits=" + refcountBits, img.toString(), String.valueOf(size));
        byte[] model = new byte[size];
        try (BlockNode n = open(img, false)) {
            randomWrites(n, model, clusterSize, 300, 200_000);
            ByteBuffer back = ByteBuffer.allocate(size);
            n.read(0, back);
            assertArrayEquals(model, back.array(), "reads after writes");
        }
        assertClean(img);
        assertArrayEquals(model, Tools.toRaw(img, dir));
        Path raw = dir.resolve("model.raw");
        Files.write(raw, model);
        Tools.ok("qemu-img", "compare", "-f", "raw", "-F", "qcow2", raw.toString(), img.toString());
    }

    @Test
    void refcountTableGrowsWithSmallClusters() throws Exception {
        // 512-byte clusters: one refcount table cluster covers 64 blocks x 256 clusters = 8 MiB of file
        Path img = dir.resolve("g.qcow2");
        int size = 24 << 20;
        Tools.ok("qemu-img", "create", "-q", "-f", "qcow2", "-o", "cluster_size=512", img.toString(), String.valueOf(size));
        byte[] model = new byte[size];
        try (BlockNode n = open(img, false)) {
            byte[] chunk = new byte[1 << 20];
            new Random(3).nextBytes(chunk);
            for (int off = 0; off < size; off += 2 << 20) {
                n.write(off, ByteBuffer.wrap(chunk));
                System.arraycopy(chunk, 0, model, off, chunk.length);
            }
        }
        assertTrue(Files.size(img) > 12 << 20);
        assertClean(img);
        assertArrayEquals(model, Tools.toRaw(img, dir));
    }

    @Test
    void copyOnWriteFromBackingAndCompressed() throws Exception {
        Path base = dir.resolve("base.raw");
        Tools.ok("qemu-img", "create", "-q", "-f", "raw", base.toString(), "4M");
        Tools.qemuIo(base, "raw", "write -P 0x33 0 4M");
        Path comp = dir.resolve("comp.qcow2");
        Tools.ok("qemu-img", "convert", "-c", "-O", "qcow2", base.toString(), comp.toString());
        Path top = dir.resolve("top.qcow2");
        Tools.ok("qemu-img", "create", "-q", "-f", "qcow2", "-b", "comp.qcow2", "-F", "qcow2", top.toString(), "4M");
        byte[] model = Files.readAllBytes(base);
        try (BlockNode n = open(top, false)) {
            randomWrites(n, model, 7, 50, 10_000);
        }
        assertClean(top);
        assertArrayEquals(model, Tools.toRaw(top, dir));
        // writing into the compressed image itself rewrites clusters and frees the compressed ones
        byte[] model2 = Files.readAllBytes(base);
        try (BlockNode n = open(comp, false)) {
            randomWrites(n, model2, 8, 50, 10_000);
        }
        assertClean(comp);
        assertArrayEquals(model2, Tools.toRaw(comp, dir));
    }

    @Test
    void writeZeroesAndDiscard() throws Exception {
        for (String compat : new String[] {"1.1", "0.10"}) {
            Path img = dir.resolve("z" + compat + ".qcow2");
            Tools.ok("qemu-img", "create", "-q", "-f", "qcow2", "-o", "compat=" + compat, img.toString(), "2M");
            byte[] model = new byte[2 << 20];
            Arrays.fill(model, (byte) 0x55);
            try (BlockNode n = open(img, false)) {
                n.write(0, ByteBuffer.wrap(model));
                n.writeZeroes(1000, 300_000);
                Arrays.fill(model, 1000, 301_000, (byte) 0);
                n.discard(1 << 20, 1 << 19);
                Arrays.fill(model, 1 << 20, (1 << 20) + (1 << 19), (byte) 0);
                assertTrue(n.blockStatus(65536, 65536).zero() || compat.equals("0.10"));
            }
            assertClean(img);
            assertArrayEquals(model, Tools.toRaw(img, dir), compat);
        }
    }

    @Test
    void writesAfterInternalSnapshotKeepTheSnapshot() throws Exception {
        Path img = dir.resolve("snap.qcow2");
        Tools.ok("qemu-img", "create", "-q", "-f", "qcow2", img.toString(), "1M");
        Tools.qemuIo(img, "qcow2", "write -P 0x21 0 1M");
        Tools.ok("qemu-img", "snapshot", "-c", "s1", img.toString());
        byte[] model = new byte[1 << 20];
        Arrays.fill(model, (byte) 0x21);
        try (BlockNode n = open(img, false)) {
            randomWrites(n, model, 9, 30, 50_000);
        }
        assertClean(img);
        assertArrayEquals(model, Tools.toRaw(img, dir));
        Path snap = dir.resolve("s1.raw");
        Tools.ok("qemu-img", "convert", "-l", "snapshot.name=s1", "-O", "raw", img.toString(), snap.toString());
        byte[] old = Files.readAllBytes(snap);
        for (byte b : old) {
            assertEquals(0x21, b);
        }
    }

    @Test
    void lazyRefcountsSetsDirtyWhileOpenAndReadOnlyNeverWrites() throws Exception {
        Path img = dir.resolve("lazy.qcow2");
        Tools.ok("qemu-img", "create", "-q", "-f", "qcow2", "-o", "lazy_refcounts=on", img.toString(), "1M");
        byte[] before = Files.readAllBytes(img);
        try (BlockNode n = open(img, true)) {
            n.read(0, ByteBuffer.allocate(4096));
            assertThrows(IOException.class, () -> n.write(0, ByteBuffer.allocate(1)));
        }
        assertArrayEquals(before, Files.readAllBytes(img), "read-only open must not write");
        try (BlockNode n = open(img, false)) {
            assertEquals(1, incompatible(img) & 1, "dirty bit while open for write");
            n.write(0, ByteBuffer.wrap(new byte[] {1, 2, 3}));
        }
        assertEquals(0, incompatible(img) & 1, "dirty bit cleared on close");
        assertClean(img);
    }

    static long incompatible(Path img) throws IOException {
        try (FileChannel c = FileChannel.open(img, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(8);
            c.read(b, 72);
            return b.getLong(0);
        }
    }
}
