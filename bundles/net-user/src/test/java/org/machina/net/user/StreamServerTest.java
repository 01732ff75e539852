package org.machina.net.user;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.machina.net.user.api.NetStandalone;

/** The standalone server in QEMU's -netdev stream framing, on TCP and on a Unix socket. */
@org.junit.jupiter.api.Timeout(60)
class StreamServerTest {
    private static byte[] roundTrip(DataOutputStream out, DataInputStream in, byte[] frame) throws Exception {
        out.writeInt(frame.length);
        out.write(frame);
        out.flush();
        int len = in.readInt();
        byte[] f = new byte[len];
        in.readFully(f);
        return f;
    }

    @Test
    void arpOverTcpFraming() throws Exception {
        try (StreamServer s = StreamServer.start(new NetStandalone.Options(Map.of(), new InetSocketAddress("127.0.0.1", 0)));
                Socket c = new Socket()) {
            c.connect(s.address());
            DataOutputStream out = new DataOutputStream(c.getOutputStream());
            DataInputStream in = new DataInputStream(c.getInputStream());
            byte[] reply = roundTrip(out, in, Wire.arpRequest(Wire.GUEST, Wire.GW));
            assertEquals(0x0806, Wire.u16(reply, 12));
            assertArrayEquals(Wire.GUEST_MAC, Arrays.copyOf(reply, 6));
            byte[] echo = roundTrip(out, in, Wire.ip(Wire.GUEST, Wire.GW, 1, Wire.icmpEcho(3, 4, "ping".getBytes())));
            assertEquals(0, echo[34], "echo reply");
        }
    }

