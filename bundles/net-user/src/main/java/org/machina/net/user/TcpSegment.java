package org.machina.net.user;

/**
 * One TCP segment from the guest (RFC 793 section 3.1), parsed: ports, sequence numbers, flags,
 * window and the options this stack reads (MSS, window scale RFC 7323, SACK permitted RFC 2018).
 * The same for both address families: only the checksum's pseudo-header differs ({@link IpAddr#pseudoSum}).
 */
record TcpSegment(IpAddr src, IpAddr dst, int sport, int dport, int seq, int ack, int flags, int window, int mss, int wscale,
        boolean sackOk, byte[] buf, int dataOff, int dataLen) {
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
            }
            i += l;
        }
        return new TcpSegment(src, dst, Bytes.u16(b, o), Bytes.u16(b, o + 2), Bytes.i32(b, o + 4), Bytes.i32(b, o + 8),
                Bytes.u8(b, o + 13), Bytes.u16(b, o + 14), mss, wscale, sackOk, b, o + hlen, len - hlen);
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

    /** SYN options: MSS, then window scale (NOP-padded) when {@code wscale >= 0}, then SACK-permitted (NOP-padded) when {@code sack}. */
    static byte[] synOptions(int mss, int wscale, boolean sack) {
        byte[] o = new byte[4 + (wscale >= 0 ? 4 : 0) + (sack ? 4 : 0)];
        o[0] = 2;
        o[1] = 4;
        o[2] = (byte) (mss >> 8);
        o[3] = (byte) mss;
        int i = 4;
        if (wscale >= 0) {
            o[i++] = 1;
            o[i++] = 3;
            o[i++] = 3;
            o[i++] = (byte) wscale;
        }
        if (sack) {
            o[i++] = 1;
            o[i++] = 1;
            o[i++] = 4;
            o[i] = 2;
        }
        return o;
    }

    /** At most this many SACK blocks fit in the 40 bytes of options (RFC 2018: 4 without timestamps). */
    static final int MAX_SACK_BLOCKS = 4;

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
