package org.machina.net.user;

import org.machina.net.user.IpAddr.V6;

/**
 * IPv6 (RFC 8200): checks the fixed header of every packet from the guest, walks past the
 * hop-by-hop, routing and destination-options extension headers (at most {@link #MAX_EXTENSIONS};
 * MLD reports carry a hop-by-hop header), and dispatches to ICMPv6, UDP or TCP. Fragments (RFC
 * 8200 section 4.5) go to the stack's IPv6 {@link Reassembly} table; a completed packet is rebuilt
 * (the first fragment's unfragmentable part, its Next Header from the Fragment header, the data)
 * and goes through here once more, where a second Fragment header is malformed. An atomic
 * fragment (offset 0, no more) is taken on its own (RFC 6946).
 *
 * <p>On the way out the stack is a source, and IPv6 routers never fragment, so a packet larger
 * than the MTU (a UDP reply from a host peer) is dropped and counted ({@link Stats#tooBig}).
 */
final class Ipv6 {
    static final int HEADER = 40;
    static final int HOP_BY_HOP = 0;
    static final int ROUTING = 43;
    static final int FRAGMENT = 44;
    static final int DESTINATION_OPTIONS = 60;
    static final int ICMPV6 = 58;
    static final int MAX_EXTENSIONS = 8;

    /** A packet from the guest: addresses, hop limit, and where the upper-layer payload is. */
    record Packet(V6 src, V6 dst, int hopLimit, byte[] buf, int off, int len) {
    }

    private final Stack stack;

    Ipv6(Stack stack) {
        this.stack = stack;
    }

    void input(byte[] f) {
        input(f, false);
    }

    private void input(byte[] f, boolean reassembled) {
        int o = Ethernet.HEADER;
        if (f.length < o + HEADER || Bytes.u8(f, o) >> 4 != 6) {
            stack.stats.malformed++;
            return;
        }
        int end = o + HEADER + Bytes.u16(f, o + 4);
        if (end > f.length) {
            stack.stats.malformed++;
            return;
        }
        int next = Bytes.u8(f, o + 6);
        int hopLimit = Bytes.u8(f, o + 7);
        V6 src = V6.of(f, o + 8);
        V6 dst = V6.of(f, o + 24);
        if (src.isMulticast()) {
            stack.stats.malformed++;
            return;
        }
        int p = o + HEADER;
        for (int n = 0; next == HOP_BY_HOP || next == ROUTING || next == DESTINATION_OPTIONS; n++) {
            if (n == MAX_EXTENSIONS || p + 8 > end) {
                stack.stats.malformed++;
                return;
            }
            next = Bytes.u8(f, p);
            p += (Bytes.u8(f, p + 1) + 1) * 8;
            if (p > end) {
                stack.stats.malformed++;
                return;
            }
        }
        if (next == FRAGMENT) {
            fragment(f, p, end, src, dst, hopLimit, reassembled);
            return;
        }
        Packet pk = new Packet(src, dst, hopLimit, f, p, end - p);
        switch (next) {
            case ICMPV6 -> stack.icmp6.input(pk);
            case Ipv4.UDP -> stack.udp.input(src, dst, f, p, end - p, null);
            case Ipv4.TCP -> stack.tcp.input(src, dst, f, p, end - p, null);
            default -> stack.stats.unsupported++; // no-next-header, other protocols
        }
    }

    /** The Fragment header at {@code p}: its fragment to the reassembly; a completed packet through {@link #input} again. */
    private void fragment(byte[] f, int p, int end, V6 src, V6 dst, int hopLimit, boolean reassembled) {
        if (reassembled || p + 8 > end) {
            stack.stats.malformed++;
            return;
        }
        int offMore = Bytes.u16(f, p + 2);
        int off = offMore & 0xfff8;
        boolean more = (offMore & 1) != 0;
        Reassembly.Whole w = off == 0 && !more ? new Reassembly.Whole(f, p + 8, end - p - 8, hopLimit)
                : stack.reassembly6.add(new Reassembly.Key(src, dst, -1, Bytes.i32(f, p + 4)), off, more, f, p + 8, end - p - 8, hopLimit);
        if (w == null) {
            return;
        }
        byte[] b = w.buf();
        int frag = w.off() - 8; // the first fragment's Fragment header
        int at = Ethernet.HEADER + 6; // the Next Header field that names it: the fixed header's or the last extension header's
        for (int q = Ethernet.HEADER + HEADER; q < frag; q += (Bytes.u8(b, q + 1) + 1) * 8) {
            at = q;
        }
        int payload = frag - Ethernet.HEADER - HEADER + w.len();
        if (payload > 65535) {
            stack.stats.malformed++;
            return;
        }
        byte[] g = new byte[frag + w.len()];
        System.arraycopy(b, 0, g, 0, frag);
        System.arraycopy(b, w.off(), g, frag, w.len());
        g[at] = b[frag];
        Bytes.put16(g, Ethernet.HEADER + 4, payload);
        input(g, true);
    }

    /**
     * Sends a packet to the guest: to the guest's MAC, or for a multicast destination its 33:33 MAC.
     *
     * @return false if it was dropped (no guest MAC yet, larger than the MTU, the guest queue full)
     */
    boolean output(V6 src, V6 dst, int proto, byte[] payload, int off, int len) {
        return output(src, dst, proto, Ipv4.hops(stack.isRouted(src)), payload, off, len);
    }

    /** {@link #output} with hop limit {@code hopLimit} (255 for neighbor discovery, RFC 4861). */
    boolean output(V6 src, V6 dst, int proto, int hopLimit, byte[] payload, int off, int len) {
        byte[] mac = dst.isMulticast() ? Ethernet.multicastMac(dst) : stack.guestMac();
        if (mac == null) {
            stack.stats.noGuestMac++;
            return false;
        }
        if (HEADER + len > stack.cfg.mtu) {
            stack.stats.tooBig++;
            return false;
        }
        byte[] f = Ethernet.frame(mac, Ethernet.virtualMac(src), Ethernet.TYPE_IPV6, HEADER + len);
        int o = Ethernet.HEADER;
        f[o] = 0x60;
        Bytes.put16(f, o + 4, len);
        f[o + 6] = (byte) proto;
        f[o + 7] = (byte) hopLimit;
        src.put(f, o + 8);
        dst.put(f, o + 24);
        System.arraycopy(payload, off, f, o + HEADER, len);
        return stack.toGuest(f);
    }
}
