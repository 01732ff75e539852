package org.machina.runtime.memory;

import org.machina.api.memory.MemoryRegion;

/**
 * One piece of a flattened address space: addresses {@code [start, end)} are served by
 * {@code leaf} (a RAM, ROM or I/O region, aliases already resolved) starting at
 * {@code leafOffset}. {@code owner} is the mapping the piece came from.
 */
record FlatRange(long start, long end, MemoryRegion leaf, long leafOffset, MappingImpl owner) {
}
