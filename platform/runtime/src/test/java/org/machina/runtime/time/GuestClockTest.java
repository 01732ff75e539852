package org.machina.runtime.time;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Guest time over a host clock the test sets: pauses, host stalls of the busy machine thread, idle waits. */
class GuestClockTest {
    private final AtomicLong host = new AtomicLong(1_000_000_000L);
    private final GuestClock clock = new GuestClock(host::get);

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
        long[] seen = new long[1];
        Thread t = new Thread(() -> seen[0] = clock.nanos());
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
}
