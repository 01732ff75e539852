package org.machina.api.time;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Guest time in nanoseconds since the machine was created. It advances while the machine
 * runs and stands still while it is paused, so devices that count guest time see no jump
 * across a pause, a hot-swap or a migration. It also stands still (beyond a bound of a fraction
 * of a millisecond) while the host holds the busy machine thread back, so every device the guest
 * reads sees the same time pass between two of its reads.
 */
@ProviderType
public interface VirtualClock {
    long nanos();

    /**
     * Guest time as of a recent read of this clock, for a register the guest may read in a tight
     * loop (a timer's counter): it need not read the host clock, which {@link #nanos} does. On
     * the machine thread it never goes back: it is at least what any earlier {@code nanos()} or
     * {@code recentNanos()} there returned, and at most what {@code nanos()} would return now;
     * how far behind it may be is the implementation's to say (the runtime's: at most the CPU's
     * deadline-check interval in instructions, or as many of these reads when nothing else reads
     * the clock). A register computed from it may mix it with
     * values of {@code nanos()} read earlier on the machine thread (a counter's start time).
     * Elsewhere, and by default, it is {@code nanos()}.
     *
     * @since 1.1
     */
    default long recentNanos() {
        return nanos();
    }
}
