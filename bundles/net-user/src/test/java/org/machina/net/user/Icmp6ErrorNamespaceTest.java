package org.machina.net.user;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.machina.host.posix.FfmLibc;

/**
 * The host's ICMPv6 errors about a guest's outside ping, through the real kernel, on loopback only.
 * The stack's loop thread moves into a network namespace of its own ({@link LoopNamespace}: the rest
 * of the JVM and the host stay where they are), with only {@code lo}, up, and a route
 * {@code 2001:db8:7::/64 dev lo}. The guest pings 2001:db8::7, which the test routes to 2001:db8:7::1: the kernel sends the request on {@code lo}, finds no owner for the
 * address and answers itself with ICMPv6 destination unreachable (no route, code 0) from ::1. The
 * stack's ICMPv6 socket gets it (a ping socket from its error queue, IPV6_RECVERR; a raw one as a
 * message) and the guest must see destination unreachable code 0 from the gateway (::1's face),
 * quoting its own request. No packet can leave the namespace: it has no other interface. Needs
 * root (CAP_SYS_ADMIN, CAP_NET_RAW) and {@code ip}; aborted, not passed, without them.
 */
class Icmp6ErrorNamespaceTest {
    static final byte[] ON_LO = Wire6.addr("2001:db8:7::1");
    static final List<String> PING_SOCKETS = List.of("sysctl", "-qw", "net.ipv4.ping_group_range=0 2147483647");

    @ParameterizedTest(name = "ping socket {0}")
    @ValueSource(booleans = {false, true})
    void aHostDestinationUnreachableReachesTheGuest(boolean pingSocket) throws Exception {
        InetAddress onLo = InetAddress.getByAddress(ON_LO);
        Stack.Host host = new Stack.Host(FfmLibc::get, dst -> dst.equals(IpAddr.V6.of(IcmpEchoTest.OUTSIDE6, 0)) ? onLo : null, 10_000);
        try (Wire w = new Wire(Map.of(), host)) {
            List<String> route = List.of("ip", "-6", "route", "add", "2001:db8:7::/64", "dev", "lo");
            String why = w.onLoop(() -> pingSocket ? LoopNamespace.enter(route, PING_SOCKETS) : LoopNamespace.enter(route));
            Assumptions.assumeTrue(why == null, why);
            byte[] body = new byte[4 + 12];
            body[1] = 0x77;                                   // identifier 0x0077, sequence 5
            body[3] = 5;
            System.arraycopy("machina-ns-6".getBytes(StandardCharsets.US_ASCII), 0, body, 4, 12);
            byte[] ping = Wire6.icmpFrame(Wire6.GW_MAC, Wire6.GUEST, IcmpEchoTest.OUTSIDE6, 64, Icmp6.ECHO_REQUEST, body);
            w.send(ping);
            Wire6.F r = new Wire6.F(w.expect("destination unreachable", f -> Wire6.F.isIcmp(f, 1)).b()).verified();
            assertEquals(pingSocket ? HostIcmpSocket.Kind.PING : HostIcmpSocket.Kind.RAW, w.onLoop(() -> w.netdev.stack().echo6.socketKind()));
            byte[] m = r.l4();
            assertEquals(0, m[1], "code 0: no route to destination, as the kernel said");
            assertArrayEquals(Wire6.GW, r.src(), "from the reporter, ::1, as the guest sees it: the gateway");
            assertArrayEquals(Wire6.GUEST, r.dst());
            assertEquals(64, r.hopLimit(), "from the stack's own address");
            assertArrayEquals(Arrays.copyOfRange(ping, 14, ping.length), Arrays.copyOfRange(m, 8, m.length), "quoting the guest's request");
            assertEquals(1L, (long) w.onLoop(() -> w.netdev.stats().icmpEchoErrors));
            assertEquals(0, (int) w.onLoop(() -> w.netdev.stack().echo6.pendingCount()), "the request is over");
        }
    }
}
