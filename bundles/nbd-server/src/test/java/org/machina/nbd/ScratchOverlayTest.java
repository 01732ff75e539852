package org.machina.nbd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.machina.api.block.BlockNode;
import org.machina.api.block.BlockStatus;
import org.machina.block.BlockImages;

/** The throw-away overlay of {@code -s} against a model of the disk, over a read-only raw image. */
class ScratchOverlayTest {
    @TempDir
    Path dir;

    @Test
    void randomWritesReadBackLikeAModelAndNeverReachTheBase() throws Exception {
        int size = 5 * ScratchOverlay.CHUNK + 1234; // a short last chunk
        byte[] base = new byte[size];
        Random rnd = new Random(11);
        rnd.nextBytes(base);
        Path f = dir.resolve("base.raw");
        Files.write(f, base);
        byte[] model = base.clone();
        try (BlockNode ro = BlockImages.open("b", f, "raw", true)) {
            ScratchOverlay o = new ScratchOverlay("o", ro);
            for (int i = 0; i < 200; i++) {
                int at = rnd.nextInt(size);
                int len = 1 + rnd.nextInt(Math.min(size - at, 3 * ScratchOverlay.CHUNK));
                byte[] d = new byte[len];
                rnd.nextBytes(d);
                o.write(at, ByteBuffer.wrap(d));
                System.arraycopy(d, 0, model, at, len);
                int rAt = rnd.nextInt(size);
                int rLen = 1 + rnd.nextInt(size - rAt);
                ByteBuffer got = ByteBuffer.allocate(rLen);
                o.read(rAt, got);
                assertArrayEquals(java.util.Arrays.copyOfRange(model, rAt, rAt + rLen), got.array(), "read " + rAt + "+" + rLen);
            }
            o.close();
        }
        assertArrayEquals(base, Files.readAllBytes(f), "the base image is untouched");
    }

    @Test
    void blockStatusReportsWrittenChunksAsDataAndTheRestFromTheBase() throws Exception {
        Path f = dir.resolve("sparse.raw");
        Files.write(f, new byte[4 * ScratchOverlay.CHUNK]);
        try (BlockNode ro = BlockImages.open("b", f, "raw", true); ScratchOverlay o = new ScratchOverlay("o", ro)) {
            o.write(ScratchOverlay.CHUNK + 10, ByteBuffer.wrap(new byte[] {1, 2, 3}));
            BlockStatus head = o.blockStatus(0, o.size());
            assertEquals(ScratchOverlay.CHUNK, head.length(), "the base's status stops where the overlay begins");
            BlockStatus written = o.blockStatus(ScratchOverlay.CHUNK, o.size() - ScratchOverlay.CHUNK);
            assertEquals(ScratchOverlay.CHUNK, written.length());
            assertFalse(written.hole() || written.zero(), "written data");
            assertTrue(o.backing() == ro && !o.readOnly());
        }
    }
}
