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
}
