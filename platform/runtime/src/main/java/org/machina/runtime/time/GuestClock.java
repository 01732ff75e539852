package org.machina.runtime.time;

import java.util.function.LongSupplier;
import org.machina.api.time.VirtualClock;

/**
 * Guest time: host monotonic time while the machine runs, frozen while it is paused, and not
 * advancing while the host holds the machine thread back. Starts at zero when the machine is
 * created.
 *
 * <p><b>Host stalls.</b> The machine thread (the one that runs the CPU and the devices; see
 * {@link #attach}) reads the clock at least every few hundred guest instructions while it is busy:
 * the CPU's deadline checks, and every device register that counts time. When two consecutive
 * reads of that thread, with no {@linkplain #idle idle wait} between them, are more than
 * {@link #STALL_NANOS} of host time apart, the thread was held back (descheduled by the host,
 * a JVM pause, a translation) and the excess is not guest time: the second read sees the first
 * plus {@link #STALL_NANOS}. Otherwise a guest that measures one of its timers against another
 * (Linux checks the ACPI PM timer against a PIT countdown it polls through port 0x61) is charged
 * the whole stall to whichever device it happened to read after it. Time spent waiting for work
 * (the loop's sleep, HLT) is guest time in full. The time hidden is not made up later: guest time
 * falls behind host time by the stalls of a busy machine thread ({@link #hiddenNanos}).
 *
 * <p>Reads from other threads detect no stall but see the time the machine thread would see:
 * during a stall of the busy machine thread guest time stands still for them too.
 */
public final class GuestClock implements VirtualClock {
    /** The most host time one step between two reads of the busy machine thread counts as guest time. */
    public static final long STALL_NANOS = 200_000;

    private final LongSupplier host;
    private long frozenAt;
    private long runningSince = -1;
    /** Host nanoseconds hidden since {@link #runningSince}. */
    private long hidden;
    /** Guest nanoseconds hidden in all, and the number of stalls. */
    private long hiddenTotal;
    private long stalls;
    private Thread machineThread;
    private boolean waiting = true;
    /** Host time of the machine thread's last read while busy. */
    private long lastSeen;

    public GuestClock() {
        this(System::nanoTime);
    }

    /** A clock over {@code host}, a monotonic nanosecond source (tests give their own). */
    GuestClock(LongSupplier host) {
        this.host = host;
    }

    @Override
    public synchronized long nanos() {
        return runningSince < 0 ? frozenAt : at(host.getAsLong(), Thread.currentThread() == machineThread);
    }

    /**
     * Guest time at host time {@code now} (running). While the machine thread is busy, a step of
     * more than {@link #STALL_NANOS} since its last read counts as that bound: a read by the
     * machine thread makes the excess hidden for good; a read by another thread sees the time
     * the machine thread would see, so no read ever sees time go back.
     */
    private long at(long now, boolean machine) {
        long t = frozenAt + (now - runningSince) - hidden;
        if (waiting || machineThread == null) {
            return t;
        }
        long excess = now - lastSeen - STALL_NANOS;
        if (excess > 0) {
            t -= excess;
            if (machine) {
                hidden += excess;
                hiddenTotal += excess;
                stalls++;
            }
        }
        if (machine) {
            lastSeen = now;
        }
        return t;
    }

    /** The machine thread: only its reads detect stalls. Called by the loop on that thread. */
    public synchronized void attach(Thread thread) {
        machineThread = thread;
        busy();
    }

    /**
     * The machine thread is about to wait for work (a timer deadline or a posted task): the time
     * until {@link #busy} is guest time in full.
     */
    public synchronized void idle() {
        if (runningSince >= 0) {
            at(host.getAsLong(), true); // a stall just before the wait stays hidden
        }
        waiting = true;
    }

    /** The machine thread woke up and runs again: stalls are measured from now. */
    public synchronized void busy() {
        waiting = false;
        lastSeen = host.getAsLong();
    }

    /** Lets time flow (idempotent). */
    public synchronized void resume() {
        if (runningSince < 0) {
            runningSince = host.getAsLong();
            hidden = 0;
            lastSeen = runningSince;
        }
    }

    /** Freezes time (idempotent). */
    public synchronized void freeze() {
        if (runningSince >= 0) {
            frozenAt = at(host.getAsLong(), Thread.currentThread() == machineThread);
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

    /** Host nanoseconds not counted as guest time because the machine thread was held back. */
    public synchronized long hiddenNanos() {
        return hiddenTotal;
    }

    /** How many times the machine thread was found held back. */
    public synchronized long stalls() {
        return stalls;
    }
}
