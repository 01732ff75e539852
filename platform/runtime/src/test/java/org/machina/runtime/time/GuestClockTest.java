package org.machina.runtime.time;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;

/**
 * Guest time over a host clock the test sets: pauses, host stalls of the busy machine thread, idle
 * waits, the recent time of the machine thread, and reads on other threads while it runs.
 */
class GuestClockTest {
    private final AtomicLong host = new AtomicLong(1_000_000_000L);
    private final AtomicLong hostReads = new AtomicLong();
    private final GuestClock clock = new GuestClock(() -> {
        hostReads.incrementAndGet();
        return host.get();
    });

    @Test
    void followsTheHostWhileRunningAndStandsStillWhilePaused() {
        assertEquals(0, clock.nanos());
        host.addAndGet(5_000_000);
        assertEquals(0, clock.nanos(), "created, not yet running");
        clock.resume();
        host.addAndGet(3_000_000);
        assertEquals(3_000_000, clock.nanos(), "no machine thread attached: every nanosecond counts");
        clock.freeze();
        host.addAndGet(50_000_000);
        assertEquals(3_000_000, clock.nanos());
        clock.resume();
        host.addAndGet(1_000);
        assertEquals(3_001_000, clock.nanos());
    }

    @Test
    void aStallOfTheBusyMachineThreadCountsAsAtMostTheStallBound() {
        clock.attach(Thread.currentThread());
        clock.resume();
        host.addAndGet(100_000);
        assertEquals(100_000, clock.nanos(), "a step under the bound counts in full");
        host.addAndGet(30_000_000);
        long afterStall = clock.nanos();
        assertEquals(100_000 + GuestClock.STALL_NANOS, afterStall, "30 ms held back: only the bound counts");
        assertEquals(30_000_000 - GuestClock.STALL_NANOS, clock.hiddenNanos());
        assertEquals(1, clock.stalls());
        host.addAndGet(50_000);
        assertEquals(afterStall + 50_000, clock.nanos(), "time flows on from there");
    }

    @Test
    void waitingForWorkIsGuestTimeInFull() {
        clock.attach(Thread.currentThread());
        clock.resume();
        clock.idle();
        host.addAndGet(40_000_000);
        clock.busy();
        assertEquals(40_000_000, clock.nanos());
        assertEquals(0, clock.stalls());
        assertEquals(40_000_000, clock.hostDelayUntil(80_000_000));
    }

    @Test
    void duringAStallOtherThreadsSeeTheTimeTheMachineThreadWillSee() throws Exception {
        clock.attach(Thread.currentThread());
        clock.resume();
        host.addAndGet(100_000);
        assertEquals(100_000, clock.nanos());
        host.addAndGet(20_000_000);
        assertEquals(100_000 + GuestClock.STALL_NANOS, readOnAnotherThread(), "guest time stands still for them too");
        assertEquals(0, clock.stalls(), "only the machine thread's reads find stalls");
        host.addAndGet(10_000_000);
        assertEquals(100_000 + GuestClock.STALL_NANOS, readOnAnotherThread());
        assertEquals(100_000 + GuestClock.STALL_NANOS, clock.nanos());
        assertEquals(1, clock.stalls());
        host.addAndGet(1_000);
        assertEquals(101_000 + GuestClock.STALL_NANOS, readOnAnotherThread());
        clock.idle();
        host.addAndGet(5_000_000);
        assertEquals(5_101_000 + GuestClock.STALL_NANOS, readOnAnotherThread(), "while it waits for work, time flows");
    }

    private long readOnAnotherThread() throws InterruptedException {
        return readOnAnotherThread(clock::nanos);
    }

    private static long readOnAnotherThread(LongSupplier read) throws InterruptedException {
        long[] seen = new long[1];
        Thread t = new Thread(() -> seen[0] = read.getAsLong());
        t.start();
        t.join();
        return seen[0];
    }

    @Test
    void aStallJustBeforeAnIdleWaitStaysHidden() {
        clock.attach(Thread.currentThread());
        clock.resume();
        host.addAndGet(8_000_000);
        clock.idle();
        host.addAndGet(2_000_000);
        clock.busy();
        assertEquals(GuestClock.STALL_NANOS + 2_000_000, clock.nanos());
    }

    @Test
    void freezingKeepsTheTimeLastReadAndResumingStartsWithoutDebt() {
        clock.attach(Thread.currentThread());
        clock.resume();
        host.addAndGet(10_000_000);
        long t = clock.nanos();
        assertEquals(GuestClock.STALL_NANOS, t);
        clock.freeze();
        assertEquals(t, clock.nanos());
        host.addAndGet(1_000_000_000);
        clock.resume();
        host.addAndGet(150_000);
        assertEquals(t + 150_000, clock.nanos(), "the pause is no stall and the earlier stall stays hidden");
    }

