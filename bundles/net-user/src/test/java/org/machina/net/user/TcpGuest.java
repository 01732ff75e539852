package org.machina.net.user;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A guest played by a test against the stack's TCP, and a host socket on 127.0.0.1 for the other end. */
abstract class TcpGuest {
    static final int ACK = 0x10, SYN = 0x02, FIN = 0x01, RST = 0x04, PSH = 0x08;
    static final byte[] SYN_OPTS = {2, 4, 0x05, (byte) 0xb4, 1, 3, 3, 7}; // MSS 1460, window scale 7

    final ServerSocketChannel server;
    final int port;
    Wire w;
    final int gport = 50000;
    int gseq = 1000;
    int peerSeq;

    TcpGuest() throws Exception {
        server = ServerSocketChannel.open();
        server.bind(new InetSocketAddress("127.0.0.1", 0));
        port = ((InetSocketAddress) server.getLocalAddress()).getPort();
    }

    @AfterEach
    void close() throws Exception {
        if (w != null) {
            w.close();
        }
        server.close();
    }

    /** The options of every segment the test sends after the handshake (timestamps, when the test negotiated them). */
    java.util.function.Supplier<byte[]> options = () -> null;

    void seg(int flags, int window, byte[] opts, byte[] data) {
        if (opts == null && (flags & SYN) == 0) {
            opts = options.get();
        }
        w.send(Wire.ip(Wire.GUEST, Wire.GW, 6, Wire.tcp(Wire.GUEST, Wire.GW, gport, port, gseq, peerSeq, flags, window, opts, data)));
        gseq += data.length + ((flags & (SYN | FIN)) != 0 ? 1 : 0);
    }

    Wire.Frame expectTcp(String what, int flags) {
        return w.expect(what, f -> f.tcp(flags) && f.dport() == gport).verified();
    }

    /** Handshake with window {@code window} (scaled by 7 after the SYN); returns the accepted host socket. */
    SocketChannel open(int window) throws Exception {
        return open(window, SYN_OPTS);
    }

    /** The same with the guest's SYN options {@code synOpts} (MSS 1460 and window scale 7 among them). */
    SocketChannel open(int window, byte[] synOpts) throws Exception {
        w = new Wire(Map.of());
        seg(SYN, 65535, synOpts, new byte[0]);
        Wire.Frame sa = expectTcp("SYN-ACK", SYN | ACK);
        assertEquals(1001, sa.ack());
        assertArrayEquals(new byte[] {0x05, (byte) 0xb4}, sa.tcpOption(2), "MSS 1460");
        assertArrayEquals(new byte[] {3}, sa.tcpOption(3), "window scale 3");
        assertEquals(Wire.GW, sa.src());
        assertEquals(port, sa.sport());
        peerSeq = sa.seq() + 1;
        SocketChannel host = server.accept();
        seg(ACK, window, null, new byte[0]);
        return host;
    }

    static byte[] read(SocketChannel c, int n) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            if (c.read(b) < 0) {
                break;
            }
        }
        return java.util.Arrays.copyOf(b.array(), b.position());
    }

    /**
     * Plays a guest that acknowledges every in-order data segment at once (window {@code window},
     * scaled by 7) until {@code bytes} more are acknowledged: the stack's congestion window grows
     * by slow start meanwhile.
     */
    void ackEverySegment(int bytes, int window) {
        int until = peerSeq + bytes;
        while (peerSeq - until < 0) {
            Wire.Frame d = w.expect("data to acknowledge", f -> f.tcp(ACK) && f.dport() == gport && f.tcpData().length > 0);
            if (d.seq() == peerSeq) {
                peerSeq += d.tcpData().length;
                seg(ACK, window, null, new byte[0]);
            }
        }
    }

    /** Writes what the non-blocking host socket takes of {@code n} bytes. */
    static void writeSome(SocketChannel host, int n) throws Exception {
        host.configureBlocking(false);
        ByteBuffer b = ByteBuffer.wrap(new byte[n]);
        while (b.hasRemaining()) {
            if (host.write(b) == 0) {
                break;
            }
        }
    }

    /** Holds the stack's loop until the returned latch is counted down, so that what the test sends next is one input batch. */
    CountDownLatch stallLoop() throws InterruptedException {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch stalled = new CountDownLatch(1);
        w.netdev.stack().loop.post(() -> {
            stalled.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertTrue(stalled.await(10, TimeUnit.SECONDS));
        return release;
    }

    static final byte[] SYN_OPTS_SACK = {2, 4, 0x05, (byte) 0xb4, 1, 3, 3, 7, 1, 1, 4, 2}; // and SACK permitted

    static byte[] filled(char c, int n) {
        byte[] b = new byte[n];
        java.util.Arrays.fill(b, (byte) c);
        return b;
    }

    /** Sends {@code data} at sequence number {@code seq} without moving the test's own send point. */
    void segAt(int seq, int flags, byte[] data) {
        w.send(Wire.ip(Wire.GUEST, Wire.GW, 6, Wire.tcp(Wire.GUEST, Wire.GW, gport, port, seq, peerSeq, flags, 1024, null, data)));
    }

    static byte[] sack(int left, int right) {
        return ByteBuffer.allocate(8).putInt(left).putInt(right).array();
    }

}
