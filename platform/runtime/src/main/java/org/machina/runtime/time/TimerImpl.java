package org.machina.runtime.time;

import org.machina.api.time.Timer;
import org.machina.api.time.VirtualClock;

/** A deadline timer kept in its {@link EventLoop}'s queue while armed. */
final class TimerImpl implements Timer {
    final String name;
    final Runnable callback;
    private final EventLoop loop;
    long deadline = Long.MAX_VALUE;
    long sequence;
    boolean cancelledForever;

    TimerImpl(EventLoop loop, String name, Runnable callback) {
        this.loop = loop;
        this.name = name;
        this.callback = callback;
    }

    @Override
    public void armAt(long deadlineNanos) {
        loop.arm(this, deadlineNanos);
    }

    @Override
    public void cancel() {
        loop.disarm(this);
    }

    @Override
    public boolean isArmed() {
        return loop.isArmed(this);
    }

    @Override
    public long deadline() {
        return isArmed() ? deadline : Long.MAX_VALUE;
    }

    @Override
    public VirtualClock clock() {
        return loop.clock();
    }

    @Override
    public String toString() {
        return "timer " + name;
    }
}
