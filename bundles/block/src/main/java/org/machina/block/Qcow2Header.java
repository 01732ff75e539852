package org.machina.block;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The qcow2 header (versions 2 and 3) and its extensions, parsed and validated. Every check names the
 * file, the field and its offset so a corrupt or hostile image is refused with an actionable message.
 *
 * <pre>
 * offset  size  field
 *      0     4  magic 'QFI\xfb'
 *      4     4  version (2 or 3)
 *      8     8  backing_file_offset
 *     16     4  backing_file_size
 *     20     4  cluster_bits (9..21)
 *     24     8  size (virtual, bytes)
 *     32     4  crypt_method (0 only)
 *     36     4  l1_size (entries)
 *     40     8  l1_table_offset
 *     48     8  refcount_table_offset
 *     56     4  refcount_table_clusters
 *     60     4  nb_snapshots
 *     64     8  snapshots_offset
 *  v3 72     8  incompatible_features
 *     80     8  compatible_features
 *     88     8  autoclear_features
 *     96     4  refcount_order
 *    100     4  header_length
 *    104     1  compression_type (if header_length &gt; 104)
 * </pre>
 */
final class Qcow2Header {
    static final int MAGIC = 0x514649fb;
    static final int OFF_L1_SIZE = 36;
    static final int OFF_L1_TABLE = 40;
    static final int OFF_REFCOUNT_TABLE = 48;
    static final int OFF_REFCOUNT_CLUSTERS = 56;
    static final int OFF_INCOMPATIBLE = 72;
    static final int OFF_AUTOCLEAR = 88;

    static final long INCOMPAT_DIRTY = 1L;
    static final long INCOMPAT_CORRUPT = 1L << 1;
    static final long INCOMPAT_DATA_FILE = 1L << 2;
    static final long INCOMPAT_COMPRESSION = 1L << 3;
    static final long INCOMPAT_EXTL2 = 1L << 4;
    static final long INCOMPAT_KNOWN = INCOMPAT_DIRTY | INCOMPAT_CORRUPT | INCOMPAT_COMPRESSION | INCOMPAT_EXTL2;
    static final long COMPAT_LAZY_REFCOUNTS = 1L;

    static final int EXT_END = 0;
    static final int EXT_BACKING_FORMAT = 0xe2792aca;
    static final int EXT_FEATURE_NAMES = 0x6803f857;

    /** Largest virtual size accepted (2^56 bytes, 64 PiB). */
    static final long MAX_SIZE = 1L << 56;
    /** Largest L1 table accepted, in entries (32 MiB of table, as QEMU). */
    static final int MAX_L1_ENTRIES = 4 * 1024 * 1024;
    static final int MAX_SNAPSHOTS = 65536;

    final Path file;
    final int version;
    final long backingFileOffset;
    final int backingFileSize;
    final int clusterBits;
    final int clusterSize;
    final long size;
    int l1Size;
    long l1TableOffset;
    long refcountTableOffset;
    int refcountTableClusters;
    final int nbSnapshots;
    final long snapshotsOffset;
    long incompatible;
    final long compatible;
    long autoclear;
    final int refcountOrder;
    final int headerLength;
    String backingFile;
    String backingFormat;

