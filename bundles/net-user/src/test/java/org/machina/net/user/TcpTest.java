package org.machina.net.user;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The guest-side TCP state machine, driven by segments the test writes, against real loopback sockets. */
class TcpTest extends TcpGuest {
    TcpTest() throws Exception {
        super();
    }

    @Test
    void dataBothWaysAndOrderlyClose() throws Exception {
        SocketChannel host = open(1024);
        seg(ACK | PSH, 1024, null, "GET / HTTP/1.0\r\n\r\n".getBytes());
        Wire.Frame ack = expectTcp("ACK of the data", ACK);
        assertEquals(gseq, ack.ack());
        assertEquals(32768, ack.window(), "256 KiB advertised, scaled by 3");
        assertEquals("GET / HTTP/1.0\r\n\r\n", new String(read(host, 18)));

        host.write(ByteBuffer.wrap("HTTP/1.0 200 OK\r\n\r\nhello".getBytes()));
        Wire.Frame data = w.expect("data", f -> f.tcp(ACK) && f.tcpData().length > 0).verified();
        assertEquals(peerSeq, data.seq());
        assertEquals("HTTP/1.0 200 OK\r\n\r\nhello", new String(data.tcpData()));
        peerSeq += data.tcpData().length;
        seg(ACK, 1024, null, new byte[0]);

        host.close(); // host closes: the guest gets a FIN
        Wire.Frame fin = expectTcp("FIN", FIN | ACK);
        assertEquals(peerSeq, fin.seq());
        peerSeq++;
        seg(FIN | ACK, 1024, null, new byte[0]);
        Wire.Frame last = expectTcp("ACK of the guest FIN", ACK);
        assertEquals(gseq, last.ack());
        // we closed first: TIME-WAIT, then the entry goes
        assertEquals(TcpConnection.State.TIME_WAIT, w.onLoop(() -> w.netdev.stack().tcp.connection(gport).state));
        for (int i = 0; i < 100 && w.onLoop(() -> w.netdev.stack().tcp.connectionCount()) > 0; i++) {
            Thread.sleep(100);
        }
        assertEquals(0, (int) w.onLoop(() -> w.netdev.stack().tcp.connectionCount()), "freed after TIME-WAIT");
        assertEquals(1, w.onLoop(() -> w.netdev.stack().loop.armedTimers()), "no timer left armed but the router advertisements'");
    }

    @Test
    void guestFinHalfClosesTheHostSocket() throws Exception {
        SocketChannel host = open(1024);
        seg(FIN | ACK, 1024, null, "bye".getBytes());
        expectTcp("ACK of FIN", ACK);
        assertEquals("bye", new String(read(host, 3)));
        assertEquals(-1, host.read(ByteBuffer.allocate(1)), "the host sees end of stream");
        host.write(ByteBuffer.wrap("still here".getBytes())); // CLOSE-WAIT: the other way still works
        Wire.Frame data = w.expect("data after the guest's FIN", f -> f.tcp(ACK) && f.tcpData().length > 0);
        assertEquals("still here", new String(data.tcpData()));
    }

    @Test
    void repeatedSynGetsTheSynAckAgain() throws Exception {
        w = new Wire(Map.of());
        seg(SYN, 65535, SYN_OPTS, new byte[0]);
        Wire.Frame first = expectTcp("SYN-ACK", SYN | ACK);
        gseq = 1000; // the guest lost the SYN-ACK and sends its SYN again
        seg(SYN, 65535, SYN_OPTS, new byte[0]);
        Wire.Frame again = expectTcp("the answer to the repeated SYN", 0);
        assertEquals(SYN | ACK, again.flags() & (SYN | ACK), "a SYN-ACK, not a bare ACK");
        assertEquals(first.seq(), again.seq());
        assertEquals(1001, again.ack());
        server.accept().close();
    }

    @Test
    void unacknowledgedDataIsRetransmitted() throws Exception {
        SocketChannel host = open(1024);
        host.write(ByteBuffer.wrap("once".getBytes()));
        Wire.Frame first = w.expect("data", f -> f.tcp(ACK) && f.tcpData().length > 0);
        Wire.Frame again = w.expect("retransmission", f -> f.tcp(ACK) && f.tcpData().length > 0);
        assertEquals(first.seq(), again.seq());
        assertArrayEquals(first.tcpData(), again.tcpData());
        peerSeq += 4;
        seg(ACK, 1024, null, new byte[0]);
        w.received.clear();
        assertTrue(w.collect(2500, f -> f.tcp(ACK) && f.tcpData().length > 0).isEmpty(), "acknowledged: no more retransmissions");
    }

