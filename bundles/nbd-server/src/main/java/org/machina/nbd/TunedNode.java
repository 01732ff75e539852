package org.machina.nbd;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.machina.api.block.BlockNode;
import org.machina.api.block.BlockStatus;
import org.machina.nbd.api.NbdStandalone.Cache;
import org.machina.nbd.api.NbdStandalone.DetectZeroes;
import org.machina.nbd.api.NbdStandalone.Io;

/**
 * The node as {@code qemu-nbd}'s I/O options shape it: an offset into it ({@code -o}), when writes
 * are stable ({@code --cache}), whether discards reach it ({@code --discard}) and what all-zero
 * writes become ({@code --detect-zeroes}). Closing it does not close the node.
 */
final class TunedNode implements BlockNode {
    private final BlockNode node;
    private final long offset;
    private final Io io;

    TunedNode(BlockNode node, long offset, Io io) {
        if (offset < 0 || offset > node.size()) {
            throw new IllegalArgumentException("offset " + offset + " is outside the image (0.." + node.size() + ")");
        }
        this.node = node;
        this.offset = offset;
        this.io = io;
    }

    private boolean writeThrough() {
        return io.cache() == Cache.WRITETHROUGH || io.cache() == Cache.DIRECTSYNC;
    }

    @Override
    public String name() {
        return node.name();
    }

    @Override
    public long size() {
        return node.size() - offset;
    }

    @Override
    public boolean readOnly() {
        return node.readOnly();
    }

    @Override
    public void read(long at, ByteBuffer dst) throws IOException {
        node.read(offset + at, dst);
    }

    @Override
    public void write(long at, ByteBuffer src) throws IOException {
        if (io.detectZeroes() != DetectZeroes.OFF && allZero(src)) {
            long n = src.remaining();
            src.position(src.limit());
            writeZeroes(at, n);
            return;
        }
        node.write(offset + at, src);
        if (writeThrough()) {
            node.flush();
        }
    }

    private static boolean allZero(ByteBuffer b) {
        for (int i = b.position(); i < b.limit(); i++) {
            if (b.get(i) != 0) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void writeZeroes(long at, long length) throws IOException {
        node.writeZeroes(offset + at, length);
        if (writeThrough()) {
            node.flush();
        }
    }

    @Override
    public void discard(long at, long length) throws IOException {
        if (io.discard()) {
            node.discard(offset + at, length);
            if (writeThrough()) {
                node.flush();
            }
        }
    }

    @Override
    public void flush() throws IOException {
        if (io.cache() != Cache.UNSAFE) {
            node.flush();
        }
    }

    @Override
    public BlockStatus blockStatus(long at, long length) throws IOException {
        return node.blockStatus(offset + at, length);
    }

    @Override
    public Allocation allocation(long at, long length) throws IOException {
        return node.allocation(offset + at, length);
    }

    /** The node this one shapes, and the offset into it (allocation depth walks its chain). */
    BlockNode node() {
        return node;
    }

    long offset() {
        return offset;
    }

    @Override
    public BlockNode backing() {
        return offset == 0 ? node.backing() : null;
    }

    @Override
    public void close() {
        // the node belongs to whoever opened it
    }

    @Override
    public String toString() {
        return node + (offset != 0 ? " from offset " + offset : "");
    }
}
