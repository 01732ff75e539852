package org.machina.net.user;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.machina.host.posix.ErrnoException;
import org.machina.host.posix.FfmLibc;
import org.machina.host.posix.Libc;

/**
 * NATed UDP leaves with the guest's TTL / hop limit less one, and the time exceeded a router beyond
 * the host answers reaches the guest, through the real kernel. The stack's loop thread is in a network
 * namespace of its own ({@link LoopNamespace}) with a veth pair v0-v1 in it and nothing else but lo:
 * 192.0.2.0/24 and 2001:db8:7::/64 are routed out of v0 to v1's MAC, and the namespace forwards, so a
 * datagram the host sends to 192.0.2.1 comes in on v1 and is forwarded out of v0 again, one less each
 * time, until its TTL runs out and the namespace, the router, answers time exceeded from 10.9.0.1
 * (v0's address, its source towards the host's socket). A packet socket in the namespace sees the
 * datagram leave. No packet can leave the namespace. Needs root (CAP_SYS_ADMIN, CAP_NET_RAW), veth
 * and {@code ip}; aborted, not passed, without them.
 */
class UdpTtlNamespaceTest {
    static final byte[] TARGET = {(byte) 192, 0, 2, 1};
    static final byte[] TARGET6 = Wire6.addr("2001:db8:7::1");
    static final int ROUTER = Wire.ip("10.9.0.1");
    static final byte[] ROUTER6 = Wire6.addr("fd09::1");
    static final String V1_MAC = "02:00:00:00:09:02";
    static final int AF_PACKET = 17;
    /** htons(ETH_P_IP), htons(ETH_P_IPV6): a packet socket's protocol is in network order. */
    static final int ETH_P_IP = 0x0008, ETH_P_IPV6 = 0xdd86;

    static final List<List<String>> NETWORK = List.of(
            List.of("ip", "link", "add", "v0", "type", "veth", "peer", "name", "v1"),
            List.of("ip", "link", "set", "v1", "address", V1_MAC),
            List.of("ip", "link", "set", "v0", "up"),
            List.of("ip", "link", "set", "v1", "up"),
            List.of("ip", "addr", "add", "10.9.0.1/24", "dev", "v0"),
            List.of("ip", "addr", "add", "10.9.0.2/24", "dev", "v1"),
            List.of("ip", "-6", "addr", "add", "fd09::1/64", "dev", "v0", "nodad"),
            List.of("ip", "-6", "addr", "add", "fd09::2/64", "dev", "v1", "nodad"),
            List.of("ip", "route", "add", "192.0.2.0/24", "dev", "v0", "src", "10.9.0.1"),
            List.of("ip", "neigh", "add", "192.0.2.1", "lladdr", V1_MAC, "dev", "v0", "nud", "permanent"),
            List.of("ip", "-6", "route", "add", "2001:db8:7::/64", "dev", "v0", "src", "fd09::1"),
            List.of("ip", "-6", "neigh", "add", "2001:db8:7::1", "lladdr", V1_MAC, "dev", "v0", "nud", "permanent"),
            List.of("sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1", "net.ipv4.conf.all.rp_filter=0",
                    "net.ipv4.conf.v1.rp_filter=0", "net.ipv4.conf.v1.accept_local=1"));

    private final Libc libc = FfmLibc.get();

    /** The stack's loop into the namespace; a packet socket there for {@code protocol}. */
    private int enter(Wire w, int protocol) {
        @SuppressWarnings("unchecked")
        List<String>[] commands = NETWORK.toArray(List[]::new);
        String why = w.onLoop(() -> LoopNamespace.enter(commands));
        Assumptions.assumeTrue(why == null, why);
        int s = w.onLoop(() -> {
            try {
                return libc.socket(AF_PACKET, Libc.SOCK_DGRAM | Libc.SOCK_NONBLOCK, protocol);
            } catch (ErrnoException e) {
                return -1;
            }
        });
        Assumptions.assumeTrue(s >= 0, "no packet socket (needs CAP_NET_RAW)");
        return s;
    }

    private static Wire wire() throws Exception {
        InetAddress v4 = InetAddress.getByAddress(TARGET);
        InetAddress v6 = InetAddress.getByAddress(TARGET6);
        return new Wire(Map.of(), new Stack.Host(FfmLibc::get, dst -> {
            if (dst.equals(new IpAddr.V4(IcmpEchoTest.OUTSIDE))) {
                return v4;
            }
            return dst.equals(IpAddr.V6.of(IcmpEchoTest.OUTSIDE6, 0)) ? v6 : null;
        }, 10_000));
    }

