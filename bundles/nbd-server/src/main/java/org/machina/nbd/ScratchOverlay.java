package org.machina.nbd;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.BitSet;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.machina.api.block.BlockNode;
import org.machina.api.block.BlockStatus;

/**
 * A throw-away writable overlay over a read-only node ({@code qemu-nbd -s}): written chunks live in a
 * temporary file, unlinked as soon as it is open (so it goes away even if the process is killed);
 * everything else is read from the base. The base is never written.
 */
final class ScratchOverlay implements BlockNode {
    /** Copy granularity: a partly written chunk is first copied up from the base. */
    static final int CHUNK = 64 * 1024;

    private final String name;
    private final BlockNode base;
    private final long size;
    private final FileChannel file;
    private final BitSet present = new BitSet();
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();

    ScratchOverlay(String name, BlockNode base) throws IOException {
        this.name = name;
        this.base = base;
        this.size = base.size();
        Path p = Files.createTempFile("machina-nbd-snapshot-", ".overlay");
        try {
            this.file = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } finally {
            Files.deleteIfExists(p);
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public boolean readOnly() {
        return false;
    }

    @Override
    public BlockNode backing() {
        return base;
    }

    private static int chunkOf(long offset) {
        return (int) (offset / CHUNK);
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        lock.readLock().lock();
        try {
            while (dst.hasRemaining()) {
                int c = chunkOf(offset);
                int n = (int) Math.min(dst.remaining(), (long) (c + 1) * CHUNK - offset);
                ByteBuffer part = dst.slice(dst.position(), n);
                if (present.get(c)) {
                    readFully(file, part, offset);
                } else {
                    base.read(offset, part);
                }
                dst.position(dst.position() + n);
                offset += n;
            }
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        lock.writeLock().lock();
        try {
            while (src.hasRemaining()) {
                int c = chunkOf(offset);
                long start = (long) c * CHUNK;
                int n = (int) Math.min(src.remaining(), start + CHUNK - offset);
                if (!present.get(c) && (offset != start || n != Math.min(CHUNK, size - start))) {
                    copyUp(c);
                }
                ByteBuffer part = src.slice(src.position(), n);
                while (part.hasRemaining()) {
                    file.write(part, offset + part.position());
                }
                present.set(c);
                src.position(src.position() + n);
                offset += n;
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    private void copyUp(int c) throws IOException {
        long start = (long) c * CHUNK;
        ByteBuffer b = ByteBuffer.allocate((int) Math.min(CHUNK, size - start));
        base.read(start, b);
        b.flip();
        while (b.hasRemaining()) {
            file.write(b, start + b.position());
        }
        present.set(c);
    }

    private static void readFully(FileChannel ch, ByteBuffer dst, long offset) throws IOException {
        while (dst.hasRemaining()) {
            int r = ch.read(dst, offset + dst.position());
            if (r < 0) {
                // a sparse tail of the overlay file that was never written reads as zeros
                while (dst.hasRemaining()) {
                    dst.put((byte) 0);
                }
            }
        }
    }

    @Override
    public BlockStatus blockStatus(long offset, long length) throws IOException {
        lock.readLock().lock();
        try {
            int c = chunkOf(offset);
            boolean inOverlay = present.get(c);
            int next = inOverlay ? present.nextClearBit(c) : present.nextSetBit(c);
            long runEnd = next < 0 ? size : Math.min(size, (long) next * CHUNK);
            long n = Math.min(length, runEnd - offset);
            if (inOverlay) {
                return new BlockStatus(n, false, false);
            }
            return base.blockStatus(offset, n);
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public Allocation allocation(long offset, long length) {
        lock.readLock().lock();
        try {
            int c = chunkOf(offset);
            boolean here = present.get(c);
            int next = here ? present.nextClearBit(c) : present.nextSetBit(c);
            long runEnd = next < 0 ? size : Math.min(size, (long) next * CHUNK);
            return new Allocation(Math.min(length, runEnd - offset), here);
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public void flush() {
        // throw-away data: nothing needs to be stable
    }

    @Override
    public void close() throws IOException {
        file.close();
    }

    @Override
    public String toString() {
        return name + " (temporary overlay over " + base + ")";
    }
}
