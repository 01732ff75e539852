package org.machina.net.user;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.machina.host.posix.FfmLibc;

/**
 * {@code outside=loopback}: the guest's traffic to outside addresses goes to the host's loopback of
 * its family (the stack is given no test route: {@link Stack.Host#route} is null), so it reaches
 * "the Internet" and nothing leaves the machine. UDP to 203.0.113.7 and 2001:db8::7 arrives at sockets
 * on 127.0.0.1 and ::1 (the real C library's sockets); an echo request goes to 127.0.0.1 (a second
 * stack's simulated kernel) and its reply comes back from the address pinged.
 */
class OutsideLoopbackTest {
    static final Map<String, String> LOOPBACK = Map.of("outside", "loopback");

    @Test
    void udpOfBothFamiliesLandsOnLoopback() throws Exception {
        FakeIcmpKernel kernel = new FakeIcmpKernel();
        try (Wire w = new Wire(LOOPBACK, new Stack.Host(FfmLibc::get, null, 10_000));
                Wire pinging = new Wire(LOOPBACK, new Stack.Host(() -> kernel, null, 10_000));
                DatagramChannel v4 = DatagramChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
                DatagramChannel v6 = DatagramChannel.open().bind(new InetSocketAddress("::1", 0))) {
            int p4 = ((InetSocketAddress) v4.getLocalAddress()).getPort();
            int p6 = ((InetSocketAddress) v6.getLocalAddress()).getPort();
            w.send(Wire.ip(Wire.GUEST, IcmpEchoTest.OUTSIDE, 17, Wire.udp(Wire.GUEST, IcmpEchoTest.OUTSIDE, 40100, p4, "to v4".getBytes())));
            w.send(Wire6.udp(Wire6.GUEST, IcmpEchoTest.OUTSIDE6, 40101, p6, "to v6".getBytes()));
            assertEquals("to v4", receive(v4));
            assertEquals("to v6", receive(v6));

            pinging.send(Wire.ip(Wire.GUEST, IcmpEchoTest.OUTSIDE, 1, Wire.icmpEcho(0x0b0b, 1, "sandboxed".getBytes())));
            Wire.Frame r = pinging.expect("echo reply", f -> f.isIp(1) && f.b()[f.l4()] == 0).verified();
            assertEquals(IcmpEchoTest.OUTSIDE, r.src(), "from the address pinged");
            assertEquals(IcmpEchoTest.loopback(), kernel.sent().get(0).to().getAddress(), "sent to 127.0.0.1");
        }
    }

    private static String receive(DatagramChannel c) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(64);
        long end = System.nanoTime() + 5_000_000_000L;
        c.configureBlocking(false);
        while (c.receive(b) == null) {
            assertTrue(System.nanoTime() < end, "nothing arrived");
            Thread.sleep(10);
        }
        return new String(b.array(), 0, b.position());
    }

    @Test
    void theOptionIsCheckedAndOffByDefault() {
        assertThrows(IllegalArgumentException.class, () -> NetConfig.parse(Map.of("outside", "127.0.0.2")));
        assertTrue(!NetConfig.parse(Map.of()).outsideToLoopback);
        assertTrue(NetConfig.parse(LOOPBACK).outsideToLoopback);
    }
}
