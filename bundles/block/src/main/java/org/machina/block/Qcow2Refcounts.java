package org.machina.block;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Arrays;

/**
 * The refcount table and refcount blocks of a qcow2 image, and cluster allocation at the end of
 * the file. Every new structure is written before anything points to it, so an interrupted update
 * leaves at most leaked clusters (refcount &gt; 0, unreferenced), never a reference to a cluster
 * whose refcount is 0. Not thread-safe: the owning {@link Qcow2Node} holds its lock.
 */
final class Qcow2Refcounts {
    private static final long ENTRY_MASK = 0xffff_ffff_ffff_fe00L;

    private final Qcow2Header h;
    private final FileChannel ch;
    private final int cb;
    private final int cs;
    private final int bits;
    private final long maxRefcount;
    /** Refcount entries per refcount block. */
    private final long perBlock;
    private long[] table;
    /** Next unused cluster-aligned offset at the end of the file. */
    private long fileEnd;
    private final ByteBuffer entryBuf = ByteBuffer.allocate(8);

    Qcow2Refcounts(Qcow2Header h, FileChannel ch) throws IOException {
        this.h = h;
        this.ch = ch;
        this.cb = h.clusterBits;
        this.cs = h.clusterSize;
        this.bits = 1 << h.refcountOrder;
        this.maxRefcount = bits == 64 ? Long.MAX_VALUE : (1L << bits) - 1;
        this.perBlock = (long) cs * 8 / bits;
        int n = (int) ((long) h.refcountTableClusters * cs / 8);
        ByteBuffer b = ByteBuffer.allocate(n * 8);
        Qcow2Node.readFully(ch, b, h.refcountTableOffset);
        table = new long[n];
        long size = ch.size();
        for (int i = 0; i < n; i++) {
            long e = b.getLong(i * 8);
            long off = e & ENTRY_MASK;
            if (off != 0 && ((off & (cs - 1)) != 0 || off > size - cs)) {
                throw h.err("refcount table entry " + i, h.refcountTableOffset + i * 8L,
                        "refcount block offset 0x" + Long.toHexString(off) + " unaligned or beyond the end of the file");
            }
            table[i] = off;
        }
        fileEnd = (size + cs - 1) & -(long) cs;
    }

    /** Reserves {@code n} contiguous clusters at the end of the file (refcounts not yet set). */
    long allocate(int n) {
        long off = fileEnd;
        fileEnd += (long) n * cs;
        return off;
    }

    long get(long hostOffset) throws IOException {
        long cluster = hostOffset >>> cb;
        long ti = cluster / perBlock;
        if (ti >= table.length || table[(int) ti] == 0) {
            return 0;
        }
        return readEntry(table[(int) ti], cluster % perBlock);
    }

    /** Adds {@code delta} to the refcount of the cluster at {@code hostOffset}, creating refcount blocks as needed. */
    void update(long hostOffset, long delta) throws IOException {
        long cluster = hostOffset >>> cb;
        long ti = cluster / perBlock;
        if (ti >= table.length) {
            grow(ti + 1);
        }
        long block = ensureBlock(table, (int) ti, true);
        long idx = cluster % perBlock;
        long old = readEntry(block, idx);
        long nv = old + delta;
        if (nv < 0 || nv > maxRefcount) {
            throw h.err("refcount block", block, "refcount of cluster 0x" + Long.toHexString(hostOffset) + " would become " + nv
                    + " (was " + old + ", max " + maxRefcount + ")");
        }
        writeEntry(block, idx, nv);
    }

