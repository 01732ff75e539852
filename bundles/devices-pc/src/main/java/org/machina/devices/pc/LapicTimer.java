package org.machina.devices.pc;

/**
 * The local APIC timer's counter (Intel SDM vol. 3, "APIC Timer"): a 32-bit count that runs down
 * from the initial count at the bus clock divided by the divide configuration, computed from the
 * virtual clock (nothing counts while nothing reads it). In one-shot mode it stops at 0; in
 * periodic mode it reloads the initial count. The owner arms a machine timer for
 * {@link #nextExpiry()} and calls {@link #expired} when it fires.
 */
final class LapicTimer {
    /** Nanoseconds per bus clock: a 100 MHz bus. */
    static final long BUS_CLOCK_NANOS = 10;

    /** Initial count (unsigned 32 bits); 0 stops the timer. */
    long initial;
    /** The divide configuration register (bits 0, 1 and 3). */
    int divideConfig;
    /** Virtual time at which the count was last {@link #initial} (start of the current period). */
    long start;
    /** Whether the count is running (not yet 0 in one-shot mode). */
    boolean running;

    /** The divisor the divide configuration selects: 2, 4, ..., 128, or 1 for 0b1011. */
    static int divisor(int config) {
        int code = (config & 3) | (config >> 1 & 4);
        return code == 7 ? 1 : 2 << code;
    }

    long tickNanos() {
        return BUS_CLOCK_NANOS * divisor(divideConfig);
    }

    /** Starts counting down from {@code count} at {@code now}. */
    void load(long count, long now) {
        initial = count & 0xFFFF_FFFFL;
        start = now;
        running = initial != 0;
    }

    /** The current count at {@code now}. */
    long current(long now, boolean periodic) {
        if (!running) {
            return 0;
        }
        long ticks = Math.max(0, now - start) / tickNanos();
        if (periodic) {
            return initial - ticks % initial;
        }
        return Math.max(0, initial - ticks);
    }

    /** Changes the divider, keeping the current count (it goes on at the new rate). */
    void setDivideConfig(int config, long now, boolean periodic) {
        long count = current(now, periodic);
        divideConfig = config & 0xB;
        if (running) {
            start = now - (initial - count) * tickNanos();
        }
    }

    /** When the count reaches 0 next, or {@link Long#MAX_VALUE} when it is not running. */
    long nextExpiry() {
        return running ? start + initial * tickNanos() : Long.MAX_VALUE;
    }

    /**
     * The count reached 0 (the machine timer fired at or after {@link #nextExpiry()}): a periodic
     * count reloads for the period that contains {@code now} (periods the machine missed are not
     * replayed), a one-shot count stops.
     */
    void expired(long now, boolean periodic) {
        if (!periodic) {
            running = false;
            return;
        }
        long period = initial * tickNanos();
        long periods = Math.max(1, (now - start) / period);
        start += periods * period;
    }
}
