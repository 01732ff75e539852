package org.machina.net.user;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/**
 * Loss recovery, congestion control, timestamps and delayed ACKs of the guest-side TCP, on
 * segments the test writes: a guest that loses segments and SACKs, one that does not SACK, one
 * that never answers, one with timestamps (and old or bogus ones), and bogus SACK blocks.
 */
class TcpRecoveryTest extends TcpGuest {
    static final int WINDOW = 1024; // scaled by 7: 128 KiB
    int lastAck;
    TcpRecoveryTest() throws Exception {
        super();
    }


    /** Opens, lets slow start open the congestion window, then has the host send {@code n} bytes; returns the data frames. */
    List<Wire.Frame> flight(SocketChannel host, int n) throws Exception {
        host.write(ByteBuffer.wrap(new byte[40_000]));
        ackEverySegment(40_000, WINDOW);
        host.write(ByteBuffer.wrap(new byte[n]));
        List<Wire.Frame> got = new ArrayList<>();
        int covered = 0;
        while (covered < n) {
            Wire.Frame d = w.expect("data of the flight", f -> f.tcp(ACK) && f.dport() == gport && f.tcpData().length > 0);
            got.add(d);
            covered += d.tcpData().length;
        }
        assertEquals(peerSeq, got.get(0).seq());
        lastAck = peerSeq;
        return got;
    }

    /** A pure ACK of {@code ack} with the SACK blocks {@code edges} (left, right, ...). */
    void ackWithSack(int ack, int... edges) {
        byte[] o = new byte[4 + 4 * edges.length];
        o[0] = 1;
        o[1] = 1;
        o[2] = 5;
        o[3] = (byte) (2 + 4 * edges.length);
        for (int i = 0; i < edges.length; i++) {
            Wire.put32(o, 4 + 4 * i, edges[i]);
        }
        raw(gseq, ack, ACK, o, new byte[0]);
    }

    void raw(int seq, int ack, int flags, byte[] opts, byte[] data) {
        w.send(Wire.ip(Wire.GUEST, Wire.GW, 6, Wire.tcp(Wire.GUEST, Wire.GW, gport, port, seq, ack, flags, WINDOW, opts, data)));
    }

    /** The next data segment at or above {@code peerSeq}'s last acknowledged point (older duplicates are skipped). */
    Wire.Frame nextData(String what) {
        int floor = lastAck;
        return w.expect(what, f -> f.tcp(ACK) && f.dport() == gport && f.tcpData().length > 0 && f.seq() - floor >= 0);
    }

    /** The counters once the loop has taken everything sent so far. */
    Stats stats() {
        return w.onLoop(() -> w.netdev.stats());
    }

    @Test
    void aGuestThatSacksGetsOnlyTheHolesResent() throws Exception {
        SocketChannel host = open(WINDOW, SYN_OPTS_SACK);
        List<Wire.Frame> f = flight(host, 10 * 1460);
        int s1 = f.get(1).seq(), s2 = f.get(2).seq(), s4 = f.get(4).seq(), s5 = f.get(5).seq(), s6 = f.get(6).seq();
        int end = peerSeq + 10 * 1460;
        // segment 0 arrives; 1 and 4 are lost, the others arrive and are SACKed
        raw(gseq, s1, ACK, null, new byte[0]);
        ackWithSack(s1, s2, s4);
        ackWithSack(s1, s5, s6, s2, s4);
        ackWithSack(s1, s5, end, s2, s4); // the third duplicate ACK
        assertEquals(s1, nextData("the first hole resent").seq());
        Wire.Frame second = nextData("the second hole resent (lost: more than 2 segments SACKed above it)");
        assertEquals(s4, second.seq(), () -> "s1=" + s1 + " " + stats());
        peerSeq = end;
        seg(ACK, WINDOW, null, new byte[0]);
        assertTrue(w.collect(400, fr -> fr.tcp(ACK) && fr.tcpData().length > 0).isEmpty(), "nothing else was sent again");
        assertEquals(1, stats().tcpFastRetransmits, stats().toString());
        assertEquals(0, stats().tcpTimeouts);
        int cwnd = w.onLoop(() -> w.netdev.stack().tcp.connection(gport).cwnd());
        assertTrue(cwnd <= 10 * 1460 / 2 + 1460, "the window was halved: " + cwnd);
    }

