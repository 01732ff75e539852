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
import org.machina.api.memory.AccessSpec;
import org.machina.api.memory.Mapping;
import org.machina.api.memory.MemoryRegion;
import org.machina.api.memory.Mmio;
import org.machina.api.memory.Translation;

class PhysicalAddressSpaceTest {
    private final Arena arena = Arena.ofConfined();
    private final PhysicalAddressSpace space = new PhysicalAddressSpace("test", 1L << 32);

    @AfterEach
    void close() {
        arena.close();
    }

    /** Records accesses; registers hold their offset plus 0x10 unless written. */
    static final class Recorder implements Mmio {
        final List<String> log = new ArrayList<>();

        @Override
        public long read(long offset, int size) {
            log.add("r" + size + "@" + offset);
            return 0x10 + offset;
        }

        @Override
        public void write(long offset, int size, long value) {
            log.add("w" + size + "@" + offset + "=" + Long.toHexString(value));
        }
    }

    @Test
    void ramReadsBackLittleEndianAndMarksDirtyPages() {
        RamBlockImpl ram = new RamBlockImpl("ram", 0x10000, arena);
        space.map(0x100000, new MemoryRegion.Ram("ram", ram));
        ram.dirtyLog().start(0x1000, 0x1000);
        space.write(0x101004, 4, 0xdeadbeefL);
        space.write(0x102000, 1, 0x55);
        assertEquals(0xdeadbeefL, space.read(0x101004, 4));
        assertEquals(0xefL, space.read(0x101004, 1));
        assertEquals(0xbeefL, space.read(0x101004, 2));
        var dirty = ram.dirtyLog().collectAndClear();
        assertTrue(dirty.get(1), "page 1 is logged");
        assertFalse(dirty.get(2), "page 2 is outside the logged range");
        assertTrue(ram.dirtyLog().collectAndClear().isEmpty());
    }

    @Test
    void holesReadAllOnesAndIgnoreWrites() {
        space.write(0x5000, 4, 1);
        assertEquals(0xffffffffL, space.read(0x5000, 4));
        assertEquals(0xffL, space.read(0x5000, 1));
        assertEquals(3, space.unassignedAccesses());
    }

