package org.machina.api.fastpath;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Hot registers a device serves on the vCPU thread, without the machine lock and without an exit
 * to the event loop (the analogue of in-kernel device emulation under KVM). Only for registers
 * whose read is a pure function of state the device publishes safely (volatile fields, atomics,
 * the virtual clock): a free-running counter, a status register.
 *
 * <p>{@link #read} returns {@link #NOT_HANDLED} for offsets it does not serve; the access then
 * takes the normal path through the device's {@link org.machina.api.memory.Mmio}.
 */
@ConsumerType
public interface FastPathHandler {
    /** Returned by {@link #read} when the normal path must serve the access. */
    long NOT_HANDLED = Long.MIN_VALUE;

    long read(long offset, int size);
}
