package org.machina.api.memory;

import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/**
 * A guest physical address space (or, in {@code api.io}, the port space): regions mapped at
 * addresses with priorities. Where two regions overlap, the higher priority wins; overlapping
 * regions of the same priority are refused at map time with a message naming both.
 *
 * <p>Accesses to unmapped addresses read as all ones and ignore writes; they are logged once
 * per address and counted, never fatal.
 */
@ProviderType
public interface AddressSpace {
    String name();

    /** Exclusive upper bound of valid addresses (2^32 for IA-32 physical, 2^16 for ports). */
    long limit();

    Mapping map(long base, MemoryRegion region, int priority);

    default Mapping map(long base, MemoryRegion region) {
        return map(base, region, 0);
    }

    long read(long address, int size);

    void write(long address, int size, long value);

    /** Bulk read for DMA and loaders; MMIO is accessed byte by byte. */
    void read(long address, byte[] buffer, int offset, int length);

    /** Bulk write for DMA and loaders (writes to ROM are ignored unless {@code loader} is used). */
    void write(long address, byte[] buffer, int offset, int length);

    /** Loads bytes into RAM or ROM (firmware and kernel loading); fails if the range is not memory. */
    void load(long address, byte[] buffer, int offset, int length);

    /** What lives at {@code address}: a RAM/ROM window a CPU may cache, or a device. */
    Translation translate(long address);

    /**
     * A counter bumped whenever the map changes; a CPU that caches {@link Translation}s
     * drops them when it sees a new value.
     */
    long mapGeneration();

    /**
     * Access counters of the I/O regions mapped now (RAM and ROM are not counted), for
     * profiling; read them on the machine thread for a consistent view.
     *
     * @since 1.2.0
     */
    default List<IoCounters> ioCounters() {
        return List.of();
    }
}
