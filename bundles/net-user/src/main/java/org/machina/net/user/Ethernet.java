package org.machina.net.user;

/** Ethernet II framing: destination MAC, source MAC, EtherType, payload (no FCS). */
final class Ethernet {
    static final int HEADER = 14;
    static final int TYPE_IPV4 = 0x0800;
    static final int TYPE_ARP = 0x0806;
    static final int TYPE_IPV6 = 0x86DD;
    static final byte[] BROADCAST = {-1, -1, -1, -1, -1, -1};

    private Ethernet() {
    }

    static int type(byte[] f) {
        return Bytes.u16(f, 12);
    }

    static boolean isBroadcast(byte[] mac) {
        for (byte b : mac) {
            if (b != -1) {
                return false;
            }
        }
        return true;
    }

    /** A frame with room for {@code payloadLength} bytes after the header. */
    static byte[] frame(byte[] dst, byte[] src, int type, int payloadLength) {
        byte[] f = new byte[HEADER + payloadLength];
        System.arraycopy(dst, 0, f, 0, 6);
        System.arraycopy(src, 0, f, 6, 6);
        Bytes.put16(f, 12, type);
        return f;
    }

    /** The MAC the stack answers with for virtual address {@code ip}: 52:55 then the four address bytes, as QEMU. */
    static byte[] virtualMac(int ip) {
        return new byte[] {0x52, 0x55, (byte) (ip >>> 24), (byte) (ip >>> 16), (byte) (ip >>> 8), (byte) ip};
    }

    /**
     * The MAC the stack answers with for a virtual IPv6 address: 52:56 then the address's last four
     * bytes (so the gateway's fec0::2 and fe80::2 share one, distinct from the IPv4 gateway's).
     */
    static byte[] virtualMac(IpAddr.V6 a) {
        int l = (int) a.lo();
        return new byte[] {0x52, 0x56, (byte) (l >>> 24), (byte) (l >>> 16), (byte) (l >>> 8), (byte) l};
    }

    /** The multicast MAC of an IPv6 multicast address: 33:33 then its last four bytes (RFC 2464 section 7). */
    static byte[] multicastMac(IpAddr.V6 a) {
        int l = (int) a.lo();
        return new byte[] {0x33, 0x33, (byte) (l >>> 24), (byte) (l >>> 16), (byte) (l >>> 8), (byte) l};
    }

    static String mac(byte[] m) {
        return String.format("%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
    }
}
