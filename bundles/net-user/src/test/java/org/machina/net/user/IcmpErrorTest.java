package org.machina.net.user;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** ICMP destination unreachable to the guest (RFC 792, RFC 1122 3.2.2): when, what it quotes, when not. */
class IcmpErrorTest {
    private static final NetConfig CFG = NetConfig.parse(Map.of());

    /** A UDP port on 127.0.0.1 that nothing listens on now (bound, then closed). */
    private static int refusingPort() throws IOException {
        try (DatagramChannel ch = DatagramChannel.open()) {
            ch.bind(new InetSocketAddress("127.0.0.1", 0));
            return ((InetSocketAddress) ch.getLocalAddress()).getPort();
        }
    }

    /** The next port unreachable the stack sends, checked for its checksums, addresses and quote of {@code sent}. */
    private static void expectPortUnreachable(Wire w, byte[] sent) {
        Wire.Frame r = w.expect("ICMP port unreachable", f -> f.isIp(Ipv4.ICMP) && (f.b()[f.l4()] & 0xff) == 3).verified();
        byte[] b = r.b();
        assertEquals(0, Wire.sum(0, b, r.l4(), r.ipLen() - r.ihl()), "ICMP checksum");
        assertEquals(IcmpError.PORT_UNREACHABLE, b[r.l4() + 1], "code");
        assertEquals(Wire.GW, r.src(), "from the host that refused (the gateway, which is the host's loopback)");
        assertEquals(Wire.GUEST, r.dst());
        byte[] quote = Arrays.copyOfRange(b, r.l4() + 8, 14 + r.ipLen());
        assertArrayEquals(Arrays.copyOfRange(sent, 14, 14 + 20 + 8), quote, "the IP header and 8 data bytes as sent");
    }

    @Test
    void udpToAHostPortThatRefusesGetsPortUnreachableAndTheFlowLaterReachesIt() throws Exception {
        int port = refusingPort();
        try (Wire w = new Wire(Map.of())) {
            byte[] sent = Wire.ip(Wire.GUEST, Wire.GW, Ipv4.UDP, Wire.udp(Wire.GUEST, Wire.GW, 40002, port, "first".getBytes()));
            w.send(sent);
            expectPortUnreachable(w, sent);
            try (DatagramChannel server = DatagramChannel.open()) {
                server.bind(new InetSocketAddress("127.0.0.1", port));
                roundTrip(w, server, 40002, "second");
            }
        }
    }

    /** {@code data} from guest port {@code guestPort} to {@code server} (through the gateway) and an answer back. */
    private static void roundTrip(Wire w, DatagramChannel server, int guestPort, String data) throws IOException {
        int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
        w.send(Wire.ip(Wire.GUEST, Wire.GW, Ipv4.UDP, Wire.udp(Wire.GUEST, Wire.GW, guestPort, port, data.getBytes())));
        ByteBuffer got = ByteBuffer.allocate(64);
        InetSocketAddress from = (InetSocketAddress) server.receive(got);
        assertEquals(data, new String(got.array(), 0, got.position()));
        server.send(ByteBuffer.wrap("back".getBytes()), from);
        Wire.Frame r = w.expect("the reply", f -> f.isIp(Ipv4.UDP)).verified();
        assertEquals(port, r.sport());
        assertEquals("back", new String(r.udpData()));
    }

    @Test
    void everyDestinationOfAFlowAndEveryDatagramGetsItsOwnPortUnreachable() throws Exception {
        int[] ports = new int[6];
        DatagramChannel[] bound = new DatagramChannel[ports.length];
        for (int i = 0; i < ports.length; i++) {
            bound[i] = DatagramChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
            ports[i] = ((InetSocketAddress) bound[i].getLocalAddress()).getPort();
        }
        for (DatagramChannel c : bound) {
            c.close();
        }
        try (Wire w = new Wire(Map.of())) {
            for (int i = 0; i < ports.length; i++) {
                byte[] sent = Wire.ip(Wire.GUEST, Wire.GW, Ipv4.UDP,
                        Wire.udp(Wire.GUEST, Wire.GW, 40005, ports[i], ("to " + i).getBytes()));
                w.send(sent);
                expectPortUnreachable(w, sent);
            }
            // back to back to one port: the second send meets the first one's error (told once) and is made
            // all the same; each error quotes its own datagram (its UDP header: another length and checksum)
            byte[] a = Wire.ip(Wire.GUEST, Wire.GW, Ipv4.UDP, Wire.udp(Wire.GUEST, Wire.GW, 40005, ports[0], "a".getBytes()));
            byte[] b = Wire.ip(Wire.GUEST, Wire.GW, Ipv4.UDP, Wire.udp(Wire.GUEST, Wire.GW, 40005, ports[0], "bb".getBytes()));
            w.send(a);
            w.send(b);
            expectPortUnreachable(w, a);
            expectPortUnreachable(w, b);
            assertEquals(ports.length + 2L, (long) w.onLoop(() -> w.netdev.stats().udpErrorsRelayed));
        }
    }

