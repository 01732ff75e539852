package org.machina.devices.pc;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import org.machina.api.time.MachineExecutor;
import org.machina.api.time.Timer;
import org.machina.api.time.VirtualClock;

/** A manual virtual clock with timers that fire, in deadline order, only when a test advances time. */
final class FakeExecutor implements MachineExecutor, VirtualClock {
    private long now;
    final List<FakeTimer> timers = new ArrayList<>();

    final class FakeTimer implements Timer {
        final String name;
        final Runnable callback;
        long deadline = Long.MAX_VALUE;

        FakeTimer(String name, Runnable callback) {
            this.name = name;
            this.callback = callback;
        }

        @Override
        public void armAt(long deadlineNanos) {
            deadline = deadlineNanos;
        }

        @Override
        public void cancel() {
            deadline = Long.MAX_VALUE;
        }

        @Override
        public boolean isArmed() {
            return deadline != Long.MAX_VALUE;
        }

        @Override
        public long deadline() {
            return deadline;
        }

        @Override
        public VirtualClock clock() {
            return FakeExecutor.this;
        }
    }

    /** What {@link #recentNanos} returns until time next advances; -1: {@link #nanos}. */
    private long recent = -1;

    @Override
    public long nanos() {
        return now;
    }

    @Override
    public long recentNanos() {
        return recent >= 0 ? recent : now;
    }

    /** A machine thread whose latest clock read was at {@code nanos} (until time next advances). */
    void setRecent(long nanos) {
        recent = nanos;
    }

    /** Advances the clock to {@code target}, firing due timers at their deadlines on the way. */
    void advanceTo(long target) {
        recent = -1;
        while (true) {
            FakeTimer next = null;
            for (FakeTimer t : timers) {
                if (t.deadline <= target && (next == null || t.deadline < next.deadline)) {
                    next = t;
                }
            }
            if (next == null) {
                break;
            }
            now = Math.max(now, next.deadline);
            next.deadline = Long.MAX_VALUE;
            next.callback.run();
        }
        now = Math.max(now, target);
    }

    void advance(long nanos) {
        advanceTo(now + nanos);
    }

    /** Sets the clock without firing timers (for a fresh machine resumed at a given time). */
    void setNow(long nanos) {
        now = nanos;
    }

    FakeTimer timer(String name) {
        return timers.stream().filter(t -> t.name.equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no timer " + name + " in " + timers.stream().map(t -> t.name).toList()));
    }

    @Override
    public void execute(Runnable task) {
        task.run();
    }

    @Override
    public <T> CompletableFuture<T> submit(Callable<T> task) {
        try {
            return CompletableFuture.completedFuture(task.call());
        } catch (Exception e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public boolean inMachineThread() {
        return true;
    }

    @Override
    public Timer newTimer(String name, Runnable callback) {
        FakeTimer t = new FakeTimer(name, callback);
        timers.add(t);
        return t;
    }

    @Override
    public VirtualClock clock() {
        return this;
    }
}
