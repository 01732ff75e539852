package org.machina.api.memory;

/**
 * The flattened answer to "what is at this address": the contiguous range
 * {@code [start, end)} of the address space is served by one region.
 *
 * @param start first address of the range
 * @param end exclusive end of the range
 * @param ram the RAM block backing the range, or {@code null} for devices and holes
 * @param ramOffset offset into {@code ram} of {@code start}
 * @param writable whether direct writes are allowed (false for ROM)
 */
public record Translation(long start, long end, RamBlock ram, long ramOffset, boolean writable) {
    public boolean isRam() {
        return ram != null;
    }
}
