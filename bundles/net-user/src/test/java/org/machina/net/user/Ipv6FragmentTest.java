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

/** IPv6 fragment reassembly (RFC 8200 section 4.5, RFC 5722, RFC 6946) on fragments the tests cut. */
class Ipv6FragmentTest {
    /**
     * The fragment of {@code whole} (an upper-layer message with next header {@code next}) from
     * {@code from} to {@code to}, with identification {@code id}, after the extension headers
     * {@code unfragmentable} (whose first byte chain ends in 44, the Fragment header).
     */
    private static byte[] fragment(int first, byte[] unfragmentable, int next, int id, byte[] whole, int from, int to, boolean more) {
        byte[] p = new byte[unfragmentable.length + 8 + to - from];
        System.arraycopy(unfragmentable, 0, p, 0, unfragmentable.length);
        int h = unfragmentable.length;
        p[h] = (byte) next;
        Wire.put16(p, h + 2, from | (more ? 1 : 0));
        Wire.put32(p, h + 4, id);
        System.arraycopy(whole, from, p, h + 8, to - from);
        return Wire6.packet(Wire6.GW_MAC, Wire6.GUEST, Wire6.GW, first, 64, p);
    }

    private static byte[] fragment(int next, int id, byte[] whole, int from, int to, boolean more) {
        return fragment(44, new byte[0], next, id, whole, from, to, more);
    }

    /** An echo request to the gateway with {@code n} bytes of data, without its IPv6 header. */
    private static byte[] echo(int n) {
        byte[] data = new byte[n];
        for (int i = 0; i < n; i++) {
            data[i] = (byte) (i * 7);
        }
        byte[] body = new byte[4 + n];
        body[1] = 9; // identifier 9, sequence 0
        System.arraycopy(data, 0, body, 4, n);
        return Wire6.icmp(Wire6.GUEST, Wire6.GW, 128, body);
    }

    private static void expectReplyTo(Wire w, byte[] request) {
        Wire6.F r = Ipv6Test.expect6(w, "echo reply", 58);
        assertEquals(129, r.u16(0) >> 8);
        assertArrayEquals(Arrays.copyOfRange(request, 4, request.length), r.bytes(4, request.length - 4), "identifier, sequence and data");
    }

    @Test
    void anEchoRequestInThreeFragmentsOutOfOrderIsAnswered() throws Exception {
        byte[] m = echo(1200);
        try (Wire w = new Wire(Map.of())) {
            w.send(fragment(58, 0x1234, m, 800, m.length, false));
            w.send(fragment(58, 0x1234, m, 0, 400, true));
            w.send(fragment(58, 0x1234, m, 400, 800, true));
            expectReplyTo(w, m);
            assertEquals(0, (int) w.onLoop(() -> w.netdev.stack().reassembly6.inProgress()));
        }
    }

    @Test
    void theUnfragmentablePartOfTheFirstFragmentIsKept() throws Exception {
        byte[] m = echo(600);
        byte[] hopByHop = new byte[8];
        hopByHop[0] = 44; // hop-by-hop options (PadN only), then the Fragment header
        hopByHop[2] = 1;
        hopByHop[3] = 4;
        try (Wire w = new Wire(Map.of())) {
            w.send(fragment(0, hopByHop, 58, 7, m, 304, m.length, false));
            w.send(fragment(0, hopByHop, 58, 7, m, 0, 304, true));
            expectReplyTo(w, m);
        }
    }

    @Test
    void aUdpDatagramInTwoFragmentsReachesTheHost() throws Exception {
        byte[] data = new byte[3000];
        Arrays.fill(data, (byte) 'x');
        try (Wire w = new Wire(Map.of()); DatagramChannel server = DatagramChannel.open()) {
            server.bind(new InetSocketAddress("::1", 0));
            int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
            byte[] frame = Wire6.udp(Wire6.GUEST, Wire6.GW, 40000, port, data);
            byte[] udp = Arrays.copyOfRange(frame, 14 + 40, frame.length);
            w.send(fragment(17, 99, udp, 0, 1448, true));
            w.send(fragment(17, 99, udp, 1448, udp.length, false));
            ByteBuffer got = ByteBuffer.allocate(4096);
            server.receive(got);
            assertEquals(3000, got.position());
            assertArrayEquals(data, Arrays.copyOf(got.array(), 3000));
        }
    }

    @Test
    void overlappingFragmentsDropTheWholePacket() throws Exception {
        byte[] m = echo(800);
        try (Wire w = new Wire(Map.of())) {
            w.send(fragment(58, 5, m, 0, 400, true));
            w.send(fragment(58, 5, m, 392, m.length, false)); // overlaps the first by 8 bytes
            w.send(fragment(58, 5, m, 400, m.length, false)); // would complete it, but it is gone
            assertTrue(w.collect(300, f -> Wire6.F.isIcmp(f, 129)).isEmpty());
            assertEquals(1, (long) w.onLoop(() -> w.netdev.stack().stats.fragmentsOverlapping));
        }
    }

    @Test
    void anAtomicFragmentIsTakenOnItsOwnAndLeavesAPendingPacketAlone() throws Exception {
        byte[] m = echo(800);
        byte[] small = echo(16);
        try (Wire w = new Wire(Map.of())) {
            w.send(fragment(58, 3, m, 0, 400, true));
            w.send(fragment(58, 3, small, 0, small.length, false)); // offset 0, no more: atomic (RFC 6946)
            expectReplyTo(w, small);
            w.send(fragment(58, 3, m, 400, m.length, false));
            expectReplyTo(w, m);
        }
    }

    @Test
    void aFragmentHeaderInsideAReassembledPacketIsMalformed() throws Exception {
        byte[] inner = fragment(58, 8, echo(16), 0, 16, true);
        byte[] nested = Arrays.copyOfRange(inner, 14 + 40, inner.length); // a Fragment header and its data
        try (Wire w = new Wire(Map.of())) {
            w.send(fragment(44, 4, nested, 0, 8, true));
            w.send(fragment(44, 4, nested, 8, nested.length, false));
            assertTrue(w.collect(300, f -> Wire6.F.isIcmp(f, 129)).isEmpty());
            assertEquals(1, (long) w.onLoop(() -> w.netdev.stack().stats.malformed));
            assertEquals(0, (int) w.onLoop(() -> w.netdev.stack().reassembly6.inProgress()));
        }
    }

    @Test
    void aFloodOfIncompletePacketsIsBounded() throws Exception {
        byte[] m = echo(800);
        try (Wire w = new Wire(Map.of())) {
            for (int id = 0; id < Reassembly.MAX_DATAGRAMS + 10; id++) {
                w.send(fragment(58, id, m, 0, 400, true));
            }
            assertEquals(Reassembly.MAX_DATAGRAMS, (int) w.onLoop(() -> w.netdev.stack().reassembly6.inProgress()));
            assertEquals(10, (long) w.onLoop(() -> w.netdev.stack().stats.fragmentsEvicted));
            assertEquals(0, (int) w.onLoop(() -> w.netdev.stack().reassembly.inProgress()), "IPv4's table is another");
        }
    }
}