    @Test
    void unixSocketAndAReplacingClient() throws Exception {
        Path dir = Files.createTempDirectory("netserve");
        Path sock = dir.resolve("net.sock");
        try (StreamServer s = StreamServer.start(new NetStandalone.Options(Map.of(), UnixDomainSocketAddress.of(sock)))) {
            for (int round = 0; round < 2; round++) {
                try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(sock))) {
                    DataOutputStream out = new DataOutputStream(Channels.newOutputStream(c));
                    DataInputStream in = new DataInputStream(Channels.newInputStream(c));
                    byte[] reply = roundTrip(out, in, Wire.arpRequest(Wire.GUEST, Wire.DNS));
                    assertEquals(Wire.DNS, Wire.i32(reply, 28));
                }
            }
        } finally {
            Files.deleteIfExists(sock);
            Files.deleteIfExists(dir);
        }
    }
    private static StreamServer tcpServer() throws Exception {
        return StreamServer.start(new NetStandalone.Options(Map.of(), new InetSocketAddress("127.0.0.1", 0)));
    }

    /** One echo request to the gateway, framed; its sequence number is {@code seq}, its payload {@code size} bytes. */
    private static byte[] framedEcho(int seq, int size) {
        byte[] f = Wire.ip(Wire.GUEST, Wire.GW, 1, Wire.icmpEcho(7, seq, new byte[size]));
        return ByteBuffer.allocate(4 + f.length).putInt(f.length).put(f).array();
    }

    /** Reads one framed frame (blocking channel). */
    private static byte[] readFrame(SocketChannel c) throws Exception {
        ByteBuffer len = ByteBuffer.allocate(4);
        while (len.hasRemaining()) {
            if (c.read(len) < 0) {
                return null;
            }
        }
        ByteBuffer f = ByteBuffer.allocate(len.flip().getInt());
        while (f.hasRemaining()) {
            if (c.read(f) < 0) {
                return null;
            }
        }
        return f.array();
    }

    private static boolean isEchoReply(byte[] f) {
        return Wire.u16(f, 12) == 0x0800 && f[23] == 1 && f[34] == 0;
    }

    private static int echoSeq(byte[] f) {
        return Wire.u16(f, 40);
    }

    @Test
    void framesWrittenTogetherAreHandledInOrder() throws Exception {
        int n = 300;
        try (StreamServer s = tcpServer(); SocketChannel c = SocketChannel.open(s.address())) {
            ByteBuffer all = ByteBuffer.allocate(n * 200);
            for (int i = 0; i < n; i++) {
                all.put(framedEcho(i, 100));
            }
            all.flip();
            while (all.hasRemaining()) {
                c.write(all); // one burst: the server reads many frames per read
            }
            for (int i = 0; i < n; i++) {
                byte[] f = readFrame(c);
                assertTrue(isEchoReply(f), "an echo reply");
                assertEquals(i, echoSeq(f), "replies in the order of the requests");
            }
            assertEquals(0, s.stack().stats.toGuestDropped);
        }
    }

    @Test
    void aBusyStackHoldsTheClientBack() throws Exception {
        try (StreamServer s = tcpServer(); SocketChannel c = SocketChannel.open(s.address())) {
            assertEquals(0x0806, Wire.u16(roundTrip(c, Wire.arpRequest(Wire.GUEST, Wire.GW)), 12)); // connected
            CountDownLatch release = new CountDownLatch(1);
            CountDownLatch stalled = new CountDownLatch(1);
            s.stack().loop.post(() -> { // the stack is busy: it reads nothing meanwhile
                stalled.countDown();
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            assertTrue(stalled.await(10, TimeUnit.SECONDS));
            c.configureBlocking(false);
            int sent = 0;
            ByteBuffer pending = null;
            for (int idle = 0; idle < 20;) {
                if (pending == null) {
                    pending = ByteBuffer.wrap(framedEcho(sent, 1400));
                }
                int w = c.write(pending);
                if (!pending.hasRemaining()) {
                    sent++;
                    pending = null;
                    idle = 0;
                } else if (w == 0) { // the socket is full: the server reads nothing while its loop is busy
                    idle++;
                    Thread.sleep(10);
                }
            }
            // only the kernel's socket buffers hold what the client wrote
            assertTrue(sent < 40_000, "the client was stopped after " + sent + " frames");
            release.countDown();
            c.configureBlocking(true);
            while (pending.hasRemaining()) {
                c.write(pending);
            }
            sent++;
            int got = 0;
            int last = -1;
            while (got + s.stack().stats.toGuestDropped < sent) {
                byte[] f = readFrame(c);
                assertTrue(isEchoReply(f));
                assertTrue(echoSeq(f) > last, "replies keep the order");
                last = echoSeq(f);
                got++;
            }
            assertEquals(sent, got + s.stack().stats.toGuestDropped, "every request answered or counted");
        }
    }

    @Test
    void aClientThatNeverReadsHoldsBoundedMemory() throws Exception {
        try (StreamServer s = tcpServer(); SocketChannel c = SocketChannel.open(s.address())) {
            c.socket().setReceiveBufferSize(4096);
            int n = 20_000;
            ByteBuffer b = ByteBuffer.allocate(n * (4 + 14 + 20 + 8 + 1400));
            for (int i = 0; i < n; i++) {
                b.put(framedEcho(i & 0xffff, 1400));
            }
            b.flip();
            while (b.hasRemaining()) {
                c.write(b); // the server keeps reading: its input does not wait for its output
            }
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (s.stack().stats.framesFromGuest < n && System.nanoTime() < end) {
                Thread.sleep(50);
            }
            assertEquals(n, s.stack().stats.framesFromGuest, "every request was read");
            int queued = s.onLoop(() -> s.client().queued());
            assertTrue(queued <= StreamClient.OUT_FRAMES, queued + " frames queued for the client");
            assertTrue(s.stack().stats.toGuestDropped > 0, "replies beyond the bound are dropped and counted");
            // the client reads at last: what was kept arrives in order, and the server still answers
            int last = -1;
            for (int i = 0; i < 100; i++) {
                byte[] f = readFrame(c);
                assertTrue(echoSeq(f) > last);
                last = echoSeq(f);
            }
        }
    }

    private static byte[] roundTrip(SocketChannel c, byte[] frame) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(4 + frame.length).putInt(frame.length).put(frame).flip();
        while (b.hasRemaining()) {
            c.write(b);
        }
        return readFrame(c);
    }
}
