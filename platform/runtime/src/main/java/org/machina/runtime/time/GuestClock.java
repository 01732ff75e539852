package org.machina.runtime.time;

import org.machina.api.time.VirtualClock;

/**
 * Guest time: host monotonic time while the machine runs, frozen while it is paused. Starts at
 * zero when the machine is created.
 */
public final class GuestClock implements VirtualClock {
    private long frozenAt;
    private long runningSince = -1;

    @Override
    public synchronized long nanos() {
        return runningSince < 0 ? frozenAt : frozenAt + (System.nanoTime() - runningSince);
    }

    /** Lets time flow (idempotent). */
    public synchronized void resume() {
        if (runningSince < 0) {
            runningSince = System.nanoTime();
        }
    }

    /** Freezes time (idempotent). */
    public synchronized void freeze() {
        if (runningSince >= 0) {
            frozenAt += System.nanoTime() - runningSince;
            runningSince = -1;
        }
    }

    public synchronized boolean running() {
        return runningSince >= 0;
    }

    /** Host nanoseconds until guest time reaches {@code deadline} (Long.MAX_VALUE while frozen). */
    public synchronized long hostDelayUntil(long deadline) {
        if (runningSince < 0) {
            return Long.MAX_VALUE;
        }
        return Math.max(0, deadline - nanos());
    }
}
