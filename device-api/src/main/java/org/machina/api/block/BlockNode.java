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

    /**
     * Whether this node itself holds the range starting at {@code offset} (data or zeros its format records),
     * or reads of it go to the backing chain; for NBD's {@code qemu:allocation-depth}. The default, for nodes
     * without a backing file: this node holds every byte.
     *
     * @since 1.2
     */
    default Allocation allocation(long offset, long length) throws IOException {
        return new Allocation(Math.min(length, size() - offset), true);
    }

    /**
     * @param length bytes from the queried offset that share this answer
     * @param here this node holds them; false: reads go to the backing node (or are zeros without one)
     * @since 1.2
     */
    record Allocation(long length, boolean here) {
    }

    /** The backing node, or null. */
    default BlockNode backing() {
        return null;
    }

    @Override
    void close() throws IOException;
}
