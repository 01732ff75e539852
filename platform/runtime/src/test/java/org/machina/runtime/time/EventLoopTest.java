package org.machina.runtime.time;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.machina.api.time.Timer;

class EventLoopTest {
    private final GuestClock clock = new GuestClock();
    private final EventLoop loop = new EventLoop(clock);
    private final Thread thread = Thread.ofPlatform().start(() -> loop.run(() -> false));

    @AfterEach
    void stop() throws InterruptedException {
        loop.stop();
        thread.join(5000);
        assertFalse(thread.isAlive());
    }

    @Test
    void timersFireInDeadlineOrderOnTheMachineThread() throws Exception {
        List<String> order = new CopyOnWriteArrayList<>();
        CountDownLatch done = new CountDownLatch(3);
        Timer late = loop.newTimer("late", () -> {
            order.add("late:" + loop.inMachineThread());
            done.countDown();
        });
        Timer early = loop.newTimer("early", () -> {
            order.add("early:" + loop.inMachineThread());
            done.countDown();
        });
        Timer cancelled = loop.newTimer("cancelled", () -> order.add("cancelled"));
        loop.execute(() -> {
            late.armAt(3_000_000);
            early.armAt(1_000_000);
            cancelled.armAt(2_000_000);
            cancelled.cancel();
            order.add("posted:" + loop.inMachineThread());
            done.countDown();
        });
        clock.resume();
        // The clock is resumed from outside the machine thread here; the loop may already be asleep
        // with no deadline (time was frozen), so wake it as MachineImpl's resume does by running there.
        loop.poke();
        assertTrue(done.await(10, TimeUnit.SECONDS));
        assertEquals(List.of("posted:true", "early:true", "late:true"), order);
        assertFalse(late.isArmed());
        assertTrue(clock.nanos() >= 3_000_000);
    }

    @Test
    void timersDoNotFireWhileTheClockIsFrozen() throws Exception {
        CountDownLatch fired = new CountDownLatch(1);
        Timer t = loop.newTimer("t", fired::countDown);
        t.armAt(1);
        assertFalse(fired.await(100, TimeUnit.MILLISECONDS), "guest time has not started");
        assertEquals(0, clock.nanos());
        clock.resume();
        loop.poke();
        assertTrue(fired.await(10, TimeUnit.SECONDS));
    }

    @Test
    void dueTimersRunInsideTheTaskThatFreezesTheClock() throws Exception {
        List<String> order = new CopyOnWriteArrayList<>();
        Timer due = loop.newTimer("due", () -> order.add("due"));
        Timer later = loop.newTimer("later", () -> order.add("later"));
        clock.resume();
        loop.submit(() -> {
            // as MachineImpl.pauseNow: a timer that fell due during this slice fires before the pause completes
            due.armAt(clock.nanos());
            later.armAt(clock.nanos() + 60_000_000_000L);
            clock.freeze();
            loop.runDueTimers();
            order.add("paused");
            return null;
        }).get(5, TimeUnit.SECONDS);
        assertEquals(List.of("due", "paused"), order);
        assertTrue(later.isArmed(), "a timer after the freeze instant stays armed");
    }

    @Test
    void submitReturnsResultsAndFailures() throws Exception {
        assertEquals(42, loop.submit(() -> 42).get(5, TimeUnit.SECONDS));
        var failed = loop.submit(() -> {
            throw new IllegalStateException("boom");
        });
        var e = org.junit.jupiter.api.Assertions.assertThrows(java.util.concurrent.ExecutionException.class,
                () -> failed.get(5, TimeUnit.SECONDS));
        assertEquals("boom", e.getCause().getMessage());
        assertEquals(7, loop.submit(() -> 7).get(5, TimeUnit.SECONDS), "the loop survives a failed task");
    }
}
