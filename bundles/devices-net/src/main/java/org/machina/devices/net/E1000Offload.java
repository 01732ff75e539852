package org.machina.devices.net;

import java.util.ArrayList;
import java.util.List;

/**
 * The transmit offloads of the 8254x (manual section 3.3, "Transmit Descriptors"): checksum
 * insertion and TCP segmentation (TSO), as set up by a context descriptor.
 *
 * <p>Checksum insertion: the one's complement sum of bytes CSS..CSE (CSE 0: the end of the
 * packet) is stored at CSO. The driver seeds a TCP/UDP checksum field with the pseudo-header
 * sum, so the sum over the range is the full checksum.
 *
 * <p>TSO: the packet is HDRLEN bytes of headers (Ethernet, IPv4 at IPCSS, TCP at TUCSS) then
 * PAYLEN bytes of payload, cut into segments of at most MSS payload bytes. Each segment gets the
 * headers with the IPv4 total length and identification (+1 per segment), the TCP sequence
 * number advanced by the payload already sent, FIN and PSH only on the last segment, and fresh
 * IPv4 and TCP checksums (the TCP one over the IPv4 pseudo-header with this segment's length).
 */
final class E1000Offload {
    /** Context descriptor fields. */
    record Context(int ipcss, int ipcso, int ipcse, int tucss, int tucso, int tucse, int payLen, int hdrLen, int mss,
            boolean tse, boolean ip, boolean tcp) {
    }

    private E1000Offload() {
    }

    /** Inserts one checksum in place; false if the offsets do not fit the packet. */
    static boolean insert(byte[] p, int length, int css, int cso, int cse) {
        int end = cse == 0 ? length : cse + 1;
        if (css >= end || end > length || cso + 2 > length) {
            return false;
        }
        int sum = Checksums.finish(Checksums.add(0, p, css, end));
        Checksums.put16(p, cso, sum);
        return true;
    }

    /** The frames of a TSO packet ({@code p[0, length)}); null if the context does not fit it. */
    static List<byte[]> segment(byte[] p, int length, Context c) {
        int hdr = c.hdrLen();
        int mss = c.mss();
        if (hdr <= 0 || hdr > length || mss <= 0 || c.ipcss() + 20 > hdr || c.tucss() + 20 > hdr || !c.tcp() || !c.ip()) {
            return null;
        }
        int payload = length - hdr;
        List<byte[]> out = new ArrayList<>();
        int ipId = Checksums.get16(p, c.ipcss() + 4);
        long seq = ((p[c.tucss() + 4] & 0xFFL) << 24) | (p[c.tucss() + 5] & 0xFF) << 16 | (p[c.tucss() + 6] & 0xFF) << 8
                | p[c.tucss() + 7] & 0xFF;
        int flags = p[c.tucss() + 13] & 0xFF;
        int done = 0;
        do {
            int n = Math.min(mss, payload - done);
            boolean last = done + n >= payload;
            byte[] f = new byte[hdr + n];
            System.arraycopy(p, 0, f, 0, hdr);
            System.arraycopy(p, hdr + done, f, hdr, n);
            int ip = c.ipcss();
            Checksums.put16(f, ip + 2, f.length - ip);
            Checksums.put16(f, ip + 4, ipId + out.size() & 0xFFFF);
            Checksums.put16(f, ip + 10, 0);
            int ipHeaderEnd = ip + ((f[ip] & 0x0F) * 4);
            if (ipHeaderEnd > hdr) {
                return null;
            }
            Checksums.put16(f, ip + 10, Checksums.finish(Checksums.add(0, f, ip, ipHeaderEnd)));
            int t = c.tucss();
            long s = seq + done & 0xFFFFFFFFL;
            f[t + 4] = (byte) (s >>> 24);
            f[t + 5] = (byte) (s >>> 16);
            f[t + 6] = (byte) (s >>> 8);
            f[t + 7] = (byte) s;
            f[t + 13] = (byte) (last ? flags : flags & ~0x09);   // FIN 0x01, PSH 0x08 only on the last
            Checksums.put16(f, t + 16, 0);
            int tcpLength = f.length - t;
            long sum = Checksums.add(0, f, ip + 12, ip + 20);    // source and destination addresses
            sum += 6 + tcpLength;
            Checksums.put16(f, t + 16, Checksums.finish(Checksums.add(sum, f, t, f.length)));
            out.add(f);
            done += n;
        } while (done < payload);
        return out;
    }
}
