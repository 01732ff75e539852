package org.machina.runtime.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.machina.api.fastpath.FastPathHandler;
import org.machina.api.fastpath.FastPathPort;
import org.machina.api.fastpath.FastPathRead;
import org.machina.api.fastpath.FastPathRegistry;
import org.machina.api.memory.AccessSpec;
import org.machina.api.memory.Mapping;
import org.machina.api.memory.MemoryRegion;

/** The fast-path table of an address space: which accesses reach a handler, and when they stop. */
class FastPathTableTest {
    private final Arena arena = Arena.ofConfined();
    private final PhysicalAddressSpace space = new PhysicalAddressSpace("test", 1L << 32);
    private final PortSpace ports = new PortSpace("ports");
    private final FastPathRead out = new FastPathRead();

    @AfterEach
    void close() {
        arena.close();
    }

    /** Serves reads with 0xF000 + offset and records every call. */
    static final class Counting implements FastPathHandler {
        final List<String> calls = new ArrayList<>();
        boolean decline;

        @Override
        public boolean read(long offset, int size, FastPathRead result) {
            calls.add("r" + size + "@" + Long.toHexString(offset));
            if (decline) {
                return false;
            }
            result.set(0xF000 + offset);
            return true;
        }

        @Override
        public boolean write(long offset, int size, long value) {
            calls.add("w" + size + "@" + Long.toHexString(offset) + "=" + Long.toHexString(value));
            return !decline;
        }
    }

    private static MemoryRegion.Io io(String name, long size) {
        return new MemoryRegion.Io(name, size, new PhysicalAddressSpaceTest.Recorder(), AccessSpec.ANY);
    }

    @Test
    void onlyAccessesWhollyInsideTheRangeReachTheHandlerWithRegionOffsets() {
        Mapping m = space.map(0xFED00000L, io("dev", 0x400));
        Counting h = new Counting();
        space.attachFastPath(m, 0xF0, 8, h);
        assertTrue(space.fastRead(0xFED000F0L, 8, out));
        assertEquals(0xF0F0, out.value());
        assertTrue(space.fastRead(0xFED000F4L, 4, out));
        assertEquals(0xF0F4, out.value());
        assertFalse(space.fastRead(0xFED000F6L, 4, out), "crosses the end of the range");
        assertFalse(space.fastRead(0xFED000ECL, 8, out), "starts before the range");
        assertFalse(space.fastRead(0xFED00010L, 4, out), "another register");
        assertTrue(space.fastWrite(0xFED000F0L, 2, 0x12345), "a write in range");
        assertEquals(List.of("r8@f0", "r4@f4", "w2@f0=2345"), h.calls, "the value is cut to the access size");
    }

    @Test
    void aReadIsCutToItsSizeAndADecliningHandlerLeavesTheAccessToTheNormalPath() {
        Mapping m = ports.map(0x600, io("pm", 12));
        Counting h = new Counting();
        ports.attachFastPath(m, 8, 4, h);
        assertTrue(ports.fastRead(0x608, 1, out));
        assertEquals(0x08, out.value(), "0xF008 cut to one byte");
        h.decline = true;
        assertFalse(ports.fastRead(0x608, 4, out));
        assertFalse(ports.fastWrite(0x608, 4, 1));
        assertEquals(3, h.calls.size());
        h.decline = false;
        assertTrue(ports.fastWrite(0x608, 2, 1));
        org.machina.api.memory.IoCounters c = ports.ioCounters().get(0);
        assertEquals("pm", c.region());
        assertEquals(1, c.fastReads(), "served reads counted for the region, declined ones not");
        assertEquals(1, c.fastWrites());
        assertEquals(0, c.reads() + c.writes(), "the normal path was not taken here");
    }

