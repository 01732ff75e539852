package org.machina.board.pc;

/**
 * Checks of a firmware image given with {@code -bios}. Like QEMU's PC machine, the size must be
 * a non-zero multiple of 64 KiB; the board also caps it at 16 MiB (the top of the address space
 * below 4 GiB that firmware flash conventionally occupies).
 */
final class Firmware {
    static final long GRANULE = 64 * 1024;
    static final long MAX_SIZE = 16L << 20;
    /** How much of the image is also visible below 1 MiB (the legacy BIOS segment E000/F000). */
    static final long LOW_ALIAS_MAX = 128 * 1024;

    private Firmware() {
    }

    static void check(String name, long size) {
        if (size <= 0 || size % GRANULE != 0 || size > MAX_SIZE) {
            throw new IllegalArgumentException("firmware '" + name + "' is " + size + " bytes; the pc board accepts"
                    + " a ROM image whose size is a multiple of 64 KiB, from 64 KiB to 16 MiB");
        }
    }

    /** Size of the alias that ends at 1 MiB. */
    static long lowAliasSize(long romSize) {
        return Math.min(romSize, LOW_ALIAS_MAX);
    }
}
