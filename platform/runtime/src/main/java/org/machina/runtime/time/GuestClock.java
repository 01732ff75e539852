package org.machina.runtime.time;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
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
 *
 * <p><b>Recent time.</b> {@link #recentNanos} on the machine thread returns what its latest read
 * of {@link #nanos} returned, without reading the host clock, except every
 * {@value #RECENT_READS}th call and the first call after any change of state (attach, idle, busy,
 * resume, freeze, a stall found), which read it. The CPU reads {@code nanos()} at every deadline
 * check (every 1024 instructions for the x86 CPU), so a timer register served from it is at most
 * that many instructions behind while the CPU runs, and {@value #RECENT_READS} reads of it
 * otherwise; on the machine thread, {@code nanos()} and {@code recentNanos()} together never go
 * back. {@value #RECENT_READS} is the CPU's check interval on purpose: a guest polling a timer
 * register runs at least one instruction per read, so the CPU's check always comes first and
 * {@code recentNanos} itself never reads the host clock in a polling loop. Its host read is then
 * a branch never taken, which the JIT leaves out of the compiled loop; taken now and then (every
 * 16th read, and even every 64th), the call in the loop cost a served HPET counter read 4-6 ns
 * under the translator, as much again as the rest of the served read (docs/architecture.md,
 * "Fast path").
 *
 * <p><b>Threading.</b> Reads take no lock. Every change of state ({@link #attach}, {@link #idle},
 * {@link #busy}, {@link #resume}, {@link #freeze}, and the machine thread's read that finds a
 * stall) runs under the clock's monitor and publishes a new immutable {@link Epoch} through a
 * volatile field; a read is one volatile load of it, one host clock read and arithmetic. The
 * machine thread's busy reads also publish the host time they read ({@code seen}, a release
 * store, written after any new epoch), which other threads load (acquire) before the epoch, so
 * they never pair an old epoch with a newer {@code seen}; they use the later of it and the
 * epoch's own. The fields behind {@link #recentNanos} are the machine thread's alone. The
 * machine's own changes of state run on the machine thread (the runtime posts pause, resume and
 * shutdown there), so its reads are exactly ordered with them; a read on another thread that
 * races with a {@link #freeze} done on a third thread may be ordered either side of it.
 */
public final class GuestClock implements VirtualClock {
    /** The most host time one step between two reads of the busy machine thread counts as guest time. */
    public static final long STALL_NANOS = 200_000;
    /**
     * A machine-thread {@link #recentNanos} reads the host clock at least every this many calls:
     * the x86 CPU's deadline check interval, in instructions (see the class comment). 256 until
     * 2026-12-06, when the CPU's interval became 1024.
     */
    public static final int RECENT_READS = 1024;

    private static final VarHandle SEEN;

    static {
        try {
            SEEN = MethodHandles.lookup().findVarHandle(GuestClock.class, "seen", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * What turns host time into guest time, but for the machine thread's latest busy read;
     * immutable, replaced whole under the monitor.
     *
     * @param base guest time at {@code runningSince}, or the frozen time
     * @param runningSince host time guest time flows from, -1 while frozen
     * @param hidden host nanoseconds hidden since {@code runningSince}
     * @param machine the machine thread, or null
     * @param watching whether stalls are detected: a machine thread is attached and not waiting
     * @param seenAt host time of the machine thread's latest busy read when this epoch was made
     */
    private record Epoch(long base, long runningSince, long hidden, Thread machine, boolean watching, long seenAt) {
        boolean running() {
            return runningSince >= 0;
        }

        /** Guest time at host time {@code now} (running), before any stall is taken off. */
        long at(long now) {
            return base + (now - runningSince) - hidden;
        }

        /** Host time beyond the stall bound since the machine thread was last seen busy (0 if none). */
        long excess(long now, long seen) {
            return watching ? Math.max(0, now - Math.max(seen, seenAt) - STALL_NANOS) : 0;
        }

        Epoch with(long newHidden, boolean newWatching, long newSeenAt) {
            return new Epoch(base, runningSince, newHidden, machine, newWatching, newSeenAt);
        }
    }

    private final LongSupplier host;
    private volatile Epoch epoch = new Epoch(0, -1, 0, null, false, 0);
    /** Host time of the machine thread's latest busy read (through {@link #SEEN}). */
    @SuppressWarnings("unused")
    private long seen;
    /** The machine thread's latest read, the epoch it was made in, and reads of it left before a refresh. */
    private long recent;
    private Epoch recentEpoch;
    private int recentReads;
    /** Guest nanoseconds hidden in all, and the number of stalls (under the monitor). */
    private long hiddenTotal;
    private long stalls;

    public GuestClock() {
        this(System::nanoTime);
    }

    /** A clock over {@code host}, a monotonic nanosecond source (tests give their own). */
    GuestClock(LongSupplier host) {
        this.host = host;
    }

    @Override
    public long nanos() {
        long seenBefore = (long) SEEN.getAcquire(this); // before the epoch: see the class comment
        Epoch e = epoch;
        if (!e.running()) {
            return e.base;
        }
        long now = host.getAsLong();
        long excess = e.excess(now, seenBefore);
        if (Thread.currentThread() != e.machine) {
            return e.at(now) - excess; // during a stall, the time the machine thread will see
        }
        if (excess > 0) {
            return machineRead();
        }
        long t = e.at(now);
        if (e.watching) {
            SEEN.setRelease(this, now);
        }
        remember(e, t);
        return t;
    }

    /**
     * Guest time as of the machine thread's latest read (see the class comment); on other
     * threads, {@link #nanos}.
     */
    @Override
    public long recentNanos() {
        Epoch e = epoch;
        if (e != recentEpoch || Thread.currentThread() != e.machine || --recentReads <= 0) {
            return nanos();
        }
        return recent;
    }

    private void remember(Epoch e, long t) {
        recent = t;
        recentEpoch = e;
        recentReads = RECENT_READS;
    }

    /**
     * A read by the machine thread under the monitor, at host time now: a stall it finds is
     * hidden for good (a new epoch, then {@code seen}).
     */
    private synchronized long machineRead() {
        Epoch e = epoch;
        if (!e.running()) {
            return e.base;
        }
        long now = host.getAsLong();
        long excess = e.excess(now, (long) SEEN.getAcquire(this));
        if (excess > 0) {
            hiddenTotal += excess;
            stalls++;
            e = e.with(e.hidden + excess, true, now);
            epoch = e;
        }
        if (e.watching) {
            SEEN.setRelease(this, now);
        }
        long t = e.at(now);
        if (Thread.currentThread() == e.machine) {
            remember(e, t);
        }
        return t;
    }

    /** The machine thread: only its reads detect stalls. Called by the loop on that thread. */
    public synchronized void attach(Thread thread) {
        Epoch e = epoch;
        epoch = new Epoch(e.base, e.runningSince, e.hidden, thread, e.watching, e.seenAt);
        busy();
    }

    /**
     * The machine thread is about to wait for work (a timer deadline or a posted task): the time
     * until {@link #busy} is guest time in full.
     */
    public synchronized void idle() {
        machineRead(); // a stall just before the wait stays hidden
        Epoch e = epoch;
        epoch = e.with(e.hidden, false, e.seenAt);
    }

    /** The machine thread woke up and runs again: stalls are measured from now. */
    public synchronized void busy() {
        long now = host.getAsLong();
        Epoch e = epoch;
        epoch = e.with(e.hidden, e.machine != null, now);
        SEEN.setRelease(this, now);
    }

    /** Lets time flow (idempotent). */
    public synchronized void resume() {
        Epoch e = epoch;
        if (!e.running()) {
            long now = host.getAsLong();
            epoch = new Epoch(e.base, now, 0, e.machine, e.watching, now);
            SEEN.setRelease(this, now);
        }
    }

    /** Freezes time (idempotent). */
    public synchronized void freeze() {
        Epoch e = epoch;
        if (e.running()) {
            long t = Thread.currentThread() == e.machine ? machineRead() : nanos();
            e = epoch;
            epoch = new Epoch(t, -1, 0, e.machine, e.watching, e.seenAt);
        }
    }

    public boolean running() {
        return epoch.running();
    }

    /** Host nanoseconds until guest time reaches {@code deadline} (Long.MAX_VALUE while frozen). */
    public long hostDelayUntil(long deadline) {
        if (!running()) {
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
