package org.machina.block;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Compressed qcow2 clusters (raw deflate). The L2 descriptor holds the host byte offset in bits
 * 0..x-1 and the number of additional 512-byte sectors in bits x..61, x = 62 - (cluster_bits - 8).
 * The last inflated cluster is cached. Not thread-safe: used under the node's lock.
 */
final class Qcow2Compressed {
    private final Qcow2Header h;
    private final FileChannel ch;
    private final int cs;
    private final int x;
    private final Inflater inflater = new Inflater(true);
    private final byte[] in;
    private final byte[] out;
    private long cachedEntry = -1;

    Qcow2Compressed(Qcow2Header h, FileChannel ch) {
        this.h = h;
        this.ch = ch;
        this.cs = h.clusterSize;
        this.x = 62 - (h.clusterBits - 8);
        this.in = new byte[cs];
        this.out = new byte[cs];
    }

    long hostOffset(long e) {
        return e & ((1L << x) - 1);
    }

    /** Bytes the compressed data may span (whole sectors from the host offset). */
    long length(long e) {
        long sectors = ((e >>> x) & ((1L << (h.clusterBits - 8)) - 1)) + 1;
        return sectors * 512 - (hostOffset(e) & 511);
    }

    long firstCluster(long e) {
        return hostOffset(e) & -(long) cs;
    }

    long lastCluster(long e) {
        return (hostOffset(e) + length(e) - 1) & -(long) cs;
    }

    /** The inflated cluster of L2 entry {@code e} (for virtual cluster {@code vc}, entry at {@code entryOffset}). */
    byte[] cluster(long vc, long e, long entryOffset) throws IOException {
        long entry = e & ~Qcow2Node.COPIED;
        if (entry == cachedEntry) {
            return out;
        }
        long host = hostOffset(e);
        long fileSize = ch.size();
        if (host < cs || host >= fileSize) {
            throw h.err("L2 entry for cluster " + vc, entryOffset, "compressed data at 0x" + Long.toHexString(host)
                    + (host < cs ? " overlaps the header" : " beyond the end of the file"));
        }
        long len = Math.min(length(e), Math.min(fileSize - host, 2L * cs));
        byte[] buf = len <= cs ? in : new byte[(int) len];
        Qcow2Node.readFully(ch, ByteBuffer.wrap(buf, 0, (int) len), host);
        cachedEntry = -1;
        inflater.reset();
        inflater.setInput(buf, 0, (int) len);
        int got;
        try {
            got = inflater.inflate(out, 0, cs);
        } catch (DataFormatException ex) {
            throw h.err("compressed cluster " + vc, host, "invalid deflate data: " + ex.getMessage());
        }
        if (got != cs) {
            throw h.err("compressed cluster " + vc, host, "inflated to " + got + " bytes, expected " + cs);
        }
        cachedEntry = entry;
        return out;
    }

    void close() {
        inflater.end();
    }
}
