package org.machina.api.memory;

/**
 * Access rules of an MMIO or port region, as data rather than checks in every handler.
 *
 * <p>{@code validMin..validMax} are the access sizes (bytes: 1, 2, 4 or 8) the guest may use;
 * an access outside them is logged and reads as all ones. {@code implMin..implMax} are the
 * sizes the device's {@link Mmio} implements. The address space splits an access wider than
 * {@code implMax} into {@code implMax}-sized pieces (little-endian, lowest address first) and
 * widens one narrower than {@code implMin}: a read reads the containing aligned
 * {@code implMin} word and extracts the bytes; a write reads that word, merges the bytes and
 * writes it back. A device whose registers have read side effects declares {@code implMin = 1}.
 * {@code unaligned} allows accesses that are not a multiple of their size.
 */
public record AccessSpec(int validMin, int validMax, int implMin, int implMax, boolean unaligned) {

    /** Byte, word, dword and qword accesses, implemented for all sizes. */
    public static final AccessSpec ANY = new AccessSpec(1, 8, 1, 8, true);
    /** Only byte accesses (typical 8-bit ISA device). Wider accesses are split into bytes. */
    public static final AccessSpec BYTES = new AccessSpec(1, 4, 1, 1, true);
    /** Registers implemented as 32-bit words; narrower and wider accesses are adapted. */
    public static final AccessSpec DWORDS = new AccessSpec(1, 8, 4, 4, false);

    public AccessSpec {
        checkSize("validMin", validMin);
        checkSize("validMax", validMax);
        checkSize("implMin", implMin);
        checkSize("implMax", implMax);
        if (validMin > validMax || implMin > implMax) {
            throw new IllegalArgumentException("access size ranges must be min <= max: " + this);
        }
    }

    private static void checkSize(String what, int size) {
        if (size != 1 && size != 2 && size != 4 && size != 8) {
            throw new IllegalArgumentException(what + " must be 1, 2, 4 or 8, not " + size);
        }
    }

    /** Whether a guest access of {@code size} bytes at {@code offset} is allowed. */
    public boolean accepts(long offset, int size) {
        return size >= validMin && size <= validMax && (unaligned || (offset & (size - 1)) == 0);
    }
}
