package org.machina.net.user;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Fragment reassembly, one table per family: IPv4 (RFC 791 section 3.2, RFC 815) and IPv6 (RFC
 * 8200 section 4.5). Bounded: at most {@link #MAX_DATAGRAMS} datagrams in progress and
 * {@link #MAX_BYTES} bytes held in each table; a new datagram beyond either bound evicts the
 * oldest. Each datagram has its family's time to complete ({@link #TIMEOUT_MS}, IPv6's
 * {@link #TIMEOUT6_MS}; a deadline, then it is dropped). Overlapping fragments drop the whole
 * datagram (they are only ever an attack or a bug; RFC 5722 requires it for IPv6), as do datagrams
 * whose data would exceed 65535 bytes.
 *
 * <p>The first fragment's headers (everything in its frame before its data) are kept and head the
 * completed datagram, so the caller finds them where a whole datagram has them.
 */
final class Reassembly {
    static final int MAX_DATAGRAMS = 64;
    static final int MAX_BYTES = 512 * 1024;
    static final long TIMEOUT_MS = 30_000;
    static final long TIMEOUT6_MS = 60_000;
    static final int MAX_FRAGMENTS = 64;

    /** What tells a datagram's fragments from others': IPv4's protocol is part of it, IPv6 has none (-1). */
    record Key(IpAddr src, IpAddr dst, int proto, int id) {
    }

    /**
     * A completed datagram: {@code buf} holds the first fragment's frame up to its data
     * ({@code off} bytes: Ethernet and IP headers, for IPv6 up to and with its Fragment header),
     * then the {@code len} bytes of data.
     */
    record Whole(byte[] buf, int off, int len, int ttl) {
    }

    private record Piece(int off, byte[] data) {
    }

    private final class Pending {
        final Key key;
        final List<Piece> pieces = new ArrayList<>();
        int bytes;
        int total = -1;
        int ttl;
        /** The first fragment's frame up to its data (Ethernet and IP headers). */
        byte[] head = new byte[0];
        EventLoop.Deadline timeout;

        Pending(Key key) {
            this.key = key;
        }
    }

    private final Stack stack;
    private final long timeoutMs;
    /** Datagrams in progress, oldest first (insertion order). */
    private final LinkedHashMap<Key, Pending> pending = new LinkedHashMap<>();
    private int heldBytes;

    Reassembly(Stack stack, long timeoutMs) {
        this.stack = stack;
        this.timeoutMs = timeoutMs;
    }

    int inProgress() {
        return pending.size();
    }

    int heldBytes() {
        return heldBytes;
    }

    /**
     * Adds the fragment of {@code len} bytes at {@code dataOff} in frame {@code buf}, at offset
     * {@code off} of its datagram's data; returns the whole datagram when this one completed it,
     * else null.
     */
    Whole add(Key k, int off, boolean more, byte[] buf, int dataOff, int len, int ttl) {
        if (more && (len == 0 || len % 8 != 0) || off + len > 65535 - Ipv4.HEADER) {
            stack.stats.malformed++;
            return null;
        }
        Pending p = pending.get(k);
        if (p == null) {
            while (pending.size() >= MAX_DATAGRAMS || heldBytes + len > MAX_BYTES && !pending.isEmpty()) {
                Map.Entry<Key, Pending> oldest = pending.entrySet().iterator().next();
                drop(oldest.getValue());
                stack.stats.fragmentsEvicted++;
            }
            p = new Pending(k);
            Pending np = p;
            p.timeout = stack.loop.afterMillis(timeoutMs, () -> {
                if (pending.get(k) == np) {
                    drop(np);
                    stack.stats.fragmentsTimedOut++;
                }
            });
            pending.put(k, p);
        }
        for (Piece q : p.pieces) {
            if (off < q.off + q.data.length && q.off < off + len) {
                drop(p);
                stack.stats.fragmentsOverlapping++;
                return null;
            }
        }
        if (!more) {
            if (p.total >= 0 && p.total != off + len) {
                drop(p);
                stack.stats.malformed++;
                return null;
            }
            p.total = off + len;
        }
        if (p.total >= 0 && off + len > p.total || p.pieces.size() >= MAX_FRAGMENTS || heldBytes + len > MAX_BYTES) {
            drop(p);
            stack.stats.malformed++;
            return null;
        }
        byte[] copy = new byte[len];
        System.arraycopy(buf, dataOff, copy, 0, len);
        p.pieces.add(new Piece(off, copy));
        p.bytes += len;
        heldBytes += len;
        if (off == 0) {
            p.ttl = ttl;
            p.head = java.util.Arrays.copyOf(buf, dataOff);
        }
        if (p.total < 0 || p.bytes != p.total) {
            return null;
        }
        int at = p.head.length;
        byte[] whole = java.util.Arrays.copyOf(p.head, at + p.total);
        for (Piece q : p.pieces) {
            System.arraycopy(q.data, 0, whole, at + q.off, q.data.length);
        }
        drop(p);
        return new Whole(whole, at, p.total, p.ttl);
    }

    private void drop(Pending p) {
        if (pending.remove(p.key) == p) {
            heldBytes -= p.bytes;
            p.timeout.cancel();
        }
    }
}
