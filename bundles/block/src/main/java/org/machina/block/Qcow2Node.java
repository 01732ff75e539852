package org.machina.block;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import org.machina.api.block.BlockNode;
import org.machina.api.block.BlockStatus;

/**
 * A qcow2 image (versions 2 and 3) with its backing chain. Reads follow L1 and L2 tables into
 * data, compressed or zero clusters, falling through to the backing node for unallocated ones.
 * Writes allocate clusters at the end of the file in crash-safe order: data, refcount, L2, L1.
 * One lock per node makes it thread-safe.
 *
 * <pre>
 * L1 entry:  bit 63 copied | bits 9..55 L2 table offset
 * L2 entry:  bit 63 copied | bit 62 compressed | bits 9..55 host cluster | bit 0 reads as zeros (v3)
 * compressed: bits 0..x-1 host offset, bits x..61 extra 512-byte sectors, x = 62 - (cluster_bits - 8)
 * </pre>
 */
public final class Qcow2Node implements BlockNode, org.machina.api.block.Freezable {
    private final WriteHooks hooks = new WriteHooks();

    static final long COPIED = 1L << 63;
    static final long COMPRESSED = 1L << 62;
    static final long ZERO = 1L;
    static final long OFFSET_MASK = 0x00ff_ffff_ffff_fe00L;
    private static final int L2_CACHE = 64;

