package org.machina.net.socket;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.machina.api.net.Netdev;

/** {@code -netdev dgram} and {@code -netdev socket,udp=}: one frame per datagram, on 127.0.0.1. */
@Timeout(60)
class DgramNetdevTest {
    private static byte[] receive(DatagramChannel ch) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(70_000);
        ch.receive(b);
        b.flip();
        return Arrays.copyOf(b.array(), b.limit());
    }

    @Test
    void framesGoBothWaysOnePerDatagramAndStrangersAreNotHeard() throws Exception {
        try (TestPort nic = new TestPort(); DatagramChannel peer = DatagramChannel.open(); DatagramChannel stranger = DatagramChannel.open()) {
            peer.bind(new InetSocketAddress("127.0.0.1", 0));
            int peerPort = ((InetSocketAddress) peer.getLocalAddress()).getPort();
            try (DgramNetdev n = DgramNetdevType.open("d0", Map.of("local.type", "inet", "local.host", "127.0.0.1", "local.port", "0",
                    "remote.type", "inet", "remote.host", "127.0.0.1", "remote.port", Integer.toString(peerPort)), nic.executor)) {
                n.attach(nic);
                InetSocketAddress local = n.localAddress();
                for (int size : new int[] {60, 1514, 9000}) {
                    byte[] f = TestPort.frame(size, size);
                    assertTrue(n.send(ByteBuffer.wrap(f)));
                    assertArrayEquals(f, receive(peer), "no length prefix: the datagram is the frame");
                }
                stranger.send(ByteBuffer.wrap(TestPort.frame(60, 66)), local);
                peer.send(ByteBuffer.wrap(new byte[5]), local); // a runt
                byte[] g = TestPort.frame(1000, 3);
                peer.send(ByteBuffer.wrap(g), local);
                assertArrayEquals(g, nic.next(), "the stranger's datagram and the runt were not delivered");
                Thread.sleep(100);
                assertTrue(nic.received.isEmpty());
                assertEquals(1, n.stats.runts.sum());
            }
        }
    }

    @Test
    void legacyUdpSpellingAndRefusals() throws Exception {
        try (TestPort nic = new TestPort(); DatagramChannel peer = DatagramChannel.open()) {
            peer.bind(new InetSocketAddress("127.0.0.1", 0));
            int peerPort = ((InetSocketAddress) peer.getLocalAddress()).getPort();
            try (Netdev n = SocketNetdevType.open("d1", Map.of("udp", "127.0.0.1:" + peerPort, "localaddr", "127.0.0.1:0"), nic.executor)) {
                n.attach(nic);
                byte[] f = TestPort.frame(100, 1);
                assertTrue(n.send(ByteBuffer.wrap(f)));
                assertArrayEquals(f, receive(peer));
            }
        }
        Map<Map<String, String>, String> bad = Map.of(
                Map.of("remote.type", "inet", "remote.host", "127.0.0.1", "remote.port", "9"), "needs local",
                Map.of("local.type", "inet", "local.host", "127.0.0.1", "local.port", "0"), "needs remote",
                Map.of("local.type", "inet", "local.host", "127.0.0.1", "local.port", "0", "remote.type", "inet", "remote.host",
                        "230.0.0.1", "remote.port", "9"), "multicast",
                Map.of("local.type", "unix", "local.path", "/tmp/x"), "Unix datagram");
        bad.forEach((opts, msg) -> {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DgramNetdevType.open("x", opts, Runnable::run));
            assertTrue(e.getMessage().contains(msg), opts + ": " + e.getMessage());
        });
    }
}
