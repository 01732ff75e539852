package org.machina.net.user;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.machina.host.posix.ErrnoException;
import org.machina.host.posix.FfmLibc;
import org.machina.host.posix.Libc;

/**
 * A ping socket's error queue (IP_RECVERR) through the real kernel, loopback only. The stack's loop
 * thread moves into a network namespace of its own ({@link LoopNamespace}) where ping sockets are
 * allowed and loopback does not answer pings ({@code net.ipv4.icmp_echo_ignore_all=1}); IPv4 on
 * {@code lo} reports no error of its own about a ping it cannot deliver, so the test makes one: the
 * guest pings 203.0.113.7 (routed by the test to 127.0.0.1), the test sees the request on loopback
 * with a raw socket of its own (opened on the loop thread, so in the namespace) and sends the kernel a
 * forged ICMP time exceeded about it, from 127.0.0.1 to 127.0.0.1; the kernel queues it on the ping
 * socket and the guest gets time exceeded from the gateway (loopback's face) quoting its request.
 * Needs root (CAP_SYS_ADMIN, CAP_NET_RAW) and {@code ip}, {@code sysctl}; aborted, not passed,
 * without them.
 */
class IcmpEchoErrorLoopbackTest {
    @Test
    void aHostErrorOnThePingSocketReachesTheGuest() throws Exception {
        Libc libc = FfmLibc.get();
        try (Wire w = new Wire(Map.of()); Arena a = Arena.ofConfined()) {
            String why = w.onLoop(() -> LoopNamespace.enter(Icmp6ErrorNamespaceTest.PING_SOCKETS,
                    List.of("sysctl", "-qw", "net.ipv4.icmp_echo_ignore_all=1")));
            Assumptions.assumeTrue(why == null, why);
            int raw = w.onLoop(() -> {
                try {
                    return libc.socket(Libc.AF_INET, Libc.SOCK_RAW | Libc.SOCK_NONBLOCK, Libc.IPPROTO_ICMP);
                } catch (ErrnoException e) {
                    return -1;
                }
            });
            Assumptions.assumeTrue(raw >= 0, "no raw socket to watch loopback with (needs CAP_NET_RAW)");
            try {
                watchAndForge(w, libc, raw, a);
            } finally {
                libc.close(raw);
            }
        }
    }

    private static void watchAndForge(Wire w, Libc libc, int raw, Arena a) throws Exception {
        byte[] ping = Wire.ip(Wire.GUEST, IcmpEchoTest.OUTSIDE, Ipv4.ICMP, Wire.icmpEcho(0x5151, 4, "no answer here".getBytes()));
        w.send(ping);
        IcmpEchoTest.waitFor("the request sent", () -> w.onLoop(() -> w.netdev.stats().icmpEchoSent) == 1L);
        Assumptions.assumeTrue(w.onLoop(() -> w.netdev.stack().echo.socketKind()) == HostIcmpSocket.Kind.PING,
                "ping sockets are not allowed here");
        MemorySegment in = a.allocate(2048);
        byte[] seen = null;
        for (int i = 0; i < 500 && seen == null; i++) {
            try {
                Libc.Received r = libc.recvFrom(raw, in, 0);
                byte[] b = in.asSlice(0, r.length()).toArray(ValueLayout.JAVA_BYTE);
                if (b.length >= 28 && b[20] == 8) {
                    seen = b;                            // the request on loopback: its IP header and ICMP header
                }
            } catch (ErrnoException e) {
                Thread.sleep(10);
            }
        }
        byte[] err = new byte[8 + 28];
        err[0] = 11;
        System.arraycopy(seen, 0, err, 8, 28);
        Wire.put16(err, 2, Wire.sum(0, err, 0, err.length));
        MemorySegment out = a.allocate(err.length);
        MemorySegment.copy(err, 0, out, ValueLayout.JAVA_BYTE, 0, err.length);
        libc.sendTo(raw, out, 0, new InetSocketAddress(IcmpEchoTest.loopback(), 0));
        Wire.Frame r = w.expect("time exceeded", f -> f.isIp(Ipv4.ICMP) && (f.b()[f.l4()] & 0xff) == 11).verified();
        assertEquals(Wire.GW, r.src(), "the reporter, 127.0.0.1, as the guest sees it");
        assertArrayEquals(Arrays.copyOfRange(ping, 14, 14 + 28), Arrays.copyOfRange(r.b(), r.l4() + 8, 14 + r.ipLen()));
        assertEquals(1L, (long) w.onLoop(() -> w.netdev.stats().icmpEchoErrors));
    }
}
