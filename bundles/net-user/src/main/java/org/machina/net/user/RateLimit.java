package org.machina.net.user;

import java.util.function.LongSupplier;

/** A token bucket: at most {@code burst} events at once, refilled at {@code perSecond} (loop thread only). */
final class RateLimit {
    private final int burst;
    private final double perNano;
    private final LongSupplier nanos;
    private double tokens;
    private long last;

    RateLimit(int burst, int perSecond, LongSupplier nanos) {
        this.burst = burst;
        this.perNano = perSecond / 1e9;
        this.nanos = nanos;
        this.tokens = burst;
        this.last = nanos.getAsLong();
    }

    /** Whether one more event may happen now (it then takes a token). */
    boolean take() {
        long now = nanos.getAsLong();
        tokens = Math.min(burst, tokens + (now - last) * perNano);
        last = now;
        if (tokens < 1) {
            return false;
        }
        tokens--;
        return true;
    }
}