    @Test
    void withoutTheCLibraryUdpStillPassesThroughJavasSockets() throws Exception {
        Stack.Host noLibc = new Stack.Host(() -> {
            throw new UnsupportedOperationException("no C library in this test");
        }, IcmpEchoTest::route, 10_000);
        try (Wire w = new Wire(Map.of(), noLibc); DatagramChannel server = DatagramChannel.open()) {
            server.bind(new InetSocketAddress("127.0.0.1", 0));
            roundTrip(w, server, 40006, "through nio");
        }
    }

    @Test
    void udpOverIpv6ToAPortThatRefusesGetsIcmpv6PortUnreachable() throws Exception {
        int port;
        try (DatagramChannel ch = DatagramChannel.open()) {
            ch.bind(new InetSocketAddress("::1", 0));
            port = ((InetSocketAddress) ch.getLocalAddress()).getPort();
        }
        try (Wire w = new Wire(Map.of())) {
            byte[] sent = Wire6.udp(Wire6.GUEST, Wire6.GW, 40004, port, "anyone there?".getBytes());
            w.send(sent);
            Wire6.F r = new Wire6.F(w.expect("ICMPv6 destination unreachable", f -> Wire6.F.isIcmp(f, 1)).b()).verified();
            assertEquals(IcmpError.PORT_UNREACHABLE6, r.u8(1), "code: port unreachable");
            assertArrayEquals(Wire6.GW, r.src(), "from the address sent to");
            assertArrayEquals(Wire6.GUEST, r.dst());
            assertArrayEquals(Arrays.copyOfRange(sent, 14, sent.length), r.bytes(8, sent.length - 14), "the whole packet quoted");
        }
    }

    @Test
    void aFragmentedDatagramIsQuotedByItsFirstFragment() throws Exception {
        int port = refusingPort();
        try (Wire w = new Wire(Map.of())) {
            byte[] udp = Wire.udp(Wire.GUEST, Wire.GW, 40003, port, new byte[100]);
            byte[] first = Wire.ipFrame(Wire.GUEST, Wire.GW, Ipv4.UDP, 77, 0x2000, Arrays.copyOfRange(udp, 0, 64));
            byte[] second = Wire.ipFrame(Wire.GUEST, Wire.GW, Ipv4.UDP, 77, 64 / 8, Arrays.copyOfRange(udp, 64, udp.length));
            w.send(second);
            w.send(first);
            expectPortUnreachable(w, first);
        }
    }

    /** A datagram as {@link Ipv4} hands it on: the frame, the IP header up to {@code off}. */
    private static Ipv4.Datagram datagram(byte[] frame) {
        int ihl = (frame[14] & 0xf) * 4;
        return new Ipv4.Datagram(Wire.i32(frame, 26), Wire.i32(frame, 30), frame[23] & 0xff, 64, frame, 14 + ihl,
                Wire.u16(frame, 16) - ihl);
    }

    @Test
    void quoteIsTheHeaderAndEightBytesOfAnAnswerableDatagram() {
        byte[] f = Wire.ip(Wire.GUEST, Wire.GW, Ipv4.UDP, Wire.udp(Wire.GUEST, Wire.GW, 1, 2, new byte[40]));
        assertArrayEquals(Arrays.copyOfRange(f, 14, 42), IcmpError.quote(datagram(f), CFG));
        byte[] shortOne = Wire.ip(Wire.GUEST, Wire.GW, 200, new byte[3]);
        assertArrayEquals(Arrays.copyOfRange(shortOne, 14, 37), IcmpError.quote(datagram(shortOne), CFG), "fewer than 8 data bytes: all of them");
        byte[] echo = Wire.ip(Wire.GUEST, Wire.GW, Ipv4.ICMP, Wire.icmpEcho(1, 1, new byte[8]));
        assertNotNull(IcmpError.quote(datagram(echo), CFG), "an echo request is no error message");
    }

