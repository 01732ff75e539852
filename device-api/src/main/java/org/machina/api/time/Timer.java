package org.machina.api.time;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A one-shot deadline timer on the machine thread. Arm it for a virtual-clock deadline; the
 * callback runs on the machine thread once the deadline has passed. Re-arming replaces the
 * deadline. Nothing polls: an idle machine sleeps until the earliest armed deadline.
 */
@ProviderType
public interface Timer {
    void armAt(long deadlineNanos);

    default void armAfter(long delayNanos) {
        armAt(Math.addExact(clock().nanos(), Math.max(0, delayNanos)));
    }

    void cancel();

    boolean isArmed();

    /** The armed deadline, or {@link Long#MAX_VALUE} when not armed. */
    long deadline();

    VirtualClock clock();
}
