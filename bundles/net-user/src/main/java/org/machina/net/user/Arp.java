package org.machina.net.user;

import java.util.Arrays;

/**
 * ARP (RFC 826) for Ethernet and IPv4: answers requests for the stack's virtual addresses
 * (gateway, DNS) and learns the guest's MAC from every request or reply it sends. The stack asks
 * for the guest's MAC itself ({@link #request}) when it must send first (a hostfwd connection
 * before the guest spoke).
 */
final class Arp {
    static final int LENGTH = 28;
    private final Stack stack;

    Arp(Stack stack) {
        this.stack = stack;
    }

    void input(byte[] f) {
        if (f.length < Ethernet.HEADER + LENGTH) {
            stack.stats.malformed++;
            return;
        }
        int o = Ethernet.HEADER;
        if (Bytes.u16(f, o) != 1 || Bytes.u16(f, o + 2) != Ethernet.TYPE_IPV4 || Bytes.u8(f, o + 4) != 6 || Bytes.u8(f, o + 5) != 4) {
            stack.stats.malformed++;
            return;
        }
        int op = Bytes.u16(f, o + 6);
        byte[] sha = Arrays.copyOfRange(f, o + 8, o + 14);
        int spa = Bytes.i32(f, o + 14);
        int tpa = Bytes.i32(f, o + 24);
        if (spa != 0 && stack.cfg.inNet(spa) && !stack.isVirtual(spa)) {
            stack.learnGuest(sha, spa);
        }
        if (op == 1 && stack.isVirtual(tpa)) {
            byte[] mac = Ethernet.virtualMac(tpa);
            byte[] r = Ethernet.frame(sha, mac, Ethernet.TYPE_ARP, LENGTH);
            fill(r, 2, mac, tpa, sha, spa);
            stack.toGuest(r);
        }
    }

    /** Broadcasts "who has {@code ip}" from the gateway. */
    void request(int ip) {
        byte[] mac = Ethernet.virtualMac(stack.cfg.host);
        byte[] r = Ethernet.frame(Ethernet.BROADCAST, mac, Ethernet.TYPE_ARP, LENGTH);
        fill(r, 1, mac, stack.cfg.host, new byte[6], ip);
        stack.toGuest(r);
    }

    private static void fill(byte[] r, int op, byte[] sha, int spa, byte[] tha, int tpa) {
        int o = Ethernet.HEADER;
        Bytes.put16(r, o, 1);
        Bytes.put16(r, o + 2, Ethernet.TYPE_IPV4);
        r[o + 4] = 6;
        r[o + 5] = 4;
        Bytes.put16(r, o + 6, op);
        System.arraycopy(sha, 0, r, o + 8, 6);
        Bytes.put32(r, o + 14, spa);
        System.arraycopy(tha, 0, r, o + 18, 6);
        Bytes.put32(r, o + 24, tpa);
    }
}
