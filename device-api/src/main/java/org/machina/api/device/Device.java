package org.machina.api.device;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * One device instance. Life cycle: created, {@link #realize()} (map regions, claim lines),
 * {@link #reset()} on machine reset, {@link #unrealize()} when removed or hot-swapped. All calls
 * come on the machine thread. A device that has state to keep across a hot-swap also
 * implements {@link org.machina.api.state.Stateful}.
 */
@ConsumerType
public interface Device {
    /** Makes the device visible to the guest. */
    void realize();

    /** Puts guest-visible state back to power-on values. */
    void reset();

    /**
     * Removes the device. Regions it mapped and timers it created through its context are
     * released by the runtime afterwards in any case; this hook releases anything else
     * (host files, sockets, threads).
     */
    default void unrealize() {
    }
}