    private final String name;
    private final Path file;
    private final FileChannel ch;
    private final boolean readOnly;
    private final Qcow2Header h;
    private final BlockNode backing;
    private final int cb;
    private final int cs;
    private final int l2Bits;
    /** Extended L2 entries (128 bits: descriptor and subcluster bitmap); read-only support. */
    private final boolean extL2;
    private final long[] l1;
    private final Qcow2Refcounts refcounts;
    private final List<Qcow2Snapshot> snapshots;
    private final ReentrantLock lock = new ReentrantLock();
    private final Map<Long, long[]> l2Cache = new LinkedHashMap<>(L2_CACHE, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, long[]> e) {
            return size() > L2_CACHE;
        }
    };
    private final byte[] clusterBuf;
    private final ByteBuffer cowBuf;
    private final Qcow2Compressed compressed;
    private final ByteBuffer entry = ByteBuffer.allocate(8);
    private boolean markedDirty;

    Qcow2Node(String name, Path file, FileChannel ch, boolean readOnly, Qcow2Header h, BlockNode backing) throws IOException {
        this.name = name;
        this.file = file;
        this.ch = ch;
        this.readOnly = readOnly;
        this.h = h;
        this.backing = backing;
        this.cb = h.clusterBits;
        this.cs = h.clusterSize;
        this.extL2 = (h.incompatible & Qcow2Header.INCOMPAT_EXTL2) != 0;
        this.l2Bits = cb - 3 - (extL2 ? 1 : 0);
        this.clusterBuf = new byte[cs];
        this.cowBuf = ByteBuffer.allocate(cs);
        this.compressed = new Qcow2Compressed(h, ch);
        ByteBuffer b = ByteBuffer.allocate(h.l1Size * 8);
        readFully(ch, b, h.l1TableOffset);
        l1 = new long[h.l1Size];
        long fileSize = ch.size();
        for (int i = 0; i < l1.length; i++) {
            long e = b.getLong(i * 8);
            long off = e & OFFSET_MASK;
            if (off != 0 && off > fileSize - cs) {
                throw h.err("L1 entry " + i, h.l1TableOffset + i * 8L, "L2 table offset 0x" + Long.toHexString(off)
                        + " beyond the end of the file (" + fileSize + " bytes)");
            }
            if (off != 0 && off < cs) {
                throw h.err("L1 entry " + i, h.l1TableOffset + i * 8L, "L2 table offset 0x" + Long.toHexString(off) + " overlaps the header");
            }
            if ((e & 0x7f00_0000_0000_01ffL) != 0) {
                throw h.err("L1 entry " + i, h.l1TableOffset + i * 8L, "reserved bits set in 0x" + Long.toHexString(e));
            }
            l1[i] = e;
        }
        this.refcounts = readOnly ? null : new Qcow2Refcounts(h, ch);
        this.snapshots = Qcow2Snapshot.readTable(h, ch);
        if (!readOnly) {
            prepareForWrite();
        }
    }

    private void prepareForWrite() throws IOException {
        if (extL2) {
            throw h.err("incompatible_features", 72, "images with extended L2 entries (subclusters) can only be opened read-only");
        }
        if ((h.incompatible & Qcow2Header.INCOMPAT_CORRUPT) != 0) {
            throw h.err("incompatible_features", 72, "image is marked corrupt; it can only be opened read-only (repair: qemu-img check -r all)");
        }
        if ((h.incompatible & Qcow2Header.INCOMPAT_DIRTY) != 0) {
            throw h.err("incompatible_features", 72, "image is dirty (refcounts not flushed after lazy_refcounts use);"
                    + " open it read-only or repair it with qemu-img check -r all");
        }
        if (h.version >= 3 && h.autoclear != 0) {
            h.autoclear = 0; // we keep no bitmaps consistent: clear the autoclear bits as the spec asks
            entry.clear();
            entry.putLong(0, 0);
            writeFully(ch, entry, Qcow2Header.OFF_AUTOCLEAR);
        }
        if (h.version >= 3 && (h.compatible & Qcow2Header.COMPAT_LAZY_REFCOUNTS) != 0) {
            setIncompatible(h.incompatible | Qcow2Header.INCOMPAT_DIRTY);
            ch.force(false);
            markedDirty = true;
        }
    }

    private void setIncompatible(long bits) throws IOException {
        h.incompatible = bits;
        entry.clear();
        entry.putLong(0, bits);
        writeFully(ch, entry, Qcow2Header.OFF_INCOMPATIBLE);
    }

    /** The parsed header (for tests and tools). */
    Qcow2Header header() {
        return h;
    }

    /** Internal snapshots listed in the image's snapshot table. */
    public List<Qcow2Snapshot> snapshots() {
        return snapshots;
    }

    public Path file() {
        return file;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long size() {
        return h.size;
    }

    @Override
    public boolean readOnly() {
        return readOnly;
    }

    @Override
    public BlockNode backing() {
        return backing;
    }

    private void checkRange(long offset, long length) throws IOException {
        if (offset < 0 || length < 0 || offset > h.size || length > h.size - offset) {
            throw new IOException(file + ": access at " + offset + "+" + length + " beyond the disk size " + h.size);
        }
    }

    // ---------------------------------------------------------------- reading

    /** The L2 entry of a virtual cluster, or 0 if its L2 table is unallocated. */
    private long l2Entry(long vcluster) throws IOException {
        int l1i = (int) (vcluster >>> l2Bits);
        long[] t = l2Table(l1i);
        return t == null ? 0 : t[(int) (vcluster & ((1 << l2Bits) - 1)) << (extL2 ? 1 : 0)];
    }

    /** The subcluster bitmap of an extended L2 entry (0 without extended L2). */
    private long l2Bitmap(long vcluster) throws IOException {
        long[] t = l2Table((int) (vcluster >>> l2Bits));
        return t == null || !extL2 ? 0 : t[((int) (vcluster & ((1 << l2Bits) - 1)) << 1) + 1];
    }

    private long[] l2Table(int l1i) throws IOException {
        long off = l1[l1i] & OFFSET_MASK;
        if (off == 0) {
            return null;
        }
        long[] t = l2Cache.get(off);
        if (t != null) {
            return t;
        }
        ByteBuffer b = ByteBuffer.wrap(clusterBuf);
        readFully(ch, b, off);
        t = new long[cs / 8];
        for (int i = 0; i < t.length; i++) {
            t[i] = b.getLong(i * 8);
        }
        l2Cache.put(off, t);
        return t;
    }

    private void validateData(long e, long vcluster, long host) throws IOException {
        if (host < cs || (e & 0x3f00_0000_0000_01feL) != 0 || host > ch.size() - cs && host >= ch.size()) {
            throw h.err("L2 entry for cluster " + vcluster, l2EntryOffset(vcluster), "data cluster offset 0x"
                    + Long.toHexString(host) + (host < cs ? " overlaps the header" : host >= ch.size()
                    ? " beyond the end of the file" : " has reserved bits set (entry 0x" + Long.toHexString(e) + ")"));
        }
    }

    private long l2EntryOffset(long vcluster) {
        return (l1[(int) (vcluster >>> l2Bits)] & OFFSET_MASK) + (vcluster & ((1 << l2Bits) - 1)) * (extL2 ? 16 : 8);
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        checkRange(offset, dst.remaining());
        lock.lock();
        try {
            while (dst.hasRemaining()) {
                long vc = offset >>> cb;
                int in = (int) (offset & (cs - 1));
                int n = Math.min(dst.remaining(), cs - in);
                int lim = dst.limit();
                dst.limit(dst.position() + n);
                readInCluster(vc, in, offset, dst);
                dst.limit(lim);
                offset += n;
            }
        } finally {
            lock.unlock();
        }
    }

    /** Reads {@code dst.remaining()} bytes from inside one virtual cluster. */
    private void readInCluster(long vc, int in, long offset, ByteBuffer dst) throws IOException {
        long e = l2Entry(vc);
        if ((e & COMPRESSED) != 0) {
            dst.put(compressed.cluster(vc, e, l2EntryOffset(vc)), in, dst.remaining());
            return;
        }
        long host = e & OFFSET_MASK;
        if (extL2) {
            readSubclusters(vc, e, l2Bitmap(vc), in, offset, dst);
        } else if ((e & ZERO) != 0 && h.version >= 3) {
            zero(dst);
        } else if (host != 0) {
            validateData(e, vc, host);
            readHost(host + in, dst);
        } else {
            readBacking(offset, dst);
        }
    }

    /** Extended L2: each of the 32 subclusters is allocated (bit x), zero (bit 32 + x) or unallocated. */
    private void readSubclusters(long vc, long e, long bitmap, int in, long offset, ByteBuffer dst) throws IOException {
        long host = e & OFFSET_MASK;
        if ((bitmap & (bitmap >>> 32) & 0xffff_ffffL) != 0 || host == 0 && (bitmap & 0xffff_ffffL) != 0) {
            throw h.err("L2 entry for cluster " + vc, l2EntryOffset(vc), "invalid subcluster bitmap 0x" + Long.toHexString(bitmap));
        }
        int sc = cs >>> 5;
        while (dst.hasRemaining()) {
            int s = in / sc;
            int n = Math.min(dst.remaining(), (s + 1) * sc - in);
            int lim = dst.limit();
            dst.limit(dst.position() + n);
            if ((bitmap >>> (32 + s) & 1) != 0) {
                zero(dst);
            } else if ((bitmap >>> s & 1) != 0) {
                validateData(e & ~ZERO, vc, host);
                readHost(host + in, dst);
            } else {
                readBacking(offset, dst);
            }
            dst.limit(lim);
            in += n;
            offset += n;
        }
    }

    private void readHost(long pos, ByteBuffer dst) throws IOException {
        while (dst.hasRemaining()) {
            int r = ch.read(dst, pos);
            if (r < 0) {
                zero(dst); // the tail of the last cluster may be missing: reads as zeros
                return;
            }
            pos += r;
        }
    }

    private void readBacking(long offset, ByteBuffer dst) throws IOException {
        if (backing != null && offset < backing.size()) {
            int n = (int) Math.min(dst.remaining(), backing.size() - offset);
            int lim = dst.limit();
            dst.limit(dst.position() + n);
            backing.read(offset, dst);
            dst.limit(lim);
        }
        zero(dst);
    }

    private static void zero(ByteBuffer dst) {
        while (dst.hasRemaining()) {
            dst.put((byte) 0);
        }
    }

    @Override
    public BlockStatus blockStatus(long offset, long length) throws IOException {
        checkRange(offset, length);
        length = Math.min(length, h.size - offset);
        lock.lock();
        try {
            int granule = extL2 ? cs >>> 5 : cs;
            int kind = kindAt(offset);
            long end = Math.min(h.size, offset + length);
            long pos = (offset / granule + 1) * granule;
            while (pos < end && kindAt(pos) == kind) {
                pos += granule;
            }
            long n = Math.min(pos, end) - offset;
            return switch (kind) {
                case 0 -> new BlockStatus(n, false, false);
                case 1 -> new BlockStatus(n, true, true);
                default -> unallocated(offset, n);
            };
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Allocation allocation(long offset, long length) throws IOException {
        checkRange(offset, length);
        length = Math.min(length, h.size - offset);
        lock.lock();
        try {
            int granule = extL2 ? cs >>> 5 : cs;
            boolean here = kindAt(offset) != 2;
            long end = offset + length;
            long pos = (offset / granule + 1) * granule;
            while (pos < end && (kindAt(pos) != 2) == here) {
                pos += granule;
            }
            return new Allocation(Math.min(pos, end) - offset, here);
        } finally {
            lock.unlock();
        }
    }

    /** 0 = data here, 1 = zero cluster (or subcluster), 2 = not allocated here. */
    private int kindAt(long pos) throws IOException {
        long vc = pos >>> cb;
        long e = l2Entry(vc);
        if ((e & COMPRESSED) != 0) {
            return 0;
        }
        if (extL2) {
            int s = (int) ((pos & (cs - 1)) / (cs >>> 5));
            long bm = l2Bitmap(vc);
            return (bm >>> (32 + s) & 1) != 0 ? 1 : (bm >>> s & 1) != 0 ? 0 : 2;
        }
        if ((e & ZERO) != 0 && h.version >= 3) {
            return 1;
        }
        return (e & OFFSET_MASK) != 0 ? 0 : 2;
    }

    private BlockStatus unallocated(long offset, long n) throws IOException {
        if (backing == null || offset >= backing.size()) {
            return new BlockStatus(n, true, true);
        }
        BlockStatus b = backing.blockStatus(offset, Math.min(n, backing.size() - offset));
        return new BlockStatus(b.length(), b.hole(), b.zero());
    }

    // ---------------------------------------------------------------- writing

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        if (readOnly) {
            throw new IOException(file + ": node '" + name + "' is read-only");
        }
        checkRange(offset, src.remaining());
        hooks.before(offset, src.remaining());
        lock.lock();
        try {
            while (src.hasRemaining()) {
                long vc = offset >>> cb;
                int in = (int) (offset & (cs - 1));
                int n = Math.min(src.remaining(), cs - in);
                int lim = src.limit();
                src.limit(src.position() + n);
                writeInCluster(vc, in, offset, src);
                src.limit(lim);
                offset += n;
            }
        } finally {
            lock.unlock();
        }
    }

    private void writeInCluster(long vc, int in, long offset, ByteBuffer src) throws IOException {
        long e = l2Entry(vc);
        long host = e & OFFSET_MASK;
        if ((e & COPIED) != 0 && (e & COMPRESSED) == 0 && (e & ZERO) == 0 && host != 0) {
            validateData(e, vc, host);
            checkNotMetadata(vc, host);
            writeFully(ch, src, host + in);
            return;
        }
        // copy-on-write into a new cluster: old contents (backing, zeros, compressed, shared) around the new bytes
        ByteBuffer full = cowBuf.clear();
        int n = src.remaining();
        if (in != 0 || n != cs) {
            long base = vc << cb;
            int avail = (int) Math.min(cs, h.size - base);
            full.limit(avail);
            readInCluster(vc, 0, base, full);
            java.util.Arrays.fill(cowBuf.array(), avail, cs, (byte) 0); // past the virtual size
            full.clear();
        }
        full.position(in);
        full.put(src);
        full.clear();
        long newHost = refcounts.allocate(1);
        writeFully(ch, full, newHost);
        refcounts.update(newHost, 1);
        setL2Entry(vc, newHost | COPIED);
        freeEntry(e);
    }

    /** Refuses to write guest data over the L1 or refcount table (a hostile L2 entry pointing there). */
    private void checkNotMetadata(long vc, long host) throws IOException {
        if (overlaps(host, h.l1TableOffset, h.l1Size * 8L)
                || overlaps(host, h.refcountTableOffset, (long) h.refcountTableClusters * cs)) {
            throw h.err("L2 entry for cluster " + vc, l2EntryOffset(vc), "data cluster 0x" + Long.toHexString(host)
                    + " overlaps the " + (overlaps(host, h.l1TableOffset, h.l1Size * 8L) ? "L1 table" : "refcount table"));
        }
    }

    private boolean overlaps(long host, long start, long length) {
        return host < start + length && start < host + cs;
    }

    /** Drops the reference an L2 entry held (after it was replaced). */
    private void freeEntry(long e) throws IOException {
        if ((e & COMPRESSED) != 0) {
            for (long c = compressed.firstCluster(e); c <= compressed.lastCluster(e); c += cs) {
                refcounts.update(c, -1);
            }
        } else if ((e & OFFSET_MASK) != 0) {
            refcounts.update(e & OFFSET_MASK, -1);
        }
    }

    /** Stores an L2 entry, allocating or copying the L2 table first (then updating L1). */
    private void setL2Entry(long vc, long value) throws IOException {
        int l1i = (int) (vc >>> l2Bits);
        int l2i = (int) (vc & ((1 << l2Bits) - 1));
        long l1e = l1[l1i];
        long[] t = l2Table(l1i);
        if (t != null && (l1e & COPIED) != 0) {
            t[l2i] = value;
            entry.clear();
            entry.putLong(0, value);
            writeFully(ch, entry, (l1e & OFFSET_MASK) + l2i * 8L);
            return;
        }
        long[] nt = t == null ? new long[cs / 8] : t.clone();
        nt[l2i] = value;
        long off = refcounts.allocate(1);
        ByteBuffer b = ByteBuffer.allocate(cs);
        for (long v : nt) {
            b.putLong(v);
        }
        b.clear();
        writeFully(ch, b, off);
        refcounts.update(off, 1);
        l1[l1i] = off | COPIED;
        entry.clear();
        entry.putLong(0, l1[l1i]);
        writeFully(ch, entry, h.l1TableOffset + l1i * 8L);
        l2Cache.put(off, nt);
        if (t != null) {
            l2Cache.remove(l1e & OFFSET_MASK);
            refcounts.update(l1e & OFFSET_MASK, -1);
        }
    }

    @Override
    public void discard(long offset, long length) throws IOException {
        zeroOrDiscard(offset, length, false);
    }

    @Override
    public void writeZeroes(long offset, long length) throws IOException {
        zeroOrDiscard(offset, length, true);
    }

    private void zeroOrDiscard(long offset, long length, boolean mustZero) throws IOException {
        if (readOnly) {
            throw new IOException(file + ": node '" + name + "' is read-only");
        }
        checkRange(offset, length);
        hooks.before(offset, length);
        long end = offset + length;
        long head = Math.min(end, (offset + cs - 1) & -(long) cs);
        long tail = Math.max(head, end & -(long) cs);
        if (mustZero && head > offset) {
            BlockNode.super.writeZeroes(offset, head - offset);
        }
        boolean useZeroFlag = h.version >= 3;
        if (!useZeroFlag && (mustZero && backing != null)) {
            BlockNode.super.writeZeroes(head, tail - head);
        } else {
            lock.lock();
            try {
                for (long p = head; p < tail; p += cs) {
                    long vc = p >>> cb;
                    long e = l2Entry(vc);
                    long nv = useZeroFlag && (mustZero || backing != null) ? ZERO : 0;
                    if (e == nv) {
                        continue;
                    }
                    setL2Entry(vc, nv);
                    freeEntry(e);
                }
            } finally {
                lock.unlock();
            }
        }
        if (mustZero && end > tail) {
            BlockNode.super.writeZeroes(tail, end - tail);
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
            ch.force(false);
        }
    }

    @Override
    public void close() throws IOException {
        lock.lock();
        try {
            if (!ch.isOpen()) {
                return;
            }
            if (!readOnly) {
                ch.force(false);
                if (markedDirty) {
                    setIncompatible(h.incompatible & ~Qcow2Header.INCOMPAT_DIRTY);
                    ch.force(false);
                }
            }
            ch.close();
            compressed.close();
        } finally {
            lock.unlock();
            if (backing != null) {
                backing.close();
            }
        }
    }

    @Override
    public String toString() {
        return "qcow2:" + file;
    }

    static void readFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
        while (b.hasRemaining()) {
            int n = ch.read(b, pos);
            if (n < 0) {
                throw new EOFException("unexpected end of file at offset " + pos);
            }
            pos += n;
        }
    }

    static void writeFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
        while (b.hasRemaining()) {
            pos += ch.write(b, pos);
        }
    }
}
