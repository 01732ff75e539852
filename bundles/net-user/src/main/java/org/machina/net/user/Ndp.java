package org.machina.net.user;

import java.util.concurrent.ThreadLocalRandom;
import org.machina.net.user.IpAddr.V6;

/**
 * Neighbor Discovery (RFC 4861) for the stack's IPv6 addresses, and the router's advertisements.
 *
 * <ul>
 * <li>Neighbor solicitations for the gateway ({@code ipv6-host}), the DNS address ({@code ipv6-dns})
 * or the router's link-local address ({@link #routerLinkLocal}, fe80:: and the gateway's low 64
 * bits, so fe80::2 by default) are answered with a neighbor advertisement (Router, Solicited and
 * Override flags, target link-layer address option). A guest's duplicate address detection for one of
 * them (source ::) is answered to all nodes, so the guest does not take it.</li>
 * <li>Router advertisements (from the link-local address, hop limit 255) carry the O flag (the rest
 * of the configuration from {@link Dhcp6}; M only with {@code dhcpv6=stateful}, whose addresses come
 * besides the SLAAC one: the prefix stays autonomous), router lifetime
 * {@link #ROUTER_LIFETIME_S}, the source link-layer address, the MTU, the prefix ({@code ipv6-net}, on-link and
 * autonomous, for SLAAC) and the DNS address (RDNSS option, RFC 8106). They go to all nodes
 * (ff02::1): in answer to a router solicitation, and on a timer: every
 * {@link #MIN_INTERVAL_MS}..{@link #MAX_INTERVAL_MS} (random), the first
 * {@link #INITIAL_ADVERTISEMENTS} at most {@link #MAX_INITIAL_INTERVAL_MS} apart (RFC 4861 section 6.2.4).
 * Two advertisements are never less than {@link #MIN_DELAY_BETWEEN_RAS_MS} apart (section 6.2.6):
 * a solicitation within that time gets the next one when it has passed, so a flood of solicitations
 * costs one advertisement every 3 s.</li>
 * </ul>
 * Every NDP message from the guest must have hop limit 255 (it came from the link) or is dropped.
 */
final class Ndp {
    static final long MAX_INTERVAL_MS = 600_000;
    static final long MIN_INTERVAL_MS = 200_000;
    static final long MAX_INITIAL_INTERVAL_MS = 16_000;
    static final int INITIAL_ADVERTISEMENTS = 3;
    static final long MIN_DELAY_BETWEEN_RAS_MS = 3_000;
    static final int ROUTER_LIFETIME_S = 1800;
    /** Prefix lifetimes: RFC 4861's defaults (30 and 7 days). */
    static final int VALID_LIFETIME_S = 2_592_000;
    static final int PREFERRED_LIFETIME_S = 604_800;
    /** RDNSS lifetime: 2 x the maximum interval (RFC 8106 section 5.1). */
    static final int RDNSS_LIFETIME_S = (int) (2 * MAX_INTERVAL_MS / 1000);
    /** The RA's O flag (RFC 4861 section 4.2): other configuration by DHCPv6 ({@link Dhcp6}). */
    static final int OTHER_CONFIG = 0x40;
    /** The RA's M flag: addresses by DHCPv6 too ({@code dhcpv6=stateful}). */
    static final int MANAGED = 0x80;
    static final int OPT_SOURCE_LINK_ADDRESS = 1;
    static final int OPT_TARGET_LINK_ADDRESS = 2;
    static final int OPT_PREFIX = 3;
    static final int OPT_MTU = 5;
    static final int OPT_RDNSS = 25;

    private final Stack stack;
    final V6 routerLinkLocal;
    private EventLoop.Deadline periodic;
    private EventLoop.Deadline solicited;
    private int initialLeft = INITIAL_ADVERTISEMENTS;
    private long lastRa = System.nanoTime() - MIN_DELAY_BETWEEN_RAS_MS * 1_000_000;
    private int sent;

    Ndp(Stack stack) {
        this.stack = stack;
        routerLinkLocal = new V6(0xfe80L << 48, stack.cfg.ipv6Host.lo());
    }

    /** Starts the advertisement timer (when the stack has IPv6). */
    void start() {
        advertiseIn(MAX_INITIAL_INTERVAL_MS);
    }

    /** Arms the periodic timer to fire in {@code ms}. */
    void advertiseIn(long ms) {
        if (periodic != null) {
            periodic.cancel();
        }
        periodic = stack.loop.afterMillis(ms, this::periodicFired);
    }

    private void periodicFired() {
        periodic = null;
        advertise();
        long next = ThreadLocalRandom.current().nextLong(MIN_INTERVAL_MS, MAX_INTERVAL_MS + 1);
        if (initialLeft > 0) {
            initialLeft--;
            next = Math.min(next, MAX_INITIAL_INTERVAL_MS);
        }
        advertiseIn(next);
    }

