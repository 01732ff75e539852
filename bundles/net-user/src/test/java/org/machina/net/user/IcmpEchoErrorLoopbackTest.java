package org.machina.net.user;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.machina.host.posix.ErrnoException;
import org.machina.host.posix.FfmLibc;
import org.machina.host.posix.Libc;

/**
 * By hand, in a network namespace of its own where ping sockets are allowed and loopback does not
 * answer pings (root):
 * <pre>
 * unshare -n sh -c 'ip link set lo up; sysctl -qw net.ipv4.ping_group_range="0 2147483647";
 *     sysctl -qw net.ipv4.icmp_echo_ignore_all=1; mvn ... test -Dtest=IcmpEchoErrorLoopbackTest'
 * </pre>
 * the guest pings 203.0.113.7 (routed by the test to 127.0.0.1) through the stack's ping socket;
 * the test sees the request on loopback with a raw socket of its own and sends the host a forged
 * ICMP time exceeded about it, from 127.0.0.1 to 127.0.0.1; the host's kernel queues it on the ping
 * socket (IP_RECVERR) and the guest gets time exceeded from the gateway (loopback's face) quoting
 * its request. Aborted, not passed, anywhere else. Only loopback traffic.
 */
class IcmpEchoErrorLoopbackTest {
    @Test
    void aHostErrorOnThePingSocketReachesTheGuest() throws Exception {
        Path ignore = Path.of("/proc/sys/net/ipv4/icmp_echo_ignore_all");
        Assumptions.assumeTrue(Files.isReadable(ignore) && Files.readString(ignore).trim().equals("1"),
                "by hand only: needs a namespace where loopback ignores pings (see the class comment)");
        Libc libc = FfmLibc.get();
        int raw = IcmpEchoTest.rawSocketOrAbort(libc, "to watch loopback with");
        try (Wire w = new Wire(Map.of()); Arena a = Arena.ofConfined()) {
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
        } finally {
            libc.close(raw);
        }
    }
}
