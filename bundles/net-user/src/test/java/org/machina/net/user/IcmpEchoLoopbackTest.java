package org.machina.net.user;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * ICMP echo through a real host ICMP socket (the C library by java.lang.foreign), to 127.0.0.1
 * only: the guest pings 203.0.113.7, which this test's route maps to 127.0.0.1 (and every other
 * address to nothing), so the host's own kernel answers over loopback. Whichever socket the host
 * allows is used: a ping socket where ping_group_range admits the process's group, else a raw
 * socket (CAP_NET_RAW: root, as on CI). Where neither is allowed the test is aborted with the
 * stack's reason, never passed.
 */
class IcmpEchoLoopbackTest {
    private final Wire w;

    IcmpEchoLoopbackTest() throws Exception {
        w = new Wire(Map.of());   // the real C library; outside echo routed to 127.0.0.1 for IcmpEchoTest.OUTSIDE only
    }

    @AfterEach
    void close() {
        w.close();
    }

    @Test
    void twoGuestPingsWithTheSameSequenceNumberAreAnsweredByTheHostKernel() throws Exception {
        byte[] a = "first ping from the guest, 40 bytes long".getBytes();
        byte[] b = "second ping".getBytes();
        w.send(Wire.ip(Wire.GUEST, IcmpEchoTest.OUTSIDE, 1, Wire.icmpEcho(0x0a0a, 1, a)));
        String why = w.onLoop(() -> w.netdev.stack().echo.unavailable());
        if (why != null) {   // said on the console too, not only in the report: this test did not run
            String m = "IcmpEchoLoopbackTest NOT TESTED: this host allows neither ICMP socket kind: " + why;
            System.err.println(m);
            Assumptions.abort(m);
        }
        w.send(Wire.ip(Wire.GUEST, IcmpEchoTest.OUTSIDE, 1, Wire.icmpEcho(0x0b0b, 1, b)));
        for (int[] idAndLength : new int[][] {{0x0a0a, a.length}, {0x0b0b, b.length}}) {
            int id = idAndLength[0];
            Wire.Frame r = w.expect("the host's echo reply for id " + id,
                    f -> f.isIp(1) && Wire.u16(f.b(), f.l4() + 4) == id).verified();
            byte[] f = r.b();
            assertEquals(IcmpEchoTest.OUTSIDE, r.src());
            assertEquals(Wire.GUEST, r.dst());
            assertEquals(0, f[r.l4()], "echo reply");
            assertEquals(1, Wire.u16(f, r.l4() + 6), "the guest's sequence number");
            assertArrayEquals(id == 0x0a0a ? a : b, Arrays.copyOfRange(f, r.l4() + 8, r.l4() + 8 + idAndLength[1]));
            assertEquals(8 + idAndLength[1], r.ipLen() - r.ihl());
        }
        System.out.println("IcmpEchoLoopbackTest: answered through a host "
                + w.onLoop(() -> w.netdev.stack().echo.socketKind()).what);
        assertEquals(2L, (long) w.onLoop(() -> w.netdev.stats().icmpEchoReplies));
        assertEquals(0, (int) w.onLoop(() -> w.netdev.stack().echo.pendingCount()));
    }

    @Test
    void anIcmpv6PingIsAnsweredByTheHostKernelOverIpv6Loopback() throws Exception {
        byte[] body = "\u00ab\u00cd\u0000\u0003ping over IPv6".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1); // id 0xabcd, seq 3
        w.send(Wire6.icmpFrame(Wire6.GW_MAC, Wire6.GUEST, IcmpEchoTest.OUTSIDE6, 64, Icmp6.ECHO_REQUEST, body));
        Wire6.F r;
        try {
            r = new Wire6.F(w.expect("the host's ICMPv6 echo reply", f -> Wire6.F.isIcmp(f, Icmp6.ECHO_REPLY)).b()).verified();
        } catch (AssertionError e) {
            String why = w.onLoop(() -> w.netdev.stack().echo6.unavailable());
            if (why == null) {
                throw e;
            }
            String m = "IcmpEchoLoopbackTest NOT TESTED over IPv6: this host allows neither ICMPv6 socket kind: " + why;
            System.err.println(m);
            Assumptions.abort(m);
            return;
        }
        assertArrayEquals(IcmpEchoTest.OUTSIDE6, r.src(), "from the address the guest pinged (routed by the test to ::1)");
        assertArrayEquals(Wire6.GUEST, r.dst());
        assertEquals(63, r.hopLimit(), "from beyond the gateway");
        assertArrayEquals(body, r.bytes(4, body.length), "the guest's identifier, sequence number and data");
        System.out.println("IcmpEchoLoopbackTest: ICMPv6 answered through a host "
                + w.onLoop(() -> w.netdev.stack().echo6.socketKind()).what);
        assertEquals(1L, (long) w.onLoop(() -> w.netdev.stats().icmpEchoReplies));
    }
}
