package org.machina.net.user;

/**
 * ICMP errors to the guest (RFC 792), sent where a router or the destination host would:
 * destination unreachable, host or network unreachable when the host has no route for a NATed TCP
 * connect or UDP datagram (EHOSTUNREACH, ENETUNREACH: {@link #noRoute}); time exceeded when a routed
 * datagram came with a TTL of 1 or less ({@link #expired}); and the errors the host got about the
 * guest's NATed packets (UDP datagrams, echo requests), relayed with their type and code
 * ({@link #relay}). The message quotes the offending datagram's IP header and its first 8 data bytes.
 *
 * <p>RFC 1122 section 3.2.2: never in answer to an ICMP error, to a datagram sent to an IP or
 * link-layer broadcast or multicast address, to a fragment other than the first, or to a datagram
 * whose source is not a single host ({@link #quote} returns null for those, so nothing is kept).
 * Rate-limited (RFC 1812 section 4.3.2.8) by a token bucket: {@link #BURST} at once, then
 * {@link #PER_SECOND} a second, as Linux's icmp_msgs_burst/icmp_msgs_per_sec; errors beyond it are
 * counted ({@link Stats#icmpErrorsLimited}) and dropped.
 *
 * <p>Over IPv6 (RFC 4443) the same: destination unreachable (type 1) code 0 (no route) or 3 (address
 * unreachable) when the host has no route, time exceeded (type 3) for a hop limit of 1 or less, the
 * host's ICMPv6 errors relayed, quoting as much of the packet as keeps the message
 * within the minimum MTU of 1280 bytes; not about a packet to a multicast address or sent as a
 * link-layer multicast/broadcast, or from the unspecified or a multicast address (section 2.4 (e)),
 * under the same rate limit.
 */
final class IcmpError {
    static final int DEST_UNREACHABLE = 3;
    static final int NET_UNREACHABLE = 0;
    static final int HOST_UNREACHABLE = 1;
    static final int PORT_UNREACHABLE = 3;
    /** Fragmentation needed and DF set (RFC 792); the message carries the next-hop MTU (RFC 1191). */
    static final int FRAG_NEEDED = 4;
    /** Communication administratively prohibited (RFC 1812 section 5.2.7.1). */
    static final int PROHIBITED = 13;
    static final int BURST = 50;
    static final int PER_SECOND = 1000;
    /** Unreachable header: type, code, checksum, 4 unused bytes. */
    static final int HEADER = 8;
    static final int TIME_EXCEEDED = 11;
    static final int DEST_UNREACHABLE6 = 1;
    static final int NO_ROUTE6 = 0;
    static final int ADDRESS_UNREACHABLE6 = 3;
    static final int PORT_UNREACHABLE6 = 4;
    static final int TIME_EXCEEDED6 = 3;
    static final int PACKET_TOO_BIG6 = 2;
    /** RFC 8200's minimum link MTU, which an ICMPv6 error does not exceed. */
    static final int MIN_MTU6 = 1280;

    private final Stack stack;
    private final RateLimit limit = new RateLimit(BURST, PER_SECOND, System::nanoTime);

    IcmpError(Stack stack) {
        this.stack = stack;
    }

    /**
     * What an error about {@code d} quotes: its IP header as the guest sent it and the first 8
     * bytes of its data; or null when RFC 1122 forbids an error about it. {@code d}'s buffer holds
     * the Ethernet header at 0 and the IP header up to {@link Ipv4.Datagram#off} (for a reassembled
     * datagram, those of its first fragment).
     */
    static byte[] quote(Ipv4.Datagram d, NetConfig cfg) {
        byte[] b = d.buf();
        int ip = Ethernet.HEADER;
        if (d.off() < ip + Ipv4.HEADER || (b[0] & 1) != 0) {
            return null; // no header kept, or sent to a link-layer broadcast/multicast address
        }
        if ((Bytes.u16(b, ip + 6) & 0x1fff) != 0) {
            return null; // not the first fragment
        }
        if (!singleHost(d.src(), cfg) || d.dst() == -1 || d.dst() == cfg.broadcast() || isMulticast(d.dst())) {
            return null;
        }
        if (d.proto() == Ipv4.ICMP && (d.len() < 1 || isError(Bytes.u8(b, d.off())))) {
            return null;
        }
        int end = d.off() + Math.min(8, d.len());
        byte[] q = new byte[end - ip];
        System.arraycopy(b, ip, q, 0, q.length);
        return q;
    }

