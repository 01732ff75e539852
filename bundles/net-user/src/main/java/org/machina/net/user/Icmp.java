package org.machina.net.user;

/**
 * ICMP (RFC 792): echo requests to the gateway or the DNS address are answered by the stack;
 * every other ICMP message from the guest is counted and dropped (echo to outside addresses
 * would need host ICMP sockets: not implemented).
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
        int type = Bytes.u8(d.buf(), d.off());
        if (type != ECHO_REQUEST || !stack.isVirtual(d.dst())) {
            stack.stats.unsupported++;
            return;
        }
        byte[] r = new byte[d.len()];
        System.arraycopy(d.buf(), d.off(), r, 0, d.len());
        r[0] = ECHO_REPLY;
        r[1] = 0;
        Bytes.put16(r, 2, 0);
        Bytes.put16(r, 2, Checksum.of(r, 0, r.length));
        stack.ip.output(d.dst(), d.src(), Ipv4.ICMP, r, 0, r.length);
    }
}
