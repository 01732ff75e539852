package org.machina.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.machina.api.block.BlockNode;
import org.machina.block.BlockImages;
import org.machina.nbd.api.NbdStandalone.Cache;
import org.machina.nbd.api.NbdStandalone.DetectZeroes;
import org.machina.nbd.api.NbdStandalone.Io;

/** qemu-nbd's --cache, --discard and --detect-zeroes on real qcow2 nodes, and on a node that records its calls. */
class TunedNodeTest {
    @TempDir
    Path dir;

    /** A node in memory that records flushes, discards and zero writes (unit test stand-in). */
    static final class Recording implements BlockNode {
        final List<String> calls = new ArrayList<>();

        @Override public String name() { return "rec"; }
        @Override public long size() { return 1 << 20; }
        @Override public boolean readOnly() { return false; }
        @Override public void read(long offset, ByteBuffer dst) { dst.position(dst.limit()); }
        @Override public void write(long offset, ByteBuffer src) { calls.add("write " + offset); src.position(src.limit()); }
        @Override public void flush() { calls.add("flush"); }
        @Override public void discard(long offset, long length) { calls.add("discard " + offset); }
        @Override public void writeZeroes(long offset, long length) { calls.add("zeroes " + offset); }
        @Override public void close() { }
    }

    @Test
    void cacheModesDecideWhenWritesAreFlushed() throws Exception {
        for (Cache c : Cache.values()) {
            Recording r = new Recording();
            TunedNode n = new TunedNode(r, 0, new Io(c, true, DetectZeroes.OFF));
            n.write(0, ByteBuffer.wrap(new byte[] {1}));
            n.flush();
            List<String> want = switch (c) {
                case WRITETHROUGH, DIRECTSYNC -> List.of("write 0", "flush", "flush");
                case UNSAFE -> List.of("write 0");
                case NONE, WRITEBACK -> List.of("write 0", "flush");
            };
            assertEquals(want, r.calls, c.toString());
        }
    }

    @Test
    void discardsAreIgnoredUnlessUnmapAndOffsetShiftsEveryRequest() throws Exception {
        Recording r = new Recording();
        new TunedNode(r, 0, new Io(Cache.WRITEBACK, false, DetectZeroes.OFF)).discard(0, 4096);
        assertEquals(List.of(), r.calls, "--discard=ignore (qemu-nbd's default)");
        TunedNode shifted = new TunedNode(r, 512, new Io(Cache.WRITEBACK, true, DetectZeroes.ON));
        shifted.discard(0, 4096);
        shifted.write(8, ByteBuffer.wrap(new byte[64]));
        shifted.write(8, ByteBuffer.wrap(new byte[] {0, 1}));
        assertEquals(List.of("discard 512", "zeroes 520", "write 520"), r.calls);
        assertEquals((1 << 20) - 512, shifted.size());
    }

    @Test
    void detectZeroesTurnsAZeroWriteIntoZeroClustersOfQcow2() throws Exception {
        Path img = dir.resolve("z.qcow2");
        Tools.need("qemu-img");
        for (DetectZeroes dz : List.of(DetectZeroes.OFF, DetectZeroes.ON)) {
            Tools.ok("qemu-img", "create", "-q", "-f", "qcow2", img.toString(), "1M");
            try (BlockNode q = BlockImages.open("q", img, "qcow2", false)) {
                TunedNode n = new TunedNode(q, 0, new Io(Cache.WRITEBACK, false, dz));
                n.write(0, ByteBuffer.allocate(65536));
                n.flush();
            }
            String map = Tools.ok("qemu-img", "map", "--output=json", "-f", "qcow2", img.toString());
            boolean dataAtZero = map.lines().anyMatch(l -> l.contains("\"start\": 0,") && l.contains("\"data\": true"));
            if (dz == DetectZeroes.OFF) {
                assertTrue(dataAtZero, "a zero write is written as data: " + map);
            } else {
                assertFalse(dataAtZero, "a detected zero write allocates no data: " + map);
            }
        }
    }
}