    @Test
    void samePriorityOverlapIsRefusedNamingBoth() {
        space.map(0x1000, new MemoryRegion.Io("a", 0x100, new Recorder(), AccessSpec.ANY));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> space.map(0x1080, new MemoryRegion.Io("b", 0x100, new Recorder(), AccessSpec.ANY)));
        assertTrue(e.getMessage().contains("'b'") && e.getMessage().contains("'a'"), e.getMessage());
    }

    @Test
    void higherPriorityWinsAndUnmapRestoresTheLowerOne() {
        Recorder low = new Recorder();
        Recorder high = new Recorder();
        space.map(0x1000, new MemoryRegion.Io("low", 0x100, low, AccessSpec.ANY), 0);
        Mapping top = space.map(0x1040, new MemoryRegion.Io("high", 0x10, high, AccessSpec.ANY), 1);
        long gen = space.mapGeneration();
        space.read(0x1044, 1);
        space.read(0x1050, 1);
        assertEquals(List.of("r1@4"), high.log);
        assertEquals(List.of("r1@80"), low.log);
        top.unmap();
        assertTrue(space.mapGeneration() > gen);
        space.read(0x1044, 1);
        assertEquals("r1@68", low.log.get(1));
    }

    @Test
    void wideAccessesAreSplitAndNarrowOnesWidened() {
        Recorder bytes = new Recorder();
        space.map(0x10, new MemoryRegion.Io("bytes", 4, bytes, AccessSpec.BYTES));
        assertEquals(0x13121110L, space.read(0x10, 4));
        assertEquals(List.of("r1@0", "r1@1", "r1@2", "r1@3"), bytes.log);

        Recorder dwords = new Recorder();
        space.map(0x100, new MemoryRegion.Io("dwords", 8, dwords, AccessSpec.DWORDS));
        assertEquals(0x14L >>> 8 & 0xff, space.read(0x105, 1), "byte 1 of the dword at offset 4 (value 0x14)");
        space.write(0x105, 1, 0xaa);
        assertEquals(List.of("r4@4", "r4@4", "w4@4=aa14"), dwords.log);
    }

    @Test
    void invalidAccessSizesAreRefusedNotDelivered() {
        Recorder r = new Recorder();
        space.map(0x20, new MemoryRegion.Io("strict", 4, r, new AccessSpec(4, 4, 4, 4, false)));
        assertEquals(0xffL, space.read(0x20, 1));
        space.write(0x21, 4, 1);
        assertTrue(r.log.isEmpty());
    }

    @Test
    void aliasAndRomAndTranslation() {
        RamBlockImpl rom = new RamBlockImpl("bios", 0x2000, arena);
        MemoryRegion.Rom region = new MemoryRegion.Rom("bios", rom);
        space.map(0xfffe0000L, region);
        space.map(0xe0000, new MemoryRegion.Alias("bios-low", region, 0x1000, 0x1000));
        byte[] code = {(byte) 0xea, 0x5b, (byte) 0xe0};
        space.load(0xfffe1000L, code, 0, code.length);
        assertEquals(0xea, space.read(0xe0000, 1), "the alias sees the ROM");
        space.write(0xe0000, 1, 0);
        assertEquals(0xea, space.read(0xe0000, 1), "ROM ignores guest writes");
        Translation t = space.translate(0xe0800);
        assertEquals(0xe0000, t.start());
        assertEquals(0xe1000, t.end());
        assertEquals(0x1000, t.ramOffset());
        assertFalse(t.writable());
        Translation hole = space.translate(0x500000);
        assertFalse(hole.isRam());
        assertEquals(0xe1000, hole.start());
        assertEquals(0xfffe0000L, hole.end());
    }

    @Test
    void loaderRefusesDeviceMemory() {
        space.map(0x1000, new MemoryRegion.Io("dev", 0x10, new Recorder(), AccessSpec.ANY));
        assertThrows(IllegalArgumentException.class, () -> space.load(0x1000, new byte[4], 0, 4));
    }

    @Test
    void bulkCopiesCrossRegionBoundaries() {
        RamBlockImpl a = new RamBlockImpl("a", 0x1000, arena);
        RamBlockImpl b = new RamBlockImpl("b", 0x1000, arena);
        space.map(0x0, new MemoryRegion.Ram("a", a));
        space.map(0x1000, new MemoryRegion.Ram("b", b));
        byte[] data = new byte[16];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) i;
        }
        space.write(0xff8, data, 0, 16);
        byte[] back = new byte[16];
        space.read(0xff8, back, 0, 16);
        assertEquals(java.util.Arrays.toString(data), java.util.Arrays.toString(back));
        assertEquals(8, b.segment().get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0));
    }

    @Test
    void ioCountersCountAccessesPerMappingAndSkipRam() {
        RamBlockImpl ram = new RamBlockImpl("ram", 0x1000, arena);
        space.map(0, new MemoryRegion.Ram("ram", ram));
        space.map(0x10000, new MemoryRegion.Io("dev-a", 0x10, new Recorder(), AccessSpec.ANY));
        space.map(0x20000, new MemoryRegion.Io("dev-b", 0x10, new Recorder(), AccessSpec.ANY));
        space.write(0x10, 4, 1);
        space.read(0x10000, 4);
        space.read(0x10004, 4);
        space.write(0x10008, 2, 7);
        space.write(0x20000, 1, 1);
        var counters = space.ioCounters();
        assertEquals(2, counters.size(), "only the I/O regions: " + counters);
        var a = counters.stream().filter(c -> c.region().equals("dev-a")).findFirst().orElseThrow();
        var b = counters.stream().filter(c -> c.region().equals("dev-b")).findFirst().orElseThrow();
        assertEquals(0x10000, a.base());
        assertEquals(2, a.reads());
        assertEquals(1, a.writes());
        assertEquals(0, b.reads());
        assertEquals(1, b.writes());
        assertTrue(a.nanos() >= 0 && b.nanos() >= 0);
    }
}