    /**
     * What an ICMPv6 error about the IPv6 packet in frame {@code f} (ending at {@code end}; its UDP
     * or TCP, never ICMPv6) quotes: the packet from its header, at most what keeps the error within
     * {@link #MIN_MTU6}; or null when RFC 4443 section 2.4 (e) forbids an error about it.
     */
    static byte[] quote6(byte[] f, int end) {
        int ip = Ethernet.HEADER;
        IpAddr.V6 src = IpAddr.V6.of(f, ip + 8);
        if ((f[0] & 1) != 0 || IpAddr.V6.of(f, ip + 24).isMulticast() || src.isMulticast() || src.isUnspecified()) {
            return null;
        }
        return java.util.Arrays.copyOfRange(f, ip, Math.min(end, ip + MIN_MTU6 - Ipv6.HEADER - HEADER));
    }

    /**
     * What an error about the TCP or UDP packet in frame {@code b} (ending at {@code end}) quotes,
     * of either family ({@code v4}: the IPv4 datagram it came in, null for IPv6): {@link #quote} or {@link #quote6}.
     */
    static byte[] quote(byte[] b, int end, Ipv4.Datagram v4, NetConfig cfg) {
        return v4 != null ? quote(v4, cfg) : quote6(b, end);
    }

    /** The TTL (IPv4) or hop limit (IPv6, from the fixed header in frame {@code b}) a packet came with. */
    static int hops(byte[] b, Ipv4.Datagram v4) {
        return v4 != null ? v4.ttl() : Bytes.u8(b, Ethernet.HEADER + 7);
    }

    /** ICMP types that are error messages (RFC 792, RFC 1122 3.2.2). */
    static boolean isError(int type) {
        return type == DEST_UNREACHABLE || type == 4 || type == 5 || type == TIME_EXCEEDED || type == 12;
    }

    private static boolean isMulticast(int a) {
        return a >>> 28 >= 0xe; // class D (multicast) and E
    }

    private static boolean singleHost(int a, NetConfig cfg) {
        return a != 0 && a != -1 && a >>> 24 != 127 && !isMulticast(a) && a != cfg.broadcast();
    }

    /**
     * The host has no route for a guest's packet (a NATed TCP connect or UDP send failed so;
     * {@code code}: {@link #NET_UNREACHABLE} for ENETUNREACH, {@link #HOST_UNREACHABLE} for
     * EHOSTUNREACH): destination unreachable from the gateway about the guest's packet ({@code quote},
     * of either family). Over IPv6 (RFC 4443 section 3.1) ENETUNREACH is code 0, no route to
     * destination, and EHOSTUNREACH code 3, address unreachable: the codes a Linux guest turns back
     * into those two errors.
     */
    boolean noRoute(int code, byte[] quote) {
        if (quote == null) {
            return false;
        }
        if (isV6(quote)) {
            return send(DEST_UNREACHABLE6, code == NET_UNREACHABLE ? NO_ROUTE6 : ADDRESS_UNREACHABLE6, stack.cfg.ipv6Host, quote);
        }
        return send(DEST_UNREACHABLE, code, new IpAddr.V4(stack.cfg.host), quote);
    }

    /**
     * Time exceeded in transit (RFC 792 type 11, RFC 4443 type 3, code 0) from the gateway about
     * the guest's packet {@code quote} (either family; null sends nothing): the stack is the router
     * of NATed traffic, and a router never forwards a packet whose TTL or hop limit is 1 or less
     * (RFC 1812 section 5.3.1, RFC 8200 section 3).
     */
    boolean timeExceeded(byte[] quote) {
        if (quote == null) {
            return false;
        }
        return isV6(quote) ? send(TIME_EXCEEDED6, 0, stack.cfg.ipv6Host, quote)
                : send(TIME_EXCEEDED, 0, new IpAddr.V4(stack.cfg.host), quote);
    }

