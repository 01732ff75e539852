package org.machina.net.user;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** UDP NAT to host loopback (through the gateway address), the DNS forwarder, restrict=on. */
class UdpDnsTest {
    static DatagramChannel loopbackUdp() throws Exception {
        DatagramChannel ch = DatagramChannel.open();
        ch.bind(new InetSocketAddress("127.0.0.1", 0));
        return ch;
    }

    static ByteBuffer receive(DatagramChannel ch, InetSocketAddress[] from) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(2048);
        from[0] = (InetSocketAddress) ch.receive(b);
        b.flip();
        return b;
    }

    @Test
    void udpToTheGatewayReachesHostLoopbackAndBack() throws Exception {
        try (Wire w = new Wire(Map.of()); DatagramChannel server = loopbackUdp()) {
            int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
            w.send(Wire.ip(Wire.GUEST, Wire.GW, 17, Wire.udp(Wire.GUEST, Wire.GW, 40000, port, "hello host".getBytes())));
            InetSocketAddress[] from = new InetSocketAddress[1];
            ByteBuffer got = receive(server, from);
            assertEquals("hello host", new String(got.array(), 0, got.limit()));
            assertTrue(from[0].getAddress().isLoopbackAddress() || from[0].getAddress().isAnyLocalAddress());
            server.send(ByteBuffer.wrap("hello guest".getBytes()), from[0]);
            Wire.Frame r = w.expect("UDP reply", f -> f.isIp(17)).verified();
            assertEquals(Wire.GW, r.src(), "loopback appears as the gateway");
            assertEquals(port, r.sport());
            assertEquals(40000, r.dport());
            assertEquals("hello guest", new String(r.udpData()));
        }
    }

    @Test
    void aReplyFromAnotherPortOfThePeerReachesTheGuest() throws Exception {
        // as a TFTP server answers a read request from a port of its own
        try (Wire w = new Wire(Map.of()); DatagramChannel server = loopbackUdp(); DatagramChannel other = loopbackUdp()) {
            int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
            int otherPort = ((InetSocketAddress) other.getLocalAddress()).getPort();
            w.send(Wire.ip(Wire.GUEST, Wire.GW, 17, Wire.udp(Wire.GUEST, Wire.GW, 40010, port, "RRQ".getBytes())));
            InetSocketAddress[] from = new InetSocketAddress[1];
            assertEquals("RRQ", new String(receive(server, from).array(), 0, 3));
            other.send(ByteBuffer.wrap("DATA".getBytes()), from[0]);
            Wire.Frame r = w.expect("the answer from the other port", f -> f.isIp(17)).verified();
            assertEquals(otherPort, r.sport());
            assertEquals(40010, r.dport());
            assertEquals("DATA", new String(r.udpData()));
            // and the guest's next datagram to that port leaves from the same host port
            w.send(Wire.ip(Wire.GUEST, Wire.GW, 17, Wire.udp(Wire.GUEST, Wire.GW, 40010, otherPort, "ACK".getBytes())));
            InetSocketAddress[] from2 = new InetSocketAddress[1];
            assertEquals("ACK", new String(receive(other, from2).array(), 0, 3));
            assertEquals(from[0].getPort(), from2[0].getPort(), "one host port per guest port");
        }
    }

    /** A DNS-shaped query (header, one question) with id {@code id}. */
    static byte[] query(int id, String name) {
        ByteBuffer b = ByteBuffer.allocate(512);
        b.putShort((short) id).putShort((short) 0x0100).putShort((short) 1).putShort((short) 0).putInt(0);
        for (String l : name.split("\\.")) {
            b.put((byte) l.length()).put(l.getBytes());
        }
        b.put((byte) 0).putShort((short) 1).putShort((short) 1);
        return Arrays.copyOf(b.array(), b.position());
    }

    @Test
    void dnsIsForwardedToTheConfiguredUpstream() throws Exception {
        try (DatagramChannel upstream = loopbackUdp()) {
            int port = ((InetSocketAddress) upstream.getLocalAddress()).getPort();
            try (Wire w = new Wire(Map.of("dns-upstream", "127.0.0.1:" + port))) {
                byte[] q = query(0xbeef, "machina.test");
                w.send(Wire.ip(Wire.GUEST, Wire.DNS, 17, Wire.udp(Wire.GUEST, Wire.DNS, 33333, 53, q)));
                InetSocketAddress[] from = new InetSocketAddress[1];
                ByteBuffer got = receive(upstream, from);
                assertArrayEquals(q, Arrays.copyOf(got.array(), got.limit()), "the query reaches the upstream unchanged");
                byte[] answer = q.clone();
                answer[2] |= (byte) 0x80; // QR: a response
                upstream.send(ByteBuffer.wrap(answer), from[0]);
                Wire.Frame r = w.expect("DNS answer", f -> f.isIp(17)).verified();
                assertEquals(Wire.DNS, r.src());
                assertEquals(53, r.sport());
                assertEquals(33333, r.dport());
                assertArrayEquals(answer, r.udpData());
                assertEquals(0, (int) w.onLoop(() -> w.netdev.stack().dns.pendingCount()), "the query is finished");
            }
        }
    }

    @Test
    void restrictBlocksNatButServesDhcp() throws Exception {
        try (Wire w = new Wire(Map.of("restrict", "on")); DatagramChannel server = loopbackUdp()) {
            server.configureBlocking(false);
            int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
            w.send(Wire.ip(Wire.GUEST, Wire.GW, 17, Wire.udp(Wire.GUEST, Wire.GW, 40000, port, "x".getBytes())));
            w.send(Wire.ip(0, -1, 17, Wire.udp(0, -1, 68, 67, DhcpTest.bootp(1, Wire.GUEST_MAC, 1, 0, 0))));
            w.expect("DHCP offer even restricted", f -> f.isIp(17) && f.dport() == 68);
            assertEquals(1L, (long) w.onLoop(() -> w.netdev.stats().restricted));
            assertEquals(null, server.receive(ByteBuffer.allocate(16)), "nothing reached the host");
        }
    }

    @Test
    void udpHostfwdRelaysBothWays() throws Exception {
        try (Wire w = new Wire(Map.of("hostfwd", "udp:127.0.0.1:0-:5000")); DatagramChannel peer = loopbackUdp()) {
            w.send(Wire.arpRequest(Wire.GUEST, Wire.GW)); // the stack learns the guest's MAC
            w.expect("ARP reply", f -> f.type() == 0x0806);
            InetSocketAddress fwd = w.onLoop(() -> w.netdev.stack().udp.forwardAddress(0));
            peer.send(ByteBuffer.wrap("to guest".getBytes()), fwd);
            Wire.Frame in = w.expect("forwarded datagram", f -> f.isIp(17)).verified();
            assertEquals(Wire.GUEST, in.dst());
            assertEquals(5000, in.dport());
            assertEquals(Wire.GW, in.src(), "a loopback peer appears as the gateway");
            assertEquals("to guest", new String(in.udpData()));
            // the guest answers the address and port it saw: the answer reaches the peer
            w.send(Wire.ip(Wire.GUEST, in.src(), 17, Wire.udp(Wire.GUEST, in.src(), 5000, in.sport(), "to peer".getBytes())));
            InetSocketAddress[] from = new InetSocketAddress[1];
            ByteBuffer got = receive(peer, from);
            assertEquals("to peer", new String(got.array(), 0, got.limit()));
            assertEquals(fwd.getPort(), from[0].getPort(), "from the forwarded port");
        }
    }

    @Test
    void udpFlowTableIsBounded() throws Exception {
        try (Wire w = new Wire(Map.of()); DatagramChannel sink = loopbackUdp()) {
            int port = ((InetSocketAddress) sink.getLocalAddress()).getPort();
            for (int p = 0; p < Udp.MAX_FLOWS + 20; p++) {
                w.send(Wire.ip(Wire.GUEST, Wire.GW, 17, Wire.udp(Wire.GUEST, Wire.GW, 20000 + p, port, new byte[] {1})));
            }
            assertEquals(Udp.MAX_FLOWS, (int) w.onLoop(() -> w.netdev.stack().udp.flowCount()));
            assertEquals(20L, (long) w.onLoop(() -> w.netdev.stats().udpFlowsEvicted));
        }
    }

    @Test
    void dnsQueriesInFlightAreBounded() throws Exception {
        try (DatagramChannel upstream = loopbackUdp()) { // never answers
            int port = ((InetSocketAddress) upstream.getLocalAddress()).getPort();
            try (Wire w = new Wire(Map.of("dns-upstream", "127.0.0.1:" + port))) {
                for (int i = 0; i < Dns.MAX_PENDING + 50; i++) {
                    w.send(Wire.ip(Wire.GUEST, Wire.DNS, 17, Wire.udp(Wire.GUEST, Wire.DNS, 30000 + i, 53, query(i, "a.test"))));
                }
                assertEquals(Dns.MAX_PENDING, (int) w.onLoop(() -> w.netdev.stack().dns.pendingCount()));
                assertEquals(50L, (long) w.onLoop(() -> w.netdev.stats().dnsDropped));
            }
        }
    }
}
