package org.machina.block;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.machina.api.block.BlockNode;
import org.machina.api.block.BlockStatus;

/**
 * A point-in-time, read-only view of a writable node (copy-before-write). From the moment it is
 * created, readers of this node see the contents the base node had then. Writers must go through
 * {@link #writer()}: before a write reaches the base node, the chunks it overwrites are copied
 * into a temporary overlay file (deleted on close), where this view then reads them from.
 */
public final class FrozenView implements BlockNode {
    /** Copy granularity. */
    static final int CHUNK = 64 * 1024;

    private final String name;
    private final BlockNode base;
    private final long size;
    private final Path overlayFile;
    private final FileChannel overlay;
    private final long[] copied;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final ByteBuffer chunk = ByteBuffer.allocate(CHUNK);
    private final Writer writer = new Writer();
    private WriteHooks attachedTo;
    private WriteHooks.Hook hook;

    private FrozenView(String name, BlockNode base) throws IOException {
        this.name = name;
        this.base = base;
        this.size = base.size();
        this.overlayFile = Files.createTempFile("machina-frozen-", ".overlay");
        this.overlay = FileChannel.open(overlayFile, StandardOpenOption.READ, StandardOpenOption.WRITE,
                StandardOpenOption.DELETE_ON_CLOSE);
        long chunks = (size + CHUNK - 1) / CHUNK;
        this.copied = new long[(int) ((chunks + 63) / 64)];
    }

    /** Freezes {@code base} now. Route every later write to the base through {@link #writer()}. */
    public static FrozenView freeze(String name, BlockNode base) throws IOException {
        return new FrozenView(name, base);
    }

    /**
     * Freezes {@code base} now, for a node that calls {@code hooks} before each change (raw and qcow2 nodes,
     * through {@link org.machina.api.block.Freezable}): writers keep using the base node itself.
     */
    static FrozenView attach(String name, BlockNode base, WriteHooks hooks) throws IOException {
        FrozenView v = new FrozenView(name, base);
        v.attachedTo = hooks;
        v.hook = (offset, length) -> {
            v.lock.writeLock().lock();
            try {
                if (v.overlay.isOpen()) {
                    v.check(offset, length);
                    v.copyBefore(offset, length);
                }
            } finally {
                v.lock.writeLock().unlock();
            }
        };
        hooks.add(v.hook);
        return v;
    }

    /** The filter node writers use instead of the base node: reads and writes the live contents. */
    public BlockNode writer() {
        return writer;
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
        return true;
    }

    private boolean isCopied(long c) {
        return (copied[(int) (c >>> 6)] & (1L << c)) != 0;
    }

    private void check(long offset, long length) throws IOException {
        if (offset < 0 || length < 0 || offset > size || length > size - offset) {
            throw new IOException("frozen view '" + name + "': access at " + offset + "+" + length + " beyond size " + size);
        }
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        check(offset, dst.remaining());
        lock.readLock().lock();
        try {
            while (dst.hasRemaining()) {
                long c = offset / CHUNK;
                int n = (int) Math.min(dst.remaining(), (c + 1) * CHUNK - offset);
                int lim = dst.limit();
                dst.limit(dst.position() + n);
                if (isCopied(c)) {
                    Qcow2Node.readFully(overlay, dst, offset);
                } else {
                    base.read(offset, dst);
                }
                dst.limit(lim);
                offset += n;
            }
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public BlockStatus blockStatus(long offset, long length) throws IOException {
        lock.readLock().lock();
        try {
            long c = offset / CHUNK;
            long n = Math.min(length, (c + 1) * CHUNK - offset);
            return isCopied(c) ? new BlockStatus(n, false, false) : base.blockStatus(offset, n);
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        throw new IOException("frozen view '" + name + "' is read-only");
    }

    @Override
    public void flush() {
    }

    /** Copies the frozen contents of every chunk in the range to the overlay, once. Holds the write lock. */
    private void copyBefore(long offset, long length) throws IOException {
        for (long c = offset / CHUNK; c * CHUNK < offset + length; c++) {
            if (isCopied(c)) {
                continue;
            }
            long at = c * CHUNK;
            chunk.clear().limit((int) Math.min(CHUNK, size - at));
            base.read(at, chunk);
            chunk.flip();
            Qcow2Node.writeFully(overlay, chunk, at);
            copied[(int) (c >>> 6)] |= 1L << c;
        }
    }

    @Override
    public void close() throws IOException {
        if (attachedTo != null) {
            attachedTo.remove(hook);
        }
        lock.writeLock().lock();
        try {
            overlay.close();
        } finally {
            lock.writeLock().unlock();
        }
        Files.deleteIfExists(overlayFile);
    }

    boolean overlayOpenForTest() {
        return overlay.isOpen();
    }

    /** The live side: reads pass through, writes copy the frozen data first. */
    private final class Writer implements BlockNode {
        @Override
        public String name() {
            return base.name();
        }

        @Override
        public long size() {
            return size;
        }

        @Override
        public boolean readOnly() {
            return base.readOnly();
        }

        @Override
        public void read(long offset, ByteBuffer dst) throws IOException {
            base.read(offset, dst);
        }

        @Override
        public void write(long offset, ByteBuffer src) throws IOException {
            check(offset, src.remaining());
            lock.writeLock().lock();
            try {
                if (overlay.isOpen()) {
                    copyBefore(offset, src.remaining());
                }
                base.write(offset, src);
            } finally {
                lock.writeLock().unlock();
            }
        }

        @Override
        public void discard(long offset, long length) throws IOException {
            check(offset, length);
            lock.writeLock().lock();
            try {
                if (overlay.isOpen()) {
                    copyBefore(offset, length);
                }
                base.discard(offset, length);
            } finally {
                lock.writeLock().unlock();
            }
        }

        @Override
        public void writeZeroes(long offset, long length) throws IOException {
            check(offset, length);
            lock.writeLock().lock();
            try {
                if (overlay.isOpen()) {
                    copyBefore(offset, length);
                }
                base.writeZeroes(offset, length);
            } finally {
                lock.writeLock().unlock();
            }
        }

        @Override
        public BlockStatus blockStatus(long offset, long length) throws IOException {
            return base.blockStatus(offset, length);
        }

        @Override
        public BlockNode backing() {
            return base.backing();
        }

        @Override
        public void flush() throws IOException {
            base.flush();
        }

        @Override
        public void close() throws IOException {
            base.close();
        }
    }
}
