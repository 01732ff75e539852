package org.machina.runtime.time;

import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.PriorityQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.machina.api.time.MachineExecutor;
import org.machina.api.time.Timer;
import org.machina.api.time.VirtualClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The machine thread's event loop: posted tasks and deadline timers. It never polls: when
 * there is nothing to run it sleeps until the earliest timer deadline (host time derived from the
 * guest clock) or until work is posted. A CPU, when present, runs between loop turns through
 * {@link #setRunner}.
 */
public final class EventLoop implements MachineExecutor {
    private static final Logger LOG = LoggerFactory.getLogger(EventLoop.class);

    private final GuestClock clock;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition();
    private final ArrayDeque<Runnable> posted = new ArrayDeque<>();
    private final PriorityQueue<TimerImpl> timers = new PriorityQueue<>(
            Comparator.<TimerImpl>comparingLong(t -> t.deadline).thenComparingLong(t -> t.sequence));
    private long sequence;
    private volatile Thread thread;
    private volatile boolean stopping;
    private volatile Runnable onWake = () -> { };
    private Runner runner;

    /** Something that runs guest code until a deadline (a CPU); returns whether it can run again right away. */
    public interface Runner {
        boolean run(long deadlineNanos);
    }

    public EventLoop(GuestClock clock) {
        this.clock = clock;
    }

    public void setRunner(Runner runner, Runnable interrupt) {
        this.runner = runner;
        this.onWake = interrupt == null ? () -> { } : interrupt;
    }

    @Override
    public VirtualClock clock() {
        return clock;
    }

    public GuestClock guestClock() {
        return clock;
    }

    @Override
    public void execute(Runnable task) {
        lock.lock();
        try {
            if (stopping && Thread.currentThread() != thread) {
                throw new IllegalStateException("the machine thread has stopped");
            }
            posted.add(task);
            wake.signal();
        } finally {
            lock.unlock();
        }
        onWake.run();
    }

    @Override
    public <T> CompletableFuture<T> submit(Callable<T> task) {
        CompletableFuture<T> f = new CompletableFuture<>();
        if (inMachineThread()) {
            complete(f, task);
        } else {
            execute(() -> complete(f, task));
        }
        return f;
    }

    private static <T> void complete(CompletableFuture<T> f, Callable<T> task) {
        try {
            f.complete(task.call());
        } catch (Throwable t) {
            f.completeExceptionally(t);
        }
    }

    @Override
    public boolean inMachineThread() {
        return Thread.currentThread() == thread;
    }

    @Override
    public Timer newTimer(String name, Runnable callback) {
        return new TimerImpl(this, name, callback);
    }

    void arm(TimerImpl t, long deadline) {
        lock.lock();
        try {
            timers.remove(t);
            t.deadline = deadline;
            t.sequence = sequence++;
            timers.add(t);
            wake.signal();
        } finally {
            lock.unlock();
        }
        if (!inMachineThread()) {
            onWake.run();
        }
    }

    void disarm(TimerImpl t) {
        lock.lock();
        try {
            timers.remove(t);
            t.deadline = Long.MAX_VALUE;
        } finally {
            lock.unlock();
        }
    }

    boolean isArmed(TimerImpl t) {
        lock.lock();
        try {
            return timers.contains(t);
        } finally {
            lock.unlock();
        }
    }

    /** Earliest armed deadline, or Long.MAX_VALUE. */
    public long nextDeadline() {
        lock.lock();
        try {
            TimerImpl t = timers.peek();
            return t == null ? Long.MAX_VALUE : t.deadline;
        } finally {
            lock.unlock();
        }
    }

    /** Runs the loop on the calling thread until {@link #stop()}. */
    public void run(java.util.function.BooleanSupplier guestRunnable) {
        thread = Thread.currentThread();
        clock.attach(thread);
        while (!stopping) {
            runPosted();
            runDueTimers();
            if (stopping) {
                break;
            }
            boolean again = false;
            if (runner != null && guestRunnable.getAsBoolean() && clock.running()) {
                long slice = clock.nanos() + 10_000_000L;
                again = runner.run(Math.min(nextDeadline(), slice));
            }
            if (!again) {
                sleepUntilWork();
            }
        }
        runPosted();
    }

    private void runPosted() {
        while (true) {
            Runnable task;
            lock.lock();
            try {
                task = posted.poll();
            } finally {
                lock.unlock();
            }
            if (task == null) {
                return;
            }
            try {
                task.run();
            } catch (RuntimeException | Error e) {
                LOG.error("posted task failed on the machine thread", e);
            }
        }
    }

    /**
     * Runs the timers due at the current guest time (machine thread only). Pausing calls it right
     * after freezing the clock, so that devices show the state of the instant the machine stopped.
     */
    public void runDueTimers() {
        long now = clock.nanos();
        while (true) {
            TimerImpl due;
            lock.lock();
            try {
                TimerImpl head = timers.peek();
                if (head == null || head.deadline > now) {
                    return;
                }
                due = timers.poll();
            } finally {
                lock.unlock();
            }
            try {
                due.callback.run();
            } catch (RuntimeException | Error e) {
                LOG.error("timer '{}' failed", due.name, e);
            }
        }
    }

    private void sleepUntilWork() {
        lock.lock();
        try {
            while (posted.isEmpty() && !stopping) {
                TimerImpl head = timers.peek();
                long delay = head == null ? Long.MAX_VALUE : clock.hostDelayUntil(head.deadline);
                if (delay <= 0) {
                    return;
                }
                clock.idle(); // waiting for work is guest time, unlike being held back while busy
                try {
                    if (delay == Long.MAX_VALUE) {
                        wake.await();
                    } else {
                        wake.awaitNanos(delay);
                        return;
                    }
                } finally {
                    clock.busy();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopping = true;
        } finally {
            lock.unlock();
        }
    }

    /** Wakes a sleeping loop (after the clock was resumed, for example). */
    public void poke() {
        lock.lock();
        try {
            wake.signal();
        } finally {
            lock.unlock();
        }
    }

    public void stop() {
        stopping = true;
        poke();
        onWake.run();
    }

    public boolean stopped() {
        return stopping;
    }

    /** Cancels the given timers (a removed device's). */
    public void cancelTimers(java.util.Collection<Timer> owned) {
        lock.lock();
        try {
            timers.removeAll(owned);
        } finally {
            lock.unlock();
        }
    }

    /** Waits, up to {@code timeout}, for the loop thread to start. */
    public boolean awaitStarted(long timeout, TimeUnit unit) throws InterruptedException {
        long end = System.nanoTime() + unit.toNanos(timeout);
        while (thread == null && System.nanoTime() < end) {
            Thread.sleep(1);
        }
        return thread != null;
    }
}
