package org.machina.net.user;

/**
 * TCP timestamps of one connection (RFC 7323 sections 3-5): whether both sides sent the option
 * on their SYNs, our clock (milliseconds plus a random offset per connection, section 7.1),
 * TS.Recent with the rule that updates it (section 4.3), PAWS (section 5.3) and RTT samples from
 * the guest's echo (section 4.1). Loop thread only.
 */
final class TcpTimestamps {
    /** Section 5.5: TS.Recent older than this is no longer compared (our clock's ticks could have wrapped meanwhile). */
    static final long RECENT_VALID_NANOS = 24L * 24 * 3600 * 1_000_000_000L;

    private final int offset;
    boolean enabled;
    int recent;
    private long recentAt;

    TcpTimestamps(int offset) {
        this.offset = offset;
    }

    /** Our TSval now: a millisecond clock. */
    int now() {
        return (int) (System.nanoTime() / 1_000_000) + offset;
    }

    /** The guest's SYN or SYN-ACK: timestamps are on if it carried the option and {@code ours} (we offer or answer it). */
    void syn(TcpSegment s, boolean ours) {
        enabled = ours && s.ts();
        if (enabled) {
            recent = s.tsVal();
            recentAt = System.nanoTime();
        }
    }

    /**
     * PAWS (section 5.3 R1): a non-RST segment whose TSval is older than TS.Recent is an old
     * duplicate. TS.Recent older than {@link #RECENT_VALID_NANOS} is not held against it.
     */
    boolean pawsRejects(TcpSegment s) {
        return enabled && s.ts() && !s.has(TcpSegment.RST) && s.tsVal() - recent < 0
                && System.nanoTime() - recentAt < RECENT_VALID_NANOS;
    }

    /** Section 4.3 (2): TS.Recent = SEG.TSval if SEG.TSval >= TS.Recent and SEG.SEQ <= Last.ACK.sent. */
    void update(TcpSegment s, int lastAckSent) {
        if (enabled && s.ts() && s.tsVal() - recent >= 0 && s.seq() - lastAckSent <= 0) {
            recent = s.tsVal();
            recentAt = System.nanoTime();
        }
    }

    /**
     * The RTT the guest's echo of one of our TSvals gives (section 4.1), in milliseconds; -1 if
     * there is none, -2 if the echo is bogus (from our future, or older than {@code maxMs}).
     */
    long rttMs(TcpSegment s, long maxMs) {
        if (!enabled || !s.ts() || s.tsEcr() == 0) {
            return -1;
        }
        long r = now() - s.tsEcr();
        return r < 0 || r > maxMs ? -2 : r;
    }
}