    private Qcow2Header(Path file, ByteBuffer b, long fileSize) throws IOException {
        this.file = file;
        version = b.getInt(4);
        if (version != 2 && version != 3) {
            throw err("version", 4, "unsupported version " + version + " (accepted: 2, 3)");
        }
        backingFileOffset = b.getLong(8);
        backingFileSize = b.getInt(16);
        clusterBits = b.getInt(20);
        if (clusterBits < 9 || clusterBits > 21) {
            throw err("cluster_bits", 20, "cluster_bits " + clusterBits + " out of range (accepted: 9..21)");
        }
        clusterSize = 1 << clusterBits;
        size = b.getLong(24);
        if (size < 0 || size > MAX_SIZE) {
            throw err("size", 24, "virtual size " + Long.toUnsignedString(size) + " too large (max " + MAX_SIZE + ")");
        }
        if (b.getInt(32) != 0) {
            throw err("crypt_method", 32, "encrypted images are not supported (crypt_method " + b.getInt(32) + ")");
        }
        l1Size = b.getInt(36);
        l1TableOffset = b.getLong(40);
        refcountTableOffset = b.getLong(48);
        refcountTableClusters = b.getInt(56);
        nbSnapshots = b.getInt(60);
        snapshotsOffset = b.getLong(64);
        if (version == 3) {
            incompatible = b.getLong(72);
            compatible = b.getLong(80);
            autoclear = b.getLong(88);
            refcountOrder = b.getInt(96);
            headerLength = b.getInt(100);
            if (headerLength < 104 || headerLength > clusterSize || (headerLength & 7) != 0 && headerLength != 105) {
                throw err("header_length", 100, "header_length " + headerLength + " invalid (accepted: 104..cluster size)");
            }
        } else {
            incompatible = 0;
            compatible = 0;
            autoclear = 0;
            refcountOrder = 4;
            headerLength = 72;
        }
        long unknown = incompatible & ~INCOMPAT_KNOWN;
        if (unknown != 0) {
            throw err("incompatible_features", 72, "unsupported incompatible feature bits 0x" + Long.toHexString(unknown)
                    + describeIncompatible(unknown) + " (supported: dirty, corrupt, compression type, extended L2)");
        }
        if ((incompatible & INCOMPAT_EXTL2) != 0 && clusterBits < 14) {
            throw err("cluster_bits", 20, "extended L2 entries need clusters of at least 16 KiB (cluster_bits " + clusterBits + ")");
        }
        if ((incompatible & INCOMPAT_COMPRESSION) != 0 && headerLength > 104 && b.get(104) != 0) {
            throw err("compression_type", 104, "compression type " + b.get(104) + " unsupported (accepted: 0 = deflate)");
        }
        if (refcountOrder < 0 || refcountOrder > 6) {
            throw err("refcount_order", 96, "refcount_order " + refcountOrder + " out of range (accepted: 0..6)");
        }
        // L1 table
        long l2Entries = clusterSize / ((incompatible & INCOMPAT_EXTL2) != 0 ? 16 : 8);
        long needed = ceilDiv(size, l2Entries * clusterSize);
        if (l1Size < 0 || l1Size > MAX_L1_ENTRIES) {
            throw err("l1_size", 36, "L1 size " + Integer.toUnsignedString(l1Size) + " entries too large (max " + MAX_L1_ENTRIES + ")");
        }
        if (l1Size < needed) {
            throw err("l1_size", 36, "L1 size " + l1Size + " too small for virtual size " + size + " (needs " + needed + ")");
        }
        checkTable("l1_table_offset", 40, l1TableOffset, (long) l1Size * 8, fileSize);
        if (refcountTableClusters <= 0 || refcountTableClusters > (1 << 24) / clusterSize * 8 + 1) {
            throw err("refcount_table_clusters", 56, "refcount table of " + Integer.toUnsignedString(refcountTableClusters)
                    + " clusters invalid");
        }
        checkTable("refcount_table_offset", 48, refcountTableOffset, (long) refcountTableClusters * clusterSize, fileSize);
        if (nbSnapshots < 0 || nbSnapshots > MAX_SNAPSHOTS) {
            throw err("nb_snapshots", 60, "snapshot count " + Integer.toUnsignedString(nbSnapshots) + " too large");
        }
        if (nbSnapshots > 0) {
            checkTable("snapshots_offset", 64, snapshotsOffset, 40, fileSize);
        }
        if (backingFileOffset != 0) {
            if (backingFileSize <= 0 || backingFileSize > 1023 || backingFileOffset < 0
                    || backingFileOffset + backingFileSize > clusterSize) {
                throw err("backing_file_offset", 8, "backing file name at " + backingFileOffset + " (" + backingFileSize
                        + " bytes) must lie in the first cluster and be 1..1023 bytes");
            }
            backingFile = new String(b.array(), (int) backingFileOffset, backingFileSize, StandardCharsets.UTF_8);
        }
        parseExtensions(b);
    }

    private void parseExtensions(ByteBuffer b) throws IOException {
        int pos = headerLength;
        int end = backingFileOffset != 0 ? (int) backingFileOffset : clusterSize;
        while (pos + 8 <= end) {
            int type = b.getInt(pos);
            int len = b.getInt(pos + 4);
            if (type == EXT_END) {
                return;
            }
            if (len < 0 || pos + 8L + len > end) {
                throw err("header extension 0x" + Integer.toHexString(type), pos, "length " + len + " runs past the header cluster");
            }
            if (type == EXT_BACKING_FORMAT) {
                backingFormat = new String(b.array(), pos + 8, len, StandardCharsets.UTF_8);
            }
            pos += 8 + ((len + 7) & ~7);
        }
    }

    private static String describeIncompatible(long bits) {
        StringBuilder sb = new StringBuilder();
        if ((bits & INCOMPAT_DATA_FILE) != 0) {
            sb.append(" external data file");
        }
        if ((bits & INCOMPAT_EXTL2) != 0) {
            sb.append(" extended L2 entries");
        }
        return sb.isEmpty() ? "" : " (" + sb.toString().trim() + ")";
    }

    private void checkTable(String field, int at, long offset, long length, long fileSize) throws IOException {
        if (offset <= 0 || (offset & (clusterSize - 1)) != 0) {
            throw err(field, at, "table offset 0x" + Long.toHexString(offset) + " is not a non-zero multiple of the cluster size "
                    + clusterSize + (offset == 0 ? " (overlaps the header)" : ""));
        }
        if (offset > fileSize || length > fileSize - offset) {
            throw err(field, at, "table at 0x" + Long.toHexString(offset) + " (" + length + " bytes) beyond the end of the file ("
                    + fileSize + " bytes)");
        }
    }

    IOException err(String field, long offset, String what) {
        return new IOException(file + ": qcow2 " + field + " at offset " + offset + ": " + what);
    }

    static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    /** Reads and validates the header of an open image. */
    static Qcow2Header read(Path file, FileChannel ch) throws IOException {
        long fileSize = ch.size();
        if (fileSize < 72) {
            throw new IOException(file + ": qcow2 header at offset 0: file truncated (" + fileSize + " bytes, header needs 72)");
        }
        ByteBuffer small = ByteBuffer.allocate(24);
        ch.read(small, 0);
        if (small.getInt(0) != MAGIC) {
            throw new IOException(file + ": qcow2 magic at offset 0: not a qcow2 image");
        }
        int bits = small.getInt(20);
        if (bits < 9 || bits > 21) {
            throw new IOException(file + ": qcow2 cluster_bits at offset 20: " + bits + " out of range (accepted: 9..21)");
        }
        ByteBuffer b = ByteBuffer.allocate(1 << bits);
        while (b.hasRemaining() && ch.read(b, b.position()) > 0) {
            // read up to one cluster
        }
        if (b.position() < 104 && small.getInt(4) >= 3) {
            throw new IOException(file + ": qcow2 header at offset 0: file truncated (" + fileSize + " bytes, v3 header needs 104)");
        }
        return new Qcow2Header(file, b, fileSize);
    }
}