    /**
     * Whether the guest's packet to {@code dst} dies here: routed ({@link Stack#isRouted}) with a
     * TTL or hop limit of {@code hops} ≤ 1. Then time exceeded goes to the guest about {@code quote}
     * (null: none may) and the caller drops the packet.
     */
    boolean expired(IpAddr dst, int hops, byte[] quote) {
        if (hops > 1 || !stack.isRouted(dst)) {
            return false;
        }
        stack.stats.ttlExpired++;
        timeExceeded(quote);
        return true;
    }

    /** The host's ICMP errors that are relayed to the guest when they concern its packets: destination unreachable, time exceeded. */
    static boolean isRelayed(int type) {
        return type == DEST_UNREACHABLE || type == TIME_EXCEEDED;
    }

    /** An ICMP error of {@code type}/{@code code} the host got about a guest's packet ({@code quote}: its quote, null sends nothing), sent on to the guest from {@code from}. */
    boolean relay(int type, int code, int from, byte[] quote) {
        return relay(type, code, 0, new IpAddr.V4(from), quote);
    }

    /**
     * An ICMP or ICMPv6 error of {@code type}/{@code code} the host got about a guest's packet
     * ({@code quote}: its quote, of the family of {@code from}; null sends nothing), sent on to the guest
     * from {@code from}, with {@code info} (the MTU the reporter gave) where the message carries one:
     * ICMPv6 packet too big (its 4-byte MTU field), ICMP fragmentation needed (RFC 1191's next-hop MTU,
     * the low 16 bits of the field). An outside reporter's comes with TTL / hop limit 63, as a router
     * forwards it ({@link Ipv4#hops}).
     */
    boolean relay(int type, int code, int info, IpAddr from, byte[] quote) {
        boolean mtu = from instanceof IpAddr.V6 ? type == PACKET_TOO_BIG6 : type == DEST_UNREACHABLE && code == FRAG_NEEDED;
        return quote != null && send(type, code, mtu ? (from instanceof IpAddr.V6 ? info : info & 0xffff) : 0, from, quote);
    }

    /** The host's ICMPv6 errors that are relayed to the guest (RFC 4443): destination unreachable, packet too big, time exceeded. */
    static boolean isRelayed6(int type) {
        return type == DEST_UNREACHABLE6 || type == PACKET_TOO_BIG6 || type == TIME_EXCEEDED6;
    }

    /** {@link #relay(int, int, int, IpAddr, byte[])} over IPv6 (packet too big's MTU in {@code info}). */
    boolean relay6(int type, int code, int info, IpAddr.V6 from, byte[] quote) {
        return relay(type, code, info, from, quote);
    }

    private static boolean isV6(byte[] quote) {
        return (quote[0] & 0xf0) == 0x60;
    }

    /** An error message of {@code type}/{@code code} quoting {@code quote} (an IP packet of either family) to its source, from {@code from}. */
    private boolean send(int type, int code, IpAddr from, byte[] quote) {
        return send(type, code, 0, from, quote);
    }

    /** {@link #send} with {@code info} in the message's bytes 4 to 7. */
    private boolean send(int type, int code, int info, IpAddr from, byte[] quote) {
        if (!allowed(quote)) {
            return false;
        }
        byte[] m = new byte[HEADER + quote.length];
        m[0] = (byte) type;
        m[1] = (byte) code;
        Bytes.put32(m, 4, info);
        System.arraycopy(quote, 0, m, HEADER, quote.length);
        stack.stats.icmpErrorsSent++;
        if (from instanceof IpAddr.V6 f) {
            return stack.icmp6.send(f, IpAddr.V6.of(quote, 8), m);
        }
        Bytes.put16(m, 2, Checksum.of(m, 0, m.length));
        return stack.ip.output(((IpAddr.V4) from).a(), Bytes.i32(quote, 12), Ipv4.ICMP, m, 0, m.length);
    }

    private boolean allowed(byte[] quote) {
        if (quote == null) {
            return false;
        }
        if (!limit.take()) {
            stack.stats.icmpErrorsLimited++;
            return false;
        }
        return true;
    }
}
