package org.machina.block;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.machina.api.block.BlockNode;
import org.machina.api.block.BlockStatus;

/** A raw image file: byte {@code n} of the disk is byte {@code n} of the file. Thread-safe (positional I/O). */
public final class RawNode implements BlockNode, org.machina.api.block.Freezable {
    private final WriteHooks hooks = new WriteHooks();

    private final String name;
    private final Path file;
    private final FileChannel channel;
    private final boolean readOnly;
    private volatile long size;

    public RawNode(String name, Path file, boolean readOnly) throws IOException {
        this.name = name;
        this.file = file;
        this.readOnly = readOnly;
        this.channel = readOnly ? FileChannel.open(file, StandardOpenOption.READ)
                : FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        this.size = channel.size();
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
        return readOnly;
    }

    private void check(long offset, long length) throws IOException {
        if (offset < 0 || length < 0 || offset + length > size || offset + length < 0) {
            throw new IOException(file + ": access at " + offset + "+" + length + " beyond the disk size " + size);
        }
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        check(offset, dst.remaining());
        long pos = offset;
        while (dst.hasRemaining()) {
            int n = channel.read(dst, pos);
            if (n < 0) { // file shorter than expected: the rest reads as zeros
                while (dst.hasRemaining()) {
                    dst.put((byte) 0);
                }
                return;
            }
            pos += n;
        }
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        if (readOnly) {
            throw new IOException(file + ": node '" + name + "' is read-only");
        }
        check(offset, src.remaining());
        hooks.before(offset, src.remaining());
        long pos = offset;
        while (src.hasRemaining()) {
            pos += channel.write(src, pos);
        }
    }

    /** A point-in-time view: later writes copy the data they replace into the view's overlay first. */
    @Override
    public BlockNode freeze(String viewName) throws IOException {
        return FrozenView.attach(viewName, this, hooks);
    }

    @Override
    public void flush() throws IOException {
        if (!readOnly) {
            channel.force(false);
        }
    }

    @Override
    public BlockStatus blockStatus(long offset, long length) {
        return new BlockStatus(Math.min(length, size - offset), false, false);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    @Override
    public String toString() {
        return "raw:" + file;
    }
}
