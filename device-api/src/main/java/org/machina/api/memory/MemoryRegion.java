package org.machina.api.memory;

/**
 * Something that can be mapped into an {@link AddressSpace}: RAM, ROM, device registers or an
 * alias of another region. Regions are plain values; mapping them is what makes them visible.
 */
public sealed interface MemoryRegion permits MemoryRegion.Ram, MemoryRegion.Rom, MemoryRegion.Io, MemoryRegion.Alias {

    /** A name for error messages and the monitor's memory tree. */
    String name();

    /** Size in bytes. */
    long size();

    /** Guest RAM: reads and writes go straight to the block's memory. */
    record Ram(String name, RamBlock block, long offset, long size) implements MemoryRegion {
        public Ram(String name, RamBlock block) {
            this(name, block, 0, block.size());
        }

        public Ram {
            checkWindow(name, offset, size, block.size());
        }
    }

    /** Read-only memory backed by a RAM block; guest writes are ignored and logged once. */
    record Rom(String name, RamBlock block, long offset, long size) implements MemoryRegion {
        public Rom(String name, RamBlock block) {
            this(name, block, 0, block.size());
        }

        public Rom {
            checkWindow(name, offset, size, block.size());
        }
    }

    /** Device registers served by an {@link Mmio} handler. */
    record Io(String name, long size, Mmio ops, AccessSpec access) implements MemoryRegion {
        public Io {
            if (size <= 0) {
                throw new IllegalArgumentException("region '" + name + "' must have a positive size, not " + size);
            }
        }
    }

    /** A window onto another region, for example BIOS ROM seen both below 1 MiB and below 4 GiB. */
    record Alias(String name, MemoryRegion target, long offset, long size) implements MemoryRegion {
        public Alias {
            checkWindow(name, offset, size, target.size());
        }
    }

    private static void checkWindow(String name, long offset, long size, long limit) {
        if (offset < 0 || size <= 0 || offset + size > limit) {
            throw new IllegalArgumentException("region '" + name + "': window [" + offset + ", +" + size
                    + ") does not fit in a target of " + limit + " bytes");
        }
    }
}