    private long ensureBlock(long[] t, int ti, boolean writeTableEntry) throws IOException {
        if (t[ti] != 0) {
            return t[ti];
        }
        long blockOff = allocate(1);
        ByteBuffer buf = ByteBuffer.allocate(cs);
        long own = blockOff >>> cb;
        boolean selfCovered = own / perBlock == ti;
        Qcow2Node.writeFully(ch, buf, blockOff);
        if (selfCovered) {
            writeEntry(blockOff, own % perBlock, 1);
        } else {
            long oti = own / perBlock;
            if (oti >= t.length) {
                throw h.err("refcount table", h.refcountTableOffset, "refcount table too small for block at 0x" + Long.toHexString(blockOff));
            }
            long other = ensureBlock(t, (int) oti, writeTableEntry);
            writeEntry(other, own % perBlock, readEntry(other, own % perBlock) + 1);
        }
        t[ti] = blockOff;
        if (writeTableEntry) {
            entryBuf.clear();
            entryBuf.putLong(0, blockOff);
            Qcow2Node.writeFully(ch, entryBuf, h.refcountTableOffset + ti * 8L);
        }
        return blockOff;
    }

    /** Moves the refcount table to a larger one at the end of the file, then frees the old one. */
    private void grow(long minEntries) throws IOException {
        long perCluster = cs / 8;
        long want = Math.max(minEntries, table.length * 2L);
        // leave room for the blocks that describe the new table itself
        want = Math.max(want, (fileEnd >>> cb) / perBlock + 2 + want / perBlock);
        long clusters = (want + perCluster - 1) / perCluster;
        if (clusters * cs / 8 > Integer.MAX_VALUE / 2) {
            throw h.err("refcount table", h.refcountTableOffset, "refcount table would grow past the supported size");
        }
        long[] nt = Arrays.copyOf(table, (int) (clusters * perCluster));
        long tableOff = allocate((int) clusters);
        for (long c = 0; c < clusters; c++) {
            long off = tableOff + c * cs;
            long cl = off >>> cb;
            long blk = ensureBlock(nt, (int) (cl / perBlock), false);
            writeEntry(blk, cl % perBlock, readEntry(blk, cl % perBlock) + 1);
        }
        ByteBuffer b = ByteBuffer.allocate((int) (clusters * cs));
        for (long e : nt) {
            b.putLong(e);
        }
        b.clear();
        Qcow2Node.writeFully(ch, b, tableOff);
        ch.force(false);
        ByteBuffer hdr = ByteBuffer.allocate(12);
        hdr.putLong(0, tableOff).putInt(8, (int) clusters);
        Qcow2Node.writeFully(ch, hdr, Qcow2Header.OFF_REFCOUNT_TABLE);
        ch.force(false);
        long oldOff = h.refcountTableOffset;
        int oldClusters = h.refcountTableClusters;
        table = nt;
        h.refcountTableOffset = tableOff;
        h.refcountTableClusters = (int) clusters;
        for (int c = 0; c < oldClusters; c++) {
            update(oldOff + (long) c * cs, -1);
        }
    }

    private long readEntry(long block, long idx) throws IOException {
        if (bits >= 8) {
            int w = bits / 8;
            entryBuf.clear().limit(w);
            Qcow2Node.readFully(ch, entryBuf, block + idx * w);
            long v = 0;
            for (int i = 0; i < w; i++) {
                v = (v << 8) | (entryBuf.get(i) & 0xff);
            }
            return v;
        }
        int perByte = 8 / bits;
        entryBuf.clear().limit(1);
        Qcow2Node.readFully(ch, entryBuf, block + idx / perByte);
        return ((entryBuf.get(0) & 0xff) >>> ((idx % perByte) * bits)) & maxRefcount;
    }

    private void writeEntry(long block, long idx, long v) throws IOException {
        if (bits >= 8) {
            int w = bits / 8;
            entryBuf.clear().limit(w);
            for (int i = w - 1; i >= 0; i--) {
                entryBuf.put(i, (byte) v);
                v >>>= 8;
            }
            Qcow2Node.writeFully(ch, entryBuf, block + idx * w);
            return;
        }
        int perByte = 8 / bits;
        entryBuf.clear().limit(1);
        long at = block + idx / perByte;
        Qcow2Node.readFully(ch, entryBuf, at);
        int shift = (int) (idx % perByte) * bits;
        int b = (entryBuf.get(0) & 0xff) & ~((int) maxRefcount << shift) | ((int) v << shift);
        entryBuf.clear().limit(1);
        entryBuf.put(0, (byte) b);
        Qcow2Node.writeFully(ch, entryBuf, at);
    }
}
