package org.machina.net.user;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** When guest data goes to the host socket: at a push, a full batch or the flush timer, one write each, and no write wake-ups. */
class TcpHostWriteTest extends TcpGuest {
    TcpHostWriteTest() throws Exception {
        super();
    }

    private long hostWrites() {
        return w.onLoop(() -> w.netdev.stats().tcpHostWrites);
    }

    private static int readNow(SocketChannel host, ByteBuffer into) throws Exception {
        host.configureBlocking(false);
        int n = Math.max(0, host.read(into));
        host.configureBlocking(true);
        return n;
    }

    @Test
    void unpushedDataWaitsForThePushThenGoesInOneWrite() throws Exception {
        SocketChannel host = open(1024);
        w.onLoop(() -> w.netdev.stack().tcp.hostFlushMs = 60_000); // only a push or a full batch writes
        for (int i = 0; i < 3; i++) {
            seg(ACK, 1024, null, filled('a', 1000));
        }
        Wire.Frame ack = w.expect("the ACK of the unpushed data", f -> f.tcp(ACK) && f.dport() == gport && f.ack() - 1001 >= 2000);
        assertTrue(ack.ack() - 1001 <= 3000);
        assertEquals(0, hostWrites(), "no write before the push");
        ByteBuffer got = ByteBuffer.allocate(8192);
        assertEquals(0, readNow(host, got), "the host has nothing yet");
        seg(ACK | PSH, 1024, null, filled('b', 100));
        expectTcp("the ACK of the pushed segment", ACK);
        byte[] all = read(host, 3100);
        assertEquals(3100, all.length);
        assertEquals('a', all[2999]);
        assertEquals('b', all[3000]);
        assertEquals(1, hostWrites(), "the held data and the pushed segment in one write");

        // a batch of HOST_WRITE_BATCH bytes goes without a push
        int n = TcpConnection.HOST_WRITE_BATCH / 1000 + 1;
        for (int i = 0; i < n; i++) {
            seg(ACK, 1024, null, filled('c', 1000));
        }
        assertEquals(TcpConnection.HOST_WRITE_BATCH, read(host, TcpConnection.HOST_WRITE_BATCH).length);
        assertTrue(hostWrites() >= 2);
    }

    @Test
    void unpushedDataGoesByTheFlushTimer() throws Exception {
        SocketChannel host = open(1024);
        seg(ACK, 1024, null, "no push".getBytes());
        assertEquals("no push", new String(read(host, 7)), "the flush timer writes it");
        assertEquals(1, hostWrites());
        seg(FIN | ACK, 1024, null, "end".getBytes()); // a FIN writes at once, without a push
        assertEquals("end", new String(read(host, 3)));
        assertEquals(-1, host.read(ByteBuffer.allocate(1)));
    }

    @Test
    void heldOrWrittenDataLeavesNoWriteInterest() throws Exception {
        open(1024);
        w.onLoop(() -> w.netdev.stack().tcp.hostFlushMs = 60_000);
        assertEquals(SelectionKey.OP_READ, interestAfter(ACK, "held"), "held data: no OP_WRITE (it would wake the loop to write it)");
        assertEquals(0, hostWrites());
        assertEquals(SelectionKey.OP_READ, interestAfter(ACK | PSH, "pushed"), "the socket took everything: no OP_WRITE");
        assertEquals(1, hostWrites());
    }

    /** The host socket's interest right after the input batch of one guest segment (flags, data). */
    private int interestAfter(int flags, String data) throws Exception {
        CompletableFuture<Integer> interest = new CompletableFuture<>();
        CountDownLatch release = stallLoop();
        seg(flags, 1024, null, data.getBytes()); // its input batch runs after the stall...
        w.netdev.stack().loop.post(() -> interest.complete(w.netdev.stack().tcp.connection(gport).hostInterest())); // ...and this after it
        release.countDown();
        return interest.get(10, TimeUnit.SECONDS);
    }
}