    @Test
    void guestWindowIsScaled() throws Exception {
        SocketChannel host = open(1024); // 1024 << 7 = 128 KiB: more than an unscaled window can say
        writeSome(host, 600_000);
        ackEverySegment(200_000, 1024); // slow start takes the congestion window past 128 KiB
        int acked = peerSeq;
        List<Wire.Frame> got = w.collect(1500, f -> f.tcp(ACK) && f.tcpData().length > 0);
        int highest = got.stream().mapToInt(f -> f.seq() - acked + f.tcpData().length).max().orElse(0);
        assertEquals(131072, highest, "sent exactly up to the scaled window");
        assertTrue(got.stream().allMatch(f -> f.tcpData().length <= 1460), "segments within the MSS");
    }

    @Test
    void zeroWindowGetsProbesThenData() throws Exception {
        SocketChannel host = open(0);
        host.write(ByteBuffer.wrap("waiting".getBytes()));
        Wire.Frame probe = w.expect("zero-window probe", f -> f.tcp(ACK) && f.tcpData().length == 0 && f.seq() == peerSeq - 1);
        assertNotNull(probe);
        seg(ACK, 1024, null, new byte[0]); // the window opens
        Wire.Frame data = w.expect("data once the window opened", f -> f.tcp(ACK) && f.tcpData().length > 0);
        assertEquals("waiting", new String(data.tcpData()));
        assertEquals(peerSeq, data.seq());
    }

    @Test
    void guestThatNeverReadsHoldsBoundedMemory() throws Exception {
        SocketChannel host = open(0);
        host.configureBlocking(false);
        ByteBuffer chunk = ByteBuffer.allocate(64 * 1024);
        long written = 0;
        for (int i = 0; i < 200; i++) {
            chunk.clear();
            int n = host.write(chunk);
            written += n;
            if (n == 0) {
                Thread.sleep(20);
            }
        }
        long held = w.onLoop(() -> w.netdev.stack().tcp.bufferedBytes());
        assertTrue(held <= TcpConnection.BUFFER, "held " + held);
        assertTrue(written > held, "the host peer was stopped by TCP flow control, not by the stack's memory");
    }

    @Test
    void refusedConnectGetsReset() throws Exception {
        w = new Wire(Map.of());
        server.close(); // nothing listens any more
        seg(SYN, 65535, SYN_OPTS, new byte[0]);
        Wire.Frame rst = expectTcp("RST", RST | ACK);
        assertEquals(1001, rst.ack());
        assertEquals(0, (int) w.onLoop(() -> w.netdev.stack().tcp.connectionCount()));
    }

    @Test
    void restrictResetsGuestConnections() throws Exception {
        w = new Wire(Map.of("restrict", "on"));
        seg(SYN, 65535, SYN_OPTS, new byte[0]);
        expectTcp("RST", RST | ACK);
        server.configureBlocking(false);
        assertNull(server.accept(), "no host connection was made");
    }

    @Test
    void guestfwdReachesItsTargetEvenRestricted() throws Exception {
        w = new Wire(Map.of("restrict", "on", "guestfwd", "tcp:10.0.2.100:4444-tcp:127.0.0.1:" + port));
        w.send(Wire.arpRequest(Wire.GUEST, Wire.ip("10.0.2.100")));
        Wire.Frame arp = w.expect("ARP reply for the guestfwd server", f -> f.type() == 0x0806);
        assertEquals(Wire.ip("10.0.2.100"), Wire.i32(arp.b(), 28));
        int dst = Wire.ip("10.0.2.100");
        w.send(Wire.ip(Wire.GUEST, dst, 6, Wire.tcp(Wire.GUEST, dst, gport, 4444, gseq, 0, SYN, 65535, SYN_OPTS, new byte[0])));
        Wire.Frame sa = w.expect("SYN-ACK from the guestfwd server", f -> f.tcp(SYN | ACK));
        assertEquals(dst, sa.src());
        assertEquals(4444, sa.sport());
        SocketChannel host = server.accept();
        w.send(Wire.ip(Wire.GUEST, dst, 6, Wire.tcp(Wire.GUEST, dst, gport, 4444, gseq + 1, sa.seq() + 1, ACK | PSH, 1024, null,
                "fwd".getBytes())));
        assertEquals("fwd", new String(read(host, 3)));
        host.close();
    }

    @Test
    void segmentForNoConnectionGetsReset() throws Exception {
        w = new Wire(Map.ofEntries());
        peerSeq = 4242;
        seg(ACK, 100, null, "stray".getBytes());
        Wire.Frame rst = expectTcp("RST", RST);
        assertEquals(4242, rst.seq(), "seq taken from the stray segment's ACK");
    }

