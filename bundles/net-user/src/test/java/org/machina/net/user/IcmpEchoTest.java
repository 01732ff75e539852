package org.machina.net.user;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.machina.host.posix.ErrnoException;
import org.machina.host.posix.Libc;

/**
 * ICMP echo to outside hosts over a simulated kernel ({@link FakeIcmpKernel}): which socket kind,
 * identifier and sequence mapping both ways, checksums, the refusals, restrict=on, the bound and the
 * expiry. The guest pings 203.0.113.7 (TEST-NET-3), which the test routes to 127.0.0.1; nothing
 * leaves the process (the kernel is simulated).
 */
class IcmpEchoTest {
    static final int OUTSIDE = Wire.ip("203.0.113.7");
    private final FakeIcmpKernel kernel = new FakeIcmpKernel();
    private Wire w;

    static InetAddress loopback() {
        try {
            return InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A raw ICMP socket of the real kernel (non-blocking), or the test is aborted: it needs CAP_NET_RAW. */
    static int rawSocketOrAbort(Libc libc, String purpose) {
        try {
            return libc.socket(Libc.AF_INET, Libc.SOCK_RAW | Libc.SOCK_NONBLOCK, Libc.IPPROTO_ICMP);
        } catch (ErrnoException e) {
            return Assumptions.abort("no raw socket " + purpose + " (needs CAP_NET_RAW): " + e.getMessage());
        }
    }

    /** An outside IPv6 address (documentation prefix) that {@link #route} sends to ::1. */
    static final byte[] OUTSIDE6 = Wire6.addr("2001:db8::7");

    /** Routes {@link #OUTSIDE} to 127.0.0.1, {@link #OUTSIDE6} to ::1, and nothing else anywhere. */
    static InetAddress route(IpAddr dst) {
        try {
            if (dst.equals(new IpAddr.V4(OUTSIDE))) {
                return loopback();
            }
            return dst.equals(IpAddr.V6.of(OUTSIDE6, 0)) ? InetAddress.getByName("::1") : null;
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private Wire wire(Map<String, String> options, long timeoutMs) throws Exception {
        w = new Wire(options, new Stack.Host(() -> kernel, IcmpEchoTest::route, timeoutMs));
        return w;
    }

    @AfterEach
    void close() {
        if (w != null) {
            w.close();
        }
    }

    private static byte[] data() {
        return "0123456789abcdefghijklmnopqrstuvwxyz".getBytes();
    }

    private Wire.Frame expectReply(int id, int seq) {
        Wire.Frame r = w.expect("echo reply id " + id, f -> f.isIp(1) && Wire.u16(f.b(), f.l4() + 4) == id).verified();
        byte[] b = r.b();
        assertEquals(OUTSIDE, r.src(), "from the address the guest pinged");
        assertEquals(Wire.GUEST, r.dst());
        assertEquals(0, b[r.l4()], "echo reply");
        assertEquals(0, b[r.l4() + 1], "code 0");
        assertEquals(seq, Wire.u16(b, r.l4() + 6), "the guest's sequence number");
        assertArrayEquals(data(), Arrays.copyOfRange(b, r.l4() + 8, r.ipLen() + 14));
        return r;
    }

    @Test
    void aPingSocketCarriesTheEchoAndTheGuestGetsItsIdentifierBack() throws Exception {
        wire(Map.of(), 10_000);
        w.send(Wire.ip(Wire.GUEST, OUTSIDE, 1, Wire.icmpEcho(0x1234, 7, data())));
        w.send(Wire.ip(Wire.GUEST, OUTSIDE, 1, Wire.icmpEcho(0x9999, 7, data())));
        expectReply(0x1234, 7);
        expectReply(0x9999, 7);
        List<FakeIcmpKernel.Sent> sent = kernel.sent();
        assertEquals(2, sent.size());
        for (FakeIcmpKernel.Sent s : sent) {
            assertEquals(FakeIcmpKernel.PING_FD, s.fd());
            assertEquals(loopback(), s.to().getAddress(), "routed to 127.0.0.1");
            assertEquals(8, s.icmp()[0], "echo request");
            assertEquals(0, FakeIcmpKernel.sum(s.icmp()), "checksummed");
            assertArrayEquals(data(), Arrays.copyOfRange(s.icmp(), 8, s.icmp().length));
        }
        assertTrue(FakeIcmpKernel.get16(sent.get(0).icmp(), 6) != FakeIcmpKernel.get16(sent.get(1).icmp(), 6),
                "two guest requests with the same sequence number go out with different ones");
        assertEquals(List.of(Libc.SOCK_DGRAM), kernel.socketCalls(), "the ping socket, once");
        assertEquals(HostIcmpSocket.Kind.PING, w.onLoop(() -> w.netdev.stack().echo.socketKind()));
        assertEquals(2L, (long) w.onLoop(() -> w.netdev.stats().icmpEchoReplies));
        assertEquals(0, (int) w.onLoop(() -> w.netdev.stack().echo.pendingCount()));
    }

    @Test
    void bothFamiliesShareTheStacksWatcherAndReleaseTheirSocketsToItOnClose() throws Exception {
        wire(Map.of(), 10_000);
        w.send(Wire.ip(Wire.GUEST, OUTSIDE, 1, Wire.icmpEcho(0x1234, 1, data())));
        expectReply(0x1234, 1);
        w.send(Wire6.icmpFrame(Wire6.GW_MAC, Wire6.GUEST, OUTSIDE6, 64, Icmp6.ECHO_REQUEST, new byte[] {0x56, 0x78, 0, 1}));
        w.expect("ICMPv6 echo reply", f -> Wire6.F.isIcmp(f, Icmp6.ECHO_REPLY));
        assertEquals(1, kernel.pipes(), "one wake-up pipe: one watcher for both sockets");
        FdWatcher watcher = w.onLoop(() -> w.netdev.stack().startedWatcher());
        assertTrue(w.onLoop(() -> watcher.watches(FakeIcmpKernel.PING_FD) && watcher.watches(FakeIcmpKernel.PING6_FD)));
        w.close();
        assertFalse(watcher.running(), "the thread ended with the stack");
        assertEquals(0, watcher.size());
        assertTrue(kernel.closed.containsAll(List.of(FakeIcmpKernel.PING_FD, FakeIcmpKernel.PING6_FD, 20, 21)),
                "both sockets and the pipe closed: " + kernel.closed);
        assertEquals(List.of(), kernel.violations(), "no descriptor closed while polled, none polled closed");
    }

    @Test
    void aSocketClosedUnderneathIsLetGoNotClosedAgainAndTheNextPingOpensAnother() throws Exception {
        wire(Map.of(), 10_000);
        w.send(Wire.ip(Wire.GUEST, OUTSIDE, 1, Wire.icmpEcho(0x1234, 1, data())));
        expectReply(0x1234, 1);
        kernel.closeUnderneath(FakeIcmpKernel.PING_FD);
        waitFor("the stack let the socket go", () -> w.onLoop(() -> w.netdev.stack().echo.socketKind()) == null);
        assertFalse(kernel.closed.contains(FakeIcmpKernel.PING_FD), "not closed by the stack: the number is no longer its own");
        w.send(Wire.ip(Wire.GUEST, OUTSIDE, 1, Wire.icmpEcho(0x1234, 2, data())));
        expectReply(0x1234, 2);
        assertEquals(List.of(Libc.SOCK_DGRAM, Libc.SOCK_DGRAM), kernel.socketCalls(), "a second socket");
        assertEquals(1, kernel.pipes(), "the same watcher");
    }

    @Test
    void echoOfEitherFamilyLeavesAPingSocketWithTheGuestsTtlLessOne() throws Exception {
        forwardedEcho(true);
    }

    @Test
    void echoOfEitherFamilyLeavesARawSocketWithTheGuestsTtlLessOne() throws Exception {
        forwardedEcho(false);
    }

    /** ICMP echo with TTLs 9, 64, 2, then ICMPv6 echo (hop limit 9, then 1), through the sockets of one kind. */
    private void forwardedEcho(boolean ping) throws Exception {
        kernel.pingAllowed = ping;
        wire(Map.of(), 10_000);
        w.send(TimeExceededTest.ttl(Wire.ip(Wire.GUEST, OUTSIDE, 1, Wire.icmpEcho(0x2001, 1, data())), 9));
        expectReply(0x2001, 1);
        w.send(Wire.ip(Wire.GUEST, OUTSIDE, 1, Wire.icmpEcho(0x2001, 2, data()))); // TTL 64
        expectReply(0x2001, 2);
        w.send(TimeExceededTest.ttl(Wire.ip(Wire.GUEST, OUTSIDE, 1, Wire.icmpEcho(0x2001, 3, data())), 2));
        expectReply(0x2001, 3);
        List<FakeIcmpKernel.Sent> sent = kernel.sent();
        assertEquals(ping ? FakeIcmpKernel.PING_FD : FakeIcmpKernel.RAW_FD, sent.get(0).fd());
        assertEquals(List.of(8, 63, 1), sent.stream().map(FakeIcmpKernel.Sent::ttl).toList(),
                "forwarded as a router does: with the guest's TTL less one");

        byte[] body = {0x77, 0x01, 0, 5, 'v', '6'};
        w.send(Wire6.icmpFrame(Wire6.GW_MAC, Wire6.GUEST, OUTSIDE6, 9, Icmp6.ECHO_REQUEST, body));
        Wire6.F r = new Wire6.F(w.expect("ICMPv6 echo reply", f -> Wire6.F.isIcmp(f, Icmp6.ECHO_REPLY)).b()).verified();
        assertArrayEquals(OUTSIDE6, r.src(), "from the address pinged");
        assertArrayEquals(Wire6.GUEST, r.dst());
        assertEquals(63, r.hopLimit());
        assertArrayEquals(body, r.bytes(4, body.length), "the guest's identifier and sequence number back");
        FakeIcmpKernel.Sent s = kernel.sent().get(3);
        assertEquals(ping ? FakeIcmpKernel.PING6_FD : FakeIcmpKernel.RAW6_FD, s.fd(), "an ICMPv6 socket");
        assertEquals(InetAddress.getByName("::1"), s.to().getAddress(), "routed by the test to ::1");
        assertEquals(Icmp6.ECHO_REQUEST, s.icmp()[0] & 0xff);
        assertEquals(8, s.ttl(), "IPV6_UNICAST_HOPS: the guest's hop limit less one");
        assertTrue(w.collect(300, f -> Wire6.F.isIcmp(f, Icmp6.ECHO_REPLY)).isEmpty(), "the raw socket's copy of the request is not a reply");
        // hop limit 1: time exceeded from the gateway, nothing sent
        w.send(Wire6.icmpFrame(Wire6.GW_MAC, Wire6.GUEST, OUTSIDE6, 1, Icmp6.ECHO_REQUEST, body));
        w.expect("ICMPv6 time exceeded", f -> Wire6.F.isIcmp(f, IcmpError.TIME_EXCEEDED6));
        assertEquals(4, kernel.sent().size());
    }

    @Test
    void restrictOnSendsNoOutsideIcmpv6Echo() throws Exception {
        wire(Map.of("restrict", "on"), 10_000);
        w.send(Wire6.icmpFrame(Wire6.GW_MAC, Wire6.GUEST, OUTSIDE6, 64, Icmp6.ECHO_REQUEST, new byte[] {0, 1, 0, 1}));
        assertTrue(w.collect(300, f -> Wire6.F.isIcmp(f, Icmp6.ECHO_REPLY)).isEmpty());
        assertEquals(1L, (long) w.onLoop(() -> w.netdev.stats().restricted), "restrict=on: dropped");
        assertTrue(kernel.socketCalls().isEmpty(), "no socket opened");
    }

    @Test
    void aRawSocketWhenPingSocketsAreNotAllowedAndOnlyOurRepliesCount() throws Exception {
        kernel.pingAllowed = false;
        wire(Map.of(), 10_000);
        w.send(Wire.ip(Wire.GUEST, OUTSIDE, 1, Wire.icmpEcho(0x0101, 3, data())));
        expectReply(0x0101, 3);
        assertEquals(List.of(Libc.SOCK_DGRAM, Libc.SOCK_RAW), kernel.socketCalls());
        FakeIcmpKernel.Sent s = kernel.sent().get(0);
        assertEquals(FakeIcmpKernel.RAW_FD, s.fd());
        assertEquals(0, FakeIcmpKernel.sum(s.icmp()));
        assertEquals(HostIcmpSocket.Kind.RAW, w.onLoop(() -> w.netdev.stack().echo.socketKind()));
        // the copy of the request and the other program's reply the raw socket also saw: not for the guest
        assertTrue(w.collect(300, f -> f.isIp(1)).isEmpty(), "one reply only");
        assertEquals(1L, (long) w.onLoop(() -> w.netdev.stats().icmpEchoReplies));
    }

    @Test
    void noSocketAllowedDropsEveryOutsideEchoWithOneReason() throws Exception {
        kernel.pingAllowed = false;
        kernel.rawAllowed = false;
        wire(Map.of(), 10_000);
        for (int i = 0; i < 3; i++) {
            w.send(Wire.ip(Wire.GUEST, OUTSIDE, 1, Wire.icmpEcho(5, i, data())));
        }
        w.send(Wire.ip(Wire.GUEST, Wire.GW, 1, Wire.icmpEcho(6, 1, data())));
        Wire.Frame gw = w.expect("the gateway still answers", f -> f.isIp(1)).verified();
        assertEquals(Wire.GW, gw.src());
        assertEquals(3L, (long) w.onLoop(() -> w.netdev.stats().icmpEchoNoSocket));
        assertEquals(List.of(Libc.SOCK_DGRAM, Libc.SOCK_RAW), kernel.socketCalls(), "tried once, not per request");
        String why = w.onLoop(() -> w.netdev.stack().echo.unavailable());
        assertTrue(why.contains("ping_group_range") && why.contains("EACCES"), why);
        assertTrue(why.contains("CAP_NET_RAW") && why.contains("EPERM"), why);
        assertTrue(kernel.sent().isEmpty());
    }

    @Test
    void restrictOnSendsNoOutsideEcho() throws Exception {
        wire(Map.of("restrict", "on"), 10_000);
        w.send(Wire.ip(Wire.GUEST, OUTSIDE, 1, Wire.icmpEcho(5, 1, data())));
        w.send(Wire.ip(Wire.GUEST, Wire.GW, 1, Wire.icmpEcho(6, 1, data())));
        assertEquals(Wire.GW, w.expect("the gateway answers under restrict=on", f -> f.isIp(1)).src());
        assertEquals(1L, (long) w.onLoop(() -> w.netdev.stats().restricted));
        assertTrue(kernel.socketCalls().isEmpty(), "no host socket at all");
    }

    @Test
    void unroutedDestinationsAndBadRepliesAreDropped() throws Exception {
        kernel.corrupt = true;
        wire(Map.of(), 10_000);
        w.send(Wire.ip(Wire.GUEST, Wire.ip("10.0.2.99"), 1, Wire.icmpEcho(5, 1, data())));
        w.send(Wire.ip(Wire.GUEST, Wire.ip("198.51.100.1"), 1, Wire.icmpEcho(5, 2, data())));
        assertEquals(2L, (long) w.onLoop(() -> w.netdev.stats().unsupported), "in the virtual network; not routed");
        w.send(Wire.ip(Wire.GUEST, OUTSIDE, 1, Wire.icmpEcho(5, 3, data())));
        waitFor("the corrupt reply counted", () -> w.onLoop(() -> w.netdev.stats().malformed) == 1L);
        assertTrue(w.collect(200, f -> f.isIp(1)).isEmpty());
        assertEquals(1, kernel.sent().size(), "only the routed request was sent");
        assertEquals(1, (int) w.onLoop(() -> w.netdev.stack().echo.pendingCount()), "still waiting for a good reply");
    }

    @Test
    void outstandingRequestsAreBoundedAndExpire() throws Exception {
        kernel.answer = false;
        wire(Map.of(), 300);
        int n = IcmpEcho.MAX_PENDING + 5;
        for (int i = 0; i < n; i++) {
            w.send(Wire.ip(Wire.GUEST, OUTSIDE, 1, Wire.icmpEcho(1, i, data())));
        }
        waitFor("all requests handled", () -> w.onLoop(() -> w.netdev.stats().icmpEchoTableFull
                + w.netdev.stats().icmpEchoTimedOut + w.netdev.stack().echo.pendingCount()) >= n);
        assertEquals(5L, (long) w.onLoop(() -> w.netdev.stats().icmpEchoTableFull));
        waitFor("every request expired", () -> w.onLoop(() -> w.netdev.stack().echo.pendingCount()) == 0);
        assertEquals((long) IcmpEcho.MAX_PENDING, (long) w.onLoop(() -> w.netdev.stats().icmpEchoTimedOut));
        // a late reply to an expired request is not for anyone
        byte[] late = kernel.sent().get(0).icmp().clone();
        late[0] = 0;
        FakeIcmpKernel.put16(late, 4, FakeIcmpKernel.PING_ID);
        FakeIcmpKernel.put16(late, 2, 0);
        FakeIcmpKernel.put16(late, 2, FakeIcmpKernel.sum(late));
        kernel.deliver(late, loopback());
        assertTrue(w.collect(300, f -> f.isIp(1)).isEmpty());
        assertEquals(0L, (long) w.onLoop(() -> w.netdev.stats().icmpEchoReplies));
        w.close();
        assertTrue(kernel.closed.contains(FakeIcmpKernel.PING_FD), "the socket is closed with the stack");
    }

    /** An ICMP error of {@code type}/{@code code} as a raw socket reads it: the reporter's IP header, quoting {@code request}'s IP header and 8 bytes. */
    private static byte[] rawError(int type, int code, InetAddress reporter, byte[] request) {
        byte[] quoted = new byte[20 + 8];
        quoted[0] = 0x45;
        FakeIcmpKernel.put16(quoted, 2, 20 + request.length);
        quoted[8] = 64;
        quoted[9] = 1;
        System.arraycopy(new byte[] {10, 0, 0, 9}, 0, quoted, 12, 4);  // the host's address as the request left
        System.arraycopy(loopback().getAddress(), 0, quoted, 16, 4);    // where it went (OUTSIDE's route)
        System.arraycopy(request, 0, quoted, 20, 8);
        byte[] icmp = new byte[8 + quoted.length];
        icmp[0] = (byte) type;
        icmp[1] = (byte) code;
        System.arraycopy(quoted, 0, icmp, 8, quoted.length);
        FakeIcmpKernel.put16(icmp, 2, FakeIcmpKernel.sum(icmp));
        byte[] ip = new byte[20 + icmp.length];
        ip[0] = 0x45;
        FakeIcmpKernel.put16(ip, 2, ip.length);
        ip[9] = 1;
        System.arraycopy(reporter.getAddress(), 0, ip, 12, 4);
        System.arraycopy(icmp, 0, ip, 20, icmp.length);
        return ip;
    }

    @Test
    void aRawSocketsErrorAboutARequestGoesToTheGuestFromTheReporter() throws Exception {
        kernel.pingAllowed = false;
        kernel.answer = false;
        wire(Map.of(), 10_000);
        byte[] ping = Wire.ip(Wire.GUEST, OUTSIDE, 1, Wire.icmpEcho(0x3131, 9, data()));
        w.send(ping);
        waitFor("the request sent", () -> kernel.sent().size() == 1);
        byte[] request = kernel.sent().get(0).icmp();
        InetAddress router = InetAddress.getByAddress(new byte[] {(byte) 192, 0, 2, 1}); // simulated: nothing is sent anywhere
        byte[] strangers = request.clone();
        FakeIcmpKernel.put16(strangers, 6, FakeIcmpKernel.get16(request, 6) ^ 1);     // another sequence number
        kernel.deliver(rawError(11, 0, router, strangers), router);
        kernel.deliver(rawError(3, 1, router, request), router);
        Wire.Frame r = w.expect("host unreachable", f -> f.isIp(1) && (f.b()[f.l4()] & 0xff) == 3).verified();
        assertEquals(1, r.b()[r.l4() + 1], "the reporter's code: host unreachable");
        assertEquals(Wire.ip("192.0.2.1"), r.src(), "from the router that reported it");
        assertEquals(Wire.GUEST, r.dst());
        assertEquals(0, Wire.sum(0, r.b(), r.l4(), r.ipLen() - r.ihl()));
        assertArrayEquals(Arrays.copyOfRange(ping, 14, 14 + 28), Arrays.copyOfRange(r.b(), r.l4() + 8, 14 + r.ipLen()),
                "quoting the guest's own request: its header, identifier and sequence number");
        assertTrue(w.collect(300, f -> f.isIp(1)).isEmpty(), "nothing about the unknown sequence number");
        assertEquals(1L, (long) w.onLoop(() -> w.netdev.stats().icmpEchoErrors));
        assertEquals(0, (int) w.onLoop(() -> w.netdev.stack().echo.pendingCount()), "the request is over");
    }

    @Test
    void aPingSocketsQueuedErrorGoesToTheGuest() throws Exception {
        kernel.answer = false;
        wire(Map.of(), 10_000);
        byte[] ping = Wire.ip(Wire.GUEST, OUTSIDE, 1, Wire.icmpEcho(0x4141, 3, data()));
        w.send(ping);
        waitFor("the request sent", () -> kernel.sent().size() == 1);
        assertTrue(kernel.recvErr, "IP_RECVERR set on the ping socket");
        byte[] request = kernel.sent().get(0).icmp().clone();
        FakeIcmpKernel.put16(request, 4, FakeIcmpKernel.PING_ID);                 // as the kernel sent it
        InetAddress router = InetAddress.getByAddress(new byte[] {(byte) 192, 0, 2, 1}); // simulated
        InetSocketAddress to = new InetSocketAddress(loopback(), 0);
        byte[] other = request.clone();
        FakeIcmpKernel.put16(other, 6, FakeIcmpKernel.get16(request, 6) ^ 1);
        kernel.deliverError(11, 0, router, to, other);                             // an unknown sequence number
        kernel.deliverError(11, 0, router, new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 9}), 0), request);
        kernel.deliverError(11, 1, router, to, request);
        Wire.Frame r = w.expect("time exceeded", f -> f.isIp(1) && (f.b()[f.l4()] & 0xff) == 11).verified();
        assertEquals(1, r.b()[r.l4() + 1], "the reporter's code");
        assertEquals(Wire.ip("192.0.2.1"), r.src(), "from the router that reported it");
        assertArrayEquals(Arrays.copyOfRange(ping, 14, 14 + 28), Arrays.copyOfRange(r.b(), r.l4() + 8, 14 + r.ipLen()));
        assertTrue(w.collect(300, f -> f.isIp(1)).isEmpty(), "nothing about the others");
        assertEquals(1L, (long) w.onLoop(() -> w.netdev.stats().icmpEchoErrors));
        assertEquals(0, (int) w.onLoop(() -> w.netdev.stack().echo.pendingCount()));
    }

    static void waitFor(String what, BooleanSupplier c) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(Wire.WAIT_S);
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > end) {
                fail("not reached: " + what);
            }
            Thread.sleep(20);
        }
    }
}