    @Test
    void rangesMustLieInsideAMappedIoRegionAndNotOverlap() {
        Mapping m = space.map(0x1000, io("dev", 0x100));
        space.attachFastPath(m, 0x10, 0x10, new Counting());
        assertThrows(IllegalArgumentException.class, () -> space.attachFastPath(m, 0xF8, 0x10, new Counting()),
                "past the end of the region");
        assertThrows(IllegalArgumentException.class, () -> space.attachFastPath(m, -4, 8, new Counting()));
        assertThrows(IllegalArgumentException.class, () -> space.attachFastPath(m, 0x20, 0, new Counting()), "empty");
        IllegalArgumentException overlap = assertThrows(IllegalArgumentException.class,
                () -> space.attachFastPath(m, 0x1C, 8, new Counting()));
        assertTrue(overlap.getMessage().contains("overlaps [0x10, 0x20) of 'dev'"), overlap.getMessage());
        space.attachFastPath(m, 0x20, 8, new Counting()); // adjacent is fine
        Mapping ram = space.map(0x100000, new MemoryRegion.Ram("ram", new RamBlockImpl("ram", 0x1000, arena)));
        assertThrows(IllegalArgumentException.class, () -> space.attachFastPath(ram, 0, 4, new Counting()), "RAM");
        Mapping other = ports.map(0x70, io("rtc", 2));
        assertThrows(IllegalArgumentException.class, () -> space.attachFastPath(other, 0, 1, new Counting()),
                "a mapping of another space");
        Mapping gone = space.map(0x2000, io("gone", 0x10));
        gone.unmap();
        assertThrows(IllegalArgumentException.class, () -> space.attachFastPath(gone, 0, 4, new Counting()),
                "not mapped");
        assertEquals(2, space.fastPathCount());
    }

    @Test
    void detachUnmapAndAHigherPriorityMappingStopTheHandler() {
        Mapping m = space.map(0x1000, io("dev", 0x100));
        Counting h = new Counting();
        FastPathRegistry.Attachment a = space.attachFastPath(m, 0, 0x100, h);
        Mapping cover = space.map(0x1080, io("cover", 0x10), 1);
        assertTrue(space.fastRead(0x1000, 4, out));
        assertFalse(space.fastRead(0x1080, 4, out), "the normal path reaches 'cover' there");
        assertTrue(space.fastRead(0x1090, 4, out));
        cover.unmap();
        assertTrue(space.fastRead(0x1080, 4, out), "uncovered again");
        a.detach();
        assertFalse(space.fastRead(0x1000, 4, out));
        a.detach(); // twice is harmless
        space.attachFastPath(m, 0, 0x100, h);
        m.unmap();
        assertFalse(space.fastRead(0x1000, 4, out));
        assertEquals(0, space.fastPathCount(), "unmapping drops the attachment");
        assertEquals(3, h.calls.size(), "served: 0x1000, 0x1090, 0x1080 uncovered");
    }

    @Test
    void theEntryOfTheLastLookupIsTriedFirstButNeverServesAnAddressItNoLongerCovers() {
        Mapping m = space.map(0x1000, io("dev", 0x3000));
        Counting a = new Counting(), b = new Counting(), c = new Counting();
        FastPathRegistry.Attachment first = space.attachFastPath(m, 0, 0x10, a);
        FastPathRegistry.Attachment second = space.attachFastPath(m, 0x1000, 0x10, b);
        assertTrue(space.fastRead(0x2000, 4, out)); // b, the table's second entry
        assertTrue(space.fastRead(0x2004, 4, out)); // b again, through the last lookup's entry
        first.detach(); // b is now the first entry
        assertTrue(space.fastRead(0x2008, 4, out));
        space.attachFastPath(m, 0x2000, 0x10, c);
        second.detach(); // c takes the index b had
        assertFalse(space.fastRead(0x2000, 4, out), "b is detached: the entry now at its index is c's");
        assertTrue(space.fastRead(0x3000, 4, out));
        assertFalse(space.fastRead(0x1000, 4, out), "a is detached");
        assertEquals(List.of(), a.calls);
        assertEquals(List.of("r4@1000", "r4@1004", "r4@1008"), b.calls);
        assertEquals(List.of("r4@2000"), c.calls);
    }

    /** Maps the PM block at 0x600 with a handler at +8 that throws at every call, counted in {@code calls}. */
    private Mapping throwingAt0x608(int[] calls) {
        Mapping m = ports.map(0x600, io("pm", 12));
        ports.attachFastPath(m, 8, 4, (offset, size, result) -> {
            calls[0]++;
            throw new IllegalStateException("broken handler");
        });
        return m;
    }

    @Test
    void aThrowingHandlerIsDetachedAtItsFirstFailureAndTheAccessIsDeclined() {
        int[] calls = new int[1];
        Mapping m = throwingAt0x608(calls);
        Counting neighbour = new Counting();
        ports.attachFastPath(m, 0, 4, neighbour);
        assertFalse(ports.fastRead(0x608, 4, out), "the access that threw takes the normal path");
        assertFalse(ports.fastRead(0x608, 4, out));
        assertFalse(ports.fastWrite(0x608, 4, 0));
        assertEquals(1, calls[0], "called once, then detached");
        assertEquals(1, ports.fastPathCount());
        assertTrue(ports.fastRead(0x600, 2, out), "other handlers stay");
    }

