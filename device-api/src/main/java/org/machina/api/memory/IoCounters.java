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
 */
public record IoCounters(String region, long base, long reads, long writes, long nanos) {
}