    @Test
    void withoutSackNewRenoResendsTheFirstSegmentThenEachPartialAcksNext() throws Exception {
        SocketChannel host = open(WINDOW);
        List<Wire.Frame> f = flight(host, 10 * 1460);
        int s1 = f.get(1).seq(), s4 = f.get(4).seq();
        int end = peerSeq + 10 * 1460;
        raw(gseq, s1, ACK, null, new byte[0]);
        for (int i = 0; i < 3; i++) {
            raw(gseq, s1, ACK, null, new byte[0]); // duplicates: 2, 3, 5.. arrived
        }
        assertEquals(s1, nextData("fast retransmit of the first unacknowledged segment").seq());
        raw(gseq, s4, ACK, null, new byte[0]); // a partial ACK: 1-3 are in, 4 is lost too
        assertEquals(s4, nextData("the segment after the partial ACK, not 2 and 3 again (no go-back-N)").seq());
        peerSeq = end;
        seg(ACK, WINDOW, null, new byte[0]);
        assertTrue(w.collect(400, fr -> fr.tcp(ACK) && fr.tcpData().length > 0).isEmpty(), "nothing else was sent again");
        assertEquals(1, stats().tcpFastRetransmits);
        assertEquals(0, stats().tcpTimeouts);
    }

    @Test
    void aTimeoutResendsOneSegmentThenSlowStarts() throws Exception {
        SocketChannel host = open(WINDOW);
        List<Wire.Frame> f = flight(host, 10 * 1460);
        Wire.Frame again = nextData("the retransmission after the timeout");
        assertEquals(f.get(0).seq(), again.seq());
        assertTrue(w.collect(100, fr -> fr.tcp(ACK) && fr.tcpData().length > 0).isEmpty(), "the loss window is one segment");
        assertEquals(1, stats().tcpTimeouts);
        peerSeq = f.get(1).seq();
        seg(ACK, WINDOW, null, new byte[0]);
        assertEquals(f.get(1).seq(), nextData("slow start: the next segment").seq());
        assertEquals(f.get(2).seq(), nextData("and one more").seq());
        assertEquals(2 * 1460, (int) w.onLoop(() -> w.netdev.stack().tcp.connection(gport).cwnd()));
    }

    @Test
    void bogusSackBlocksAreCountedAndTheScoreboardStaysBounded() throws Exception {
        SocketChannel host = open(WINDOW, SYN_OPTS_SACK);
        List<Wire.Frame> f = flight(host, 10 * 1460);
        int s1 = f.get(1).seq();
        int end = peerSeq + 10 * 1460;
        ackWithSack(s1, end + 1000, end + 2000, s1 + 500, s1 + 100, s1 + 300, s1 + 300); // beyond, reversed, empty
        raw(gseq, s1, ACK, new byte[] {1, 1, 5, 6, 0, 0, 0, 0}, new byte[0]); // a SACK option of no whole block
        for (int i = 0; i < 50; i++) {
            int at = s1 + 1460 + 200 * i;
            ackWithSack(s1, at, at + 1, at + 50, at + 51, at + 100, at + 101, at + 150, at + 151);
        }
        assertEquals(4, stats().tcpBogusSack);
        int ranges = w.onLoop(() -> w.netdev.stack().tcp.connection(gport).sackRanges());
        assertEquals(SackScoreboard.MAX_RANGES, ranges);
        peerSeq = end;
        seg(ACK, WINDOW, null, new byte[0]);
        host.write(ByteBuffer.wrap("still here".getBytes()));
        Wire.Frame d = w.expect("data after the bogus SACKs", fr -> fr.tcp(ACK) && fr.tcpData().length == 10);
        assertEquals("still here", new String(d.tcpData()));
        assertEquals(0, (int) w.onLoop(() -> w.netdev.stack().tcp.connection(gport).sackRanges()));
    }

    static final byte[] SYN_OPTS_TS = {2, 4, 0x05, (byte) 0xb4, 1, 3, 3, 7, 1, 1, 8, 10, 0, 0, 0, 100, 0, 0, 0, 0};

    static byte[] ts(int val, int ecr) {
        byte[] o = {1, 1, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0};
        Wire.put32(o, 4, val);
        Wire.put32(o, 8, ecr);
        return o;
    }

    static int tsVal(Wire.Frame f) {
        return Wire.i32(f.tcpOption(8), 0);
    }

    static int tsEcr(Wire.Frame f) {
        return Wire.i32(f.tcpOption(8), 4);
    }

