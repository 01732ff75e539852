package org.machina.net.user;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.machina.host.posix.FfmLibc;
import org.machina.host.posix.Libc;

/**
 * Errors other than port unreachable that the host reports about a NATed UDP flow
 * ({@link IcmpError#udpError}): which Java exceptions become which destination unreachable code,
 * and, through the real kernel (a raw socket: root, else aborted), a forged ICMP "communication
 * administratively prohibited" from 127.0.0.1 about the flow's datagram reaching the guest.
 * Only loopback traffic.
 */
class UdpHostErrorTest {
    @Test
    void theHardErrorsJavaCanTellApartMapToCodesTheGuestTurnsBackIntoTheSameErrno() {
        assertEquals(IcmpError.PROHIBITED, IcmpError.udpErrorCode(new NoRouteToHostException("No route to host"), false));
        assertEquals(IcmpError.NET_UNREACHABLE, IcmpError.udpErrorCode(new SocketException("Network is unreachable"), false));
        assertEquals(IcmpError.PROHIBITED6, IcmpError.udpErrorCode(new BindException("Permission denied"), true));
        assertEquals(IcmpError.NO_ROUTE6, IcmpError.udpErrorCode(new SocketException("Network is unreachable"), true));
        assertEquals(IcmpError.ADDRESS_UNREACHABLE6, IcmpError.udpErrorCode(new NoRouteToHostException("No route to host"), true));
        assertEquals(-1, IcmpError.udpErrorCode(new BindException("Permission denied"), false), "EACCES over IPv4: a local refusal");
        assertEquals(-1, IcmpError.udpErrorCode(new SocketException("Host is down"), false));
        assertEquals(-1, IcmpError.udpErrorCode(new ConnectException("Connection refused"), false));
        assertEquals(-1, IcmpError.udpErrorCode(new IOException("Broken pipe"), false));
    }

    @Test
    void anAdministrativelyProhibitedFromTheHostReachesTheGuestAndTheFlowGoesOn() throws Exception {
        Libc libc = FfmLibc.get();
        int raw = IcmpEchoTest.rawSocketOrAbort(libc, "to forge the host's ICMP error with");
        try (Wire w = new Wire(Map.of()); DatagramChannel server = DatagramChannel.open(); Arena a = Arena.ofConfined()) {
            server.bind(new InetSocketAddress("127.0.0.1", 0));
            int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
            byte[] sent = Wire.ip(Wire.GUEST, Wire.GW, Ipv4.UDP, Wire.udp(Wire.GUEST, Wire.GW, 40011, port, "first".getBytes()));
            w.send(sent);
            ByteBuffer got = ByteBuffer.allocate(64);
            InetSocketAddress from = (InetSocketAddress) server.receive(got);
            // what a firewall on the way would answer (ICMP 3/13, a "hard" error Linux reports to the
            // flow's connected socket as EHOSTUNREACH), quoting the datagram as it left the host
            byte[] err = new byte[8 + 28];
            err[0] = 3;
            err[1] = (byte) IcmpError.PROHIBITED;
            byte[] ip = err;
            int q = 8;
            ip[q] = 0x45;
            Wire.put16(ip, q + 2, 28 + 5);
            ip[q + 8] = 64;
            ip[q + 9] = (byte) Ipv4.UDP;
            ip[q + 12] = 127;
            ip[q + 15] = 1;
            ip[q + 16] = 127;
            ip[q + 19] = 1;
            Wire.put16(ip, q + 10, Wire.sum(0, ip, q, 20));
            Wire.put16(ip, q + 20, from.getPort());
            Wire.put16(ip, q + 22, port);
            Wire.put16(ip, q + 24, 8 + 5);
            Wire.put16(err, 2, Wire.sum(0, err, 0, err.length));
            MemorySegment out = a.allocate(err.length);
            MemorySegment.copy(err, 0, out, ValueLayout.JAVA_BYTE, 0, err.length);
            libc.sendTo(raw, out, 0, new InetSocketAddress(IcmpEchoTest.loopback(), 0));

            Wire.Frame r = w.expect("destination unreachable", f -> f.isIp(Ipv4.ICMP) && (f.b()[f.l4()] & 0xff) == 3).verified();
            assertEquals(IcmpError.PROHIBITED, r.b()[r.l4() + 1], "code 13: a Linux guest's connected socket gets EHOSTUNREACH too");
            assertEquals(Wire.GW, r.src(), "from the gateway: who reported it, Java does not say");
            assertArrayEquals(Arrays.copyOfRange(sent, 14, 14 + 28), Arrays.copyOfRange(r.b(), r.l4() + 8, 14 + r.ipLen()),
                    "the guest's datagram: its IP header and 8 bytes");
            assertEquals(1L, (long) w.onLoop(() -> w.netdev.stats().udpErrorsRelayed));

            w.send(Wire.ip(Wire.GUEST, Wire.GW, Ipv4.UDP, Wire.udp(Wire.GUEST, Wire.GW, 40011, port, "second".getBytes())));
            got.clear();
            server.receive(got);
            assertEquals("second", new String(got.array(), 0, got.position()), "the flow goes on");
        } finally {
            libc.close(raw);
        }
    }
}
