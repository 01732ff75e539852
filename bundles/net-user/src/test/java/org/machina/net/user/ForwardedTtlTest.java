package org.machina.net.user;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The TTL / hop limit the guest sees: what comes from an outside host through a host socket passed
 * the gateway, a router (one less than the stack's own 64); what the stack's own addresses send
 * (the gateway, which is the host's loopback) did not. The outside addresses are
 * {@link IcmpEchoTest#OUTSIDE} and {@link IcmpEchoTest#OUTSIDE6}, routed by the test to 127.0.0.1
 * and ::1 (a UDP answer from there would show as the gateway's: loopback peers are the gateway,
 * so TCP, whose connection keeps the address the guest connected to, shows the difference).
 */
class ForwardedTtlTest {
    static final int SYN = 0x02, ACK = 0x10;

    private static int listen(ServerSocketChannel s, String addr) throws Exception {
        s.bind(new InetSocketAddress(addr, 0));
        return ((InetSocketAddress) s.getLocalAddress()).getPort();
    }

    /** The stack's SYN-ACK to a guest SYN to {@code dst}:{@code port} from guest port {@code sport}: its TTL. */
    private static int synAckTtl(Wire w, int dst, int port, int sport) {
        w.send(Wire.ip(Wire.GUEST, dst, Ipv4.TCP, Wire.tcp(Wire.GUEST, dst, sport, port, 1, 0, SYN, 65535, null, new byte[0])));
        Wire.Frame sa = w.expect("SYN-ACK", f -> f.tcp(SYN | ACK) && f.dport() == sport).verified();
        assertEquals(dst, sa.src());
        return sa.b()[14 + 8] & 0xff;
    }

    private static Wire6.F synAck6(Wire w, byte[] dst, int port, int sport) {
        w.send(Wire6.tcp(Wire6.GUEST, dst, sport, port, 1, 0, SYN, 65535, null, new byte[0]));
        Wire6.F sa = new Wire6.F(w.expect("SYN-ACK", f -> Wire6.F.is(f, Ipv4.TCP) && Wire.u16(f.b(), Wire6.F.L4 + 2) == sport).b()).verified();
        assertArrayEquals(dst, sa.src());
        return sa;
    }

    @Test
    void ipv4FromAnOutsideHostIsOneHopBeyondTheGateway() throws Exception {
        try (Wire w = new Wire(Map.of()); ServerSocketChannel host = ServerSocketChannel.open()) {
            int p = listen(host, "127.0.0.1");
            assertEquals(Ipv4.TTL - 1, synAckTtl(w, IcmpEchoTest.OUTSIDE, p, 40020), "routed: the gateway took one off");
            assertEquals(64, synAckTtl(w, Wire.GW, p, 40021), "the gateway's own");
        }
    }

    @Test
    void ipv6FromAnOutsideHostIsOneHopBeyondTheGateway() throws Exception {
        try (Wire w = new Wire(Map.of()); ServerSocketChannel host = ServerSocketChannel.open()) {
            int p = listen(host, "::1");
            assertEquals(63, synAck6(w, IcmpEchoTest.OUTSIDE6, p, 40022).hopLimit(), "routed: the gateway took one off");
            assertEquals(64, synAck6(w, Wire6.GW, p, 40023).hopLimit(), "the gateway's own");
        }
    }
}
