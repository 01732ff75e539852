package org.machina.net.user;

/**
 * The sender's scoreboard (RFC 6675 section 3, from RFC 2018's SACK blocks): which bytes the
 * guest holds above the cumulative acknowledgement, so that loss recovery resends only the holes.
 * Loop thread only.
 *
 * <p>Ranges are kept sorted, disjoint and not touching (touching ones are merged), all inside
 * {@code [sndUna, sndMax]}. Bounds: at most {@link #MAX_RANGES} ranges in fixed arrays; a block
 * that would need one more is ignored (the data it covers is resent if need be, which is safe).
 * A block that is not inside what was sent is bogus: {@link #add} counts it and ignores it.
 */
final class SackScoreboard {
    static final int MAX_RANGES = 32;
    /** RFC 6675's DupThresh. */
    static final int DUP_THRESH = 3;

    private final int[] left = new int[MAX_RANGES];
    private final int[] right = new int[MAX_RANGES];
    private int n;
    private int sacked;

    private static boolean lt(int a, int b) {
        return a - b < 0;
    }

    private static boolean le(int a, int b) {
        return a - b <= 0;
    }

    boolean isEmpty() {
        return n == 0;
    }

    int ranges() {
        return n;
    }

    /** SACKed bytes in all. */
    int sackedBytes() {
        return sacked;
    }

    void clear() {
        n = 0;
        sacked = 0;
    }

    /** The right edge of the highest SACKed range, {@code una} if none. */
    int highest(int una) {
        return n == 0 ? una : right[n - 1];
    }

    /** The cumulative acknowledgement moved to {@code una}: forget what lies below it. */
    void advance(int una) {
        int drop = 0;
        while (drop < n && le(right[drop], una)) {
            sacked -= right[drop] - left[drop];
            drop++;
        }
        if (drop > 0) {
            System.arraycopy(left, drop, left, 0, n - drop);
            System.arraycopy(right, drop, right, 0, n - drop);
            n -= drop;
        }
        if (n > 0 && lt(left[0], una)) {
            sacked -= una - left[0];
            left[0] = una;
        }
    }

    /**
     * Takes the SACK blocks of one ACK ({@code edges}: left, right, ...). Blocks at or below
     * {@code una} are old (or D-SACK, RFC 2883) and skipped; a block reaching below {@code una}
     * is cut there.
     *
     * @return the number of bogus blocks (empty, reversed, or beyond {@code sndMax}), ignored
     */
    int add(int[] edges, int una, int sndMax) {
        int bogus = 0;
        for (int i = 0; i + 1 < edges.length; i += 2) {
            int l = edges[i];
            int r = edges[i + 1];
            if (!lt(l, r) || lt(sndMax, r)) {
                bogus++;
                continue;
            }
            if (le(r, una)) {
                continue;
            }
            if (lt(l, una)) {
                l = una;
            }
            insert(l, r, una);
        }
        return bogus;
    }

    /** Merges [l, r) into the ranges (all relative to {@code una}, inside one window). */
    private void insert(int l, int r, int una) {
        int rl = l - una;
        int rr = r - una;
        int i = 0;
        while (i < n && right[i] - una < rl) {
            i++;
        }
        int j = i;
        while (j < n && left[j] - una <= rr) {
            j++;
        }
        // ranges i..j-1 touch or overlap [l, r)
        if (i == j) {
            if (n == MAX_RANGES) {
                return;
            }
            System.arraycopy(left, i, left, i + 1, n - i);
            System.arraycopy(right, i, right, i + 1, n - i);
            left[i] = l;
            right[i] = r;
            n++;
            sacked += r - l;
            return;
        }
        int nl = left[i] - una < rl ? left[i] : l;
        int nr = right[j - 1] - una > rr ? right[j - 1] : r;
        for (int k = i; k < j; k++) {
            sacked -= right[k] - left[k];
        }
        left[i] = nl;
        right[i] = nr;
        sacked += nr - nl;
        int gone = j - i - 1;
        if (gone > 0) {
            System.arraycopy(left, j, left, i + 1, n - j);
            System.arraycopy(right, j, right, i + 1, n - j);
            n -= gone;
        }
    }

    /** Whether byte {@code seq} is SACKed. */
    boolean isSacked(int seq) {
        for (int i = 0; i < n; i++) {
            if (le(left[i], seq) && lt(seq, right[i])) {
                return true;
            }
        }
        return false;
    }

    /**
     * RFC 6675's IsLost for the unSACKed byte {@code seq}: at least {@link #DUP_THRESH}
     * discontiguous SACKed ranges above it, or more than {@code (DupThresh - 1) * smss} SACKed
     * bytes above it.
     */
    boolean isLost(int seq, int smss) {
        int bytes = 0;
        int count = 0;
        for (int i = n - 1; i >= 0 && lt(seq, left[i]); i--) {
            bytes += right[i] - left[i];
            count++;
        }
        return count >= DUP_THRESH || bytes > (DUP_THRESH - 1) * smss;
    }

    /**
     * RFC 6675's SetPipe over {@code [una, nxt)}: every byte not SACKed and not lost counts once,
     * every byte below {@code highRxt} that is not SACKed (retransmitted) once more. Computed per
     * hole: all bytes of a hole have the same SACKed bytes above them, so they are all lost or not.
     */
    int pipe(int una, int nxt, int highRxt, int smss) {
        int pipe = 0;
        int from = una;
        for (int i = 0; i <= n; i++) {
            int to = i < n ? left[i] : nxt;
            if (lt(from, to)) {
                if (!isLost(from, smss)) {
                    pipe += to - from;
                }
                if (lt(from, highRxt)) {
                    pipe += (lt(highRxt, to) ? highRxt : to) - from;
                }
            }
            if (i < n) {
                from = right[i];
            }
        }
        return pipe;
    }

    /**
     * RFC 6675's NextSeg rule 1: the first lost byte above {@code highRxt} (and at or above
     * {@code una}) and how many lost bytes follow it in its hole, at most {@code max}; as
     * {@code (start << 32) | length} (negative when start is), or exactly -1 if no hole is lost
     * (a length is never 0xffffffff).
     */
    long nextLost(int una, int highRxt, int smss, int max) {
        int from = una;
        for (int i = 0; i < n; i++) {
            int to = left[i];
            int start = lt(from, highRxt) ? highRxt : from;
            if (lt(start, to) && isLost(start, smss)) {
                int len = Math.min(to - start, max);
                return (long) start << 32 | (len & 0xffffffffL);
            }
            from = right[i];
        }
        return -1;
    }
}