    @Test
    void hostfwdOpensTowardsTheGuest() throws Exception {
        w = new Wire(Map.of("hostfwd", "tcp:127.0.0.1:0-:22"));
        InetSocketAddress fwd = w.onLoop(() -> {
            try {
                return w.netdev.stack().tcp.forwardAddress(0);
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        });
        w.send(Wire.arpRequest(Wire.GUEST, Wire.GW)); // the stack learns the guest's MAC
        try (SocketChannel client = SocketChannel.open(fwd)) {
            Wire.Frame syn = w.expect("SYN to the guest", f -> f.tcp(SYN) && f.dport() == 22).verified();
            assertEquals(Wire.GUEST, syn.dst());
            assertEquals(Wire.GW, syn.src(), "the host peer appears as the gateway");
            assertArrayEquals(new byte[] {3}, syn.tcpOption(3), "offers window scaling");
            assertArrayEquals(new byte[0], syn.tcpOption(4), "offers SACK");
            assertEquals(8, syn.tcpOption(8).length, "offers timestamps");
            assertEquals(0, Wire.i32(syn.tcpOption(8), 4), "offers timestamps, TSecr 0");
            int sport = syn.sport();
            int iss = syn.seq();
            w.send(Wire.ip(Wire.GUEST, Wire.GW, 6, Wire.tcp(Wire.GUEST, Wire.GW, 22, sport, 7000, iss + 1, SYN | ACK, 65535,
                    new byte[] {2, 4, 0x05, (byte) 0xb4}, new byte[0])));
            Wire.Frame ack = w.expect("ACK of SYN-ACK", f -> f.tcp(ACK) && f.dport() == 22 && f.ack() == 7001);
            assertEquals(iss + 1, ack.seq());
            client.write(ByteBuffer.wrap("ssh?".getBytes()));
            Wire.Frame data = w.expect("forwarded data", f -> f.tcp(ACK) && f.dport() == 22 && f.tcpData().length > 0);
            assertEquals("ssh?", new String(data.tcpData()));
            assertNull(data.tcpOption(8), "the guest's SYN-ACK had no timestamps: none after it");
            w.send(Wire.ip(Wire.GUEST, Wire.GW, 6, Wire.tcp(Wire.GUEST, Wire.GW, 22, sport, 7001, iss + 5, ACK | PSH, 65535, null,
                    "SSH-2.0".getBytes())));
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            got.write(read(client, 7));
            assertEquals("SSH-2.0", got.toString());
        }
    }
    @Test
    void aBurstOfGuestDataGetsOneAck() throws Exception {
        SocketChannel host = open(1024);
        CountDownLatch release = stallLoop();
        for (int i = 0; i < 4; i++) {
            seg(ACK, 1024, null, new byte[] {(byte) i, 1, 2, 3, 4, 5, 6, 7, 8, 9});
        }
        release.countDown();
        byte[] got = read(host, 40);
        assertEquals(40, got.length);
        assertEquals(3, got[30], "in order");
        List<Wire.Frame> acks = w.collect(700, f -> f.tcp(ACK) && f.dport() == gport);
        assertEquals(1, acks.size(), "one ACK for the burst");
        assertEquals(gseq, acks.get(0).ack(), "it acknowledges all of it");
    }

    @Test
    void aLongBurstIsAcknowledgedEveryEightSegments() throws Exception {
        SocketChannel host = open(1024);
        int start = gseq;
        CountDownLatch release = stallLoop();
        for (int i = 0; i < 20; i++) {
            seg(ACK | (i == 19 ? PSH : 0), 1024, null, new byte[1460]); // pushed at its end, as a sender's write ends
        }
        release.countDown();
        assertEquals(20 * 1460, read(host, 20 * 1460).length);
        List<Wire.Frame> acks = w.collect(700, f -> f.tcp(ACK) && f.dport() == gport);
        assertEquals(List.of(start + 8 * 1460, start + 16 * 1460, start + 20 * 1460), acks.stream().map(Wire.Frame::ack).toList());
    }

    @Test
    void outOfOrderDataIsAnsweredAtOnceWithADuplicateAck() throws Exception {
        open(1024);
        int expected = gseq;
        gseq += 100; // the guest's first 100 bytes were lost
        seg(ACK, 1024, null, new byte[50]);
        Wire.Frame dup = expectTcp("duplicate ACK", ACK);
        assertEquals(expected, dup.ack());
    }
    @Test
    void outOfOrderDataIsHeldAndSacked() throws Exception {
        w = new Wire(Map.of());
        seg(SYN, 65535, SYN_OPTS_SACK, new byte[0]);
        Wire.Frame sa = expectTcp("SYN-ACK", SYN | ACK);
        assertArrayEquals(new byte[0], sa.tcpOption(4), "SACK permitted, answered");
        peerSeq = sa.seq() + 1;
        SocketChannel host = server.accept();
        seg(ACK, 1024, null, new byte[0]);
        int base = gseq;
        segAt(base + 200, ACK, filled('C', 100)); // A and B are late
        Wire.Frame dup = expectTcp("duplicate ACK", ACK);
        assertEquals(base, dup.ack());
        assertArrayEquals(sack(base + 200, base + 300), dup.tcpOption(5));
        segAt(base + 100, ACK, filled('B', 100));
        dup = expectTcp("second duplicate ACK", ACK);
        assertEquals(base, dup.ack());
        assertArrayEquals(sack(base + 100, base + 300), dup.tcpOption(5), "touching pieces are one block");

        host.write(ByteBuffer.wrap(new byte[3000])); // data for the guest meanwhile carries the SACK option too
        List<Wire.Frame> data = List.of(w.expect("data", f -> f.tcp(ACK) && f.tcpData().length > 0).verified(),
                w.expect("data", f -> f.tcp(ACK) && f.tcpData().length > 0).verified());
        for (Wire.Frame d : data) {
            assertArrayEquals(sack(base + 100, base + 300), d.tcpOption(5));
            assertTrue(d.ipLen() <= 1500, "the option comes out of the segment's data, not on top of the MTU: " + d.ipLen());
        }

        segAt(base, ACK, filled('A', 100)); // the hole is filled
        Wire.Frame all = w.expect("ACK of everything", f -> f.tcp(ACK) && f.tcpData().length == 0 && f.ack() == base + 300);
        assertNull(all.tcpOption(5), "nothing held: no SACK");
        byte[] got = read(host, 300);
        assertEquals("A".repeat(100) + "B".repeat(100) + "C".repeat(100), new String(got));
    }

    @Test
    void withoutSackOutOfOrderDataIsStillHeldAndAFinWithIt() throws Exception {
        SocketChannel host = open(1024);
        int base = gseq;
        segAt(base + 5, ACK | FIN, "world".getBytes());
        Wire.Frame dup = expectTcp("duplicate ACK", ACK);
        assertEquals(base, dup.ack());
        assertNull(dup.tcpOption(5), "no SACK unless the guest asked for it");
        segAt(base, ACK, "hello".getBytes());
        Wire.Frame all = w.expect("ACK of the data and the FIN", f -> f.tcp(ACK) && f.ack() == base + 11);
        assertNotNull(all);
        assertEquals("helloworld", new String(read(host, 10)));
        assertEquals(-1, host.read(ByteBuffer.allocate(1)), "the held FIN reached the host");
    }

    @Test
    void heldDataIsBounded() throws Exception {
        open(1024);
        int base = gseq;
        for (int i = 0; i < 100; i++) {
            segAt(base + 20 + 20 * i, ACK, new byte[10]); // a hole before each
        }
        w.collect(300, f -> true);
        assertEquals(OutOfOrderQueue.MAX_PIECES, (int) w.onLoop(() -> w.netdev.stack().tcp.connection(gport).outOfOrderPieces()));
        assertEquals(100 - OutOfOrderQueue.MAX_PIECES, w.netdev.stats().tcpOutOfOrderDropped);
        segAt(base + 300_000, ACK, new byte[10]); // beyond the advertised window: not held
        expectTcp("ACK for the segment outside the window", ACK);
        assertEquals(OutOfOrderQueue.MAX_PIECES * 10L, (long) w.onLoop(() -> w.netdev.stack().tcp.bufferedBytes()));
    }
    @Test
    void dataWaitsForRoomInAFullNicQueueAndResumes() throws Exception {
        SocketChannel host = open(65535); // an 8 MiB window: only the to-guest frame queue holds the data back
        host.write(ByteBuffer.wrap(new byte[40_000]));
        ackEverySegment(40_000, 65535); // the congestion window opens past the queue's free slots
        w.received.clear();
        w.canReceive = false; // the NIC's receive ring is full
        int pings = UserNetdev.QUEUE_FRAMES - TcpConnection.QUEUE_RESERVE - 10;
        for (int i = 0; i < pings; i++) {
            w.send(Wire.ip(Wire.GUEST, Wire.GW, 1, Wire.icmpEcho(9, i, new byte[4])));
        }
        w.onLoop(() -> 0); // the echo replies are queued before the data comes
        int total = 100_000;
        host.write(ByteBuffer.wrap(new byte[total]));
        for (int i = 0; i < 100 && !w.netdev.stack().roomWanted; i++) {
            Thread.sleep(50);
        }
        assertTrue(w.netdev.stack().roomWanted, "TCP stopped at the queue's reserve");
        assertEquals(0, w.netdev.stats().toGuestDropped, "nothing dropped: the echo replies fit, TCP waits");
        w.canReceive = true;
        w.netdev.receiveReady();
        int from = peerSeq;
        ackEverySegment(total, 65535); // all of it arrives in order once the NIC takes frames again
        assertEquals(total, peerSeq - from);
        assertEquals(0, w.netdev.stats().tcpTimeouts, "no segment was lost meanwhile: nothing timed out");
    }
}
