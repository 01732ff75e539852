package org.machina.net.user;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The sender's SACK scoreboard (RFC 6675) on its own: merging, cutting, bogus blocks, IsLost, SetPipe, NextSeg. */
class SackScoreboardTest {
    static final int MSS = 1000;
    final SackScoreboard b = new SackScoreboard();

    @Test
    void blocksMergeAndTheAckCutsThem() {
        int una = -500; // across the sequence number wrap
        assertEquals(0, b.add(new int[] {una + 2000, una + 3000, una + 5000, una + 6000}, una, una + 10_000));
        assertEquals(2, b.ranges());
        assertEquals(0, b.add(new int[] {una + 3000, una + 5000}, una, una + 10_000)); // touching both: one range
        assertEquals(1, b.ranges());
        assertEquals(4000, b.sackedBytes());
        assertEquals(una + 6000, b.highest(una));
        b.advance(una + 2500);
        assertEquals(3500, b.sackedBytes(), "cut at the new cumulative ACK");
        assertTrue(b.isSacked(una + 2500));
        assertFalse(b.isSacked(una + 2499));
        b.advance(una + 7000);
        assertTrue(b.isEmpty());
    }

    @Test
    void bogusBlocksAreCountedAndIgnored() {
        int bogus = b.add(new int[] {500, 400, 100, 100, 900, 20_000, 200, 300}, 0, 10_000);
        assertEquals(3, bogus, "reversed, empty, beyond what was sent");
        assertEquals(1, b.ranges());
        assertEquals(0, b.add(new int[] {-3000, -2000}, 0, 10_000), "old (D-SACK) blocks are not bogus");
        assertEquals(1, b.ranges());
    }

    @Test
    void boundedNumberOfRanges() {
        for (int i = 0; i < 200; i++) {
            b.add(new int[] {10 + 20 * i, 20 + 20 * i}, 0, 100_000);
        }
        assertEquals(SackScoreboard.MAX_RANGES, b.ranges());
    }

    @Test
    void lossAndPipeFollowRfc6675() {
        // sent [0, 10000); SACKed [1000, 2000) and [4000, 7000): holes [0,1000) [2000,4000) and [7000,10000) above
        b.add(new int[] {1000, 2000, 4000, 7000}, 0, 10_000);
        assertTrue(b.isLost(0, MSS), "4000 bytes (> 2 MSS) SACKed above");
        assertTrue(b.isLost(2000, MSS), "3000 bytes above");
        assertFalse(b.isLost(7000, MSS), "nothing above");
        // not lost: only [7000, 10000) counts
        assertEquals(3000, b.pipe(0, 10_000, 0, MSS));
        assertEquals(0L << 32 | 1000, b.nextLost(0, 0, MSS, MSS));
        // [0, 1000) resent: it counts in the pipe again, the next lost bytes are at 2000
        assertEquals(4000, b.pipe(0, 10_000, 1000, MSS));
        assertEquals(2000L << 32 | 1000, b.nextLost(0, 1000, MSS, MSS));
        assertEquals(3000L << 32 | 1000, b.nextLost(0, 3000, MSS, MSS));
        assertEquals(-1, b.nextLost(0, 4000, MSS, MSS), "no lost hole above HighRxt");
    }

    @Test
    void aHoleAtANegativeSequenceNumberIsNotNoHole() {
        int una = -10_000;
        b.add(new int[] {una + 1000, una + 5000}, una, una + 6000);
        long h = b.nextLost(una, una, MSS, MSS);
        assertEquals(una, (int) (h >>> 32));
        assertEquals(1000, (int) h);
    }

    @Test
    void oneSackedSegmentDoesNotMakeALoss() {
        b.add(new int[] {1000, 2000}, 0, 3000);
        assertFalse(b.isLost(0, MSS));
        assertEquals(-1, b.nextLost(0, 0, MSS, MSS));
        assertEquals(2000, b.pipe(0, 3000, 0, MSS));
    }
}
