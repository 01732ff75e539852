package org.machina.block;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.machina.api.block.BlockNode;
import org.machina.api.block.BlockStatus;

/** Images made and written by qemu-img/qemu-io, read by our driver, compared with qemu-img's own reading. */
class Qcow2ReadTest {
    @TempDir
    Path dir;

    @BeforeEach
    void tools() {
        Tools.need("qemu-img");
        Tools.need("qemu-io");
    }

    static byte[] readAll(BlockNode n) throws Exception {
        ByteBuffer b = ByteBuffer.allocate((int) n.size());
        // read in odd-sized pieces to cross cluster boundaries
        long off = 0;
        while (b.hasRemaining()) {
            int len = (int) Math.min(b.remaining(), 12345);
            b.limit(b.position() + len);
            n.read(off, b);
            b.limit(b.capacity());
            off += len;
        }
        return b.array();
    }

    @ParameterizedTest
    @CsvSource({"1.1,65536", "0.10,65536", "1.1,512", "1.1,4096", "0.10,2097152", "1.1,2097152"})
    void readsWhatQemuWrote(String compat, int clusterSize) throws Exception {
        Path img = dir.resolve("a.qcow2");
        Tools.ok("qemu-img", "create", "-q", "-f", "qcow2", "-o", "compat=" + compat + ",cluster_size=" + clusterSize,
                img.toString(), "4M");
        Tools.qemuIo(img, "qcow2", "write -P 0xab 0 64k");
        Tools.qemuIo(img, "qcow2", "write -P 0x5c 1000000 77777");
        Tools.qemuIo(img, "qcow2", "write -P 0x11 4128768 65536");
        Tools.qemuIo(img, "qcow2", "write -z 65536 131072");
        byte[] ref = Tools.toRaw(img, dir);
        try (BlockNode n = new Qcow2Driver().open("d", img, true, java.util.Map.of())) {
            assertEquals(4 << 20, n.size());
            assertArrayEquals(ref, readAll(n));
            assertEquals((byte) 0xab, ref[100]);
            BlockStatus s = n.blockStatus(0, n.size());
            assertFalse(s.hole());
            assertEquals(0, s.length() % Math.min(clusterSize, 65536), "status ends on a cluster boundary");
            BlockStatus far = n.blockStatus(2 << 20, 4096);
            assertTrue(far.hole() || clusterSize == 2097152, "unwritten range reported as " + far);
        }
    }

    @Test
    void backingChainWithRelativeNamesAndZeroClusters() throws Exception {
        Path base = dir.resolve("base.raw");
        Tools.ok("qemu-img", "create", "-q", "-f", "raw", base.toString(), "2M");
        Tools.qemuIo(base, "raw", "write -P 0x01 0 2M");
        Path mid = dir.resolve("mid.qcow2");
        Tools.ok("qemu-img", "create", "-q", "-f", "qcow2", "-b", "base.raw", "-F", "raw", mid.toString(), "3M");
        Tools.qemuIo(mid, "qcow2", "write -P 0x02 65536 65536");
        Path top = dir.resolve("top.qcow2");
        Tools.ok("qemu-img", "create", "-q", "-f", "qcow2", "-b", "mid.qcow2", "-F", "qcow2", top.toString(), "3M");
        Tools.qemuIo(top, "qcow2", "write -P 0x03 100000 1000");
        Tools.qemuIo(top, "qcow2", "write -z 0 65536");
        byte[] ref = Tools.toRaw(top, dir);
        try (BlockNode n = new Qcow2Driver().open("top", top, true, java.util.Map.of())) {
            assertArrayEquals(ref, readAll(n));
            assertEquals(0, ref[10]);
            assertEquals(2, ref[65536]);
            assertEquals(1, ref[2 << 20 - 1]);
            assertEquals(0, ref[(2 << 20) + 5], "past the end of the shorter backing file reads zeros");
            assertEquals(new BlockStatus(65536, true, true), n.blockStatus(0, 1 << 20));
            assertFalse(n.blockStatus(65536, 4096).hole(), "allocated in mid");
            assertFalse(n.blockStatus(1 << 20, 4096).hole(), "allocated in base (raw)");
            assertTrue(n.blockStatus((2 << 20) + 4096, 4096).hole(), "beyond base: unallocated everywhere");
            assertTrue(n.backing() != null && n.backing().backing() != null);
        }
    }

    @Test
    void readsCompressedClusters() throws Exception {
        Path src = dir.resolve("src.raw");
        Tools.ok("qemu-img", "create", "-q", "-f", "raw", src.toString(), "3M");
        Tools.qemuIo(src, "raw", "write -P 0x42 0 1M");
        Tools.qemuIo(src, "raw", "write -P 0x17 1500000 300000");
        for (String cs : List.of("65536", "4096", "2097152")) {
            Path img = dir.resolve("c" + cs + ".qcow2");
            Tools.ok("qemu-img", "convert", "-c", "-O", "qcow2", "-o", "cluster_size=" + cs, src.toString(), img.toString());
            byte[] ref = Tools.toRaw(src, dir);
            try (BlockNode n = new Qcow2Driver().open("c", img, true, java.util.Map.of())) {
                assertArrayEquals(ref, readAll(n), "cluster size " + cs);
            }
        }
    }

    @Test
    void readsExtendedL2SubclustersOverBacking() throws Exception {
        Path base = dir.resolve("b.raw");
        Tools.ok("qemu-img", "create", "-q", "-f", "raw", base.toString(), "1M");
        Tools.qemuIo(base, "raw", "write -P 0x44 0 1M");
        Path img = dir.resolve("x.qcow2");
        Tools.ok("qemu-img", "create", "-q", "-f", "qcow2", "-o", "extended_l2=on,cluster_size=64k", "-b", "b.raw", "-F", "raw",
                img.toString(), "1M");
        Tools.qemuIo(img, "qcow2", "write -P 0x55 2048 2048");
        Tools.qemuIo(img, "qcow2", "write -z 8192 4096");
        Tools.qemuIo(img, "qcow2", "write -P 0x66 200000 70000");
        byte[] ref = Tools.toRaw(img, dir);
        try (BlockNode n = new Qcow2Driver().open("x", img, true, java.util.Map.of())) {
            assertArrayEquals(ref, readAll(n));
            assertEquals(0x44, ref[0]);
            assertEquals(0x55, ref[2048]);
            assertEquals(0, ref[8192]);
            assertFalse(n.blockStatus(0, 2048).hole(), "unallocated subcluster: from the raw backing file");
            assertEquals(new BlockStatus(4096, true, true), n.blockStatus(8192, 65536));
        }
        java.io.IOException e = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
                () -> new Qcow2Driver().open("x", img, false, java.util.Map.of()));
        assertTrue(e.getMessage().contains("read-only"), e.getMessage());
    }

    @Test
    void listsSnapshots() throws Exception {
        Path img = dir.resolve("s.qcow2");
        Tools.ok("qemu-img", "create", "-q", "-f", "qcow2", img.toString(), "1M");
        Tools.qemuIo(img, "qcow2", "write -P 0x7 0 64k");
        Tools.ok("qemu-img", "snapshot", "-c", "first", img.toString());
        Tools.ok("qemu-img", "snapshot", "-c", "second-one", img.toString());
        try (Qcow2Node n = (Qcow2Node) new Qcow2Driver().open("s", img, true, java.util.Map.of())) {
            assertEquals(List.of("first", "second-one"), n.snapshots().stream().map(Qcow2Snapshot::name).toList());
            assertEquals("1", n.snapshots().get(0).id());
        }
    }
}