    @Test
    void noErrorAboutErrorsBroadcastsOrLaterFragments() {
        byte[] udp = Wire.udp(Wire.GUEST, Wire.GW, 1, 2, new byte[8]);
        byte[] unreachable = new byte[36];
        unreachable[0] = 3;
        assertNull(IcmpError.quote(datagram(Wire.ip(Wire.GUEST, Wire.GW, Ipv4.ICMP, unreachable)), CFG), "an ICMP error");
        unreachable[0] = 11;
        assertNull(IcmpError.quote(datagram(Wire.ip(Wire.GUEST, Wire.GW, Ipv4.ICMP, unreachable)), CFG), "time exceeded");
        assertNull(IcmpError.quote(datagram(Wire.ip(Wire.GUEST, -1, Ipv4.UDP, udp)), CFG), "to 255.255.255.255");
        assertNull(IcmpError.quote(datagram(Wire.ip(Wire.GUEST, Wire.ip("10.0.2.255"), Ipv4.UDP, udp)), CFG), "to the subnet broadcast");
        assertNull(IcmpError.quote(datagram(Wire.ip(Wire.GUEST, Wire.ip("224.0.0.251"), Ipv4.UDP, udp)), CFG), "to multicast");
        assertNull(IcmpError.quote(datagram(Wire.ip(0, Wire.GW, Ipv4.UDP, udp)), CFG), "from 0.0.0.0");
        assertNull(IcmpError.quote(datagram(Wire.ip(Wire.ip("127.0.0.1"), Wire.GW, Ipv4.UDP, udp)), CFG), "from loopback");
        assertNull(IcmpError.quote(datagram(Wire.ipFrame(Wire.GUEST, Wire.GW, Ipv4.UDP, 9, 0x2000 | 8, udp)), CFG),
                "a fragment other than the first");
        byte[] linkBroadcast = Wire.ip(Wire.GUEST, Wire.GW, Ipv4.UDP, udp);
        Arrays.fill(linkBroadcast, 0, 6, (byte) -1);
        assertNull(IcmpError.quote(datagram(linkBroadcast), CFG), "a link-layer broadcast");
    }

    @Test
    void anIpv6QuoteStopsAtTheMinimumMtuAndIsNeverAboutMulticast() {
        byte[] big = Wire6.udp(Wire6.GUEST, Wire6.GW, 1, 2, new byte[1400]);
        assertEquals(1280 - 40 - 8, IcmpError.quote6(big, big.length).length, "within 1280 bytes with the IPv6 and ICMPv6 headers");
        byte[] toAll = Wire6.packet(Wire6.GW_MAC, Wire6.GUEST, Wire6.ALL_NODES, 17, 64, new byte[8]);
        assertNull(IcmpError.quote6(toAll, toAll.length), "to a multicast address");
        byte[] fromNone = Wire6.packet(Wire6.GW_MAC, new byte[16], Wire6.GW, 17, 64, new byte[8]);
        assertNull(IcmpError.quote6(fromNone, fromNone.length), "from ::");
        byte[] linkMulticast = Wire6.packet(new byte[] {0x33, 0x33, 0, 0, 0, 1}, Wire6.GUEST, Wire6.GW, 17, 64, new byte[8]);
        assertNull(IcmpError.quote6(linkMulticast, linkMulticast.length), "a link-layer multicast");
    }

    @Test
    void theRateLimitAllowsABurstThenItsRate() {
        long[] now = {5_000_000_000L};
        RateLimit r = new RateLimit(3, 10, () -> now[0]);
        assertTrue(r.take());
        assertTrue(r.take());
        assertTrue(r.take());
        assertFalse(r.take(), "the burst is used up");
        now[0] += 50_000_000; // half of 1/10 s
        assertFalse(r.take());
        now[0] += 50_000_000;
        assertTrue(r.take(), "one token after 1/10 s");
        assertFalse(r.take());
        now[0] += 60_000_000_000L;
        for (int i = 0; i < 3; i++) {
            assertTrue(r.take());
        }
        assertFalse(r.take(), "never more than the burst saved up");
    }

    @Test
    void aConnectWithNoRouteIsUnreachableOthersAreReset() {
        assertEquals(IcmpError.HOST_UNREACHABLE, Tcp.unreachableCode(new NoRouteToHostException("No route to host")));
        assertEquals(IcmpError.NET_UNREACHABLE, Tcp.unreachableCode(new SocketException("Network is unreachable")));
        assertEquals(-1, Tcp.unreachableCode(new ConnectException("Connection refused")));
        assertEquals(-1, Tcp.unreachableCode(new SocketException("Connection reset")));
    }
}