    @Test
    void recentTimeIsTheMachineThreadsLastReadAndReadsTheHostEveryRecentReadsCall() {
        clock.attach(Thread.currentThread());
        clock.resume();
        host.addAndGet(50_000);
        assertEquals(50_000, clock.nanos());
        host.addAndGet(1_000);
        long before = hostReads.get();
        for (int i = 1; i < GuestClock.RECENT_READS; i++) {
            assertEquals(50_000, clock.recentNanos(), "call " + i + ": the last read, no host read");
        }
        assertEquals(before, hostReads.get());
        assertEquals(51_000, clock.recentNanos(), "the last of RECENT_READS calls reads the host");
        assertEquals(before + 1, hostReads.get());
        host.addAndGet(1_000);
        assertEquals(51_000, clock.recentNanos());
        assertEquals(52_000, clock.nanos(), "nanos() always reads the host");
        assertEquals(52_000, clock.recentNanos(), "and recentNanos() follows it");
    }

    /**
     * A guest polling a timer register between two of the CPU's deadline checks (every
     * {@link GuestClock#RECENT_READS} instructions, each a {@code nanos()}) runs at least one
     * instruction per read: its reads must not read the host clock themselves (a call the JIT
     * would keep in the polling loop).
     */
    @Test
    void aPollingLoopBetweenTwoOfTheCpusChecksNeverReadsTheHost() {
        clock.attach(Thread.currentThread());
        clock.resume();
        long t = 0;
        for (int check = 1; check <= 3; check++) {
            host.addAndGet(5_000);
            t += 5_000;
            assertEquals(t, clock.nanos(), "the CPU's check");
            long before = hostReads.get();
            for (int read = 1; read < GuestClock.RECENT_READS; read++) {
                host.addAndGet(10);
                assertEquals(t, clock.recentNanos(), "read " + read + " after check " + check);
            }
            assertEquals(before, hostReads.get(), "a 1-instruction poll between two checks reads no host clock");
            t += 10L * (GuestClock.RECENT_READS - 1);
        }
    }

    @Test
    void recentTimeIsReadAfreshAfterEveryChangeOfState() {
        clock.attach(Thread.currentThread());
        assertEquals(0, clock.recentNanos(), "frozen");
        clock.resume();
        host.addAndGet(10_000);
        assertEquals(10_000, clock.recentNanos(), "resumed: a new epoch");
        host.addAndGet(10_000);
        clock.idle();
        host.addAndGet(10_000);
        assertEquals(30_000, clock.recentNanos(), "idle: read afresh");
        clock.busy();
        host.addAndGet(10_000);
        assertEquals(40_000, clock.recentNanos(), "busy: read afresh");
        host.addAndGet(1_000_000);
        assertEquals(40_000 + GuestClock.STALL_NANOS, clock.nanos(), "a stall");
        host.addAndGet(10_000);
        assertEquals(40_000 + GuestClock.STALL_NANOS, clock.recentNanos(), "the stall's read is the latest");
        clock.freeze();
        host.addAndGet(10_000);
        assertEquals(50_000 + GuestClock.STALL_NANOS, clock.recentNanos(), "frozen at the freeze");
        assertEquals(50_000 + GuestClock.STALL_NANOS, clock.nanos());
    }

    @Test
    void onOtherThreadsRecentTimeIsTheTimeNow() throws Exception {
        clock.attach(Thread.currentThread());
        clock.resume();
        host.addAndGet(10_000);
        assertEquals(10_000, clock.nanos());
        host.addAndGet(5_000);
        assertEquals(15_000, readOnAnotherThread(clock::recentNanos));
        assertEquals(10_000, clock.recentNanos(), "the machine thread's own recent time");
    }

    /**
     * The machine thread reads nanos() and recentNanos() while the host clock advances in small
     * steps and now and then by a stall, and goes idle and busy; another thread reads at the same
     * time. Neither thread's reads ever go back.
     */
    @Test
    void readsNeverGoBackOnEitherThreadWhileTheMachineThreadFindsStalls() throws Exception {
        GuestClock shared = new GuestClock(host::get);
        AtomicLong machineLatest = new AtomicLong();
        AtomicBoolean done = new AtomicBoolean();
        AtomicReference<String> failure = new AtomicReference<>();
        Thread machine = new Thread(() -> {
            shared.attach(Thread.currentThread());
            shared.resume();
            long last = 0;
            for (int i = 0; i < 200_000 && failure.get() == null; i++) {
                host.addAndGet(i % 997 == 0 ? 3 * GuestClock.STALL_NANOS : 1_000);
                if (i % 5003 == 0) {
                    shared.idle();
                    host.addAndGet(50_000);
                    shared.busy();
                }
                long t = i % 3 == 0 ? shared.nanos() : shared.recentNanos();
                if (t < last) {
                    failure.compareAndSet(null, "machine thread went back from " + last + " to " + t);
                }
                last = t;
                machineLatest.set(t);
            }
            done.set(true);
        });
        Thread other = new Thread(() -> {
            long last = 0;
            while (!done.get() && failure.get() == null) {
                long t = shared.nanos();
                if (t < last) {
                    failure.compareAndSet(null, "other thread went back from " + last + " to " + t);
                }
                last = t;
            }
        });
        machine.start();
        other.start();
        machine.join(60_000);
        other.join(60_000);
        assertEquals(null, failure.get());
        assertTrue(shared.stalls() > 100, "stalls found: " + shared.stalls());
        assertTrue(shared.nanos() >= machineLatest.get(), "nothing the machine thread saw is ahead of the clock");
    }
}
