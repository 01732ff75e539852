package org.machina.nbd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.machina.nbd.api.NbdStandalone;
import org.machina.nbd.api.NbdStandalone.Io;
import org.machina.nbd.api.NbdStandalone.Options;

/**
 * The standalone server's qemu-nbd semantics, driven by a hand-written client: it ends after the last
 * client that finished the handshake unless persistent, serves a throw-away overlay with {@code snapshot},
 * an offset into the image, and the DF and FAST_ZERO flags.
 */
class StandaloneOptionsTest {
    @TempDir
    Path dir;

    NbdStandalone.Serving serving;
    byte[] content = new byte[1 << 20];
    Path image;

    @AfterEach
    void stop() {
        if (serving != null) {
            serving.close();
        }
    }

    private InetSocketAddress serve(boolean persistent, boolean snapshot, long offset, boolean readOnly) throws Exception {
        new Random(7).nextBytes(content);
        image = dir.resolve("d.raw");
        Files.write(image, content);
        serving = Standalone.service().serve(new Options(image, "raw", readOnly,
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), "d", 0, 1, "", persistent, snapshot, offset,
                false, Io.DEFAULT, false));
        return (InetSocketAddress) serving.address();
    }

    private CompletableFuture<Void> ended() {
        return CompletableFuture.runAsync(() -> {
            try {
                serving.awaitEnd();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static void session(InetSocketAddress addr) throws Exception {
        try (RawClient c = new RawClient(addr).greet()) {
            assertEquals(Nbd.REP_ACK, c.go("d"));
            c.request(Nbd.CMD_DISC, 1, 0, 0);
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void withoutPersistentItEndsWhenTheLastClientThatFinishedTheHandshakeLeaves() throws Exception {
        InetSocketAddress addr = serve(false, false, 0, true);
        CompletableFuture<Void> end = ended();
        try (RawClient c = new RawClient(addr).greet()) {
            c.option(Nbd.OPT_ABORT, new byte[0]);
            assertEquals(Nbd.REP_ACK, c.optionReply());
        }
        assertThrows(TimeoutException.class, () -> end.get(500, TimeUnit.MILLISECONDS),
                "a client that only negotiated (like nbdinfo --list) does not end the server, as in qemu-nbd");
        session(addr);
        end.get(10, TimeUnit.SECONDS);
    }

    @Test
    void persistentKeepsServingAfterTheLastClient() throws Exception {
        InetSocketAddress addr = serve(true, false, 0, true);
        CompletableFuture<Void> end = ended();
        session(addr);
        session(addr);
        assertThrows(TimeoutException.class, () -> end.get(500, TimeUnit.MILLISECONDS));
        serving.close();
        end.get(10, TimeUnit.SECONDS);
    }

    @Test
    void atTheClientLimitTheNextClientWaitsInsteadOfBeingDropped() throws Exception {
        InetSocketAddress addr = serve(true, false, 0, true); // shared = 1, like qemu-nbd's default -e 1
        RawClient first = new RawClient(addr).greet();
        try (RawClient second = new RawClient(addr)) {
            try (first) {
                assertEquals(Nbd.REP_ACK, first.go("d"));
                second.socket.setSoTimeout(300);
                assertThrows(java.net.SocketTimeoutException.class, second.in::read,
                        "a second client gets no greeting while the only slot is taken, and is not closed");
                first.request(Nbd.CMD_DISC, 1, 0, 0);
                assertTrue(first.closedByServer());
            }
            second.socket.setSoTimeout(10_000);
            second.greet();
            assertEquals(Nbd.REP_ACK, second.go("d"), "served once the first client left");
        }
    }

    @Test
    void snapshotWritesGoToAThrowAwayOverlay() throws Exception {
        InetSocketAddress addr = serve(true, true, 0, false);
        byte[] data = new byte[100_000];
        new Random(8).nextBytes(data);
        int at = 65_000; // across a chunk boundary, partial chunks on both ends
        try (RawClient c = new RawClient(addr).greet()) {
            assertEquals(Nbd.REP_ACK, c.go("d"));
            assertEquals(0, c.exportFlags & Nbd.TF_READ_ONLY, "a snapshot export is writable");
            c.request(Nbd.CMD_WRITE, 1, at, data.length);
            c.out.write(data);
            assertEquals(0, c.simpleReply(1));
            c.request(Nbd.CMD_READ, 2, 0, content.length);
            assertEquals(0, c.simpleReply(2));
            byte[] back = new byte[content.length];
            c.in.readFully(back);
            byte[] want = content.clone();
            System.arraycopy(data, 0, want, at, data.length);
            assertArrayEquals(want, back, "reads see the writes, and the base around them");
        }
        assertArrayEquals(content, Files.readAllBytes(image), "the image itself is never written");
    }

    @Test
    void offsetServesTheImageFromThatByte() throws Exception {
        InetSocketAddress addr = serve(true, false, 4096, true);
        assertEquals(content.length - 4096, serving.size());
        try (RawClient c = new RawClient(addr).greet()) {
            assertEquals(Nbd.REP_ACK, c.go("d"));
            c.request(Nbd.CMD_READ, 1, 0, 512);
            assertEquals(0, c.simpleReply(1));
            byte[] b = new byte[512];
            c.in.readFully(b);
            assertArrayEquals(java.util.Arrays.copyOfRange(content, 4096, 4096 + 512), b);
        }
        serving.close();
        var e = assertThrows(IllegalArgumentException.class, () -> Standalone.service().serve(new Options(image, "raw", true,
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), "", 0, 1, "", true, false, content.length + 1L,
                false, Io.DEFAULT, false)));
        assertTrue(e.getMessage().contains("outside the image"), e.getMessage());
    }

    @Test
    void detectZeroesUnmapNeedsDiscards() {
        var e = assertThrows(IllegalArgumentException.class, () -> Standalone.service().serve(new Options(dir.resolve("x"),
                "raw", false, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), "", 0, 1, "", true, false, 0, false,
                new Io(NbdStandalone.Cache.WRITEBACK, false, NbdStandalone.DetectZeroes.UNMAP), false)));
        assertTrue(e.getMessage().contains("detect-zeroes=unmap needs discard=unmap"), e.getMessage());
    }

    @Test
    void fastZeroSucceedsOnlyWhereTheRangeAlreadyReadsAsZerosAndDfNeedsStructuredReplies() throws Exception {
        Path qcow = dir.resolve("z.qcow2");
        Tools.need("qemu-img", "qemu-io");
        Tools.ok("qemu-img", "create", "-q", "-f", "qcow2", qcow.toString(), "1M");
        Tools.qemuIo(qcow, "qcow2", "write -P 0x5a 0 64k");
        serving = Standalone.service().serve(new Options(qcow, null, false,
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), "", 0, 1, "", true, false, 0, false, Io.DEFAULT, false));
        InetSocketAddress addr = (InetSocketAddress) serving.address();
        try (RawClient c = new RawClient(addr).greet()) {
            assertEquals(Nbd.REP_ACK, c.go(""));
            assertTrue((c.exportFlags & Nbd.TF_SEND_FAST_ZERO) != 0, "writable: FAST_ZERO advertised");
            assertEquals(0, c.exportFlags & Nbd.TF_SEND_DF, "no DF without structured replies");
            c.request(Nbd.CMD_WRITE_ZEROES, Nbd.CMD_FLAG_FAST_ZERO, 1, 0, 65536);
            assertEquals(Nbd.ENOTSUP, c.simpleReply(1), "zeroing data is not fast: ENOTSUP at once");
            c.request(Nbd.CMD_WRITE_ZEROES, Nbd.CMD_FLAG_FAST_ZERO, 2, 65536, 65536 * 4);
            assertEquals(0, c.simpleReply(2), "an unallocated range already reads as zeros");
            c.request(Nbd.CMD_READ, 3, 0, 16);
            assertEquals(0, c.simpleReply(3));
            byte[] b = new byte[16];
            c.in.readFully(b);
            assertEquals(0x5a, b[0], "the failed fast zero left the data alone");
            c.request(Nbd.CMD_DISC, 4, 0, 0);
            assertTrue(c.closedByServer(), "one client at a time (-e 1): this one leaves before the next");
        }
        try (RawClient c = new RawClient(addr).greet()) {
            c.option(Nbd.OPT_STRUCTURED_REPLY, new byte[0]);
            assertEquals(Nbd.REP_ACK, c.optionReply());
            assertEquals(Nbd.REP_ACK, c.go(""));
            assertTrue((c.exportFlags & Nbd.TF_SEND_DF) != 0, "DF with structured replies");
        }
    }

    @Test
    void readOnlyExportsOfferNoFastZero() throws Exception {
        InetSocketAddress addr = serve(true, false, 0, true);
        try (RawClient c = new RawClient(addr).greet()) {
            assertEquals(Nbd.REP_ACK, c.go("d"));
            assertFalse((c.exportFlags & Nbd.TF_SEND_FAST_ZERO) != 0);
            assertTrue((c.exportFlags & Nbd.TF_READ_ONLY) != 0);
        }
    }
}
