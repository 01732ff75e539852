package org.machina.net.user;

/**
 * IPv4 (RFC 791): checks the header of every packet from the guest, hands fragments to the
 * {@link Reassembly}, and dispatches whole datagrams to ICMP, UDP or TCP. On the way out it builds
 * the header (DF clear; TTL {@link #TTL}, or {@link #FORWARDED_TTL} from an outside host) and
 * fragments datagrams larger than the MTU.
 */
final class Ipv4 {
    static final int ICMP = 1;
    static final int TCP = 6;
    static final int UDP = 17;
    static final int HEADER = 20;
    /** The TTL of what the stack itself sends (the gateway, DNS, DHCP, TFTP addresses): Linux's default, as slirp's IPDEFTTL. */
    static final int TTL = 64;
    /**
     * The TTL of a packet from an outside host (a routed address, {@link Stack#isRouted}) that came
     * through a host socket: the gateway is a router on its way, which takes one off (RFC 1812
     * 5.3.1), so the guest sees the peer one hop beyond the gateway, as its traceroute does. The
     * peer's own TTL is not known (a host socket does not tell it): taken as {@link #TTL}.
     */
    static final int FORWARDED_TTL = TTL - 1;

    /**
     * The TTL (IPv4) or hop limit (IPv6) of what the stack sends the guest from {@code routed} or own
     * addresses: the one rule for both families ({@link #output}, {@link Ipv6#output}).
     */
    static int hops(boolean routed) {
        return routed ? FORWARDED_TTL : TTL;
    }

    /**
     * A whole datagram: addresses, protocol and where its payload is. {@code buf} holds the frame's
     * Ethernet header at 0 and its IP header up to {@code off} (a reassembled datagram: those of
     * its first fragment), for {@link IcmpError#quote}.
     */
    record Datagram(int src, int dst, int proto, int ttl, byte[] buf, int off, int len) {
    }

    private final Stack stack;
    private int nextId = 1;

    Ipv4(Stack stack) {
        this.stack = stack;
    }

    void input(byte[] f) {
        int o = Ethernet.HEADER;
        if (f.length < o + HEADER) {
            stack.stats.malformed++;
            return;
        }
        int vihl = Bytes.u8(f, o);
        int ihl = (vihl & 0xf) * 4;
        int total = Bytes.u16(f, o + 2);
        if (vihl >> 4 != 4 || ihl < HEADER || total < ihl || o + total > f.length || Checksum.of(f, o, ihl) != 0) {
            stack.stats.malformed++;
            return;
        }
        int src = Bytes.i32(f, o + 12);
        int dst = Bytes.i32(f, o + 16);
        int proto = Bytes.u8(f, o + 9);
        int ttl = Bytes.u8(f, o + 8);
        int flagsFrag = Bytes.u16(f, o + 6);
        boolean more = (flagsFrag & 0x2000) != 0;
        int fragOff = (flagsFrag & 0x1fff) * 8;
        Datagram d;
        if (more || fragOff != 0) {
            Reassembly.Whole w = stack.reassembly.add(new Reassembly.Key(new IpAddr.V4(src), new IpAddr.V4(dst), proto,
                    Bytes.u16(f, o + 4)), fragOff, more, f, o + ihl, total - ihl, ttl);
            if (w == null) {
                return;
            }
            d = new Datagram(src, dst, proto, w.ttl(), w.buf(), w.off(), w.len());
        } else {
            d = new Datagram(src, dst, proto, ttl, f, o + ihl, total - ihl);
        }
        switch (proto) {
            case ICMP -> stack.icmp.input(d);
            case UDP -> stack.udp.input(d);
            case TCP -> stack.tcp.input(new IpAddr.V4(d.src()), new IpAddr.V4(d.dst()), d.buf(), d.off(), d.len(), d);
            default -> stack.stats.unsupported++;
        }
    }

    /**
     * Sends a datagram to the guest, fragmenting it when it is larger than the MTU.
     *
     * @return false if the guest queue had no room (the datagram is dropped)
     */
    boolean output(int src, int dst, int proto, byte[] payload, int off, int len) {
        byte[] mac = stack.guestMacFor(dst);
        if (mac == null) {
            stack.stats.noGuestMac++;
            return false;
        }
        int maxData = (stack.cfg.mtu - HEADER) & ~7;
        int id = nextId++ & 0xffff;
        int ttl = hops(stack.isRouted(src));
        if (len <= stack.cfg.mtu - HEADER) {
            return stack.toGuest(packet(mac, src, dst, proto, id, ttl, 0, false, payload, off, len));
        }
        boolean ok = true;
        for (int at = 0; at < len; at += maxData) {
            int n = Math.min(maxData, len - at);
            ok &= stack.toGuest(packet(mac, src, dst, proto, id, ttl, at, at + n < len, payload, off + at, n));
        }
        return ok;
    }

    private static byte[] packet(byte[] mac, int src, int dst, int proto, int id, int ttl, int fragOff, boolean more, byte[] p,
            int off, int len) {
        byte[] f = Ethernet.frame(mac, Ethernet.virtualMac(src), Ethernet.TYPE_IPV4, HEADER + len);
        int o = Ethernet.HEADER;
        f[o] = 0x45;
        Bytes.put16(f, o + 2, HEADER + len);
        Bytes.put16(f, o + 4, id);
        Bytes.put16(f, o + 6, (more ? 0x2000 : 0) | fragOff / 8);
        f[o + 8] = (byte) ttl;
        f[o + 9] = (byte) proto;
        Bytes.put32(f, o + 12, src);
        Bytes.put32(f, o + 16, dst);
        Bytes.put16(f, o + 10, Checksum.of(f, o, HEADER));
        System.arraycopy(p, off, f, o + HEADER, len);
        return f;
    }
}
