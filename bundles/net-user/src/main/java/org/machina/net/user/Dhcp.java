package org.machina.net.user;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A DHCP server (RFC 2131, options RFC 2132) for the one virtual network: {@link #POOL} addresses
 * from {@code dhcpstart}, leased by client MAC for {@link #LEASE_SECONDS}. DISCOVER gets an OFFER,
 * REQUEST an ACK (or a NAK for an address not ours to give), RELEASE frees, INFORM gets the
 * options. The replies carry mask, router (gateway), DNS server, lease time, server identifier and,
 * when set, host and domain name.
 */
final class Dhcp {
    static final int POOL = 16;
    static final int LEASE_SECONDS = 86_400;
    static final int MAGIC = 0x63825363;
    static final int FIXED = 240;
    static final int DISCOVER = 1, OFFER = 2, REQUEST = 3, DECLINE = 4, ACK = 5, NAK = 6, RELEASE = 7, INFORM = 8;

    private final Stack stack;
    /** Client MAC of each pool address, null when free. */
    private final byte[][] leases = new byte[POOL][];

    Dhcp(Stack stack) {
        this.stack = stack;
    }

    /** The MAC holding a lease on {@code ip}, or null. */
    byte[] macOf(int ip) {
        int i = ip - stack.cfg.dhcpStart;
        return i >= 0 && i < POOL ? leases[i] : null;
    }

    void input(int srcIp, int sport, byte[] b, int o, int len) {
        if (len < FIXED || Bytes.u8(b, o) != 1 || Bytes.u8(b, o + 1) != 1 || Bytes.u8(b, o + 2) != 6
                || Bytes.i32(b, o + 236) != MAGIC) {
            stack.stats.malformed++;
            return;
        }
        byte[] mac = Arrays.copyOfRange(b, o + 28, o + 34);
        int type = 0;
        int requested = 0;
        int serverId = 0;
        for (int i = o + FIXED; i < o + len;) {
            int code = Bytes.u8(b, i);
            if (code == 255) {
                break;
            }
            if (code == 0) {
                i++;
                continue;
            }
            if (i + 1 >= o + len) {
                break;
            }
            int l = Bytes.u8(b, i + 1);
            if (i + 2 + l > o + len) {
                stack.stats.malformed++;
                return;
            }
            if (code == 53 && l == 1) {
                type = Bytes.u8(b, i + 2);
            } else if (code == 50 && l == 4) {
                requested = Bytes.i32(b, i + 2);
            } else if (code == 54 && l == 4) {
                serverId = Bytes.i32(b, i + 2);
            }
            i += 2 + l;
        }
        int xid = Bytes.i32(b, o + 4);
        int flags = Bytes.u16(b, o + 10);
        int ciaddr = Bytes.i32(b, o + 12);
        switch (type) {
            case DISCOVER -> {
                int ip = allocate(mac, requested);
                if (ip != 0) {
                    reply(OFFER, xid, flags, 0, ip, mac);
                } else {
                    Stack.LOG.warn("net '{}': DHCP pool exhausted, no offer for {}", stack.id, Ethernet.mac(mac));
                }
            }
            case REQUEST -> {
                if (serverId != 0 && serverId != stack.cfg.host) {
                    return;
                }
                int want = requested != 0 ? requested : ciaddr;
                int i = want - stack.cfg.dhcpStart;
                if (i >= 0 && i < POOL && (leases[i] == null || Arrays.equals(leases[i], mac))) {
                    release(mac);
                    leases[i] = mac;
                    stack.learnGuest(mac, want);
                    reply(ACK, xid, flags, ciaddr, want, mac);
                } else {
                    reply(NAK, xid, 0x8000, 0, 0, mac);
                }
            }
            case RELEASE, DECLINE -> release(mac);
            case INFORM -> reply(ACK, xid, flags, ciaddr, 0, mac);
            default -> stack.stats.unsupported++;
        }
    }

    private int allocate(byte[] mac, int requested) {
        for (int i = 0; i < POOL; i++) {
            if (Arrays.equals(leases[i], mac)) {
                return stack.cfg.dhcpStart + i;
            }
        }
        int r = requested - stack.cfg.dhcpStart;
        if (r >= 0 && r < POOL && leases[r] == null) {
            return requested;
        }
        for (int i = 0; i < POOL; i++) {
            if (leases[i] == null) {
                return stack.cfg.dhcpStart + i;
            }
        }
        return 0;
    }

    private void release(byte[] mac) {
        for (int i = 0; i < POOL; i++) {
            if (Arrays.equals(leases[i], mac)) {
                leases[i] = null;
            }
        }
    }

    private void reply(int type, int xid, int flags, int ciaddr, int yiaddr, byte[] mac) {
        byte[] r = new byte[FIXED + 1024];
        r[0] = 2;
        r[1] = 1;
        r[2] = 6;
        Bytes.put32(r, 4, xid);
        Bytes.put16(r, 10, flags & 0x8000);
        Bytes.put32(r, 12, ciaddr);
        Bytes.put32(r, 16, yiaddr);
        Bytes.put32(r, 20, stack.cfg.host);
        System.arraycopy(mac, 0, r, 28, 6);
        Bytes.put32(r, 236, MAGIC);
        if (stack.cfg.bootfile != null && type != NAK) {
            byte[] f = text(stack.cfg.bootfile);
            System.arraycopy(f, 0, r, 108, Math.min(f.length, 127));
        }
        int i = FIXED;
        i = opt(r, i, 53, new byte[] {(byte) type});
        i = opt(r, i, 54, Bytes.ipBytes(stack.cfg.host));
        if (type != NAK) {
            i = opt(r, i, 1, Bytes.ipBytes(stack.cfg.mask));
            i = opt(r, i, 3, Bytes.ipBytes(stack.cfg.host));
            i = opt(r, i, 6, Bytes.ipBytes(stack.cfg.dns));
            if (yiaddr != 0) {
                byte[] t = new byte[4];
                Bytes.put32(t, 0, LEASE_SECONDS);
                i = opt(r, i, 51, t);
            }
            if (stack.cfg.hostname != null) {
                i = opt(r, i, 12, text(stack.cfg.hostname));
            }
            if (stack.cfg.domainname != null) {
                i = opt(r, i, 15, text(stack.cfg.domainname));
            }
            if (stack.cfg.bootfile != null) {
                i = opt(r, i, 67, text(stack.cfg.bootfile));
            }
        }
        r[i++] = (byte) 255;
        int dst;
        if (type == NAK || (flags & 0x8000) != 0 || yiaddr == 0 && ciaddr == 0) {
            dst = -1;
        } else {
            dst = ciaddr != 0 ? ciaddr : yiaddr;
            if (macOf(dst) == null) {
                stack.learnGuest(mac, 0);
            }
        }
        stack.udp.output(stack.cfg.host, Udp.DHCP_SERVER, dst, 68, r, 0, Math.max(i, 300));
    }

    private static byte[] text(String s) {
        byte[] t = s.getBytes(StandardCharsets.US_ASCII);
        return t.length > 255 ? Arrays.copyOf(t, 255) : t;
    }

    private static int opt(byte[] r, int i, int code, byte[] v) {
        r[i] = (byte) code;
        r[i + 1] = (byte) v.length;
        System.arraycopy(v, 0, r, i + 2, v.length);
        return i + 2 + v.length;
    }
}
