package org.machina.net.user;

import org.machina.net.user.IpAddr.V6;

/**
 * IPv6 (RFC 8200): checks the fixed header of every packet from the guest, walks past the
 * hop-by-hop, routing and destination-options extension headers (at most {@link #MAX_EXTENSIONS};
 * MLD reports carry a hop-by-hop header), and dispatches to ICMPv6, UDP or TCP. Fragments are not
 * reassembled (counted as unsupported): the guest's TCP keeps to the MSS we announce and its UDP
 * to the link MTU it learns from our router advertisement.
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
        Packet pk = new Packet(src, dst, hopLimit, f, p, end - p);
        switch (next) {
            case ICMPV6 -> stack.icmp6.input(pk);
            case Ipv4.UDP -> stack.udp.input(src, dst, f, p, end - p, null);
            case Ipv4.TCP -> stack.tcp.input(src, dst, f, p, end - p, null);
            default -> stack.stats.unsupported++; // fragments, no-next-header, other protocols
        }
    }

    /**
     * Sends a packet to the guest: to the guest's MAC, or for a multicast destination its 33:33 MAC.
     *
     * @return false if it was dropped (no guest MAC yet, larger than the MTU, the guest queue full)
     */
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
