package org.machina.net.user;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * IPv4 fragment reassembly (RFC 791 section 3.2, RFC 815), bounded: at most {@link #MAX_DATAGRAMS}
 * datagrams in progress and {@link #MAX_BYTES} bytes held in all; a new datagram beyond either
 * bound evicts the oldest. Each datagram has {@link #TIMEOUT_MS} to complete (a deadline, then it
 * is dropped). Overlapping fragments drop the whole datagram (they are only ever an attack or a
 * bug), as do datagrams that would exceed 65535 bytes.
 */
final class Reassembly {
    static final int MAX_DATAGRAMS = 64;
    static final int MAX_BYTES = 512 * 1024;
    static final long TIMEOUT_MS = 30_000;
    static final int MAX_FRAGMENTS = 64;

    private record Key(int src, int dst, int proto, int id) {
    }

    private record Piece(int off, byte[] data) {
    }

    private final class Pending {
        final Key key;
        final List<Piece> pieces = new ArrayList<>();
        int bytes;
        int total = -1;
        int ttl;
        /** The first fragment's Ethernet and IP headers, for an ICMP error's quote ({@link IcmpError#quote}). */
        byte[] head = new byte[0];
        EventLoop.Deadline timeout;

        Pending(Key key) {
            this.key = key;
        }
    }

    private final Stack stack;
    /** Datagrams in progress, oldest first (insertion order). */
    private final LinkedHashMap<Key, Pending> pending = new LinkedHashMap<>();
    private int heldBytes;

    Reassembly(Stack stack) {
        this.stack = stack;
    }

    int inProgress() {
        return pending.size();
    }

    int heldBytes() {
        return heldBytes;
    }

    /** Adds a fragment; returns the whole datagram when this one completed it, else null. */
    Ipv4.Datagram add(int src, int dst, int proto, int id, int off, boolean more, byte[] buf, int dataOff, int len, int ttl) {
        if (more && (len == 0 || len % 8 != 0) || off + len > 65535 - Ipv4.HEADER) {
            stack.stats.malformed++;
            return null;
        }
        Key k = new Key(src, dst, proto, id);
        Pending p = pending.get(k);
        if (p == null) {
            while (pending.size() >= MAX_DATAGRAMS || heldBytes + len > MAX_BYTES && !pending.isEmpty()) {
                Map.Entry<Key, Pending> oldest = pending.entrySet().iterator().next();
                drop(oldest.getValue());
                stack.stats.fragmentsEvicted++;
            }
            p = new Pending(k);
            Pending np = p;
            p.timeout = stack.loop.afterMillis(TIMEOUT_MS, () -> {
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
        return new Ipv4.Datagram(src, dst, proto, p.ttl, whole, at, p.total);
    }

    private void drop(Pending p) {
        if (pending.remove(p.key) == p) {
            heldBytes -= p.bytes;
            p.timeout.cancel();
        }
    }
}
