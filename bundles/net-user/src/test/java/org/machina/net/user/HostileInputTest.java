package org.machina.net.user;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Malformed frames, fragment floods, SYN floods: bounded memory, counted, other traffic unharmed. */
class HostileInputTest {
    static final int ACK = 0x10, SYN = 0x02, PSH = 0x08;

    private static void pingWorks(Wire w, int seq) {
        w.send(Wire.ip(Wire.GUEST, Wire.GW, 1, Wire.icmpEcho(0xabc, seq, new byte[16])));
        Wire.Frame r = w.expect("echo reply " + seq, f -> f.isIp(1) && Wire.u16(f.b(), f.l4() + 6) == seq);
        assertEquals(Wire.GW, r.src());
    }

    @Test
    void malformedFramesAreCountedAndDropped() throws Exception {
        try (Wire w = new Wire(Map.of())) {
            Random rnd = new Random(17);
            byte[] good = Wire.ip(Wire.GUEST, Wire.GW, 6, Wire.tcp(Wire.GUEST, Wire.GW, 1, 2, 3, 4, ACK, 5, null, new byte[10]));
            for (int i = 0; i < 3000; i++) {
                byte[] f;
                switch (i % 6) {
                    case 0 -> { // random bytes, random length
                        f = new byte[rnd.nextInt(100)];
                        rnd.nextBytes(f);
                    }
                    case 1 -> { // a good frame cut short anywhere
                        f = java.util.Arrays.copyOf(good, rnd.nextInt(good.length));
                    }
                    case 2 -> { // one bit flipped in a good frame
                        f = good.clone();
                        f[14 + rnd.nextInt(f.length - 14)] ^= (byte) (1 << rnd.nextInt(8));
                    }
                    case 3 -> { // IPv4 with the header length or total length lying
                        f = good.clone();
                        f[14] = (byte) (0x40 | rnd.nextInt(16));
                        Wire.put16(f, 16, rnd.nextInt(65536));
                    }
                    case 4 -> { // DHCP with an option running past the end
                        byte[] b = DhcpTest.bootp(i, Wire.GUEST_MAC, 1, 0, 0);
                        b[240 + 3] = 50;
                        b[240 + 4] = (byte) 250;
                        f = Wire.ip(0, -1, 17, Wire.udp(0, -1, 68, 67, b));
                    }
                    default -> { // TCP with garbage options
                        byte[] opts = new byte[8];
                        rnd.nextBytes(opts);
                        f = Wire.ip(Wire.GUEST, Wire.GW, 6, Wire.tcp(Wire.GUEST, Wire.GW, 9, 9, 0, 0, SYN, 5, opts, new byte[0]));
                    }
                }
                w.send(f);
            }
            pingWorks(w, 1);
            long malformed = w.onLoop(() -> w.netdev.stats().malformed);
            assertTrue(malformed > 1000, "counted: " + malformed);
        }
    }

    @Test
    void fragmentFloodIsBounded() throws Exception {
        try (Wire w = new Wire(Map.of())) {
            byte[] piece = new byte[1024];
            for (int id = 0; id < 5000; id++) {
                // first fragments only: never complete
                w.send(Wire.ipFrame(Wire.GUEST, Wire.GW, 17, id, 0x2000, piece));
                if (id % 500 == 0) {
                    int inProgress = w.onLoop(() -> w.netdev.stack().reassembly.inProgress());
                    int held = w.onLoop(() -> w.netdev.stack().reassembly.heldBytes());
                    assertTrue(inProgress <= Reassembly.MAX_DATAGRAMS, "in progress " + inProgress);
                    assertTrue(held <= Reassembly.MAX_BYTES, "held " + held);
                }
            }
            assertTrue(w.onLoop(() -> w.netdev.stats().fragmentsEvicted) >= 5000 - Reassembly.MAX_DATAGRAMS);
            // a real fragmented datagram still gets through after the flood
            byte[] icmp = Wire.icmpEcho(1, 42, new byte[2000]);
            w.send(Wire.ipFrame(Wire.GUEST, Wire.GW, 1, 60000, 0x2000, java.util.Arrays.copyOfRange(icmp, 0, 1480)));
            w.send(Wire.ipFrame(Wire.GUEST, Wire.GW, 1, 60000, 1480 / 8, java.util.Arrays.copyOfRange(icmp, 1480, icmp.length)));
            w.expect("reply to the reassembled echo", f -> f.isIp(1));
        }
    }

