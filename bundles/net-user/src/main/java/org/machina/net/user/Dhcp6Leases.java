package org.machina.net.user;

import java.util.Arrays;
import org.machina.net.user.IpAddr.V6;

/**
 * The bindings of stateful DHCPv6 ({@code dhcpv6=stateful}, {@link Dhcp6}): {@link #POOL} addresses
 * of the stack's IPv6 prefix from {@code PREFIX::}{@link #FIRST} (fec0::100 to fec0::10f by
 * default), each bound to one IA_NA of one client (its DUID and IAID) until its valid lifetime
 * ({@link #VALID_S}) ends. An expired binding is free again when it is looked at (no timer: the table
 * is {@link #POOL} slots, scanned). An address the guest declined (RFC 8415 section 18.3.8: in use
 * on the link) is never given again while the stack runs; the pool's addresses that are the gateway
 * or the DNS address ({@code ipv6-host}, {@code ipv6-dns} may be set there) are never given.
 */
final class Dhcp6Leases {
    static final int POOL = 16;
    /** The first pool address's offset in the prefix (host bits). */
    static final int FIRST = 0x100;
    /**
     * Lifetimes of the addresses given (RFC 8415 section 21.6), and the renew (T1) and rebind (T2)
     * times of their IA_NA (section 21.4: 0.5 and 0.8 of the preferred lifetime).
     */
    static final int VALID_S = 86_400;
    static final int PREFERRED_S = 86_400;
    static final int T1_S = PREFERRED_S / 2;
    static final int T2_S = PREFERRED_S * 4 / 5;

    private final V6[] address = new V6[POOL];
    private final byte[][] duid = new byte[POOL][];
    private final int[] iaid = new int[POOL];
    private final long[] expires = new long[POOL];
    private final boolean[] unusable = new boolean[POOL];

    Dhcp6Leases(NetConfig cfg) {
        for (int i = 0; i < POOL; i++) {
            address[i] = new V6(cfg.ipv6Prefix.hi(), cfg.ipv6Prefix.lo() | (FIRST + i));
            unusable[i] = address[i].equals(cfg.ipv6Host) || address[i].equals(cfg.ipv6Dns);
        }
    }

    V6 address(int slot) {
        return address[slot];
    }

    /** The slot bound to the client's ({@code duid} at {@code off}, {@code n} bytes) IA {@code ia}, or -1. */
    int find(byte[] b, int off, int n, int ia) {
        long now = System.nanoTime();
        for (int i = 0; i < POOL; i++) {
            if (bound(i, now) && iaid[i] == ia && Arrays.equals(duid[i], 0, duid[i].length, b, off, off + n)) {
                return i;
            }
        }
        return -1;
    }

    /** The slot of address {@code a} in the pool, or -1. */
    int slotOf(V6 a) {
        for (int i = 0; i < POOL; i++) {
            if (address[i].equals(a)) {
                return i;
            }
        }
        return -1;
    }

    /**
     * The slot to give the client's IA {@code ia}: its binding, else the address it asked for
     * ({@code hint}, null for none) if that is free, else the first free one whose bit is not set in
     * {@code taken} (the slots an answer already offers); -1 when the pool has none.
     */
    int pick(byte[] b, int off, int n, int ia, V6 hint, long taken) {
        int s = find(b, off, n, ia);
        if (s >= 0) {
            return s;
        }
        long now = System.nanoTime();
        int h = hint == null ? -1 : slotOf(hint);
        if (h >= 0 && free(h, now, taken)) {
            return h;
        }
        for (int i = 0; i < POOL; i++) {
            if (free(i, now, taken)) {
                return i;
            }
        }
        return -1;
    }

    /** Binds {@code slot} to the client's IA for {@link #VALID_S} from now (a new binding, or one extended). */
    void bind(int slot, byte[] b, int off, int n, int ia) {
        duid[slot] = Arrays.copyOfRange(b, off, off + n);
        iaid[slot] = ia;
        expires[slot] = System.nanoTime() + VALID_S * 1_000_000_000L;
    }

    void release(int slot) {
        duid[slot] = null;
    }

    /** The guest found the address in use: never given again. */
    void decline(int slot) {
        duid[slot] = null;
        unusable[slot] = true;
    }

    /** Bindings in force (tests). */
    int bound() {
        long now = System.nanoTime();
        int n = 0;
        for (int i = 0; i < POOL; i++) {
            n += bound(i, now) ? 1 : 0;
        }
        return n;
    }

    private boolean free(int slot, long now, long taken) {
        return !unusable[slot] && !bound(slot, now) && (taken & 1L << slot) == 0;
    }

    private boolean bound(int slot, long now) {
        return duid[slot] != null && expires[slot] - now > 0;
    }
}