    @Test
    void aStringReadReachesTheHandlerOfItsPortAndCountsWhatWasServed() {
        Mapping m = ports.map(0x1F0, io("ide", 8));
        int[] asked = new int[2];
        ports.attachFastPath(m, 0, 4, new FastPathHandler() {
            @Override
            public boolean read(long offset, int size, FastPathRead result) {
                return false;
            }

            @Override
            public int readString(long offset, int size, byte[] into, int count) {
                asked[0] = count;
                asked[1] = (int) offset;
                int n = Math.min(count, 3);
                for (int i = 0; i < n * size; i++) {
                    into[i] = (byte) (0xA0 + i);
                }
                return n;
            }
        });
        byte[] into = new byte[16];
        assertEquals(3, ports.fastReadString(0x1F0, 2, into, 8), "the handler served 3 of 8");
        assertEquals(8, asked[0]);
        assertEquals(0, asked[1], "the offset in the region");
        assertEquals((byte) 0xA5, into[5]);
        assertEquals(0, ports.fastReadString(0x1F4, 2, into, 8), "no handler at +4");
        assertEquals(0, ports.fastReadString(0x1F3, 2, into, 8), "an element crossing the range's end");
        assertEquals(3, ports.ioCounters().get(0).fastReads(), "each served element counted as a read");
        Counting plain = new Counting();
        Mapping pm = ports.map(0x600, io("pm", 12));
        ports.attachFastPath(pm, 8, 4, plain);
        assertEquals(0, ports.fastReadString(0x608, 4, into, 4), "a handler without readString serves no string");
        assertEquals(List.of(), plain.calls);
    }

    /**
     * A bound port (the CPU keeps one per port it uses) answers as {@code fastRead}/{@code
     * fastWrite} on its port at every moment: it sees attaches, detaches, a covering mapping and
     * the switch without being bound again.
     */
    @Test
    void aBoundPortAnswersAsALookupWouldThroughEveryChangeOfTheTable() {
        FastPathPort port = ports.bindFastPathPort(0x608);
        assertEquals(0x608, port.port());
        assertFalse(port.read(4, out), "nothing mapped there yet");
        Mapping m = ports.map(0x600, io("pm", 12));
        assertFalse(port.read(4, out), "mapped, but no handler");
        Counting h = new Counting();
        FastPathRegistry.Attachment a = ports.attachFastPath(m, 8, 4, h);
        assertTrue(port.read(4, out), "attached after the port was bound");
        assertEquals(0xF008, out.value());
        assertTrue(port.read(1, out));
        assertEquals(0x08, out.value(), "cut to the access size, as a lookup's");
        assertTrue(port.write(2, 0x12345));
        assertFalse(ports.bindFastPathPort(0x60A).read(4, out), "crosses the end of the range");
        ports.enableFastPath(false);
        assertFalse(port.read(4, out), "the machine's fast path is off");
        assertFalse(port.write(2, 1));
        assertFalse(ports.fastRead(0x608, 4, out), "a lookup too");
        ports.enableFastPath(true);
        h.decline = true;
        assertFalse(port.read(4, out), "the handler declines");
        h.decline = false;
        Mapping cover = ports.map(0x608, io("cover", 2), 1);
        assertFalse(port.read(2, out), "a higher-priority mapping takes the port");
        cover.unmap();
        assertTrue(port.read(2, out), "uncovered again");
        a.detach();
        assertFalse(port.read(4, out), "detached");
        assertFalse(port.write(4, 1));
        assertEquals(List.of("r4@8", "r1@8", "w2@8=2345", "r4@8", "r2@8"), h.calls);
        assertEquals(3, ports.ioCounters().get(0).fastReads(), "served reads counted as a lookup's");
        assertEquals(1, ports.ioCounters().get(0).fastWrites());
    }

    @Test
    void aHandlerThatThrowsThroughABoundPortIsDetachedOnce() {
        int[] calls = new int[1];
        throwingAt0x608(calls);
        FastPathPort port = ports.bindFastPathPort(0x608);
        assertFalse(port.read(4, out), "the access that threw takes the normal path");
        assertFalse(port.read(4, out));
        assertEquals(1, calls[0], "called once, then detached");
        assertEquals(0, ports.fastPathCount());
    }

    @Test
    void anEmptyTableDeclinesEverything() {
        space.map(0x1000, io("dev", 0x100));
        assertFalse(space.fastRead(0x1000, 4, out));
        assertFalse(space.fastWrite(0x1000, 4, 0));
        assertFalse(space.fastRead(0xFFFFFFFFL, 1, out));
    }
}
