package org.machina.net.user;

/**
 * Congestion control of one connection's stack-to-guest direction (RFC 5681): the congestion
 * window {@link #cwnd} and slow-start threshold {@link #ssthresh} in bytes, slow start and
 * congestion avoidance on new acknowledgements, the reductions on fast retransmit (RFC 5681
 * section 3.2, with RFC 6582's NewReno inflation when the guest does not SACK, RFC 6675's pipe
 * when it does) and on a retransmission timeout. The recovery episode itself (which segment to
 * resend) is the connection's. Not done: section 4.1's restart window after an idle period (the
 * link is virtual: no path state goes stale while the connection is idle).
 *
 * <p>Bounded: {@code cwnd} never exceeds {@link #MAX_CWND} (what the to-guest queue can hold in
 * flight anyway), so counters cannot overflow however many ACKs a guest sends.
 */
final class TcpCongestion {
    static final int MAX_CWND = 2 * TcpConnection.BUFFER;

    private int smss;
    int cwnd;
    int ssthresh = Integer.MAX_VALUE;
    /** Bytes acknowledged in congestion avoidance since cwnd last grew (RFC 5681 section 3.1's byte counting). */
    private int bytesAcked;

    TcpCongestion(int smss) {
        setSmss(smss);
        cwnd = initialWindow();
    }

    /** The sender's MSS; set again when the handshake settles it. */
    void setSmss(int smss) {
        this.smss = Math.max(1, smss);
    }

    /** RFC 5681 section 3.1, equation (1): IW by SMSS. */
    int initialWindow() {
        if (smss > 2190) {
            return 2 * smss;
        }
        if (smss > 1095) {
            return 3 * smss;
        }
        return 4 * smss;
    }

    /** The connection starts sending (after the handshake): IW for the settled SMSS. */
    void start() {
        cwnd = initialWindow();
    }

    boolean inSlowStart() {
        return cwnd < ssthresh;
    }

    /** New data acknowledged outside recovery: slow start adds at most SMSS per ACK, congestion avoidance about SMSS per cwnd. */
    void acked(int bytes) {
        if (bytes <= 0) {
            return;
        }
        if (inSlowStart()) {
            cwnd = Math.min(MAX_CWND, cwnd + Math.min(bytes, smss));
            return;
        }
        bytesAcked += bytes;
        if (bytesAcked >= cwnd) {
            bytesAcked -= cwnd;
            cwnd = Math.min(MAX_CWND, cwnd + smss);
        }
    }

    /** Equation (4): ssthresh = max(FlightSize / 2, 2 * SMSS). */
    private void halve(int flightSize) {
        ssthresh = Math.max(flightSize / 2, 2 * smss);
        bytesAcked = 0;
    }

    /** Fast retransmit (third duplicate ACK, or RFC 6675's IsLost): cwnd = ssthresh, plus 3 SMSS of inflation without SACK. */
    void fastRetransmit(int flightSize, boolean sack) {
        halve(flightSize);
        cwnd = sack ? ssthresh : ssthresh + 3 * smss;
    }

    /** A further duplicate ACK in NewReno recovery: one more segment has left the network. */
    void inflate() {
        cwnd = Math.min(MAX_CWND, cwnd + smss);
    }

    /** RFC 6582 partial acknowledgement: deflate by what was acknowledged, add back SMSS if that was at least SMSS. */
    void partialAck(int bytes) {
        cwnd = Math.max(smss, cwnd - bytes + (bytes >= smss ? smss : 0));
    }

    /** Recovery ends (a full acknowledgement): RFC 6582 step 3, option 1. */
    void recovered(int flightSize) {
        cwnd = Math.min(ssthresh, Math.max(flightSize, smss) + smss);
        bytesAcked = 0;
    }

    /** Retransmission timeout: ssthresh from the flight (only on the first timeout of a segment), cwnd = the loss window, 1 SMSS. */
    void timeout(int flightSize, boolean firstTimeout) {
        if (firstTimeout) {
            halve(flightSize);
        }
        cwnd = smss;
        bytesAcked = 0;
    }

}
