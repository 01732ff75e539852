package org.machina.net.user;

import org.machina.net.user.IpAddr.V6;

/**
 * ICMPv6 (RFC 4443): checks the checksum (with the IPv6 pseudo-header), answers echo requests to
 * the stack's own addresses (the gateway, the DNS address, the router's link-local address), and
 * hands echo requests to other addresses to {@link IcmpEcho} (a host ICMPv6 socket) and neighbor
 * and router discovery to {@link Ndp}. Everything else (MLD reports, errors) is counted and dropped.
 */
final class Icmp6 {
    static final int ECHO_REQUEST = 128;
    static final int ECHO_REPLY = 129;
    static final int ROUTER_SOLICITATION = 133;
    static final int ROUTER_ADVERTISEMENT = 134;
    static final int NEIGHBOR_SOLICITATION = 135;
    static final int NEIGHBOR_ADVERTISEMENT = 136;
    /** The hop limit of what the stack sends from its own addresses, and the RA's Cur Hop Limit: {@link Ipv4#TTL}. */
    static final int HOP_LIMIT = Ipv4.TTL;

    private final Stack stack;

    Icmp6(Stack stack) {
        this.stack = stack;
    }

    void input(Ipv6.Packet p) {
        if (p.len() < 4 || checksum(p.src(), p.dst(), p.buf(), p.off(), p.len()) != 0) {
            stack.stats.malformed++;
            return;
        }
        int type = Bytes.u8(p.buf(), p.off());
        switch (type) {
            case ECHO_REQUEST -> echo(p);
            case ROUTER_SOLICITATION, NEIGHBOR_SOLICITATION, NEIGHBOR_ADVERTISEMENT -> stack.ndp.input(type, p);
            default -> stack.stats.unsupported++;
        }
    }

    private void echo(Ipv6.Packet p) {
        if (p.len() < 8) {
            stack.stats.malformed++;
            return;
        }
        if (!stack.isVirtual(p.dst())) {
            stack.echo6.request(p);                          // to an outside host, through a host ICMPv6 socket
            return;
        }
        byte[] r = new byte[p.len()];
        System.arraycopy(p.buf(), p.off(), r, 0, p.len());
        r[0] = (byte) ECHO_REPLY;
        r[1] = 0;
        send(p.dst(), p.src(), r);
    }

    /** Fills in the checksum of message {@code m} and sends it (the hop limit as {@link Ipv6#output} decides: 63 from an outside host, 64 from the stack's own addresses). */
    boolean send(V6 src, V6 dst, byte[] m) {
        fillChecksum(src, dst, m);
        return stack.ip6.output(src, dst, Ipv6.ICMPV6, m, 0, m.length);
    }

    /** {@link #send} with hop limit 255: neighbor discovery (RFC 4861 section 7.1.1). */
    boolean sendNdp(V6 src, V6 dst, byte[] m) {
        fillChecksum(src, dst, m);
        return stack.ip6.output(src, dst, Ipv6.ICMPV6, 255, m, 0, m.length);
    }

    private static void fillChecksum(V6 src, V6 dst, byte[] m) {
        Bytes.put16(m, 2, 0);
        Bytes.put16(m, 2, checksum(src, dst, m, 0, m.length));
    }

    /** The ICMPv6 checksum over the pseudo-header and the message: 0 for a message whose checksum is right. */
    static int checksum(V6 src, V6 dst, byte[] b, int off, int len) {
        return Checksum.finish(Checksum.add(src.pseudoSum(dst, Ipv6.ICMPV6, len), b, off, len));
    }
}
