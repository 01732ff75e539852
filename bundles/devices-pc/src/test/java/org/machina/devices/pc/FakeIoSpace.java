package org.machina.devices.pc;

import java.util.ArrayList;
import java.util.List;
import org.machina.api.io.IoSpace;
import org.machina.api.memory.AccessSpec;
import org.machina.api.memory.Mapping;
import org.machina.api.memory.MemoryRegion;
import org.machina.api.memory.Translation;

/**
 * A port space for tests: maps {@link MemoryRegion.Io} regions, refuses same-priority overlaps and
 * dispatches accesses with the {@link AccessSpec} rules (invalid sizes read all ones, wide accesses
 * split into {@code implMax} pieces little-endian, narrow ones widened to {@code implMin}).
 */
final class FakeIoSpace implements IoSpace {
    private final List<FakeMapping> mappings = new ArrayList<>();
    private long generation;

    private final class FakeMapping implements Mapping {
        final long base;
        final MemoryRegion.Io region;
        final int priority;

        FakeMapping(long base, MemoryRegion.Io region, int priority) {
            this.base = base;
            this.region = region;
            this.priority = priority;
        }

        @Override
        public long base() {
            return base;
        }

        @Override
        public MemoryRegion region() {
            return region;
        }

        @Override
        public int priority() {
            return priority;
        }

        @Override
        public void unmap() {
            mappings.remove(this);
            generation++;
        }

        boolean contains(long address) {
            return address >= base && address < base + region.size();
        }
    }

    @Override
    public String name() {
        return "io";
    }

    @Override
    public long limit() {
        return PORTS;
    }

    @Override
    public Mapping map(long base, MemoryRegion region, int priority) {
        if (!(region instanceof MemoryRegion.Io io)) {
            throw new IllegalArgumentException("only Io regions in port space, not " + region);
        }
        for (FakeMapping m : mappings) {
            boolean overlap = base < m.base + m.region.size() && m.base < base + io.size();
            if (overlap && m.priority == priority) {
                throw new IllegalArgumentException("region '" + io.name() + "' overlaps '" + m.region.name() + "'");
            }
        }
        FakeMapping m = new FakeMapping(base, io, priority);
        mappings.add(m);
        generation++;
        return m;
    }

    /** Names of mapped regions with their base, e.g. "pic-master@0x20". */
    List<String> layout() {
        return mappings.stream().map(m -> m.region.name() + "@0x" + Long.toHexString(m.base)).toList();
    }

    private FakeMapping find(long address) {
        FakeMapping best = null;
        for (FakeMapping m : mappings) {
            if (m.contains(address) && (best == null || m.priority > best.priority)) {
                best = m;
            }
        }
        return best;
    }

    @Override
    public long read(long address, int size) {
        FakeMapping m = find(address);
        long ones = size == 8 ? -1L : (1L << (size * 8)) - 1;
        if (m == null) {
            return ones;
        }
        long offset = address - m.base;
        AccessSpec spec = m.region.access();
        if (!spec.accepts(offset, size)) {
            return ones;
        }
        return readAdapted(m, offset, size);
    }

    private long readAdapted(FakeMapping m, long offset, int size) {
        AccessSpec spec = m.region.access();
        if (size > spec.implMax()) {
            long value = 0;
            for (int done = 0; done < size; done += spec.implMax()) {
                value |= readAdapted(m, offset + done, spec.implMax()) << (done * 8);
            }
            return value;
        }
        if (size < spec.implMin()) {
            long aligned = offset & -spec.implMin();
            long word = m.region.ops().read(aligned, spec.implMin());
            int shift = (int) (offset - aligned) * 8;
            return (word >>> shift) & ((1L << (size * 8)) - 1);
        }
        return m.region.ops().read(offset, size);
    }

    @Override
    public void write(long address, int size, long value) {
        FakeMapping m = find(address);
        if (m == null) {
            return;
        }
        long offset = address - m.base;
        if (!m.region.access().accepts(offset, size)) {
            return;
        }
        writeAdapted(m, offset, size, value);
    }

    private void writeAdapted(FakeMapping m, long offset, int size, long value) {
        AccessSpec spec = m.region.access();
        if (size > spec.implMax()) {
            for (int done = 0; done < size; done += spec.implMax()) {
                writeAdapted(m, offset + done, spec.implMax(), value >>> (done * 8));
            }
            return;
        }
        if (size < spec.implMin()) {
            long aligned = offset & -spec.implMin();
            long word = m.region.ops().read(aligned, spec.implMin());
            int shift = (int) (offset - aligned) * 8;
            long mask = ((1L << (size * 8)) - 1) << shift;
            word = (word & ~mask) | ((value << shift) & mask);
            m.region.ops().write(aligned, spec.implMin(), word);
            return;
        }
        long mask = size == 8 ? -1L : (1L << (size * 8)) - 1;
        m.region.ops().write(offset, size, value & mask);
    }

    @Override
    public void read(long address, byte[] buffer, int offset, int length) {
        for (int i = 0; i < length; i++) {
            buffer[offset + i] = (byte) read(address + i, 1);
        }
    }

    @Override
    public void write(long address, byte[] buffer, int offset, int length) {
        for (int i = 0; i < length; i++) {
            write(address + i, 1, buffer[offset + i]);
        }
    }

    @Override
    public void load(long address, byte[] buffer, int offset, int length) {
        throw new UnsupportedOperationException("no memory in the port space");
    }

    @Override
    public Translation translate(long address) {
        throw new UnsupportedOperationException("not needed by device tests");
    }

    @Override
    public long mapGeneration() {
        return generation;
    }
}
