package org.machina.net.user;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * IPv6 above neighbor discovery: ICMPv6 echo to the gateway, UDP and TCP to the gateway (the
 * host's ::1) and DNS through fec0::3, on frames the test builds, against real loopback sockets.
 */
class Ipv6Test {
    static final int ACK = 0x10, SYN = 0x02, FIN = 0x01, PSH = 0x08;

    static Wire6.F expect6(Wire w, String what, int next) {
        return new Wire6.F(w.expect(what, f -> Wire6.F.is(f, next)).b()).verified();
    }

    @Test
    void echoToTheGatewayIsAnswered() throws Exception {
        try (Wire w = new Wire(Map.of())) {
            byte[] body = {0x12, 0x34, 0, 7, 'p', 'i', 'n', 'g', '6'};
            w.send(Wire6.icmpFrame(Wire6.GW_MAC, Wire6.GUEST, Wire6.GW, 64, 128, body));
            Wire6.F r = new Wire6.F(w.expect("echo reply", f -> Wire6.F.isIcmp(f, 129)).b()).verified();
            assertArrayEquals(Wire6.GW, r.src());
            assertArrayEquals(Wire6.GUEST, r.dst());
            assertArrayEquals(Wire.GUEST_MAC, r.dstMac(), "to the MAC the request came from");
            assertArrayEquals(body, r.bytes(4, body.length), "identifier, sequence and data echoed");
            // a bad checksum, and echo to an outside address: no answer
            byte[] bad = Wire6.icmpFrame(Wire6.GW_MAC, Wire6.GUEST, Wire6.GW, 64, 128, body);
            bad[bad.length - 1] ^= 1;
            w.send(bad);
            w.send(Wire6.icmpFrame(Wire6.GW_MAC, Wire6.GUEST, Wire6.addr("2001:db8::1"), 64, 128, body));
            assertTrue(w.collect(300, f -> Wire6.F.isIcmp(f, 129)).isEmpty());
            assertEquals(1, (long) w.onLoop(() -> w.netdev.stack().stats.malformed));
        }
    }

    @Test
    void udpToTheGatewayReachesHostIpv6LoopbackAndBack() throws Exception {
        try (Wire w = new Wire(Map.of()); DatagramChannel server = DatagramChannel.open()) {
            server.bind(new InetSocketAddress("::1", 0));
            int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
            w.send(Wire6.udp(Wire6.GUEST, Wire6.GW, 40000, port, "hello ::1".getBytes()));
            ByteBuffer got = ByteBuffer.allocate(2048);
            InetSocketAddress from = (InetSocketAddress) server.receive(got);
            got.flip();
            assertEquals("hello ::1", new String(got.array(), 0, got.limit()));
            assertTrue(from.getAddress().isLoopbackAddress());
            server.send(ByteBuffer.wrap("hello guest".getBytes()), from);
            Wire6.F r = expect6(w, "UDP reply", 17);
            assertArrayEquals(Wire6.GW, r.src(), "::1 appears as the gateway");
            assertArrayEquals(Wire6.GUEST, r.dst());
            assertEquals(port, r.u16(0));
            assertEquals(40000, r.u16(2));
            assertEquals("hello guest", new String(r.bytes(8, r.u16(4) - 8)));
        }
    }

    @Test
    void udpWithoutChecksumIsRefusedOverIpv6() throws Exception {
        try (Wire w = new Wire(Map.of())) {
            byte[] f = Wire6.udp(Wire6.GUEST, Wire6.GW, 40000, 9, "x".getBytes());
            f[14 + 40 + 6] = 0;
            f[14 + 40 + 7] = 0;
            w.send(f);
            assertTrue(w.collect(300, x -> true).stream().noneMatch(x -> Wire6.F.is(x, 17)));
            assertEquals(1, (long) w.onLoop(() -> w.netdev.stack().stats.malformed));
        }
    }

    @Test
    void dnsToTheIpv6DnsAddressIsForwarded() throws Exception {
        try (DatagramChannel upstream = UdpDnsTest.loopbackUdp()) {
            int port = ((InetSocketAddress) upstream.getLocalAddress()).getPort();
            try (Wire w = new Wire(Map.of("dns-upstream", "127.0.0.1:" + port))) {
                byte[] q = UdpDnsTest.query(0x6666, "machina.test");
                w.send(Wire6.udp(Wire6.GUEST, Wire6.DNS, 33333, 53, q));
                InetSocketAddress[] from = new InetSocketAddress[1];
                ByteBuffer got = UdpDnsTest.receive(upstream, from);
                assertArrayEquals(q, Arrays.copyOf(got.array(), got.limit()));
                byte[] answer = q.clone();
                answer[2] |= (byte) 0x80;
                upstream.send(ByteBuffer.wrap(answer), from[0]);
                Wire6.F r = expect6(w, "DNS answer", 17);
                assertArrayEquals(Wire6.DNS, r.src(), "from fec0::3");
                assertEquals(53, r.u16(0));
                assertEquals(33333, r.u16(2));
                assertArrayEquals(answer, r.bytes(8, r.u16(4) - 8));
            }
        }
    }

    @Test
    void tcpHandshakeDataAndCloseOverIpv6() throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open(); Wire w = new Wire(Map.of())) {
            server.bind(new InetSocketAddress("::1", 0));
            int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
            int gport = 50006;
            int[] gseq = {5000};
            int[] peer = {0};
            java.util.function.BiConsumer<Integer, byte[]> seg = (flags, data) -> {
                w.send(Wire6.tcp(Wire6.GUEST, Wire6.GW, gport, port, gseq[0], peer[0], flags, 4096,
                        (flags & SYN) != 0 ? new byte[] {2, 4, 0x05, (byte) 0xa0, 1, 3, 3, 2} : null, data));
                gseq[0] += data.length + ((flags & (SYN | FIN)) != 0 ? 1 : 0);
            };
            seg.accept(SYN, new byte[0]);
            Wire6.F sa = expect6(w, "SYN-ACK", 6);
            assertEquals(SYN | ACK, sa.u8(13));
            assertArrayEquals(Wire6.GW, sa.src());
            assertArrayEquals(Wire6.GUEST, sa.dst());
            assertEquals(port, sa.u16(0));
            assertEquals(gport, sa.u16(2));
            assertEquals(5001, sa.i32(8));
            assertEquals(2, sa.u8(20), "MSS option first");
            assertEquals(1440, sa.u16(22), "MSS = 1500 - 40 (IPv6) - 20 (TCP)");
            peer[0] = sa.i32(4) + 1;
            SocketChannel host = server.accept();
            assertTrue(((InetSocketAddress) host.getRemoteAddress()).getAddress().isLoopbackAddress());
            seg.accept(ACK, new byte[0]);
            seg.accept(ACK | PSH, "GET /v6\r\n".getBytes());
            assertEquals("GET /v6\r\n", new String(TcpTest.read(host, 9)));
            Wire6.F ack = new Wire6.F(w.expect("ACK of the data", f -> Wire6.F.is(f, 6) && Wire.i32(f.b(), 54 + 8) == 5010).b())
                    .verified();
            assertEquals(ACK, ack.u8(13) & (ACK | SYN | FIN));
            host.write(ByteBuffer.wrap("v6 hello".getBytes()));
            Wire6.F data = new Wire6.F(w.expect("data", f -> Wire6.F.is(f, 6) && new Wire6.F(f.b()).payloadLength() > 20).b())
                    .verified();
            assertEquals(peer[0], data.i32(4));
            int hl = (data.u8(12) >> 4) * 4;
            assertEquals("v6 hello", new String(data.bytes(hl, data.payloadLength() - hl)));
            peer[0] += 8;
            seg.accept(ACK, new byte[0]);
            host.close();
            Wire6.F fin = new Wire6.F(w.expect("FIN", f -> Wire6.F.is(f, 6) && (f.b()[54 + 13] & FIN) != 0).b()).verified();
            assertEquals(peer[0], fin.i32(4));
            peer[0]++;
            seg.accept(FIN | ACK, new byte[0]);
            Wire6.F last = new Wire6.F(w.expect("ACK of the guest's FIN", f -> Wire6.F.is(f, 6) && Wire.i32(f.b(), 54 + 8) == gseq[0]).b())
                    .verified();
            assertEquals(ACK, last.u8(13));
        }
    }

    @Test
    void tcpToAnUnmappedIpv6AddressIsReset() throws Exception {
        try (Wire w = new Wire(Map.of())) {
            // a link-local destination maps to no host address: RST, as for unmapped IPv4 addresses
            w.send(Wire6.tcp(Wire6.GUEST, Wire6.addr("fe80::99"), 50007, 80, 1, 0, SYN, 4096, null, new byte[0]));
            Wire6.F rst = expect6(w, "RST", 6);
            assertEquals(0x14, rst.u8(13), "RST|ACK");
            assertEquals(2, rst.i32(8));
        }
    }

    @Test
    void hostileIpv6HeadersAreCountedNotFollowed() throws Exception {
        try (Wire w = new Wire(Map.of())) {
            byte[] echo = Wire6.icmp(Wire6.GUEST, Wire6.GW, 128, new byte[4]);
            // payload length beyond the frame
            byte[] longer = Wire6.packet(Wire6.GW_MAC, Wire6.GUEST, Wire6.GW, 58, 64, echo);
            Wire.put16(longer, 18, 1000);
            w.send(longer);
            // a truncated header
            w.send(Arrays.copyOf(Wire6.packet(Wire6.GW_MAC, Wire6.GUEST, Wire6.GW, 58, 64, echo), 14 + 30));
            // nine hop-by-hop headers in a row (more than the stack walks)
            byte[] chain = new byte[9 * 8 + echo.length];
            for (int i = 0; i < 9; i++) {
                chain[i * 8] = (byte) (i == 8 ? 58 : 0);
            }
            System.arraycopy(echo, 0, chain, 72, echo.length);
            w.send(Wire6.packet(Wire6.GW_MAC, Wire6.GUEST, Wire6.GW, 0, 64, chain));
            // an extension header whose length runs past the packet
            byte[] past = new byte[8 + echo.length];
            past[0] = 58;
            past[1] = (byte) 200;
            System.arraycopy(echo, 0, past, 8, echo.length);
            w.send(Wire6.packet(Wire6.GW_MAC, Wire6.GUEST, Wire6.GW, 60, 64, past));
            // a first fragment whose rest never comes: held for reassembly (until its deadline)
            byte[] frag = new byte[8 + echo.length];
            frag[0] = 58;
            frag[3] = 1; // offset 0, more fragments
            System.arraycopy(echo, 0, frag, 8, echo.length);
            w.send(Wire6.packet(Wire6.GW_MAC, Wire6.GUEST, Wire6.GW, 44, 64, frag));
            assertTrue(w.collect(300, f -> Wire6.F.isIcmp(f, 129)).isEmpty());
            assertEquals(4, (long) w.onLoop(() -> w.netdev.stack().stats.malformed));
            assertEquals(0, (long) w.onLoop(() -> w.netdev.stack().stats.unsupported));
            assertEquals(1, (int) w.onLoop(() -> w.netdev.stack().reassembly6.inProgress()));
            // one good hop-by-hop header (as MLD reports have) is walked past
            byte[] one = new byte[8 + echo.length];
            one[0] = 58;
            System.arraycopy(echo, 0, one, 8, echo.length);
            w.send(Wire6.packet(Wire6.GW_MAC, Wire6.GUEST, Wire6.GW, 0, 64, one));
            expect6(w, "echo reply after a hop-by-hop header", 58);
        }
    }

    @Test
    void ipv4OffLeavesOnlyIpv6() throws Exception {
        try (Wire w = new Wire(Map.of("ipv4", "off"))) {
            w.send(Wire.arpRequest(Wire.GUEST, Wire.GW));
            assertTrue(w.collect(300, f -> f.type() == 0x0806).isEmpty(), "no ARP");
            w.send(Wire6.icmpFrame(Wire6.GW_MAC, Wire6.GUEST, Wire6.GW, 64, 128, new byte[4]));
            expect6(w, "echo reply", 58);
        }
    }
}
