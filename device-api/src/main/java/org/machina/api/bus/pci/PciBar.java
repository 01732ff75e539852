package org.machina.api.bus.pci;

import org.machina.api.memory.MemoryRegion;

/**
 * One base address register: an I/O or 32-bit memory BAR decoding {@code region}, whose size
 * (a power of two, at least 4 bytes for I/O and 16 for memory) is the BAR's size.
 *
 * @param index BAR number 0..5
 * @param io true for an I/O space BAR, false for a 32-bit non-prefetchable memory BAR
 * @param region the registers, mapped by the bus at the BAR's address
 */
public record PciBar(int index, boolean io, MemoryRegion.Io region) {
    public PciBar {
        long size = region.size();
        if (index < 0 || index > 5) {
            throw new IllegalArgumentException("BAR index must be 0..5, not " + index);
        }
        if (Long.bitCount(size) != 1 || size < (io ? 4 : 16) || size > (io ? 256 : 1L << 31)) {
            throw new IllegalArgumentException("BAR " + index + " of '" + region.name() + "': size " + size
                    + " is not a power of two in " + (io ? "4..256" : "16..2 GiB"));
        }
    }
}
