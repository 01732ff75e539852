package org.machina.api.memory;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Register access handlers of a device region. Offsets are relative to the region, never
 * absolute guest addresses. Sizes are within the region's {@link AccessSpec} implemented
 * range. Called on the machine thread with the machine lock held.
 */
@ConsumerType
public interface Mmio {
    /** Reads {@code size} bytes at {@code offset}; the value is zero-extended. */
    long read(long offset, int size);

    /** Writes the low {@code size} bytes of {@code value} at {@code offset}. */
    void write(long offset, int size, long value);
}
