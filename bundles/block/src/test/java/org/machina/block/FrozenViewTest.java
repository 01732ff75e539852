package org.machina.block;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.machina.api.block.BlockNode;

/** The frozen view keeps serving the contents of the moment it was created while writers continue. */
class FrozenViewTest {
    @TempDir
    Path dir;

    @Test
    void readersSeeFreezeTimeContentsWhileWritesContinue() throws Exception {
        int size = 3 * FrozenView.CHUNK + 1000;
        byte[] orig = new byte[size];
        new Random(1).nextBytes(orig);
        Path f = dir.resolve("d.raw");
        Files.write(f, orig);
        try (BlockNode base = new RawNode("d", f, false); FrozenView view = FrozenView.freeze("snap", base)) {
            BlockNode live = view.writer();
            byte[] model = orig.clone();
            Qcow2WriteTest.randomWrites(live, model, 2, 200, 50_000);
            live.writeZeroes(0, 5000);
            Arrays.fill(model, 0, 5000, (byte) 0);
            ByteBuffer frozen = ByteBuffer.allocate(size);
            view.read(0, frozen);
            assertArrayEquals(orig, frozen.array());
            ByteBuffer now = ByteBuffer.allocate(size);
            base.read(0, now);
            assertArrayEquals(model, now.array());
            assertThrows(IOException.class, () -> view.write(0, ByteBuffer.allocate(1)));
            assertTrue(view.readOnly());
        }
    }

    @Test
    void concurrentWriterAndReader() throws Exception {
        int size = 64 * FrozenView.CHUNK;
        byte[] orig = new byte[size];
        new Random(5).nextBytes(orig);
        Path f = dir.resolve("c.raw");
        Files.write(f, orig);
        try (BlockNode base = new RawNode("c", f, false); FrozenView view = FrozenView.freeze("snap", base)) {
            AtomicBoolean stop = new AtomicBoolean();
            Thread w = Thread.ofPlatform().start(() -> {
                Random r = new Random(6);
                byte[] d = new byte[10_000];
                for (int i = 0; i < 5000 && !stop.get(); i++) {
                    r.nextBytes(d);
                    try {
                        view.writer().write(r.nextInt(size - d.length), ByteBuffer.wrap(d));
                    } catch (IOException e) {
                        throw new RuntimeException(e);
                    }
                }
            });
            for (int round = 0; round < 5; round++) {
                ByteBuffer b = ByteBuffer.allocate(size);
                for (int off = 0; off < size; off += 4096) {
                    b.limit(off + 4096);
                    view.read(off, b);
                }
                assertArrayEquals(orig, b.array(), "round " + round);
            }
            stop.set(true);
            w.join(30_000);
        }
    }
}
