package org.machina.api.memory;

/**
 * How often the guest reached one mapped I/O region and how long its handlers took: a line of
 * {@link AddressSpace#ioCounters()}. {@code nanos} is host time spent inside the region's
 * read and write handlers (the dispatch to them is not included).
 *
 * @param region the region's name
 * @param base   where it is mapped
 * @param reads  read accesses since the mapping was made
 * @param writes write accesses since the mapping was made
 * @param nanos  host nanoseconds spent in the handlers
 * @param fastReads  reads a fast-path handler attached to the region served (not in {@code reads};
 *                   since 1.3.0)
 * @param fastWrites writes a fast-path handler served (not in {@code writes}; since 1.3.0)
 */
public record IoCounters(String region, long base, long reads, long writes, long nanos, long fastReads,
        long fastWrites) {
    /** Counters of a region without fast-path accesses (the form before 1.3.0). */
    public IoCounters(String region, long base, long reads, long writes, long nanos) {
        this(region, base, reads, writes, nanos, 0, 0);
    }
}
