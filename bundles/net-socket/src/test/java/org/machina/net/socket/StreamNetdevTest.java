package org.machina.net.socket;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.machina.api.net.Netdev;

/** {@code -netdev stream} and {@code -netdev socket,listen=|connect=} against peers on 127.0.0.1 and a Unix socket. */
@Timeout(60)
class StreamNetdevTest {
    private static StreamNetdev server(TestPort nic) throws IOException {
        StreamNetdev n = StreamNetdevType.open("s0", Map.of("server", "on", "addr.type", "inet", "addr.host", "127.0.0.1",
                "addr.port", "0"), nic.executor);
        n.attach(nic);
        return n;
    }

    private static void sendFramed(DataOutputStream out, byte[] f) throws IOException {
        out.writeInt(f.length);
        out.write(f);
        out.flush();
    }

    private static byte[] readFramed(DataInputStream in) throws IOException {
        byte[] f = new byte[in.readInt()];
        in.readFully(f);
        return f;
    }

    /** Sends from the NIC, retrying while the link is still coming up (a send without a peer is dropped). */
    private static void sendWhenUp(StreamNetdev n, byte[] f) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!n.linkUp()) {
            assertTrue(System.nanoTime() < end, "the link came up");
            Thread.sleep(10);
        }
        assertTrue(n.send(ByteBuffer.wrap(f)));
    }

    @Test
    void serverExchangesFramesBothWaysWithPartialWrites() throws Exception {
        try (TestPort nic = new TestPort(); StreamNetdev n = server(nic); Socket peer = new Socket()) {
            peer.connect(n.localAddress());
            peer.setTcpNoDelay(true);
            DataOutputStream out = new DataOutputStream(peer.getOutputStream());
            // a frame whose bytes come in three writes, the length itself split
            byte[] f = TestPort.frame(1000, 7);
            byte[] wire = ByteBuffer.allocate(1004).putInt(1000).put(f).array();
            out.write(wire, 0, 2);
            out.flush();
            Thread.sleep(50);
            out.write(wire, 2, 500);
            out.flush();
            Thread.sleep(50);
            out.write(wire, 502, 502);
            out.flush();
            assertArrayEquals(f, nic.next());

            byte[] g = TestPort.frame(1514, 8);
            sendWhenUp(n, g);
            assertArrayEquals(g, readFramed(new DataInputStream(peer.getInputStream())));
        }
    }

    @Test
    void aHostileLengthDropsTheConnectionAndTheNextPeerIsServed() throws Exception {
        try (TestPort nic = new TestPort(); StreamNetdev n = server(nic)) {
            try (Socket bad = new Socket()) {
                bad.connect(n.localAddress());
                bad.setSoTimeout(20_000);
                DataOutputStream out = new DataOutputStream(bad.getOutputStream());
                sendFramed(out, TestPort.frame(60, 1)); // a good frame first
                out.writeInt(0xfffffff0); // then a length no frame has
                out.write(new byte[64]);
                out.flush();
                assertArrayEquals(TestPort.frame(60, 1), nic.next());
                // closed: an end of stream, or a reset when the backend closed with our bytes after
                // the bad length still unread (TCP then sends RST, RFC 1122 4.2.2.13)
                int end;
                try {
                    end = bad.getInputStream().read();
                } catch (java.net.SocketException e) {
                    assertTrue(String.valueOf(e.getMessage()).contains("reset"), "not a reset: " + e);
                    end = -1;
                }
                assertEquals(-1, end, "the backend closed the connection");
            }
            assertEquals(1, n.stats.disconnects.sum());
            try (Socket good = new Socket()) {
                good.connect(n.localAddress());
                sendFramed(new DataOutputStream(good.getOutputStream()), TestPort.frame(70, 2));
                assertArrayEquals(TestPort.frame(70, 2), nic.next());
            }
            assertTrue(nic.received.isEmpty(), "nothing of the hostile peer's garbage reached the NIC");
        }
    }

    @Test
    void aFullNicHoldsThePeerAndLosesNothing() throws Exception {
        try (TestPort nic = new TestPort(); StreamNetdev n = server(nic); Socket peer = new Socket()) {
            nic.open = false;
            peer.connect(n.localAddress());
            DataOutputStream out = new DataOutputStream(peer.getOutputStream());
            int count = 1000;
            Thread writer = Thread.ofPlatform().start(() -> {
                try {
                    for (int i = 0; i < count; i++) {
                        sendFramed(out, TestPort.frame(1500, i));
                    }
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread.sleep(500);
            assertTrue(n.toGuest.size() <= QueuedNetdev.QUEUE_FRAMES, "bounded");
            assertTrue(nic.received.isEmpty());
            nic.executor.execute(() -> {
                nic.open = true;
                n.receiveReady();
            });
            for (int i = 0; i < count; i++) {
                assertArrayEquals(TestPort.frame(1500, i), nic.next(), "frame " + i);
            }
            writer.join();
        }
    }

    @Test
    void aPeerThatDoesNotReadMakesSendSayFullThenReady() throws Exception {
        try (TestPort nic = new TestPort(); StreamNetdev n = server(nic); Socket peer = new Socket()) {
            peer.connect(n.localAddress());
            byte[] f = TestPort.frame(60_000, 9);
            sendWhenUp(n, f);
            int sent = 1;
            while (n.send(ByteBuffer.wrap(f))) {
                sent++;
                assertTrue(sent < 5000, "the queue is bounded");
            }
            assertTrue(sent >= QueuedNetdev.QUEUE_FRAMES, "the queue took its frames first: " + sent);
            assertFalse(nic.sendReady.tryAcquire());
            DataInputStream in = new DataInputStream(peer.getInputStream());
            for (int i = 0; i < sent; i++) {
                assertArrayEquals(f, readFramed(in));
            }
            assertTrue(nic.sendReady.tryAcquire(20, TimeUnit.SECONDS), "sendReady after the peer read");
        }
    }

    @Test
    void clientWithReconnectComesUpWhenThePeerAppearsAndAgainAfterItLeaves() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        try (TestPort nic = new TestPort();
                StreamNetdev n = StreamNetdevType.open("c0", Map.of("addr.type", "inet", "addr.host", "127.0.0.1", "addr.port",
                        Integer.toString(port), "reconnect-ms", "100"), nic.executor)) {
            n.attach(nic);
            assertFalse(n.linkUp());
            assertTrue(n.send(ByteBuffer.wrap(TestPort.frame(60, 1))), "no peer: dropped, not refused");
            assertEquals(1, n.stats.droppedNoPeer.sum());
            try (ServerSocket peerServer = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
                for (int round = 0; round < 2; round++) {
                    try (Socket peer = peerServer.accept()) {
                        byte[] f = TestPort.frame(100, round);
                        sendWhenUp(n, f);
                        assertArrayEquals(f, readFramed(new DataInputStream(peer.getInputStream())));
                        sendFramed(new DataOutputStream(peer.getOutputStream()), f);
                        assertArrayEquals(f, nic.next());
                    }
                }
            }
        }
    }

    @Test
    void clientWithoutReconnectFailsAtOnceWhenNobodyListens() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        IOException e = assertThrows(IOException.class, () -> StreamNetdevType.open("c1", Map.of("addr.type", "inet",
                "addr.host", "127.0.0.1", "addr.port", Integer.toString(port)), Runnable::run));
        assertTrue(e.getMessage().contains("cannot connect to tcp:127.0.0.1:" + port), e.getMessage());
    }

    @Test
    void unixSocketServerAndLegacySocketPairTalkToEachOther() throws Exception {
        Path dir = Files.createTempDirectory("netstream");
        Path sock = dir.resolve("n.sock");
        try (TestPort nic = new TestPort();
                StreamNetdev n = StreamNetdevType.open("u0", Map.of("server", "on", "addr.type", "unix", "addr.path", sock.toString()),
                        nic.executor);
                SocketChannel peer = SocketChannel.open(UnixDomainSocketAddress.of(sock))) {
            n.attach(nic);
            byte[] f = TestPort.frame(200, 5);
            sendFramed(new DataOutputStream(Channels.newOutputStream(peer)), f);
            assertArrayEquals(f, nic.next());
            sendWhenUp(n, f);
            assertArrayEquals(f, readFramed(new DataInputStream(Channels.newInputStream(peer))));
        } finally {
            Files.deleteIfExists(sock);
            Files.deleteIfExists(dir);
        }
    }

    @Test
    void twoMachinaBackendsOnListenAndConnect() throws Exception {
        try (TestPort a = new TestPort(); TestPort b = new TestPort();
                StreamNetdev listen = (StreamNetdev) SocketNetdevType.open("a", Map.of("listen", "127.0.0.1:0"), a.executor)) {
            listen.attach(a);
            int port = ((InetSocketAddress) listen.localAddress()).getPort();
            try (Netdev connect = SocketNetdevType.open("b", Map.of("connect", "127.0.0.1:" + port), b.executor)) {
                connect.attach(b);
                byte[] f = TestPort.frame(1514, 1);
                assertTrue(connect.send(ByteBuffer.wrap(f)));
                assertArrayEquals(f, a.next());
                sendWhenUp(listen, TestPort.frame(64, 2));
                assertArrayEquals(TestPort.frame(64, 2), b.next());
            }
        }
    }

    @Test
    void optionsAreCheckedWithQemuSpelling() {
        Map<Map<String, String>, String> bad = Map.of(
                Map.of("server", "on"), "needs addr.type",
                Map.of("addr.type", "fd", "addr.str", "3"), "'addr.type=fd' is not supported",
                Map.of("addr.type", "inet", "addr.port", "1"), "missing 'addr.host'",
                Map.of("addr.type", "inet", "addr.host", "127.0.0.1", "addr.port", "99999"), "expected a port number",
                Map.of("server", "on", "reconnect", "1", "addr.type", "inet", "addr.host", "127.0.0.1", "addr.port", "0"),
                "'reconnect' is for a client",
                Map.of("addr.type", "unix", "addr.path", "/tmp/x", "addr.abstract", "on"), "abstract",
                Map.of("addr.type", "inet", "addr.host", "127.0.0.1", "addr.port", "1", "addr.bogus", "1"), "unknown option 'addr.bogus'",
                Map.of("bogus", "1", "addr.type", "inet", "addr.host", "127.0.0.1", "addr.port", "1"), "unknown option 'bogus'",
                Map.of("server", "maybe"), "expected on or off");
        bad.forEach((opts, msg) -> {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StreamNetdevType.open("x", opts, Runnable::run));
            assertTrue(e.getMessage().contains(msg), opts + ": " + e.getMessage());
        });
        for (Map<String, String> opts : java.util.List.of(Map.of("mcast", "230.0.0.1:1234"), Map.of("fd", "3"),
                Map.of("listen", ":1", "connect", "127.0.0.1:1"), Map.of("udp", "127.0.0.1:1"))) {
            assertThrows(IllegalArgumentException.class, () -> SocketNetdevType.open("x", opts, Runnable::run), opts.toString());
        }
    }
}
