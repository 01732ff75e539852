package org.machina.net.user;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The host's ICMPv6 errors about a guest's ping to an outside host, relayed as a router would, on
 * the simulated kernel ({@link FakeIcmpKernel}; nothing leaves the process): a ping socket's queued
 * error (IPV6_RECVERR, ee_info carrying packet too big's MTU) and a raw socket's error message
 * (quoting the IPv6 header and the request). The guest gets the same type and code from the router
 * that reported it, with hop limit 63 (one router on the way: the gateway), quoting its own request.
 * {@link Icmp6ErrorNamespaceTest} does the same through the real kernel.
 */
class Icmp6EchoErrorTest {
    static final byte[] ROUTER = Wire6.addr("2001:db8:1::1");
    private final FakeIcmpKernel kernel = new FakeIcmpKernel();
    private Wire w;

    @AfterEach
    void close() {
        if (w != null) {
            w.close();
        }
    }

    private byte[] ping(int seq) throws Exception {
        w = w != null ? w : new Wire(Map.of(), new Stack.Host(() -> kernel, IcmpEchoTest::route, 10_000));
        byte[] ping = Wire6.icmpFrame(Wire6.GW_MAC, Wire6.GUEST, IcmpEchoTest.OUTSIDE6, 64, Icmp6.ECHO_REQUEST,
                new byte[] {0x61, 0x62, 0, (byte) seq, 'e', 'r', 'r'});
        int before = kernel.sent().size();
        w.send(ping);
        IcmpEchoTest.waitFor("the request sent", () -> kernel.sent().size() == before + 1);
        return ping;
    }

    private Wire6.F expectError(int type, byte[] ping) {
        Wire6.F r = new Wire6.F(w.expect("ICMPv6 error " + type, f -> Wire6.F.isIcmp(f, type)).b()).verified();
        assertArrayEquals(ROUTER, r.src(), "from the router that reported it");
        assertArrayEquals(Wire6.GUEST, r.dst());
        assertEquals(63, r.hopLimit(), "forwarded through the gateway");
        byte[] m = r.l4();
        assertArrayEquals(Arrays.copyOfRange(ping, 14, ping.length), Arrays.copyOfRange(m, 8, m.length), "quoting the guest's request");
        return r;
    }

    @Test
    void aPingSocketsQueuedErrorsGoToTheGuest() throws Exception {
        kernel.answer = false;
        byte[] ping = ping(1);
        assertTrue(kernel.recvErr6, "IPV6_RECVERR set on the ICMPv6 ping socket");
        byte[] request = kernel.sent().get(0).icmp();
        InetSocketAddress to = new InetSocketAddress(InetAddress.getByName("::1"), 0);
        InetAddress router = InetAddress.getByAddress(ROUTER);
        byte[] other = request.clone();
        other[7] ^= 1;
        kernel.deliverError6(1, 3, 0, router, to, other);                  // another sequence number: not ours
        kernel.deliverError6(4, 0, 6, router, to, request);               // parameter problem: not relayed
        kernel.deliverError6(2, 0, 1280, router, to, request);            // packet too big, MTU 1280
        Wire6.F r = expectError(2, ping);
        assertEquals(0, r.u8(1));
        assertEquals(1280, r.i32(4), "the MTU the router said");
        assertTrue(w.collect(300, f -> Wire6.F.isIcmp(f, 1)).isEmpty(), "nothing about the other sequence number");
        assertEquals(1L, (long) w.onLoop(() -> w.netdev.stats().icmpEchoErrors));

        byte[] second = ping(2);
        kernel.deliverError6(3, 0, 0, router, to, kernel.sent().get(1).icmp());
        assertEquals(0, expectError(3, second).i32(4), "time exceeded: its unused field 0");
        assertEquals(0, (int) w.onLoop(() -> w.netdev.stack().echo6.pendingCount()), "both requests are over");
    }

    @Test
    void aRawSocketsErrorMessageGoesToTheGuest() throws Exception {
        kernel.pingAllowed = false;
        kernel.answer = false;
        byte[] ping = ping(7);
        assertEquals(FakeIcmpKernel.RAW6_FD, kernel.sent().get(0).fd());
        byte[] request = kernel.sent().get(0).icmp();
        byte[] error = new byte[8 + 40 + request.length];
        error[0] = 1;                                                   // destination unreachable
        error[1] = 3;                                                   // address unreachable
        error[8] = 0x60;
        Wire.put16(error, 8 + 4, request.length);
        error[8 + 6] = 58;
        error[8 + 7] = 1;
        System.arraycopy(Wire6.addr("2001:db8:2::9"), 0, error, 8 + 8, 16); // the host's address as the request left
        System.arraycopy(Wire6.addr("::1"), 0, error, 8 + 24, 16);         // where it went (OUTSIDE6's route)
        System.arraycopy(request, 0, error, 48, request.length);
        byte[] elsewhere = error.clone();
        elsewhere[8 + 39] = 2;                                          // about a packet to ::2: not ours
        kernel.deliver6(elsewhere, InetAddress.getByAddress(ROUTER));
        kernel.deliver6(error, InetAddress.getByAddress(ROUTER));
        assertEquals(3, expectError(1, ping).u8(1), "the reporter's code");
        assertTrue(w.collect(300, f -> Wire6.F.isIcmp(f, 1)).isEmpty(), "one error only");
        assertEquals(1L, (long) w.onLoop(() -> w.netdev.stats().icmpEchoErrors));
    }
}
