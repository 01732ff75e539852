package org.machina.net.user;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayDeque;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The bounded byte FIFO under TCP's queues, against a plain deque, with wrap-around and growth. */
class ByteRingTest {
    /** A channel that hands out the bytes of a counter, at most {@code chunk} per read. */
    private static final class Source implements ReadableByteChannel {
        int next;
        int chunk;
        final Random rnd;

        Source(Random rnd) {
            this.rnd = rnd;
        }

        @Override
        public int read(ByteBuffer dst) {
            int n = Math.min(dst.remaining(), rnd.nextInt(chunk + 1));
            for (int i = 0; i < n; i++) {
                dst.put((byte) next++);
            }
            return n;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
        }
    }

    /** A channel that takes at most {@code chunk} bytes per write. */
    private static final class Sink implements WritableByteChannel {
        final ByteArrayOutputStream got = new ByteArrayOutputStream();
        int chunk;

        @Override
        public int write(ByteBuffer src) {
            int n = Math.min(src.remaining(), chunk);
            for (int i = 0; i < n; i++) {
                got.write(src.get());
            }
            return n;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
        }
    }

    @Test
    void randomOperationsMatchADeque() throws Exception {
        Random rnd = new Random(5);
        ByteRing ring = new ByteRing(16, 1000);
        ArrayDeque<Byte> model = new ArrayDeque<>();
        Source src = new Source(rnd);
        Sink sink = new Sink();
        int expectNextOut = 0;
        for (int op = 0; op < 20_000; op++) {
            switch (rnd.nextInt(4)) {
                case 0 -> {
                    src.chunk = rnd.nextInt(700);
                    int before = src.next;
                    int n = ring.readFrom(src);
                    assertEquals(src.next - before, n);
                    for (int i = before; i < src.next; i++) {
                        model.add((byte) i);
                    }
                }
                case 1 -> {
                    int n = rnd.nextInt(Math.min(ring.free(), 300) + 1);
                    byte[] b = new byte[n];
                    // appended bytes continue the counter so the sink can check order
                    for (int i = 0; i < n; i++) {
                        b[i] = (byte) src.next++;
                        model.add(b[i]);
                    }
                    ring.append(b, 0, n);
                }
                case 2 -> {
                    sink.chunk = rnd.nextInt(500) + 1;
                    int n = ring.writeTo(sink);
                    for (int i = 0; i < n; i++) {
                        model.poll();
                    }
                }
                default -> {
                    int from = rnd.nextInt(ring.size() + 1);
                    int len = rnd.nextInt(ring.size() - from + 1);
                    byte[] b = new byte[len];
                    ring.copy(from, b, 0, len);
                    Byte[] all = model.toArray(Byte[]::new);
                    for (int i = 0; i < len; i++) {
                        assertEquals((byte) all[from + i], b[i]);
                    }
                }
            }
            assertEquals(model.size(), ring.size());
            assertEquals(1000 - model.size(), ring.free());
        }
        byte[] out = sink.got.toByteArray();
        for (byte b : out) {
            assertEquals((byte) expectNextOut++, b, "bytes leave in order");
        }
    }

    @Test
    void neverGrowsPastItsBound() throws Exception {
        ByteRing ring = new ByteRing(8, 100);
        Source src = new Source(new Random(1));
        src.chunk = 1000;
        while (ring.free() > 0) {
            ring.readFrom(src);
        }
        assertEquals(100, ring.size());
        assertEquals(0, ring.readFrom(src));
        assertThrows(IllegalStateException.class, () -> ring.append(new byte[1], 0, 1));
        byte[] b = new byte[100];
        ring.copy(0, b, 0, 100);
        byte[] want = new byte[100];
        for (int i = 0; i < 100; i++) {
            want[i] = (byte) i;
        }
        assertArrayEquals(want, b);
    }
}