    /** Router advertisements sent so far. */
    int advertisementsSent() {
        return sent;
    }

    boolean isOwn(V6 a) {
        return a.equals(stack.cfg.ipv6Host) || a.equals(stack.cfg.ipv6Dns) || a.equals(routerLinkLocal);
    }

    void input(int type, Ipv6.Packet p) {
        if (p.hopLimit() != 255 || Bytes.u8(p.buf(), p.off() + 1) != 0) {
            stack.stats.malformed++;
            return;
        }
        switch (type) {
            case Icmp6.ROUTER_SOLICITATION -> {
                if (p.len() < 8) {
                    stack.stats.malformed++;
                } else {
                    solicited();
                }
            }
            case Icmp6.NEIGHBOR_SOLICITATION -> solicitation(p);
            default -> {
                // a neighbor advertisement (the guest's MAC is learned from every frame it sends)
            }
        }
    }

    private void solicitation(Ipv6.Packet p) {
        if (p.len() < 24) {
            stack.stats.malformed++;
            return;
        }
        V6 target = V6.of(p.buf(), p.off() + 8);
        if (target.isMulticast()) {
            stack.stats.malformed++;
            return;
        }
        if (!isOwn(target)) {
            return; // the guest's own duplicate address detection, or another neighbor: not ours to answer
        }
        boolean dad = p.src().isUnspecified();
        byte[] m = new byte[24 + 8];
        m[0] = (byte) Icmp6.NEIGHBOR_ADVERTISEMENT;
        m[4] = (byte) (0x80 | (dad ? 0 : 0x40) | 0x20); // Router, Solicited (not for DAD), Override
        target.put(m, 8);
        m[24] = OPT_TARGET_LINK_ADDRESS;
        m[25] = 1;
        System.arraycopy(Ethernet.virtualMac(target), 0, m, 26, 6);
        stack.icmp6.sendNdp(target, dad ? V6.ALL_NODES : p.src(), m);
    }

    /** A router solicitation: an advertisement now, or when {@link #MIN_DELAY_BETWEEN_RAS_MS} since the last has passed. */
    private void solicited() {
        long since = (System.nanoTime() - lastRa) / 1_000_000;
        if (since >= MIN_DELAY_BETWEEN_RAS_MS) {
            advertise();
        } else if (solicited == null) {
            solicited = stack.loop.afterMillis(MIN_DELAY_BETWEEN_RAS_MS - since, () -> {
                solicited = null;
                advertise();
            });
        }
    }

    private void advertise() {
        lastRa = System.nanoTime();
        sent++;
        stack.icmp6.sendNdp(routerLinkLocal, V6.ALL_NODES, advertisement());
    }

    /** The router advertisement (RFC 4861 section 4.2) with its options. */
    byte[] advertisement() {
        NetConfig c = stack.cfg;
        byte[] m = new byte[16 + 8 + 8 + 32 + 24];
        m[0] = (byte) Icmp6.ROUTER_ADVERTISEMENT;
        m[4] = (byte) Icmp6.HOP_LIMIT; // Cur Hop Limit
        // O set: DNS (and the search list) also by DHCPv6; M set only with dhcpv6=stateful (addresses by DHCPv6 as well as by SLAAC)
        m[5] = (byte) (OTHER_CONFIG | (c.dhcpv6Stateful ? MANAGED : 0));
        Bytes.put16(m, 6, ROUTER_LIFETIME_S);
        int i = 16;
        m[i] = OPT_SOURCE_LINK_ADDRESS;
        m[i + 1] = 1;
        System.arraycopy(Ethernet.virtualMac(routerLinkLocal), 0, m, i + 2, 6);
        i += 8;
        m[i] = OPT_MTU;
        m[i + 1] = 1;
        Bytes.put32(m, i + 4, c.mtu);
        i += 8;
        m[i] = OPT_PREFIX;
        m[i + 1] = 4;
        m[i + 2] = (byte) c.ipv6PrefixLen;
        m[i + 3] = (byte) 0xc0; // on-link, autonomous address configuration
        Bytes.put32(m, i + 4, VALID_LIFETIME_S);
        Bytes.put32(m, i + 8, PREFERRED_LIFETIME_S);
        c.ipv6Prefix.put(m, i + 16);
        i += 32;
        m[i] = OPT_RDNSS;
        m[i + 1] = 3;
        Bytes.put32(m, i + 4, RDNSS_LIFETIME_S);
        c.ipv6Dns.put(m, i + 8);
        return m;
    }

    void close() {
        if (periodic != null) {
            periodic.cancel();
        }
        if (solicited != null) {
            solicited.cancel();
        }
    }
}
