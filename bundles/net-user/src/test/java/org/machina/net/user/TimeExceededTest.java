package org.machina.net.user;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.machina.host.posix.FfmLibc;

/**
 * The stack as the router of NATed traffic: a guest packet to an outside host with a TTL / hop
 * limit of 1 is not forwarded but answered with time exceeded from the gateway (RFC 792, RFC 1812
 * 5.3.1, RFC 4443 3.3); one with 2 is forwarded; one to the gateway itself is delivered whatever its
 * TTL. And a NATed TCP connect that fails with no route: ICMP / ICMPv6 destination unreachable. The
 * outside addresses are {@link IcmpEchoTest#OUTSIDE} and {@link IcmpEchoTest#OUTSIDE6}, which the
 * test's route sends to 127.0.0.1 and ::1: nothing leaves the machine.
 */
class TimeExceededTest {
    static final int SYN = 0x02, ACK = 0x10;

    /** The frame with its IPv4 TTL set (and the header checksum redone). */
    static byte[] ttl(byte[] f, int ttl) {
        f[14 + 8] = (byte) ttl;
        Wire.put16(f, 24, 0);
        Wire.put16(f, 24, Wire.sum(0, f, 14, 20));
        return f;
    }

    /** The frame with its IPv6 hop limit set. */
    static byte[] hops(byte[] f, int hops) {
        f[14 + 7] = (byte) hops;
        return f;
    }

    private static DatagramChannel udpServer(String addr) throws Exception {
        DatagramChannel s = DatagramChannel.open();
        s.bind(new InetSocketAddress(addr, 0));
        s.configureBlocking(false);
        return s;
    }

    private static int port(DatagramChannel s) throws Exception {
        return ((InetSocketAddress) s.getLocalAddress()).getPort();
    }

