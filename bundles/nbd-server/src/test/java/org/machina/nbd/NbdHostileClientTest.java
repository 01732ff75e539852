package org.machina.nbd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.machina.api.block.BlockNode;
import org.machina.block.BlockImages;

/** Misbehaving clients get errors or a closed connection; the server keeps serving everyone else. */
class NbdHostileClientTest {
    @TempDir
    Path dir;
    NbdServer server;
    BlockNode node;
    byte[] content;
    InetSocketAddress addr;

    @BeforeEach
    void start() throws Exception {
        content = new byte[1 << 20];
        new Random(4).nextBytes(content);
        Path f = dir.resolve("d.raw");
        Files.write(f, content);
        node = BlockImages.open("d", f, "raw", false);
        server = new NbdServer(1000, 30_000);
        server.addExport("d", node, false, "");
        server.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        addr = (InetSocketAddress) server.address();
    }

    @AfterEach
    void stop() throws Exception {
        server.stop();
        node.close();
    }

    /** A well-behaved client still reads correct data. */
    void assertServing() throws Exception {
        try (RawClient c = new RawClient(addr).greet()) {
            assertEquals(Nbd.REP_ACK, c.go("d"));
            c.request(Nbd.CMD_READ, 77, 4096, 8192);
            assertEquals(0, c.simpleReply(77));
            byte[] b = new byte[8192];
            c.in.readFully(b);
            byte[] want = new byte[8192];
            System.arraycopy(content, 4096, want, 0, 8192);
            assertArrayEquals(want, b);
            c.request(Nbd.CMD_DISC, 78, 0, 0);
        }
    }

    @Test
    void badOptionMagicCloses() throws Exception {
        try (RawClient c = new RawClient(addr).greet()) {
            c.out.write(new byte[16]);
            assertTrue(c.closedByServer());
        }
        assertServing();
    }

    @Test
    void oversizedOptionCloses() throws Exception {
        try (RawClient c = new RawClient(addr).greet()) {
            c.out.write(ByteBuffer.allocate(16).putLong(Nbd.IHAVEOPT).putInt(Nbd.OPT_GO).putInt(0x7fff_0000).array());
            assertTrue(c.closedByServer());
        }
        assertServing();
    }

    @Test
    void requestBeforeNegotiationCloses() throws Exception {
        try (RawClient c = new RawClient(addr).greet()) {
            c.request(Nbd.CMD_READ, 1, 0, 512);
            assertTrue(c.closedByServer());
        }
        assertServing();
    }

    @Test
    void unknownExportAndBadOptionsAreRefusedButTheSessionContinues() throws Exception {
        try (RawClient c = new RawClient(addr).greet()) {
            assertEquals(Nbd.REP_ERR_UNKNOWN, c.go("nope"));
            c.option(Nbd.OPT_LIST, new byte[3]);
            assertEquals(Nbd.REP_ERR_INVALID, c.optionReply());
            c.option(99, new byte[0]);
            assertEquals(Nbd.REP_ERR_UNSUP, c.optionReply());
            c.option(Nbd.OPT_GO, new byte[] {0, 0, 0x7f, 0, 0, 0});
            assertEquals(Nbd.REP_ERR_INVALID, c.optionReply());
            c.option(Nbd.OPT_LIST, new byte[0]);
            assertEquals(Nbd.REP_SERVER, c.optionReply());
            assertEquals(Nbd.REP_ACK, c.optionReply());
            assertEquals(Nbd.REP_ACK, c.go("d"));
        }
    }

    @Test
    void requestsPastTheEndOrTooLargeGetEinval() throws Exception {
        try (RawClient c = new RawClient(addr).greet()) {
            assertEquals(Nbd.REP_ACK, c.go("d"));
            c.request(Nbd.CMD_READ, 1, (1 << 20) - 100, 200);
            assertEquals(Nbd.EINVAL, c.simpleReply(1));
            c.request(Nbd.CMD_READ, 2, Long.MAX_VALUE - 10, 100);
            assertEquals(Nbd.EINVAL, c.simpleReply(2));
            c.request(Nbd.CMD_READ, 3, 0, 64 << 20);
            assertEquals(Nbd.EINVAL, c.simpleReply(3));
            c.request(Nbd.CMD_TRIM, 4, 1 << 20, 1);
            assertEquals(Nbd.ENOSPC, c.simpleReply(4));
            c.request(Nbd.CMD_BLOCK_STATUS, 5, 0, 512);
            assertEquals(Nbd.EINVAL, c.simpleReply(5), "no meta context negotiated");
            c.request(77, 6, 0, 0);
            assertEquals(Nbd.EINVAL, c.simpleReply(6));
            c.request(Nbd.CMD_READ, 7, 0, 16);
            assertEquals(0, c.simpleReply(7));
            byte[] b = new byte[16];
            c.in.readFully(b);
            assertEquals(content[15], b[15]);
            // a write larger than 32 MiB cannot be skipped safely: the connection is closed
            c.request(Nbd.CMD_WRITE, 8, 0, 33 << 20);
            assertTrue(c.closedByServer());
        }
        assertServing();
    }

