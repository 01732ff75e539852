package org.machina.net.user;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** RFC 5681's window arithmetic on its own. */
class TcpCongestionTest {
    @Test
    void initialWindowBySmss() {
        assertEquals(4 * 536, new TcpCongestion(536).cwnd);
        assertEquals(3 * 1460, new TcpCongestion(1460).cwnd);
        assertEquals(2 * 8960, new TcpCongestion(8960).cwnd);
    }

    @Test
    void slowStartThenCongestionAvoidance() {
        TcpCongestion c = new TcpCongestion(1000);
        assertEquals(4000, c.cwnd, "IW: 4 SMSS up to 1095 bytes");
        c.acked(5000); // slow start: at most one SMSS per ACK
        assertEquals(5000, c.cwnd);
        c.acked(500);
        assertEquals(5500, c.cwnd);
        c.fastRetransmit(10_000, true);
        assertEquals(5000, c.ssthresh, "FlightSize / 2");
        assertEquals(5000, c.cwnd, "with SACK: cwnd = ssthresh (RFC 6675)");
        assertFalse(c.inSlowStart());
        for (int i = 0; i < 4; i++) {
            c.acked(1000);
        }
        assertEquals(5000, c.cwnd, "less than a window acknowledged: no growth yet");
        c.acked(1000);
        assertEquals(6000, c.cwnd, "one SMSS per window in congestion avoidance");
    }

    @Test
    void newRenoInflatesAndDeflates() {
        TcpCongestion c = new TcpCongestion(1000);
        c.fastRetransmit(20_000, false);
        assertEquals(10_000, c.ssthresh);
        assertEquals(13_000, c.cwnd, "ssthresh + 3 SMSS");
        c.inflate();
        assertEquals(14_000, c.cwnd);
        c.partialAck(3000);
        assertEquals(12_000, c.cwnd, "minus what was acknowledged, plus one SMSS");
        c.recovered(4000);
        assertEquals(5000, c.cwnd, "min(ssthresh, FlightSize + SMSS)");
    }

    @Test
    void timeoutGoesToTheLossWindowAndHalvesOnlyOnce() {
        TcpCongestion c = new TcpCongestion(1000);
        c.timeout(40_000, true);
        assertEquals(1000, c.cwnd);
        assertEquals(20_000, c.ssthresh);
        c.timeout(1000, false);
        assertEquals(20_000, c.ssthresh, "held on a repeated timeout");
        assertTrue(c.inSlowStart());
        c.fastRetransmit(1000, true);
        assertEquals(2000, c.ssthresh, "at least 2 SMSS");
    }

    @Test
    void windowIsBounded() {
        TcpCongestion c = new TcpCongestion(1000);
        for (int i = 0; i < 100_000; i++) {
            c.acked(1000);
        }
        assertEquals(TcpCongestion.MAX_CWND, c.cwnd);
    }
}
