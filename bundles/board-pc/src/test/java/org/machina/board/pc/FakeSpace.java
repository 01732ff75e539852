package org.machina.board.pc;

import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.machina.api.io.IoSpace;
import org.machina.api.memory.Mapping;
import org.machina.api.memory.MemoryRegion;
import org.machina.api.memory.Translation;

/** A small address space for tests: records mappings and resolves reads by priority. */
final class FakeSpace implements IoSpace {
    record Map(long base, MemoryRegion region, int priority, List<Map> owner) implements Mapping {
        @Override
        public void unmap() {
            owner.removeIf(m -> m == this);
        }
    }

    final List<Map> mappings = new ArrayList<>();
    private final long limit;

    FakeSpace(long limit) {
        this.limit = limit;
    }

    @Override
    public String name() {
        return "fake";
    }

    @Override
    public long limit() {
        return limit;
    }

    @Override
    public Mapping map(long base, MemoryRegion region, int priority) {
        for (Map m : mappings) {
            boolean overlap = base < m.base + m.region.size() && m.base < base + region.size();
            if (overlap && m.priority == priority) {
                throw new IllegalArgumentException(region.name() + " overlaps " + m.region.name());
            }
        }
        Map m = new Map(base, region, priority, mappings);
        mappings.add(m);
        return m;
    }

    Map find(String name) {
        return mappings.stream().filter(m -> m.region.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no mapping " + name + " in " + mappings));
    }

    private Map at(long address) {
        Map best = null;
        for (Map m : mappings) {
            if (address >= m.base && address < m.base + m.region.size() && (best == null || m.priority > best.priority)) {
                best = m;
            }
        }
        return best;
    }

    /** Reads one byte through regions, aliases and devices; unmapped reads as 0xFF. */
    int readByte(long address) {
        Map m = at(address);
        return m == null ? 0xFF : readRegion(m.region, address - m.base);
    }

    private static int readRegion(MemoryRegion r, long off) {
        return switch (r) {
            case MemoryRegion.Ram ram -> ram.block().segment().get(ValueLayout.JAVA_BYTE, ram.offset() + off) & 0xFF;
            case MemoryRegion.Rom rom -> rom.block().segment().get(ValueLayout.JAVA_BYTE, rom.offset() + off) & 0xFF;
            case MemoryRegion.Alias a -> readRegion(a.target(), a.offset() + off);
            case MemoryRegion.Io io -> (int) io.ops().read(off, 1) & 0xFF;
        };
    }

    @Override
    public long read(long address, int size) {
        Map m = at(address);
        if (m != null && m.region instanceof MemoryRegion.Io io) {
            return io.ops().read(address - m.base, size);
        }
        long v = 0;
        for (int i = size - 1; i >= 0; i--) {
            v = v << 8 | readByte(address + i);
        }
        return v;
    }

    @Override
    public void write(long address, int size, long value) {
        Map m = at(address);
        if (m != null && m.region instanceof MemoryRegion.Io io) {
            io.ops().write(address - m.base, size, value);
            return;
        }
        if (m == null) {
            return;   // unmapped: ignored, as in the real address space
        }
        throw new UnsupportedOperationException("fake space writes only to devices");
    }

    @Override
    public void read(long address, byte[] buffer, int offset, int length) {
        for (int i = 0; i < length; i++) {
            buffer[offset + i] = (byte) readByte(address + i);
        }
    }

    @Override
    public void write(long address, byte[] buffer, int offset, int length) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void load(long address, byte[] buffer, int offset, int length) {
        throw new UnsupportedOperationException();
    }

    @Override
    public Translation translate(long address) {
        throw new UnsupportedOperationException();
    }

    @Override
    public long mapGeneration() {
        return mappings.size();
    }
}
