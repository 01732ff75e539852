package org.machina.api.block;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A disk: a raw file, a qcow2 image with its backing chain, a frozen view of another node.
 * Offsets and lengths are in bytes. Thread-safe: the NBD server reads from I/O threads while the
 * guest writes from the machine thread.
 */
@ConsumerType
public interface BlockNode extends AutoCloseable {
    /** Node name (unique in a machine, e.g. the drive id). */
    String name();

    /** Virtual size in bytes. */
    long size();

    boolean readOnly();

    /** Reads {@code dst.remaining()} bytes at {@code offset}. */
    void read(long offset, ByteBuffer dst) throws IOException;

    /** Writes {@code src.remaining()} bytes at {@code offset}. */
    void write(long offset, ByteBuffer src) throws IOException;

    void flush() throws IOException;

    /** Deallocates a range where the format can (reads of it return zeros or old backing data as the format defines). */
    default void discard(long offset, long length) throws IOException {
    }

    /** Writes zeros over a range. */
    default void writeZeroes(long offset, long length) throws IOException {
        ByteBuffer zeros = ByteBuffer.allocate((int) Math.min(length, 1 << 20));
        for (long done = 0; done < length; ) {
            int n = (int) Math.min(zeros.capacity(), length - done);
            zeros.clear().limit(n);
            write(offset + done, zeros);
            done += n;
        }
    }

    /** Allocation status of the range starting at {@code offset}: how far it extends and what it is. */
    default BlockStatus blockStatus(long offset, long length) throws IOException {
        return new BlockStatus(Math.min(length, size() - offset), false, false);
    }

    /** The backing node, or null. */
    default BlockNode backing() {
        return null;
    }

    @Override
    void close() throws IOException;
}
