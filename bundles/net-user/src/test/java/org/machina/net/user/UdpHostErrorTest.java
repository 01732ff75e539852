package org.machina.net.user;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.machina.host.posix.ErrnoException;
import org.machina.host.posix.FfmLibc;
import org.machina.host.posix.Libc;

/**
 * ICMP errors the host's kernel queues on a NATed UDP flow's socket (IP_RECVERR) besides a real port
 * unreachable ({@link IcmpErrorTest}): forged with a raw socket from 127.0.0.1 about the flow's
 * datagram as it left the host, and relayed to the guest with their type and code ({@link UdpFlow#error})
 * or not. The stack's loop thread, the server and the raw socket are in a network namespace of the
 * loop's own ({@link LoopNamespace}: only {@code lo}), so a forged "fragmentation needed" changes no
 * path MTU of the host's. Needs root (CAP_SYS_ADMIN, CAP_NET_RAW) and {@code ip}; aborted without.
 */
class UdpHostErrorTest {
    private final Libc libc = FfmLibc.get();

    /** The server the guest sends to, in the loop's namespace. */
    private DatagramChannel server;
    private int raw = -1;
    /** The host port the flow's datagram left from. */
    private int flowPort;

    /** The loop in a namespace of its own, a server on 127.0.0.1 and a raw socket there; the guest's first datagram. */
    private byte[] start(Wire w, boolean df) throws Exception {
        String why = w.onLoop(() -> LoopNamespace.enter());
        Assumptions.assumeTrue(why == null, why);
        w.onLoop(() -> {
            try {
                server = DatagramChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
                raw = libc.socket(Libc.AF_INET, Libc.SOCK_RAW | Libc.SOCK_NONBLOCK, Libc.IPPROTO_ICMP);
                return null;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (ErrnoException e) {
                return null;
            }
        });
        Assumptions.assumeTrue(raw >= 0, "no raw socket to forge the host's ICMP error with (needs CAP_NET_RAW)");
        int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
        byte[] sent = Wire.ipFrame(Wire.GUEST, Wire.GW, Ipv4.UDP, 9, df ? 0x4000 : 0,
                Wire.udp(Wire.GUEST, Wire.GW, 40011, port, "first".getBytes()));
        w.send(sent);
        ByteBuffer got = ByteBuffer.allocate(64);
        flowPort = ((InetSocketAddress) server.receive(got)).getPort();
        return sent;
    }

    /**
     * What a router on the way would answer about the flow's datagram as it left the host (127.0.0.1 to
     * the server, its 5 data bytes "first"): ICMP {@code type}/{@code code} with {@code mtu} in the
     * next-hop MTU field, sent from 127.0.0.1.
     */
    private void forge(int type, int code, int mtu) throws Exception {
        int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
        byte[] err = new byte[8 + 28 + 5];
        err[0] = (byte) type;
        err[1] = (byte) code;
        Wire.put16(err, 6, mtu);
        int q = 8;
        err[q] = 0x45;
        Wire.put16(err, q + 2, 28 + 5);
        err[q + 8] = 64;
        err[q + 9] = (byte) Ipv4.UDP;
        err[q + 12] = 127;
        err[q + 15] = 1;
        err[q + 16] = 127;
        err[q + 19] = 1;
        Wire.put16(err, q + 10, Wire.sum(0, err, q, 20));
        Wire.put16(err, q + 20, flowPort);
        Wire.put16(err, q + 22, port);
        Wire.put16(err, q + 24, 8 + 5);
        System.arraycopy("first".getBytes(), 0, err, q + 28, 5);
        Wire.put16(err, 2, Wire.sum(0, err, 0, err.length));
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(err.length);
            MemorySegment.copy(err, 0, out, ValueLayout.JAVA_BYTE, 0, err.length);
            libc.sendTo(raw, out, 0, new InetSocketAddress(IcmpEchoTest.loopback(), 0));
        }
    }

    /** The guest's next datagram on the flow reaches the server: the flow survived the error. */
    private void flowGoesOn(Wire w) throws Exception {
        int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
        w.send(Wire.ip(Wire.GUEST, Wire.GW, Ipv4.UDP, Wire.udp(Wire.GUEST, Wire.GW, 40011, port, "second".getBytes())));
        ByteBuffer got = ByteBuffer.allocate(64);
        server.receive(got);
        assertEquals("second", new String(got.array(), 0, got.position()), "the flow goes on");
    }

    private void end() throws IOException {
        if (server != null) {
            server.close();
        }
        if (raw >= 0) {
            libc.close(raw);
        }
    }

    private static Wire.Frame expectUnreachable(Wire w, byte[] sent, int code) {
        Wire.Frame r = w.expect("destination unreachable", f -> f.isIp(Ipv4.ICMP) && (f.b()[f.l4()] & 0xff) == 3).verified();
        assertEquals(code, r.b()[r.l4() + 1], "code");
        assertEquals(Wire.GW, r.src(), "from the host the datagram went to (127.0.0.1 reported it): the gateway");
        assertEquals(Wire.GUEST, r.dst());
        assertArrayEquals(Arrays.copyOfRange(sent, 14, 14 + 28), Arrays.copyOfRange(r.b(), r.l4() + 8, 14 + r.ipLen()),
                "the guest's datagram: its IP header and 8 bytes");
        return r;
    }

    @Test
    void anAdministrativelyProhibitedReachesTheGuestQuotingTheDatagramItIsAboutAndTheFlowGoesOn() throws Exception {
        try (Wire w = new Wire(Map.of())) {
            byte[] sent = start(w, false);
            // a later datagram to the same destination: the error, about "first", must not quote it
            int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
            w.send(Wire.ip(Wire.GUEST, Wire.GW, Ipv4.UDP, Wire.udp(Wire.GUEST, Wire.GW, 40011, port, "later".getBytes())));
            server.receive(ByteBuffer.allocate(64));
            forge(IcmpError.DEST_UNREACHABLE, IcmpError.PROHIBITED, 0);
            expectUnreachable(w, sent, IcmpError.PROHIBITED);
            assertEquals(1L, (long) w.onLoop(() -> w.netdev.stats().udpErrorsRelayed));
            flowGoesOn(w);
        } finally {
            end();
        }
    }

    @Test
    void fragmentationNeededAboutADatagramWithDfReachesTheGuestWithTheMtu() throws Exception {
        try (Wire w = new Wire(Map.of())) {
            byte[] sent = start(w, true);
            forge(IcmpError.DEST_UNREACHABLE, IcmpError.FRAG_NEEDED, 1400);
            Wire.Frame r = expectUnreachable(w, sent, IcmpError.FRAG_NEEDED);
            assertEquals(1400, Wire.u16(r.b(), r.l4() + 6), "the next-hop MTU (RFC 1191)");
            assertEquals(0, Wire.u16(r.b(), r.l4() + 4), "the unused half");
        } finally {
            end();
        }
    }

    @Test
    void fragmentationNeededWithoutDfAndParameterProblemsAreNotRelayed() throws Exception {
        try (Wire w = new Wire(Map.of())) {
            start(w, false);
            forge(IcmpError.DEST_UNREACHABLE, IcmpError.FRAG_NEEDED, 1400);
            forge(12, 0, 0);
            assertTrue(w.collect(300, f -> f.isIp(Ipv4.ICMP)).isEmpty(),
                    "the guest did not set DF (the host fragments the next ones); a parameter problem points into the host's"
                            + " packet");
            assertEquals(0L, (long) w.onLoop(() -> w.netdev.stats().udpErrorsRelayed));
            flowGoesOn(w);
        } finally {
            end();
        }
    }
}
