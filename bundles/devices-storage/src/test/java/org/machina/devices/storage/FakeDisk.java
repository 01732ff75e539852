package org.machina.devices.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.machina.api.block.BlockNode;

/** An in-memory block node; counts reads, writes and flushes, and can be told to fail (all, or reads of one sector). */
final class FakeDisk implements BlockNode {
    final byte[] data;
    final boolean readOnly;
    int reads;
    int writes;
    /** A 512-byte sector whose reads fail, or -1. */
    long badSector = -1;
    int flushes;
    boolean failing;

    FakeDisk(int size, boolean readOnly) {
        this.data = new byte[size];
        this.readOnly = readOnly;
        for (int i = 0; i < size; i++) {
            data[i] = (byte) (i * 7 + (i >> 9));
        }
    }

    @Override
    public String name() {
        return "disk0";
    }

    @Override
    public long size() {
        return data.length;
    }

    @Override
    public boolean readOnly() {
        return readOnly;
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        if (failing || badSector >= 0 && offset < (badSector + 1) * 512 && badSector * 512 < offset + dst.remaining()) {
            throw new IOException("injected read error");
        }
        reads++;
        dst.put(data, (int) offset, dst.remaining());
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        if (readOnly) {
            throw new IOException("read-only node written");
        }
        if (failing) {
            throw new IOException("injected write error");
        }
        writes++;
        src.get(data, (int) offset, src.remaining());
    }

    @Override
    public void flush() {
        flushes++;
    }

    @Override
    public void close() {
    }
}
