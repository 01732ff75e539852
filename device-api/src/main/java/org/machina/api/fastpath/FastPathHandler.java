package org.machina.api.fastpath;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Hot registers a device serves directly to the CPU, before the access takes the normal path
 * through the address space to the device's {@link org.machina.api.memory.Mmio}. A handler is
 * attached to a register range of a mapped region ({@link FastPathRegistry#attach}); the CPU
 * calls it for accesses that lie entirely in that range.
 *
 * <p>Either method may decline ({@code false}): the access then takes the normal path, which
 * must give the same result. Declining is always correct; serving is an optimisation. There is
 * no sentinel value: a read's value goes to the caller's {@link FastPathRead}, reused for every
 * access, so a served access allocates nothing. The rules for what a handler may touch are in
 * the package documentation.
 */
@ConsumerType
public interface FastPathHandler {
    /**
     * Reads {@code size} bytes (1, 2, 4 or 8) at {@code offset} from the start of the attached
     * region; on success stores the value with {@link FastPathRead#set} and returns true.
     */
    boolean read(long offset, int size, FastPathRead result);

    /** Writes {@code size} bytes of {@code value} at {@code offset}; returns false to decline. */
    default boolean write(long offset, int size, long value) {
        return false;
    }

    /**
     * Reads up to {@code count} elements of {@code size} bytes (2 or 4) at {@code offset}, as
     * {@code count} reads of {@link #read} one after the other would (a {@code REP INS} from a
     * data port), storing them little-endian in {@code into} from index 0 ({@code into} holds at
     * least {@code count * size} bytes). Returns how many it served, from the first on: 0 declines
     * (the first read takes the normal path), fewer than {@code count} leaves the rest to the
     * caller, which goes on read by read. The same rules as for {@link #read} hold for every
     * element. The default serves none.
     *
     * @since 2.3.0
     */
    default int readString(long offset, int size, byte[] into, int count) {
        return 0;
    }
}
