package org.machina.net.user;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;

/**
 * IPv6 frames for the tests, built byte by byte here (none by the code under test), and the
 * accessors for what the stack sends back. The checksum is {@link Wire#sum} over a pseudo-header
 * written here from RFC 8200 section 8.1.
 */
final class Wire6 {
    static final byte[] GUEST_LL = addr("fe80::5054:ff:fe12:3456");
    static final byte[] GUEST = addr("fec0::5054:ff:fe12:3456");
    static final byte[] GW = addr("fec0::2");
    static final byte[] DNS = addr("fec0::3");
    static final byte[] ROUTER_LL = addr("fe80::2");
    static final byte[] ALL_NODES = addr("ff02::1");
    static final byte[] ALL_ROUTERS = addr("ff02::2");
    /** The MAC the stack answers with for fec0::2, fec0::3's is ...:03. */
    static final byte[] GW_MAC = {0x52, 0x56, 0, 0, 0, 2};

    private Wire6() {
    }

    static byte[] addr(String s) {
        try {
            return InetAddress.ofLiteral(s).getAddress();
        } catch (IllegalArgumentException e) {
            throw new AssertionError(e);
        }
    }

    /** The IPv6 pseudo-header sum, unfolded: both addresses, the 32-bit length, the next header. */
    static int pseudo(byte[] src, byte[] dst, int next, int len) {
        int s = 0;
        for (int i = 0; i < 16; i += 2) {
            s += Wire.u16(src, i) + Wire.u16(dst, i);
        }
        return s + (len >>> 16) + (len & 0xffff) + next;
    }

    /** An IPv6 packet in a frame from the guest's MAC to {@code dstMac}. */
    static byte[] packet(byte[] dstMac, byte[] src, byte[] dst, int next, int hopLimit, byte[] payload) {
        byte[] p = new byte[40 + payload.length];
        p[0] = 0x60;
        Wire.put16(p, 4, payload.length);
        p[6] = (byte) next;
        p[7] = (byte) hopLimit;
        System.arraycopy(src, 0, p, 8, 16);
        System.arraycopy(dst, 0, p, 24, 16);
        System.arraycopy(payload, 0, p, 40, payload.length);
        return Wire.eth(dstMac, 0x86DD, p);
    }

    /** An ICMPv6 message (type, code 0, {@code body} after the 4-byte header) with its checksum. */
    static byte[] icmp(byte[] src, byte[] dst, int type, byte[] body) {
        byte[] m = new byte[4 + body.length];
        m[0] = (byte) type;
        System.arraycopy(body, 0, m, 4, body.length);
        Wire.put16(m, 2, Wire.sum(pseudo(src, dst, 58, m.length), m, 0, m.length));
        return m;
    }

    static byte[] icmpFrame(byte[] dstMac, byte[] src, byte[] dst, int hopLimit, int type, byte[] body) {
        return packet(dstMac, src, dst, 58, hopLimit, icmp(src, dst, type, body));
    }

    /** A neighbor solicitation for {@code target} with the guest's source link-layer address option. */
    static byte[] neighborSolicitation(byte[] src, byte[] target) {
        byte[] body = new byte[4 + 16 + 8];
        System.arraycopy(target, 0, body, 4, 16);
        body[20] = 1;
        body[21] = 1;
        System.arraycopy(Wire.GUEST_MAC, 0, body, 22, 6);
        byte[] solicited = addr("ff02::1:ff00:0");
        System.arraycopy(target, 13, solicited, 13, 3);
        return icmpFrame(new byte[] {0x33, 0x33, -1, target[13], target[14], target[15]}, src, solicited, 255, 135, body);
    }

    static byte[] routerSolicitation() {
        return icmpFrame(new byte[] {0x33, 0x33, 0, 0, 0, 2}, GUEST_LL, ALL_ROUTERS, 255, 133, new byte[4]);
    }

    static byte[] udp(byte[] src, byte[] dst, int sport, int dport, byte[] data) {
        byte[] u = new byte[8 + data.length];
        Wire.put16(u, 0, sport);
        Wire.put16(u, 2, dport);
        Wire.put16(u, 4, u.length);
        System.arraycopy(data, 0, u, 8, data.length);
        int c = Wire.sum(pseudo(src, dst, 17, u.length), u, 0, u.length);
        Wire.put16(u, 6, c == 0 ? 0xffff : c);
        return packet(GW_MAC, src, dst, 17, 64, u);
    }

    static byte[] tcp(byte[] src, byte[] dst, int sport, int dport, int seq, int ack, int flags, int window, byte[] options,
            byte[] data) {
        int ol = options == null ? 0 : options.length;
        byte[] t = new byte[20 + ol + data.length];
        Wire.put16(t, 0, sport);
        Wire.put16(t, 2, dport);
        Wire.put32(t, 4, seq);
        Wire.put32(t, 8, ack);
        t[12] = (byte) ((20 + ol) / 4 << 4);
        t[13] = (byte) flags;
        Wire.put16(t, 14, window);
        if (ol > 0) {
            System.arraycopy(options, 0, t, 20, ol);
        }
        System.arraycopy(data, 0, t, 20 + ol, data.length);
        Wire.put16(t, 16, Wire.sum(pseudo(src, dst, 6, t.length), t, 0, t.length));
        return packet(GW_MAC, src, dst, 6, 64, t);
    }

    /** An IPv6 frame from the stack (no extension headers: the upper layer at 54). */
    record F(byte[] b) {
        static final int L4 = 54;

        static boolean is(Wire.Frame f, int next) {
            return f.type() == 0x86DD && (f.b()[20] & 0xff) == next;
        }

        static boolean isIcmp(Wire.Frame f, int type) {
            return is(f, 58) && (f.b()[L4] & 0xff) == type;
        }

        byte[] dstMac() {
            return java.util.Arrays.copyOfRange(b, 0, 6);
        }

        byte[] srcMac() {
            return java.util.Arrays.copyOfRange(b, 6, 12);
        }

        int hopLimit() {
            return b[21] & 0xff;
        }

        byte[] src() {
            return java.util.Arrays.copyOfRange(b, 22, 38);
        }

        byte[] dst() {
            return java.util.Arrays.copyOfRange(b, 38, 54);
        }

        int payloadLength() {
            return Wire.u16(b, 18);
        }

        /** The upper-layer payload (after the fixed header). */
        byte[] l4() {
            return java.util.Arrays.copyOfRange(b, L4, L4 + payloadLength());
        }

        /** Checks the version, the length against the frame and the upper layer's checksum (pseudo-header included). */
        F verified() {
            assertEquals(6, (b[14] & 0xff) >> 4, "version");
            assertEquals(b.length, L4 + payloadLength(), "payload length");
            int next = b[20] & 0xff;
            assertEquals(0, Wire.sum(pseudo(src(), dst(), next, payloadLength()), b, L4, payloadLength()), "checksum of " + next);
            return this;
        }

        int u8(int at) {
            return b[L4 + at] & 0xff;
        }

        int u16(int at) {
            return Wire.u16(b, L4 + at);
        }

        int i32(int at) {
            return Wire.i32(b, L4 + at);
        }

        byte[] bytes(int at, int n) {
            return java.util.Arrays.copyOfRange(b, L4 + at, L4 + at + n);
        }
    }
}
