package org.machina.net.user;

import java.util.ArrayList;
import java.util.List;

/**
 * Guest data of one TCP connection that arrived ahead of a hole (RFC 793 section 3.9: segments
 * "may be held" until the gap is filled, instead of being dropped and sent again), and the SACK
 * blocks that describe it (RFC 2018). Loop thread only.
 *
 * <p>Bounds: at most {@link #MAX_PIECES} pieces, and the connection stores only bytes inside the
 * window it advertised, so what is held here and the connection's in-order queue together never
 * exceed that queue's bound. A piece that would pass {@link #MAX_PIECES} is dropped (the guest
 * sends it again).
 */
final class OutOfOrderQueue {
    static final int MAX_PIECES = 64;

    /** One held segment: its data from {@code seq}, and whether a FIN follows it. */
    private record Piece(int seq, byte[] data, boolean fin) {
        int end() {
            return seq + data.length;
        }
    }

    /** Where delivered bytes go. */
    interface Sink {
        void take(byte[] b, int off, int len);
    }

    /** Sorted by sequence number (relative to the receive point: all lie inside one window). */
    private final List<Piece> pieces = new ArrayList<>();
    private int bytes;
    /** The sequence number of the piece stored last: RFC 2018's first SACK block holds it. */
    private int latest;
    private boolean finReached;

    private static boolean le(int a, int b) {
        return a - b <= 0;
    }

    boolean isEmpty() {
        return pieces.isEmpty();
    }

    int size() {
        return pieces.size();
    }

    int bytes() {
        return bytes;
    }

    void clear() {
        pieces.clear();
        bytes = 0;
    }

    /**
     * Holds {@code len} bytes at {@code seq} (after {@code rcvNxt}, inside the window), then a FIN
     * if {@code fin}.
     *
     * @return false if the bound refused it
     */
    boolean add(int rcvNxt, int seq, byte[] b, int off, int len, boolean fin) {
        int at = 0;
        for (Piece p : pieces) {
            if (le(p.seq(), seq) && le(seq + len, p.end()) && (!fin || p.fin() && p.end() == seq + len)) {
                latest = p.seq(); // a copy of what is held already
                return true;
            }
            if (p.seq() - rcvNxt < seq - rcvNxt) {
                at++;
            }
        }
        if (pieces.size() >= MAX_PIECES) {
            return false;
        }
        byte[] copy = new byte[len];
        System.arraycopy(b, off, copy, 0, len);
        pieces.add(at, new Piece(seq, copy, fin));
        bytes += len;
        latest = seq;
        return true;
    }

    /**
     * Delivers the held bytes that now follow {@code rcvNxt} without a hole, in order, at most
     * {@code max} of them (the rest of a piece that does not fit is dropped: the guest sends it
     * again); pieces that end before {@code rcvNxt} are dropped.
     *
     * @return the new {@code rcvNxt}; {@link #finReached} says whether a held FIN was reached
     */
    int pull(int rcvNxt, int max, Sink sink) {
        finReached = false;
        while (!pieces.isEmpty() && le(pieces.get(0).seq(), rcvNxt)) {
            Piece p = pieces.remove(0);
            bytes -= p.data().length;
            int from = rcvNxt - p.seq();
            int n = Math.min(p.end() - rcvNxt, max);
            if (n > 0) {
                sink.take(p.data(), from, n);
                rcvNxt += n;
                max -= n;
            }
            if (p.fin() && p.end() == rcvNxt) {
                finReached = true;
                clear(); // nothing follows a FIN
            }
        }
        return rcvNxt;
    }

    /** Whether the last {@link #pull} reached a held FIN. */
    boolean finReached() {
        return finReached;
    }

    /**
     * The held data as at most {@code max} SACK blocks (left edge, right edge; touching pieces
     * merged), the block with the piece stored last first, then the others in sequence order.
     */
    int[] sackBlocks(int max) {
        List<int[]> ranges = new ArrayList<>();
        for (Piece p : pieces) {
            int[] last = ranges.isEmpty() ? null : ranges.get(ranges.size() - 1);
            if (last != null && le(p.seq(), last[1])) {
                if (le(last[1], p.end())) {
                    last[1] = p.end();
                }
            } else {
                ranges.add(new int[] {p.seq(), p.end()});
            }
        }
        for (int i = 0; i < ranges.size(); i++) {
            int[] r = ranges.get(i);
            if (le(r[0], latest) && latest - r[1] < 0) {
                ranges.remove(i);
                ranges.add(0, r);
                break;
            }
        }
        int n = Math.min(max, ranges.size());
        int[] out = new int[2 * n];
        for (int i = 0; i < n; i++) {
            out[2 * i] = ranges.get(i)[0];
            out[2 * i + 1] = ranges.get(i)[1];
        }
        return out;
    }
}
