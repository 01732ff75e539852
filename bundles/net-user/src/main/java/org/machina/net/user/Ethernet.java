package org.machina.net.user;

/** Ethernet II framing: destination MAC, source MAC, EtherType, payload (no FCS). */
final class Ethernet {
    static final int HEADER = 14;
    static final int TYPE_IPV4 = 0x0800;
    static final int TYPE_ARP = 0x0806;
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

    static String mac(byte[] m) {
        return String.format("%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
    }
}