    /** What the server got within a while, or null. */
    private static String received(DatagramChannel s, long ms) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(2048);
        long end = System.nanoTime() + ms * 1_000_000;
        while (s.receive(b) == null) {
            if (System.nanoTime() > end) {
                return null;
            }
            Thread.sleep(5);
        }
        return new String(b.array(), 0, b.position());
    }

    /** The next ICMP time exceeded, checked: code 0, from the gateway, quoting {@code sent}'s header and 8 bytes. */
    private static void expectTimeExceeded(Wire w, byte[] sent) {
        Wire.Frame r = w.expect("time exceeded", f -> f.isIp(Ipv4.ICMP) && (f.b()[f.l4()] & 0xff) == 11).verified();
        assertEquals(0, r.b()[r.l4() + 1], "code 0: TTL exceeded in transit");
        assertEquals(0, Wire.sum(0, r.b(), r.l4(), r.ipLen() - r.ihl()), "ICMP checksum");
        assertEquals(Wire.GW, r.src(), "from the gateway, the router");
        assertEquals(Wire.GUEST, r.dst());
        assertArrayEquals(Arrays.copyOfRange(sent, 14, 14 + 20 + 8), Arrays.copyOfRange(r.b(), r.l4() + 8, 14 + r.ipLen()),
                "the IP header as sent (TTL 1) and 8 data bytes");
    }

    private static Wire6.F expectIcmp6(Wire w, int type, int code, byte[] from, byte[] sent) {
        Wire6.F r = new Wire6.F(w.expect("ICMPv6 type " + type, f -> Wire6.F.isIcmp(f, type)).b()).verified();
        assertEquals(code, r.u8(1), "code");
        assertArrayEquals(from, r.src());
        assertArrayEquals(Wire6.GUEST, r.dst());
        assertArrayEquals(Arrays.copyOfRange(sent, 14, sent.length), r.bytes(8, sent.length - 14), "the whole packet quoted");
        return r;
    }

    @Test
    void udpWithTtlOneToAnOutsideHostIsNotForwardedButTwoIs() throws Exception {
        try (Wire w = new Wire(Map.of()); DatagramChannel server = udpServer("127.0.0.1")) {
            byte[] dying = ttl(Wire.ip(Wire.GUEST, IcmpEchoTest.OUTSIDE, Ipv4.UDP,
                    Wire.udp(Wire.GUEST, IcmpEchoTest.OUTSIDE, 40010, port(server), "ttl 1".getBytes())), 1);
            w.send(dying);
            expectTimeExceeded(w, dying);
            assertNull(received(server, 200), "not forwarded");
            w.send(ttl(Wire.ip(Wire.GUEST, IcmpEchoTest.OUTSIDE, Ipv4.UDP,
                    Wire.udp(Wire.GUEST, IcmpEchoTest.OUTSIDE, 40010, port(server), "ttl 2".getBytes())), 2));
            assertEquals("ttl 2", received(server, 5_000), "forwarded");
            assertEquals(1L, (long) w.onLoop(() -> w.netdev.stats().ttlExpired));
        }
    }

    @Test
    void theGatewayItselfIsNotRoutedSoTtlOneReachesIt() throws Exception {
        try (Wire w = new Wire(Map.of()); DatagramChannel server = udpServer("127.0.0.1")) {
            w.send(ttl(Wire.ip(Wire.GUEST, Wire.GW, Ipv4.UDP, Wire.udp(Wire.GUEST, Wire.GW, 40011, port(server), "to gw".getBytes())), 1));
            assertEquals("to gw", received(server, 5_000));
            assertTrue(w.collect(200, f -> f.isIp(Ipv4.ICMP)).isEmpty(), "no time exceeded");
            assertEquals(0L, (long) w.onLoop(() -> w.netdev.stats().ttlExpired));
        }
    }

    @Test
    void aTcpSynWithTtlOneGetsTimeExceededAndOpensNothing() throws Exception {
        try (Wire w = new Wire(Map.of()); ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress("127.0.0.1", 0));
            server.configureBlocking(false);
            int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
            byte[] syn = ttl(Wire.ip(Wire.GUEST, IcmpEchoTest.OUTSIDE, Ipv4.TCP,
                    Wire.tcp(Wire.GUEST, IcmpEchoTest.OUTSIDE, 40012, port, 1000, 0, SYN, 65535, null, new byte[0])), 1);
            w.send(syn);
            expectTimeExceeded(w, syn);
            assertNull(server.accept(), "no host connection");
            assertEquals(0, (int) w.onLoop(() -> w.netdev.stack().tcp.connectionCount()));
            w.send(Wire.ip(Wire.GUEST, IcmpEchoTest.OUTSIDE, Ipv4.TCP,
                    Wire.tcp(Wire.GUEST, IcmpEchoTest.OUTSIDE, 40013, port, 2000, 0, SYN, 65535, null, new byte[0])));
            Wire.Frame synAck = w.expect("SYN-ACK at TTL 64", f -> f.isIp(Ipv4.TCP) && f.tcp(SYN | ACK)).verified();
            assertEquals(40013, synAck.dport());
        }
    }

    @Test
    void anEchoRequestWithTtlOneToAnOutsideHostOpensNoIcmpSocket() throws Exception {
        try (Wire w = new Wire(Map.of())) {
            byte[] ping = ttl(Wire.ip(Wire.GUEST, IcmpEchoTest.OUTSIDE, Ipv4.ICMP, Wire.icmpEcho(0x7777, 1, "traceroute".getBytes())), 1);
            w.send(ping);
            expectTimeExceeded(w, ping);
            assertNull(w.onLoop(() -> w.netdev.stack().echo.socketKind()), "nothing sent, no socket");
            assertEquals(0L, (long) w.onLoop(() -> w.netdev.stats().icmpEchoSent));
        }
    }

    @Test
    void ipv6UdpAndTcpWithHopLimitOneGetTimeExceededFromTheGateway() throws Exception {
        try (Wire w = new Wire(Map.of()); DatagramChannel server = udpServer("::1");
                ServerSocketChannel tcp = ServerSocketChannel.open()) {
            tcp.bind(new InetSocketAddress("::1", 0));
            tcp.configureBlocking(false);
            byte[] udp = hops(Wire6.udp(Wire6.GUEST, IcmpEchoTest.OUTSIDE6, 40014, port(server), "hop limit 1".getBytes()), 1);
            w.send(udp);
            expectIcmp6(w, IcmpError.TIME_EXCEEDED6, 0, Wire6.GW, udp);
            assertNull(received(server, 200), "not forwarded");
            w.send(hops(Wire6.udp(Wire6.GUEST, IcmpEchoTest.OUTSIDE6, 40014, port(server), "hop limit 2".getBytes()), 2));
            assertEquals("hop limit 2", received(server, 5_000), "forwarded");
            byte[] syn = hops(Wire6.tcp(Wire6.GUEST, IcmpEchoTest.OUTSIDE6, 40015, ((InetSocketAddress) tcp.getLocalAddress()).getPort(),
                    1, 0, SYN, 65535, null, new byte[0]), 1);
            w.send(syn);
            expectIcmp6(w, IcmpError.TIME_EXCEEDED6, 0, Wire6.GW, syn);
            assertNull(tcp.accept());
            assertEquals(2L, (long) w.onLoop(() -> w.netdev.stats().ttlExpired));
        }
    }

    /**
     * A stack whose outside addresses go to multicast ones: a TCP connect to multicast fails in the
     * host's kernel at once with ENETUNREACH (Linux refuses it before any packet is sent), the
     * "network unreachable" a router would report.
     */
    private static Wire unreachableWire() throws Exception {
        return new Wire(Map.of(), new Stack.Host(FfmLibc::get, dst -> {
            try {
                if (dst.equals(new IpAddr.V4(IcmpEchoTest.OUTSIDE))) {
                    return InetAddress.getByName("224.0.0.1");
                }
                return dst.equals(IpAddr.V6.of(IcmpEchoTest.OUTSIDE6, 0)) ? InetAddress.getByName("ff0e::1") : null;
            } catch (UnknownHostException e) {
                throw new IllegalStateException(e);
            }
        }, 10_000));
    }

    @Test
    void aFailedIpv6ConnectGetsIcmpv6NoRouteAndIpv4NetworkUnreachable() throws Exception {
        try (Wire w = unreachableWire()) {
            byte[] syn6 = Wire6.tcp(Wire6.GUEST, IcmpEchoTest.OUTSIDE6, 40016, 80, 1, 0, SYN, 65535, null, new byte[0]);
            w.send(syn6);
            expectIcmp6(w, IcmpError.DEST_UNREACHABLE6, IcmpError.NO_ROUTE6, Wire6.GW, syn6);
            // EHOSTUNREACH (no neighbour answered beyond the host) is "address unreachable" over IPv6
            byte[] quote = IcmpError.quote6(syn6, syn6.length);
            assertTrue(w.onLoop(() -> w.netdev.stack().icmpError.noRoute(IcmpError.HOST_UNREACHABLE, quote)));
            expectIcmp6(w, IcmpError.DEST_UNREACHABLE6, IcmpError.ADDRESS_UNREACHABLE6, Wire6.GW, syn6);
            byte[] syn = Wire.ip(Wire.GUEST, IcmpEchoTest.OUTSIDE, Ipv4.TCP,
                    Wire.tcp(Wire.GUEST, IcmpEchoTest.OUTSIDE, 40017, 80, 1, 0, SYN, 65535, null, new byte[0]));
            w.send(syn);
            Wire.Frame r = w.expect("network unreachable", f -> f.isIp(Ipv4.ICMP) && (f.b()[f.l4()] & 0xff) == 3).verified();
            assertEquals(IcmpError.NET_UNREACHABLE, r.b()[r.l4() + 1]);
            assertEquals(Wire.GW, r.src());
            assertArrayEquals(Arrays.copyOfRange(syn, 14, 14 + 28), Arrays.copyOfRange(r.b(), r.l4() + 8, 14 + r.ipLen()));
            assertTrue(w.collect(200, f -> f.isIp(Ipv4.TCP) || Wire6.F.is(f, 6)).isEmpty(), "no RST besides");
            assertEquals(0, (int) w.onLoop(() -> w.netdev.stack().tcp.connectionCount()));
        }
    }
}