    @Test
    void badRequestMagicAndMidTransferDisconnects() throws Exception {
        try (RawClient c = new RawClient(addr).greet()) {
            assertEquals(Nbd.REP_ACK, c.go("d"));
            c.out.write(new byte[28]);
            assertTrue(c.closedByServer());
        }
        for (int i = 0; i < 20; i++) {
            RawClient c = new RawClient(addr).greet();
            assertEquals(Nbd.REP_ACK, c.go("d"));
            c.request(Nbd.CMD_WRITE, i, 0, 1 << 20);
            c.out.write(new byte[1000 * i]);
            c.close(); // gone in the middle of the payload
        }
        assertServing();
        byte[] now = new byte[4096];
        node.read(0, ByteBuffer.wrap(now));
        assertEquals(content[0], now[0], "a truncated write was not applied");
    }

    @Test
    void hundredsOfConnections() throws Exception {
        List<Socket> idle = new ArrayList<>();
        try {
            for (int i = 0; i < 300; i++) {
                Socket s = new Socket();
                s.connect(addr, 5000);
                if (i % 3 == 0) {
                    s.getOutputStream().write(new byte[] {0, 0, 0, 3, 0x49}); // flags then half an option
                }
                idle.add(s);
            }
            assertServing();
        } finally {
            for (Socket s : idle) {
                s.close();
            }
        }
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (server.connectionCount() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(0, server.connectionCount(), "closed connections are released");
        assertServing();
    }

    @Test
    void readOnlyExportAnswersWritesWithEperm() throws Exception {
        server.addExport("ro", node, true, "");
        try (RawClient c = new RawClient(addr).greet()) {
            assertEquals(Nbd.REP_ACK, c.go("ro"));
            c.request(Nbd.CMD_WRITE, 1, 0, 4);
            c.out.write(new byte[] {1, 2, 3, 4});
            assertEquals(Nbd.EPERM, c.simpleReply(1));
            c.request(Nbd.CMD_TRIM, 2, 0, 4096);
            assertEquals(Nbd.EPERM, c.simpleReply(2));
            c.request(Nbd.CMD_WRITE_ZEROES, 3, 0, 4096);
            assertEquals(Nbd.EPERM, c.simpleReply(3));
            c.request(Nbd.CMD_FLUSH, 4, 0, 0);
            assertEquals(0, c.simpleReply(4));
        }
        byte[] now = new byte[4];
        node.read(0, ByteBuffer.wrap(now));
        assertEquals(content[0], now[0], "nothing written through the read-only export");
    }

    @Test
    void stalledHandshakeIsDisconnected() throws Exception {
        NbdServer strict = new NbdServer(10, 300);
        strict.addExport("d", node, true, "");
        strict.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        try {
            List<RawClient> stalled = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                stalled.add(new RawClient(strict.address()).greet()); // then never send an option
            }
            for (RawClient c : stalled) {
                assertTrue(c.closedByServer(), "stalled client closed by the handshake deadline");
                c.close();
            }
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (strict.connectionCount() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            try (RawClient c = new RawClient(strict.address()).greet()) {
                assertEquals(Nbd.REP_ACK, c.go("d"), "a slot is free again");
                Thread.sleep(600); // past the handshake deadline: a negotiated client stays connected
                c.request(Nbd.CMD_READ, 5, 0, 8);
                assertEquals(0, c.simpleReply(5));
            }
        } finally {
            strict.stop();
        }
    }

    @Test
    void structuredRepliesAndBlockStatus() throws Exception {
        try (RawClient c = new RawClient(addr).greet()) {
            c.option(Nbd.OPT_STRUCTURED_REPLY, new byte[0]);
            assertEquals(Nbd.REP_ACK, c.optionReply());
            byte[] q = Nbd.BASE_ALLOCATION.getBytes();
            c.option(Nbd.OPT_SET_META_CONTEXT, ByteBuffer.allocate(4 + 1 + 4 + 4 + q.length).putInt(1).put((byte) 'd').putInt(1)
                    .putInt(q.length).put(q).array());
            assertEquals(Nbd.REP_META_CONTEXT, c.optionReply());
            assertEquals(Nbd.META_ID_BASE_ALLOCATION, ByteBuffer.wrap(c.last).getInt());
            assertEquals(Nbd.REP_ACK, c.optionReply());
            assertEquals(Nbd.REP_ACK, c.go("d"));
            c.request(Nbd.CMD_BLOCK_STATUS, 9, 0, 1 << 20);
            assertEquals(Nbd.STRUCTURED_REPLY_MAGIC, c.in.readInt());
            assertEquals(Nbd.REPLY_FLAG_DONE, c.in.readShort());
            assertEquals(Nbd.REPLY_TYPE_BLOCK_STATUS, c.in.readShort());
            assertEquals(9, c.in.readLong());
            assertEquals(12, c.in.readInt());
            assertEquals(Nbd.META_ID_BASE_ALLOCATION, c.in.readInt());
            assertEquals(1 << 20, c.in.readInt());
            assertEquals(0, c.in.readInt());
            c.request(Nbd.CMD_READ, 10, 2 << 20, 1);
            assertEquals(Nbd.STRUCTURED_REPLY_MAGIC, c.in.readInt());
            c.in.readShort();
            assertEquals(Nbd.REPLY_TYPE_ERROR, c.in.readShort() & 0xffff);
            assertEquals(10, c.in.readLong());
            byte[] p = new byte[c.in.readInt()];
            c.in.readFully(p);
            assertEquals(Nbd.EINVAL, ByteBuffer.wrap(p).getInt());
        }
    }
}
