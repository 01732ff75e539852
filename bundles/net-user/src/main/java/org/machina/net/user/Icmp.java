package org.machina.net.user;

/**
 * ICMP (RFC 792): echo requests to the gateway or the DNS address are answered by the stack; echo
 * requests to other addresses go to {@link IcmpEcho} (host ICMP sockets); every other ICMP message
 * from the guest is counted and dropped.
 */
final class Icmp {
    static final int ECHO_REPLY = 0;
    static final int ECHO_REQUEST = 8;

    private final Stack stack;

    Icmp(Stack stack) {
        this.stack = stack;
    }

    void input(Ipv4.Datagram d) {
        if (d.len() < 8 || Checksum.of(d.buf(), d.off(), d.len()) != 0) {
            stack.stats.malformed++;
            return;
        }
        byte[] b = d.buf();
        int o = d.off();
        if (Bytes.u8(b, o) != ECHO_REQUEST) {
            stack.stats.unsupported++;
            return;
        }
        if (!stack.isVirtual(d.dst())) {
            stack.echo.request(d);
            return;
        }
        byte[] r = echo(b, o, d.len(), ECHO_REPLY, Bytes.u16(b, o + 4), Bytes.u16(b, o + 6));
        stack.ip.output(d.dst(), d.src(), Ipv4.ICMP, r, 0, r.length);
    }

    /**
     * A copy of the echo message of {@code len} bytes at {@code off} as {@code type} (request or
     * reply) with code 0, identifier {@code id}, sequence number {@code seq} and its checksum.
     */
    static byte[] echo(byte[] b, int off, int len, int type, int id, int seq) {
        byte[] m = new byte[len];
        System.arraycopy(b, off, m, 0, len);
        m[0] = (byte) type;
        m[1] = 0;
        Bytes.put16(m, 4, id);
        Bytes.put16(m, 6, seq);
        Bytes.put16(m, 2, 0);
        Bytes.put16(m, 2, Checksum.of(m, 0, len));
        return m;
    }
}