    @Test
    void synFloodIsBoundedAndEstablishedConnectionsGoOn() throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open(); Wire w = new Wire(Map.of())) {
            server.bind(new InetSocketAddress("127.0.0.1", 0), 1024);
            int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
            // one real connection first
            w.send(Wire.ip(Wire.GUEST, Wire.GW, 6, Wire.tcp(Wire.GUEST, Wire.GW, 40000, port, 100, 0, SYN, 65535, null, new byte[0])));
            Wire.Frame sa = w.expect("SYN-ACK", f -> f.tcp(SYN | ACK) && f.dport() == 40000);
            int peer = sa.seq() + 1;
            w.send(Wire.ip(Wire.GUEST, Wire.GW, 6, Wire.tcp(Wire.GUEST, Wire.GW, 40000, port, 101, peer, ACK, 65535, null, new byte[0])));
            SocketChannel host = server.accept();
            // the flood: SYNs from 2000 ports, never completing the handshake
            for (int p = 0; p < 2000; p++) {
                w.send(Wire.ip(Wire.GUEST, Wire.GW, 6, Wire.tcp(Wire.GUEST, Wire.GW, 1024 + p, port, p, 0, SYN, 65535, null, new byte[0])));
            }
            int halfOpen = w.onLoop(() -> w.netdev.stack().tcp.halfOpenCount());
            assertTrue(halfOpen <= Tcp.MAX_HALF_OPEN, "half-open " + halfOpen);
            assertTrue(w.onLoop(() -> w.netdev.stats().synDropped) >= 2000 - Tcp.MAX_HALF_OPEN);
            assertTrue(w.onLoop(() -> w.netdev.stack().tcp.connectionCount()) <= Tcp.MAX_HALF_OPEN + 1);
            // the established connection still carries data
            w.send(Wire.ip(Wire.GUEST, Wire.GW, 6, Wire.tcp(Wire.GUEST, Wire.GW, 40000, port, 101, peer, ACK | PSH, 65535, null,
                    "alive".getBytes())));
            assertEquals("alive", new String(TcpTest.read(host, 5)));
            host.close();
        }
    }

    @Test
    void fullNicQueueDropsDatagramsButNotTheStack() throws Exception {
        try (Wire w = new Wire(Map.of())) {
            w.canReceive = false; // a NIC whose receive ring is full
            for (int i = 0; i < UserNetdev.QUEUE_FRAMES + 100; i++) {
                w.send(Wire.ip(Wire.GUEST, Wire.GW, 1, Wire.icmpEcho(1, i, new byte[8])));
            }
            long dropped = w.onLoop(() -> w.netdev.stats().toGuestDropped);
            assertTrue(dropped >= 100, "dropped " + dropped);
            assertTrue(w.received.isEmpty());
            w.canReceive = true;
            w.netdev.receiveReady();
            w.expect("queued replies are delivered once the NIC can receive", f -> f.isIp(1));
            w.received.clear();
            pingWorks(w, 9999);
        }
    }

    @Test
    void dataFromAStalledHostStaysBounded() throws Exception {
        // covered with real sockets in TcpTest.guestThatNeverReadsHoldsBoundedMemory; here the other way:
        // a host peer that never reads closes the guest's window instead of growing a buffer
        try (ServerSocketChannel server = ServerSocketChannel.open(); Wire w = new Wire(Map.of())) {
            server.setOption(java.net.StandardSocketOptions.SO_RCVBUF, 4096);
            server.bind(new InetSocketAddress("127.0.0.1", 0));
            int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
            w.send(Wire.ip(Wire.GUEST, Wire.GW, 6, Wire.tcp(Wire.GUEST, Wire.GW, 40001, port, 0, 0, SYN, 65535, TcpTest.SYN_OPTS,
                    new byte[0])));
            Wire.Frame sa = w.expect("SYN-ACK", f -> f.tcp(SYN | ACK));
            int peer = sa.seq() + 1;
            int seq = 1;
            w.send(Wire.ip(Wire.GUEST, Wire.GW, 6, Wire.tcp(Wire.GUEST, Wire.GW, 40001, port, seq, peer, ACK, 1024, null, new byte[0])));
            SocketChannel host = server.accept(); // accepted, never read
            byte[] chunk = new byte[1400];
            int window = 1;
            for (int i = 0; i < 20000 && window > 0; i++) {
                w.send(Wire.ip(Wire.GUEST, Wire.GW, 6, Wire.tcp(Wire.GUEST, Wire.GW, 40001, port, seq, peer, ACK, 1024, null, chunk)));
                Wire.Frame a = w.expect("ACK", f -> f.tcp(ACK) && f.dport() == 40001);
                seq = a.ack();
                window = a.window();
            }
            assertEquals(0, window, "the window closed");
            long held = w.onLoop(() -> w.netdev.stack().tcp.bufferedBytes());
            assertTrue(held <= TcpConnection.BUFFER, "held " + held);
            // the host starts reading: the stack tells the guest its window opened (a window update)
            w.received.clear();
            host.configureBlocking(false);
            Thread reader = Thread.ofPlatform().start(() -> {
                ByteBuffer b = ByteBuffer.allocate(65536);
                try {
                    for (int idle = 0; idle < 50;) {
                        b.clear();
                        idle = host.read(b) > 0 ? 0 : idle + 1;
                        Thread.sleep(10);
                    }
                } catch (Exception e) {
                    // closed
                }
            });
            Wire.Frame update = w.expect("window update", f -> f.tcp(ACK) && f.dport() == 40001 && f.window() > 0);
            assertEquals(seq, update.ack());
            reader.join();
            host.close();
        }
    }
}
