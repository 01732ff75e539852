package org.machina.net.user;

/**
 * ICMP destination-unreachable errors to the guest (RFC 792), sent where a router or the
 * destination host would: port unreachable when a host peer refused a NATed UDP datagram
 * (ECONNREFUSED on the flow's host socket), host or network unreachable when a NATed TCP
 * connect failed that way (EHOSTUNREACH, ENETUNREACH). The message quotes the offending
 * datagram's IP header and its first 8 data bytes.
 *
 * <p>RFC 1122 section 3.2.2: never in answer to an ICMP error, to a datagram sent to an IP or
 * link-layer broadcast or multicast address, to a fragment other than the first, or to a datagram
 * whose source is not a single host ({@link #quote} returns null for those, so nothing is kept).
 * Rate-limited (RFC 1812 section 4.3.2.8) by a token bucket: {@link #BURST} at once, then
 * {@link #PER_SECOND} a second, as Linux's icmp_msgs_burst/icmp_msgs_per_sec; errors beyond it are
 * counted ({@link Stats#icmpErrorsLimited}) and dropped.
 *
 * <p>Over IPv6 (RFC 4443 section 3.1) the same for a refused UDP flow: ICMPv6 destination
 * unreachable, port unreachable (code 4), quoting as much of the packet as keeps the message
 * within the minimum MTU of 1280 bytes; not about a packet to a multicast address or sent as a
 * link-layer multicast/broadcast, or from the unspecified or a multicast address (section 2.4 (e)),
 * under the same rate limit.
 */
final class IcmpError {
    static final int DEST_UNREACHABLE = 3;
    static final int NET_UNREACHABLE = 0;
    static final int HOST_UNREACHABLE = 1;
    static final int PORT_UNREACHABLE = 3;
    static final int BURST = 50;
    static final int PER_SECOND = 1000;
    /** Unreachable header: type, code, checksum, 4 unused bytes. */
    static final int HEADER = 8;
    static final int DEST_UNREACHABLE6 = 1;
    static final int PORT_UNREACHABLE6 = 4;
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

    /** ICMP types that are error messages (RFC 792, RFC 1122 3.2.2). */
    static boolean isError(int type) {
        return type == DEST_UNREACHABLE || type == 4 || type == 5 || type == 11 || type == 12;
    }

    private static boolean isMulticast(int a) {
        return a >>> 28 >= 0xe; // class D (multicast) and E
    }

    private static boolean singleHost(int a, NetConfig cfg) {
        return a != 0 && a != -1 && a >>> 24 != 127 && !isMulticast(a) && a != cfg.broadcast();
    }

    /**
     * Sends destination unreachable {@code code} about the datagram {@code quote} came from
     * ({@link #quote}'s, null sends nothing): from its destination for port unreachable (the host
     * that refused), else from the gateway (the router that found no way).
     *
     * @return whether it was sent
     */
    boolean unreachable(int code, byte[] quote) {
        if (!allowed(quote)) {
            return false;
        }
        byte[] m = new byte[HEADER + quote.length];
        m[0] = DEST_UNREACHABLE;
        m[1] = (byte) code;
        System.arraycopy(quote, 0, m, HEADER, quote.length);
        Bytes.put16(m, 2, Checksum.of(m, 0, m.length));
        int to = Bytes.i32(quote, 12);
        int from = code == PORT_UNREACHABLE ? Bytes.i32(quote, 16) : stack.cfg.host;
        stack.stats.icmpErrorsSent++;
        return stack.ip.output(from, to, Ipv4.ICMP, m, 0, m.length);
    }

    /** ICMPv6 port unreachable about the packet {@code quote} came from ({@link #quote6}'s; null sends nothing), from its destination. */
    boolean portUnreachable6(byte[] quote) {
        if (!allowed(quote)) {
            return false;
        }
        byte[] m = new byte[HEADER + quote.length];
        m[0] = DEST_UNREACHABLE6;
        m[1] = PORT_UNREACHABLE6;
        System.arraycopy(quote, 0, m, HEADER, quote.length);
        stack.stats.icmpErrorsSent++;
        return stack.icmp6.send(IpAddr.V6.of(quote, 24), IpAddr.V6.of(quote, 8), Icmp6.HOP_LIMIT, m);
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
