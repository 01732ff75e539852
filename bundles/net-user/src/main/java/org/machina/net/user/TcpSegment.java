package org.machina.net.user;

/**
 * One TCP segment from the guest (RFC 793 section 3.1), parsed: ports, sequence numbers, flags,
 * window and the options this stack reads (MSS, window scale and timestamps RFC 7323, SACK
 * permitted and SACK blocks RFC 2018). The same for both address families: only the checksum's
 * pseudo-header differs ({@link IpAddr#pseudoSum}).
 *
 * <p>{@code sack} holds the SACK blocks' edges (left, right, ...), null without the option;
 * {@code ts} says whether a timestamps option came ({@code tsVal}, {@code tsEcr});
 * {@code badSack} that a SACK option had a length no whole number of blocks makes (its blocks
 * are not used, the segment is).
 */
record TcpSegment(IpAddr src, IpAddr dst, int sport, int dport, int seq, int ack, int flags, int window, int mss, int wscale,
        boolean sackOk, int[] sack, boolean badSack, boolean ts, int tsVal, int tsEcr, byte[] buf, int dataOff, int dataLen) {
    static final int FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10, URG = 0x20;
    static final int HEADER = 20;

    boolean has(int flag) {
        return (flags & flag) != 0;
    }

    /** Sequence space the segment occupies: data plus one each for SYN and FIN. */
    int seqLength() {
        return dataLen + (has(SYN) ? 1 : 0) + (has(FIN) ? 1 : 0);
    }

    /** Parses and checks (length, checksum) a segment; null if malformed. */
    static TcpSegment parse(IpAddr src, IpAddr dst, byte[] b, int o, int len) {
        if (len < HEADER) {
            return null;
        }
        int hlen = (Bytes.u8(b, o + 12) >> 4) * 4;
        if (hlen < HEADER || hlen > len || Checksum.finish(Checksum.add(src.pseudoSum(dst, Ipv4.TCP, len), b, o, len)) != 0) {
            return null;
        }
        int mss = -1;
        int wscale = -1;
        boolean sackOk = false;
        int[] sack = null;
        boolean badSack = false;
        boolean ts = false;
        int tsVal = 0;
        int tsEcr = 0;
        for (int i = o + HEADER; i < o + hlen;) {
            int kind = Bytes.u8(b, i);
            if (kind == 0) {
                break;
            }
            if (kind == 1) {
                i++;
                continue;
            }
            if (i + 1 >= o + hlen) {
                return null;
            }
            int l = Bytes.u8(b, i + 1);
            if (l < 2 || i + l > o + hlen) {
                return null;
            }
            if (kind == 2 && l == 4) {
                mss = Bytes.u16(b, i + 2);
            } else if (kind == 3 && l == 3) {
                wscale = Math.min(14, Bytes.u8(b, i + 2));
            } else if (kind == 4 && l == 2) {
                sackOk = true;
            } else if (kind == 5) {
                int n = (l - 2) / 8;
                if (n < 1 || n > MAX_SACK_BLOCKS || l != 2 + 8 * n) {
                    badSack = true;
                } else {
                    sack = new int[2 * n];
                    for (int j = 0; j < 2 * n; j++) {
                        sack[j] = Bytes.i32(b, i + 2 + 4 * j);
                    }
                }
            } else if (kind == 8 && l == 10) {
                ts = true;
                tsVal = Bytes.i32(b, i + 2);
                tsEcr = Bytes.i32(b, i + 6);
            }
            i += l;
        }
        return new TcpSegment(src, dst, Bytes.u16(b, o), Bytes.u16(b, o + 2), Bytes.i32(b, o + 4), Bytes.i32(b, o + 8),
                Bytes.u8(b, o + 13), Bytes.u16(b, o + 14), mss, wscale, sackOk, sack, badSack, ts, tsVal, tsEcr, b, o + hlen, len - hlen);
    }

    /** Builds a segment (header, options, data) with its checksum. */
    static byte[] build(IpAddr src, IpAddr dst, int sport, int dport, int seq, int ack, int flags, int window, byte[] options,
            ByteRing data, int dataFrom, int dataLen) {
        int optLen = options == null ? 0 : (options.length + 3) & ~3;
        byte[] s = new byte[HEADER + optLen + dataLen];
        Bytes.put16(s, 0, sport);
        Bytes.put16(s, 2, dport);
        Bytes.put32(s, 4, seq);
        Bytes.put32(s, 8, ack);
        s[12] = (byte) ((HEADER + optLen) / 4 << 4);
        s[13] = (byte) flags;
        Bytes.put16(s, 14, window);
        if (options != null) {
            System.arraycopy(options, 0, s, HEADER, options.length);
        }
        if (dataLen > 0) {
            data.copy(dataFrom, s, HEADER + optLen, dataLen);
        }
        Bytes.put16(s, 16, Checksum.finish(Checksum.add(src.pseudoSum(dst, Ipv4.TCP, s.length), s, 0, s.length)));
        return s;
    }

    /**
     * SYN options: MSS, then SACK-permitted (NOP-padded) when {@code sack}, then timestamps
     * (NOP-padded, RFC 7323 appendix A's layout) when {@code ts}, then window scale (NOP-padded)
     * when {@code wscale >= 0}: at most 24 bytes.
     */
    static byte[] synOptions(int mss, int wscale, boolean sack, boolean ts, int tsVal, int tsEcr) {
        byte[] o = new byte[4 + (sack ? 4 : 0) + (ts ? TIMESTAMPS_LENGTH : 0) + (wscale >= 0 ? 4 : 0)];
        o[0] = 2;
        o[1] = 4;
        o[2] = (byte) (mss >> 8);
        o[3] = (byte) mss;
        int i = 4;
        if (sack) {
            o[i++] = 1;
            o[i++] = 1;
            o[i++] = 4;
            o[i++] = 2;
        }
        if (ts) {
            putTimestamps(o, i, tsVal, tsEcr);
            i += TIMESTAMPS_LENGTH;
        }
        if (wscale >= 0) {
            o[i++] = 1;
            o[i++] = 3;
            o[i++] = 3;
            o[i] = (byte) wscale;
        }
        return o;
    }

    /** Bytes the timestamps option takes with its two NOPs (RFC 7323 appendix A). */
    static final int TIMESTAMPS_LENGTH = 12;

    /** NOP, NOP, kind 8, length 10, TSval, TSecr at {@code o[i]}. */
    static void putTimestamps(byte[] o, int i, int tsVal, int tsEcr) {
        o[i] = 1;
        o[i + 1] = 1;
        o[i + 2] = 8;
        o[i + 3] = 10;
        Bytes.put32(o, i + 4, tsVal);
        Bytes.put32(o, i + 8, tsEcr);
    }

    /**
     * The options of a segment after the handshake: the timestamps option when {@code ts}, then
     * the SACK option for {@code edges} (null or empty: none); null if neither.
     */
    static byte[] options(boolean ts, int tsVal, int tsEcr, int[] edges) {
        boolean sack = edges != null && edges.length > 0;
        if (!ts && !sack) {
            return null;
        }
        byte[] s = sack ? sackOption(edges) : new byte[0];
        byte[] o = new byte[(ts ? TIMESTAMPS_LENGTH : 0) + s.length];
        if (ts) {
            putTimestamps(o, 0, tsVal, tsEcr);
        }
        System.arraycopy(s, 0, o, o.length - s.length, s.length);
        return o;
    }

    /** At most this many SACK blocks fit in the 40 bytes of options (RFC 2018: 4 without timestamps, 3 with them). */
    static final int MAX_SACK_BLOCKS = 4;
    static final int MAX_SACK_BLOCKS_WITH_TIMESTAMPS = 3;

    /** The SACK option (kind 5, RFC 2018) for {@code edges} (left, right, ...), after two NOPs so the blocks are aligned. */
    static byte[] sackOption(int[] edges) {
        int n = edges.length / 2;
        byte[] o = new byte[4 + 8 * n];
        o[0] = 1;
        o[1] = 1;
        o[2] = 5;
        o[3] = (byte) (2 + 8 * n);
        for (int i = 0; i < edges.length; i++) {
            Bytes.put32(o, 4 + 4 * i, edges[i]);
        }
        return o;
    }
}