    @Test
    void tcpTimestampsOffAnswersAGuestsOfferWithout() throws Exception {
        w = new Wire(java.util.Map.of("tcp-timestamps", "off"));
        seg(SYN, 65535, SYN_OPTS_TS, new byte[0]);
        Wire.Frame sa = expectTcp("SYN-ACK", SYN | ACK);
        assertNull(sa.tcpOption(8), "no timestamps");
        assertArrayEquals(new byte[] {3}, sa.tcpOption(3), "window scaling still");
        peerSeq = sa.seq() + 1;
        SocketChannel host = server.accept();
        seg(ACK, WINDOW, null, new byte[0]);
        lastAck = peerSeq;
        host.write(ByteBuffer.wrap(new byte[3000]));
        Wire.Frame d = nextData("data");
        assertNull(d.tcpOption(8));
        assertEquals(1460, d.tcpData().length, "the whole MSS is data");
    }

    @Test
    void timestampsAreEchoedMeasureRttAndPawsDropsOldSegments() throws Exception {
        int[] clock = {101};
        int[] echo = {0};
        options = () -> ts(clock[0]++, echo[0]);
        w = new Wire(java.util.Map.of());
        seg(SYN, 65535, SYN_OPTS_TS, new byte[0]);
        Wire.Frame sa = expectTcp("SYN-ACK", SYN | ACK);
        assertNotNull(sa.tcpOption(8), "timestamps answered");
        assertEquals(100, tsEcr(sa), "the guest's TSval echoed");
        peerSeq = sa.seq() + 1;
        echo[0] = tsVal(sa);
        SocketChannel host = server.accept();
        seg(ACK, WINDOW, null, new byte[0]); // TSval 101
        lastAck = peerSeq;

        host.write(ByteBuffer.wrap(new byte[3000]));
        Wire.Frame d;
        try {
            d = nextData("data with timestamps");
        } catch (AssertionError e) {
            throw new AssertionError(stats() + " " + w.onLoop(() -> String.valueOf(w.netdev.stack().tcp.connection(gport).state)), e);
        }
        assertEquals(101, tsEcr(d), "TS.Recent: the guest's latest TSval");
        assertTrue(d.tcpData().length <= 1460 - 12, "the option comes out of the data: " + d.tcpData().length);
        echo[0] = tsVal(d);
        ackEverySegment(3000, WINDOW);
        assertTrue(w.onLoop(() -> w.netdev.stack().tcp.connection(gport).srttMs()) >= 0, "an RTT sample from the echo");

        // an old duplicate: TSval before TS.Recent
        raw(gseq, peerSeq, ACK | PSH, ts(50, echo[0]), "old".getBytes());
        Wire.Frame ack = expectTcp("the ACK answering PAWS", ACK);
        assertEquals(gseq, ack.ack(), "not taken");
        raw(gseq, peerSeq, ACK | PSH, null, "none".getBytes()); // no timestamps once negotiated
        assertEquals(2, stats().tcpPawsDropped);
        // an echo of a TSval we never sent: no RTT sample, counted
        host.write(ByteBuffer.wrap(new byte[100]));
        Wire.Frame d2 = nextData("more data");
        peerSeq = d2.seq() + d2.tcpData().length;
        echo[0] = tsVal(d2) + 1_000_000;
        seg(ACK, WINDOW, null, new byte[0]);
        echo[0] = tsVal(d2);
        seg(ACK | PSH, WINDOW, null, "new".getBytes());
        assertEquals("new", new String(TcpTest.read(host, 3)), "only the segment with a current timestamp reached the host");
        assertEquals(1, stats().tcpBogusTimestamps);
    }

    @Test
    void theDelayedAckRidesOnTheAnswer() throws Exception {
        SocketChannel host = open(WINDOW);
        CountDownLatch release = stallLoop();
        seg(ACK | PSH, WINDOW, null, "GET".getBytes());
        host.write(ByteBuffer.wrap("RESP".getBytes())); // the answer is there when the loop takes the request
        release.countDown();
        Wire.Frame first = expectTcp("the first segment after the request", ACK);
        assertEquals("RESP", new String(first.tcpData()), "no separate ACK before the answer");
        assertEquals(gseq, first.ack(), "the answer acknowledges the request");
        assertEquals("GET", new String(TcpTest.read(host, 3)));
        assertTrue(w.collect(300, fr -> fr.tcp(ACK) && fr.dport() == gport).isEmpty(), "and no ACK after it either");

        seg(ACK | PSH, WINDOW, null, "x".getBytes()); // nothing to ride on: the timer sends it
        assertEquals(gseq, expectTcp("the delayed ACK", ACK).ack());
    }
}