    /**
     * The TTL (hop limit) of the first IP packet the packet socket {@code s} sees whose UDP data is
     * {@code data}: the datagram as it left the host's socket (later ones are its forwarded copies).
     */
    private int leftWith(int s, boolean v6, String data) throws Exception {
        byte[] want = data.getBytes();
        long end = System.nanoTime() + 5_000_000_000L;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(2048);
            while (System.nanoTime() < end) {
                int n;
                try {
                    n = libc.recvFrom(s, buf, 0).length();
                } catch (ErrnoException e) {
                    if (e.errno() != ErrnoException.EAGAIN) {
                        throw e;
                    }
                    libc.poll(s, Libc.POLLIN, 100);
                    continue;
                }
                byte[] p = buf.asSlice(0, Math.min(n, 2048)).toArray(ValueLayout.JAVA_BYTE);
                int l4 = v6 ? 40 : (p[0] & 0xf) * 4;
                int proto = p[v6 ? 6 : 9] & 0xff;
                if (proto == Ipv4.UDP && p.length == l4 + 8 + want.length
                        && Arrays.equals(Arrays.copyOfRange(p, l4 + 8, p.length), want)) {
                    return p[v6 ? 7 : 8] & 0xff;
                }
            }
        }
        return fail("the datagram '" + data + "' did not leave");
    }

    @Test
    void ipv4LeavesWithTheGuestsTtlLessOneAndTheRoutersTimeExceededComesBack() throws Exception {
        try (Wire w = wire()) {
            int s = enter(w, ETH_P_IP);
            try {
                byte[] sent = TimeExceededTest.ttl(Wire.ip(Wire.GUEST, IcmpEchoTest.OUTSIDE, Ipv4.UDP,
                        Wire.udp(Wire.GUEST, IcmpEchoTest.OUTSIDE, 40030, 33434, "ttl 2".getBytes())), 2);
                w.send(sent);
                assertEquals(1, leftWith(s, false, "ttl 2"), "the gateway took one off");
                Wire.Frame r = w.expect("time exceeded", f -> f.isIp(Ipv4.ICMP) && (f.b()[f.l4()] & 0xff) == 11).verified();
                assertEquals(0, r.b()[r.l4() + 1], "code 0: TTL exceeded in transit");
                assertEquals(ROUTER, r.src(), "from the router that dropped it");
                assertEquals(Wire.GUEST, r.dst());
                assertEquals(Ipv4.TTL - 1, r.b()[14 + 8] & 0xff, "from beyond the gateway");
                assertArrayEquals(Arrays.copyOfRange(sent, 14, 14 + 28), Arrays.copyOfRange(r.b(), r.l4() + 8, 14 + r.ipLen()),
                        "the guest's datagram as it sent it (TTL 2), its IP header and 8 bytes");

                w.send(TimeExceededTest.ttl(Wire.ip(Wire.GUEST, IcmpEchoTest.OUTSIDE, Ipv4.UDP,
                        Wire.udp(Wire.GUEST, IcmpEchoTest.OUTSIDE, 40030, 33434, "ttl 9".getBytes())), 9));
                assertEquals(8, leftWith(s, false, "ttl 9"));
                w.send(Wire.ip(Wire.GUEST, IcmpEchoTest.OUTSIDE, Ipv4.UDP,
                        Wire.udp(Wire.GUEST, IcmpEchoTest.OUTSIDE, 40030, 33434, "ttl 64".getBytes())));
                assertEquals(63, leftWith(s, false, "ttl 64"));
                assertTrue(w.onLoop(() -> w.netdev.stats().udpErrorsRelayed) >= 1L);
            } finally {
                libc.close(s);
            }
        }
    }

    @Test
    void ipv6LeavesWithTheGuestsHopLimitLessOneAndTheRoutersTimeExceededComesBack() throws Exception {
        try (Wire w = wire()) {
            int s = enter(w, ETH_P_IPV6);
            try {
                byte[] sent = TimeExceededTest.hops(Wire6.udp(Wire6.GUEST, IcmpEchoTest.OUTSIDE6, 40031, 33434,
                        "hops 2".getBytes()), 2);
                w.send(sent);
                assertEquals(1, leftWith(s, true, "hops 2"), "the gateway took one off");
                Wire6.F r = new Wire6.F(w.expect("time exceeded", f -> Wire6.F.isIcmp(f, IcmpError.TIME_EXCEEDED6)).b())
                        .verified();
                assertEquals(0, r.u8(1), "code 0: hop limit exceeded in transit");
                assertArrayEquals(ROUTER6, r.src(), "from the router that dropped it");
                assertArrayEquals(Wire6.GUEST, r.dst());
                assertEquals(63, r.hopLimit(), "from beyond the gateway");
                assertArrayEquals(Arrays.copyOfRange(sent, 14, sent.length), r.bytes(8, sent.length - 14),
                        "the whole packet quoted");

                w.send(TimeExceededTest.hops(Wire6.udp(Wire6.GUEST, IcmpEchoTest.OUTSIDE6, 40031, 33434,
                        "hops 9".getBytes()), 9));
                assertEquals(8, leftWith(s, true, "hops 9"));
            } finally {
                libc.close(s);
            }
        }
    }
}
