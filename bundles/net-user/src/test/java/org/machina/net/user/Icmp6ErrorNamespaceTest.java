package org.machina.net.user;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.invoke.MethodHandle;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.machina.host.posix.FfmLibc;

/**
 * The host's ICMPv6 errors about a guest's outside ping, through the real kernel, on loopback only.
 * The stack's loop thread moves into a network namespace of its own ({@code unshare(CLONE_NEWNET)}:
 * a namespace belongs to a thread, so the rest of the JVM and the host stay where they are), with
 * only {@code lo}, up, and a route {@code 2001:db8:7::/64 dev lo}. The guest pings 2001:db8::7, which
 * the test routes to 2001:db8:7::1: the kernel sends the request on {@code lo}, finds no owner for the
 * address and answers itself with ICMPv6 destination unreachable (no route, code 0) from ::1. The
 * stack's ICMPv6 socket gets it (a ping socket from its error queue, IPV6_RECVERR; a raw one as a
 * message) and the guest must see destination unreachable code 0 from the gateway (::1's face),
 * quoting its own request. No packet can leave the namespace: it has no other interface. Needs
 * root (CAP_SYS_ADMIN, CAP_NET_RAW) and {@code ip}; aborted, not passed, without them.
 */
class Icmp6ErrorNamespaceTest {
    static final int CLONE_NEWNET = 0x40000000;
    static final byte[] ON_LO = Wire6.addr("2001:db8:7::1");

    /** Loop thread: into a namespace of its own with lo up and the route; null when done, else why not. */
    static String ownNamespace(boolean pingSockets) {
        try {
            Linker linker = Linker.nativeLinker();
            MethodHandle unshare = linker.downcallHandle(linker.defaultLookup().find("unshare").orElseThrow(),
                    FunctionDescriptor.of(JAVA_INT, JAVA_INT));
            if ((int) unshare.invokeExact(CLONE_NEWNET) != 0) {
                return "unshare(CLONE_NEWNET) refused: needs CAP_SYS_ADMIN";
            }
            String devices = Files.readString(Path.of("/proc/thread-self/net/dev"), StandardCharsets.US_ASCII);
            if (devices.lines().skip(2).anyMatch(l -> !l.trim().startsWith("lo:"))) {
                throw new AssertionError("a new network namespace has interfaces besides lo: " + devices);
            }
            String why = run("ip", "link", "set", "lo", "up");
            why = why != null ? why : run("ip", "-6", "route", "add", "2001:db8:7::/64", "dev", "lo");
            if (why == null && pingSockets) {
                why = run("sysctl", "-qw", "net.ipv4.ping_group_range=0 2147483647");
            }
            return why;
        } catch (Throwable t) {
            return "no namespace: " + t;
        }
    }

    /** Runs a command from this thread (so in its namespace); null when it succeeded. */
    private static String run(String... cmd) throws Exception {
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (java.io.IOException e) {
            return String.join(" ", cmd) + ": " + e.getMessage();
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0 ? null : String.join(" ", cmd) + ": " + out;
    }

    @ParameterizedTest(name = "ping socket {0}")
    @ValueSource(booleans = {false, true})
    void aHostDestinationUnreachableReachesTheGuest(boolean pingSocket) throws Exception {
        InetAddress onLo = InetAddress.getByAddress(ON_LO);
        Stack.Host host = new Stack.Host(FfmLibc::get, dst -> dst.equals(IpAddr.V6.of(IcmpEchoTest.OUTSIDE6, 0)) ? onLo : null, 10_000);
        try (Wire w = new Wire(Map.of(), host)) {
            String why = w.onLoop(() -> ownNamespace(pingSocket));
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
