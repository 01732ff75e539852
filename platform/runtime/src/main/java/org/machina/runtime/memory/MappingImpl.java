package org.machina.runtime.memory;

import org.machina.api.memory.Mapping;
import org.machina.api.memory.MemoryRegion;

/** A region mapped into a {@link PhysicalAddressSpace}. */
final class MappingImpl implements Mapping {
    private final PhysicalAddressSpace space;
    private final long base;
    private final MemoryRegion region;
    private final int priority;
    private volatile boolean mapped = true;
    /** Accesses to an I/O region and host time in its handlers (machine thread only). */
    long reads, writes, nanos;
    /**
     * Accesses fast-path handlers served ({@link FastPathTable}), counted on the thread that runs
     * the CPU (today the machine thread) and read with the counters above.
     */
    long fastReads, fastWrites;

    MappingImpl(PhysicalAddressSpace space, long base, MemoryRegion region, int priority) {
        this.space = space;
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

    PhysicalAddressSpace space() {
        return space;
    }

    long end() {
        return base + region.size();
    }

    boolean overlaps(MappingImpl other) {
        return base < other.end() && other.base < end();
    }

    @Override
    public void unmap() {
        if (mapped) {
            mapped = false;
            space.remove(this);
        }
    }

    @Override
    public String toString() {
        return String.format("'%s' at [0x%x, 0x%x) priority %d", region.name(), base, end(), priority);
    }
}
