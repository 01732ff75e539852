package org.machina.net.user;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import org.junit.jupiter.api.Test;

/** The held out-of-order data of one connection: order, overlaps, FIN, SACK blocks, the bound, sequence wrap-around. */
class OutOfOrderQueueTest {
    private static byte[] bytes(int from, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (from + i);
        }
        return b;
    }

    @Test
    void deliversHeldPiecesInOrderOnceTheHoleIsFilled() {
        int base = -150; // the sequence numbers wrap through 0
        OutOfOrderQueue q = new OutOfOrderQueue();
        assertTrue(q.add(base, base + 200, bytes(200, 100), 0, 100, false));
        assertTrue(q.add(base, base + 100, bytes(100, 150), 0, 150, false)); // overlaps the first
        assertTrue(q.add(base, base + 400, bytes(400, 50), 0, 50, true));
        assertArrayEquals(new int[] {base + 400, base + 450, base + 100, base + 300}, q.sackBlocks(4),
                "the latest piece's block first, overlapping pieces merged");
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        // the hole [base, base + 100) is filled by the caller: held data follows up to the next hole
        int next = q.pull(base + 100, 1 << 20, got::write);
        assertEquals(base + 300, next);
        assertFalse(q.finReached());
        assertArrayEquals(bytes(100, 200), got.toByteArray());
        assertEquals(1, q.size());
        got.reset();
        next = q.pull(base + 400, 1 << 20, got::write);
        assertEquals(base + 450, next);
        assertTrue(q.finReached(), "the FIN after the last piece");
        assertArrayEquals(bytes(400, 50), got.toByteArray());
        assertTrue(q.isEmpty());
        assertEquals(0, q.bytes());
    }

    @Test
    void aRepeatedPieceIsHeldOnceAndTheBoundHolds() {
        OutOfOrderQueue q = new OutOfOrderQueue();
        assertTrue(q.add(0, 10, bytes(0, 5), 0, 5, false));
        assertTrue(q.add(0, 10, bytes(0, 5), 0, 5, false));
        assertEquals(1, q.size());
        for (int i = 1; i < OutOfOrderQueue.MAX_PIECES; i++) {
            assertTrue(q.add(0, 10 + 20 * i, bytes(0, 5), 0, 5, false));
        }
        assertFalse(q.add(0, 100_000, bytes(0, 5), 0, 5, false), "one piece too many");
        assertEquals(OutOfOrderQueue.MAX_PIECES * 5, q.bytes());
        assertEquals(8, q.sackBlocks(4).length, "four blocks at most");
    }

    @Test
    void piecesThatDoNotFitAreCutAndOldPiecesDropped() {
        OutOfOrderQueue q = new OutOfOrderQueue();
        q.add(0, 10, bytes(10, 10), 0, 10, false);
        q.add(0, 20, bytes(20, 10), 0, 10, true);
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        int next = q.pull(15, 8, got::write); // [10, 15) was delivered already; room for 8 bytes only
        assertArrayEquals(bytes(15, 8), got.toByteArray());
        assertEquals(23, next);
        assertFalse(q.finReached(), "the FIN's piece was cut: the guest sends it again");
        assertTrue(q.isEmpty());
    }
}
