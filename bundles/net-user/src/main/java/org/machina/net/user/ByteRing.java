package org.machina.net.user;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;

/**
 * A FIFO of bytes with a hard bound ({@link #max}); the backing array starts small and doubles
 * up to the bound, so an idle connection costs little. Not thread-safe (loop thread only).
 */
final class ByteRing {
    private final int max;
    private byte[] buf;
    private int head;
    private int size;

    ByteRing(int initial, int max) {
        this.max = max;
        this.buf = new byte[Math.min(initial, max)];
    }

    int size() {
        return size;
    }

    int free() {
        return max - size;
    }

    int max() {
        return max;
    }

    private void ensure(int need) {
        if (need <= buf.length) {
            return;
        }
        int n = Math.min(max, Math.max(need, buf.length * 2));
        byte[] nb = new byte[n];
        copy(0, nb, 0, size);
        buf = nb;
        head = 0;
    }

    void append(byte[] b, int off, int len) {
        if (len > free()) {
            throw new IllegalStateException("ring overflow");
        }
        ensure(size + len);
        int tail = (head + size) % buf.length;
        int first = Math.min(len, buf.length - tail);
        System.arraycopy(b, off, buf, tail, first);
        System.arraycopy(b, off + first, buf, 0, len - first);
        size += len;
    }

    /** Copies {@code len} bytes starting {@code from} bytes after the head. */
    void copy(int from, byte[] dst, int dstOff, int len) {
        if (from < 0 || from + len > size) {
            throw new IndexOutOfBoundsException(from + "+" + len + " > " + size);
        }
        if (len == 0) {
            return;
        }
        int start = (head + from) % buf.length;
        int first = Math.min(len, buf.length - start);
        System.arraycopy(buf, start, dst, dstOff, first);
        System.arraycopy(buf, 0, dst, dstOff + first, len - first);
    }

    void skip(int n) {
        if (n > size) {
            throw new IllegalStateException("skip past the end");
        }
        size -= n;
        head = size == 0 ? 0 : (head + n) % buf.length;
    }

    /** Reads from {@code ch} into the free space; -1 at end of stream. */
    int readFrom(ReadableByteChannel ch) throws IOException {
        int total = 0;
        while (free() > 0) {
            ensure(Math.min(max, size + Math.max(free() < 65536 ? free() : 65536, 1)));
            int tail = (head + size) % buf.length;
            int room = size == buf.length ? 0 : (tail >= head ? buf.length - tail : head - tail);
            if (room == 0) {
                if (buf.length == max) {
                    break;
                }
                ensure(buf.length + 1);
                continue;
            }
            int n = ch.read(ByteBuffer.wrap(buf, tail, room));
            if (n < 0) {
                return total == 0 ? -1 : total;
            }
            if (n == 0) {
                break;
            }
            size += n;
            total += n;
            if (n < room) {
                break;
            }
        }
        return total;
    }

    /** Writes from the head to {@code ch}, removing what was written. */
    int writeTo(WritableByteChannel ch) throws IOException {
        int total = 0;
        while (size > 0) {
            int first = Math.min(size, buf.length - head);
            int n = ch.write(ByteBuffer.wrap(buf, head, first));
            skip(n);
            total += n;
            if (n < first) {
                break;
            }
        }
        return total;
    }
}
