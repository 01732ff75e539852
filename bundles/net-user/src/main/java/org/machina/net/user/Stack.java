package org.machina.net.user;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.function.Function;
import java.util.function.Supplier;
import org.machina.host.posix.ErrnoException;
import org.machina.host.posix.FfmLibc;
import org.machina.host.posix.Libc;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The protocol stack of one {@code -netdev user}: owns the per-protocol handlers and the guest's
 * link-layer identity. Runs entirely on its {@link EventLoop}; frames come in through
 * {@link #input} and go out through the {@link Link}.
 */
final class Stack implements AutoCloseable {
    static final Logger LOG = LoggerFactory.getLogger("org.machina.net.user");

    /** Where frames for the guest go (the to-guest queue of {@link UserNetdev}). */
    interface Link {
        /** Whether the to-guest queue has room for {@code frames} more frames. */
        boolean hasRoom(int frames);

        /** Queues a frame for the guest; false if the queue was full (the frame is dropped). */
        boolean offer(byte[] frame);
    }

    final String id;
    final NetConfig cfg;
    final EventLoop loop;
    final Stats stats = new Stats();
    final Link link;
    final Host host;
    final Arp arp;
    final Ipv4 ip;
    final Reassembly reassembly;
    final Reassembly reassembly6;
    final Icmp icmp;
    final IcmpError icmpError;
    final IcmpEcho echo;
    /** ICMPv6 echo to outside hosts. */
    final IcmpEcho echo6;
    final Udp udp;
    final Dhcp dhcp;
    final Dhcp6 dhcp6;
    final Dns dns;
    final Tftp tftp;
    final Tcp tcp;
    final Ipv6 ip6;
    final Icmp6 icmp6;
    final Ndp ndp;
    /** The guest's MAC and address, learned from what it sends (ARP, DHCP, any IPv4 frame). */
    private byte[] guestMac;
    private int guestIp;
    /**
     * The one poll(2) thread for the host descriptors that are no Java channels (the ICMP and ICMPv6
     * sockets, the UDP flows' sockets): null until the first of them ({@link #watcher}), closed with the stack.
     */
    private FdWatcher watcher;
    private boolean closed;

    /**
     * How the stack reaches the host beyond Java's sockets: the C library (for the ICMP sockets, the
     * UDP flows and their poll thread; got at the first outside ping or NATed UDP flow), where a
     * guest's packet to an outside address goes ({@code null}: to that
     * address itself; tests map a chosen address to loopback here and every other one to nothing, so no
     * test frame ever leaves the machine), and how long an echo request waits for its reply.
     */
    record Host(Supplier<Libc> libc, Function<IpAddr, InetAddress> route, long echoTimeoutMs) {
        static final Host REAL = new Host(FfmLibc::get, null, 10_000);
    }

    Stack(String id, NetConfig cfg, EventLoop loop, Link link) throws IOException {
        this(id, cfg, loop, link, Host.REAL);
    }

    Stack(String id, NetConfig cfg, EventLoop loop, Link link, Host host) throws IOException {
        this.id = id;
        this.cfg = cfg;
        this.loop = loop;
        this.link = link;
        this.host = host;
        arp = new Arp(this);
        ip = new Ipv4(this);
        reassembly = new Reassembly(this, Reassembly.TIMEOUT_MS);
        reassembly6 = new Reassembly(this, Reassembly.TIMEOUT6_MS);
        icmp = new Icmp(this);
        icmpError = new IcmpError(this);
        echo = new IcmpEcho(this, host, false);
        echo6 = new IcmpEcho(this, host, true);
        udp = new Udp(this);
        dhcp = new Dhcp(this);
        dns = new Dns(this);
        tftp = new Tftp(this);
        tcp = new Tcp(this);
        ip6 = new Ipv6(this);
        icmp6 = new Icmp6(this);
        ndp = new Ndp(this);
        dhcp6 = new Dhcp6(this);
        try {
            tcp.startForwards();
            udp.startForwards();
            if (cfg.ipv6) {
                loop.post(ndp::start);
            }
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * The stack's {@link FdWatcher} (loop thread), its thread {@code net-user-ID-poll} started at the
     * first call: a stack that never pings outside nor NATs UDP through the C library has no such
     * thread, no pipe, and needs no C library.
     *
     * @throws ErrnoException when no wake-up pipe could be made, or the stack is closed (EBADF)
     */
    FdWatcher watcher() throws ErrnoException {
        if (watcher == null) {
            if (closed) {
                throw new ErrnoException("poll", ErrnoException.EBADF, "the stack is closed");
            }
            watcher = FdWatcher.start(host.libc().get(), loop, "net-user-" + id + "-poll");
        }
        return watcher;
    }

    /** The watcher if it was started, else null (tests). */
    FdWatcher startedWatcher() {
        return watcher;
    }

    /** One frame from the guest (loop thread). */
    void input(byte[] f) {
        stats.framesFromGuest++;
        if (f.length < Ethernet.HEADER) {
            stats.malformed++;
            return;
        }
        switch (Ethernet.type(f)) {
            case Ethernet.TYPE_ARP -> {
                if (cfg.ipv4) {
                    arp.input(f);
                } else {
                    stats.unsupported++;
                }
            }
            case Ethernet.TYPE_IPV6 -> {
                if (!cfg.ipv6) {
                    stats.unsupported++;
                    return;
                }
                if (f.length >= Ethernet.HEADER + Ipv6.HEADER) {
                    IpAddr.V6 src = IpAddr.V6.of(f, Ethernet.HEADER + 8);
                    if (!src.isUnspecified() && !isVirtual(src)) {
                        learnGuest(Arrays.copyOfRange(f, 6, 12), 0);
                    }
                }
                ip6.input(f);
            }
            case Ethernet.TYPE_IPV4 -> {
                if (!cfg.ipv4) {
                    stats.unsupported++;
                    return;
                }
                if (f.length >= Ethernet.HEADER + Ipv4.HEADER) {
                    int src = Bytes.i32(f, Ethernet.HEADER + 12);
                    if (cfg.inNet(src) && !isVirtual(src)) {
                        learnGuest(Arrays.copyOfRange(f, 6, 12), src);
                    } else if (src == 0 && guestMac == null) {
                        guestMac = Arrays.copyOfRange(f, 6, 12);
                    }
                }
                ip.input(f);
            }
            default -> stats.unsupported++;
        }
    }

    /** Queues a frame for the guest; counts it dropped when the queue is full. */
    boolean toGuest(byte[] f) {
        if (link.offer(f)) {
            stats.framesToGuest++;
            return true;
        }
        stats.toGuestDropped++;
        return false;
    }

    /** Whether {@code a} is one of the stack's own addresses (gateway, DNS, guestfwd servers). */
    boolean isVirtual(int a) {
        if (a == cfg.host || a == cfg.dns) {
            return true;
        }
        for (NetConfig.GuestFwd g : cfg.guestfwds) {
            if (g.server() == a) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code a} is one of the stack's own addresses, of either family. */
    boolean isVirtual(IpAddr a) {
        return switch (a) {
            case IpAddr.V4 v -> isVirtual(v.a());
            case IpAddr.V6 v -> ndp.isOwn(v);
        };
    }

    /** The guest's MAC as last learned, or null before it sent anything. */
    byte[] guestMac() {
        return guestMac;
    }

    void learnGuest(byte[] mac, int ipAddr) {
        if ((mac[0] & 1) != 0) {
            return;
        }
        if (guestMac == null || !Arrays.equals(guestMac, mac) || ipAddr != 0 && guestIp != ipAddr) {
            LOG.debug("net '{}': guest {} is at {}", id, Bytes.ip(ipAddr), Ethernet.mac(mac));
        }
        guestMac = mac;
        if (ipAddr != 0) {
            guestIp = ipAddr;
        }
    }

    /** The MAC to send {@code dst} to: broadcast for the broadcast addresses, else the guest's (asking by ARP if unknown). */
    byte[] guestMacFor(int dst) {
        if (dst == -1 || dst == cfg.broadcast()) {
            return Ethernet.BROADCAST;
        }
        byte[] m = dhcp.macOf(dst);
        if (m != null) {
            return m;
        }
        if (guestMac == null) {
            arp.request(dst);
        }
        return guestMac;
    }

    /**
     * The host address a guest destination maps to: the gateway is the host's loopback (as in
     * QEMU); addresses outside the virtual network are themselves; other virtual addresses map to nothing.
     */
    InetAddress hostAddressFor(int dst) {
        try {
            if (dst == cfg.host) {
                return InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
            }
            return isOutside(dst) ? outside(new IpAddr.V4(dst)) : null;
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The host address a guest destination of either family maps to. IPv6: the gateway
     * ({@code ipv6-host}) is the host's ::1; the prefix, link-local, multicast, loopback, unspecified
     * and IPv4-mapped addresses map to nothing; other addresses are themselves.
     */
    InetAddress hostAddressFor(IpAddr dst) {
        if (dst instanceof IpAddr.V4 v) {
            return hostAddressFor(v.a());
        }
        IpAddr.V6 v = (IpAddr.V6) dst;
        try {
            if (v.equals(cfg.ipv6Host)) {
                return InetAddress.getByAddress(IpAddr.V6.LOOPBACK.bytes());
            }
            return isOutside(v) ? outside(v) : null;
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether {@code dst} is an outside IPv4 address: not in the virtual network, loopback, 0, broadcast, multicast or class E. */
    boolean isOutside(int dst) {
        return !cfg.inNet(dst) && (dst >>> 24) != 127 && dst != 0 && dst != -1 && (dst >>> 28) != 0xe;
    }

    /** Whether {@code dst} is an outside IPv6 address: not in the prefix, link-local, multicast, loopback, :: or IPv4-mapped. */
    boolean isOutside(IpAddr.V6 v) {
        return !(cfg.inPrefix(v) || v.isLinkLocal() || v.isMulticast() || v.isLoopback() || v.isUnspecified() || v.isV4Mapped());
    }

    /**
     * Whether a guest packet to {@code dst} is routed: NATed past the gateway to an outside host
     * (the gateway's own addresses, which map to the host's loopback, and the other virtual
     * addresses are delivered, not routed), so its TTL or hop limit matters ({@link IcmpError#timeExceeded}).
     */
    boolean isRouted(IpAddr dst) {
        return switch (dst) {
            case IpAddr.V4 v -> isRouted(v.a());
            case IpAddr.V6 v -> !isVirtual(v) && isOutside(v);
        };
    }

    boolean isRouted(int v4) {
        return !isVirtual(v4) && isOutside(v4);
    }

    /**
     * Where a packet to the outside address {@code dst} goes on the host: {@link Host#route}'s (tests),
     * the host's loopback of its family with {@code outside=loopback}, else itself.
     */
    private InetAddress outside(IpAddr dst) throws UnknownHostException {
        if (host.route() != null) {
            return host.route().apply(dst);
        }
        if (cfg.outsideToLoopback) {
            return InetAddress.getByAddress(dst instanceof IpAddr.V4 ? new byte[] {127, 0, 0, 1} : IpAddr.V6.LOOPBACK.bytes());
        }
        return InetAddress.getByAddress(dst.bytes());
    }

    /**
     * The address a guest of family {@code family} sees for a host peer: loopback (either family)
     * appears as the gateway; an IPv4 peer of an IPv6 flow has no IPv6 address (null).
     */
    IpAddr guestAddressFor(InetAddress a, IpAddr family) {
        if (family instanceof IpAddr.V4) {
            return new IpAddr.V4(guestAddressFor(a));
        }
        if (a.isLoopbackAddress()) {
            return cfg.ipv6Host;
        }
        byte[] b = a.getAddress();
        return b.length == 16 ? IpAddr.V6.of(b, 0) : null;
    }

    /** Sends a transport payload to the guest over the family of its addresses. */
    boolean ipOutput(IpAddr src, IpAddr dst, int proto, byte[] p, int off, int len) {
        return switch (src) {
            case IpAddr.V4 s -> ip.output(s.a(), ((IpAddr.V4) dst).a(), proto, p, off, len);
            case IpAddr.V6 s -> ip6.output(s, (IpAddr.V6) dst, proto, p, off, len);
        };
    }

    /** The address the guest sees for a host peer: loopback appears as the gateway. */
    int guestAddressFor(InetAddress a) {
        byte[] b = a.getAddress();
        if (b.length != 4 || a.isLoopbackAddress()) {
            return cfg.host;
        }
        return Bytes.ipOf(b);
    }

    /**
     * Whether the to-guest queue has room for {@code frames} more frames. When it has not,
     * {@link #roomWanted} is set (before looking a second time, so a drain on another thread that
     * makes room after the second look sees the flag) and the caller waits for
     * {@link #guestQueueDrained}.
     */
    boolean roomFor(int frames) {
        if (link.hasRoom(frames)) {
            return true;
        }
        roomWanted = true;
        return link.hasRoom(frames);
    }

    /**
     * Set when a sender stopped for lack of to-guest queue room: the link's drainer calls
     * {@link #guestQueueDrained} (on the loop) only then, so a drain costs the loop nothing when no one waits.
     */
    volatile boolean roomWanted;

    /** The to-guest queue drained some: connections that waited for room may send again (loop thread). */
    void guestQueueDrained() {
        roomWanted = false;
        tcp.guestQueueDrained();
    }

    /**
     * The end of a batch of {@link #input} frames (loop thread): TCP writes what the guest sent to
     * the host sockets and sends the acknowledgements it held back during the batch.
     */
    void endOfInput() {
        tcp.endOfInput();
    }

    /**
     * Closes every host socket, then the watcher (loop thread, or another once the loop has ended:
     * {@link EventLoop#close(Runnable)}).
     */
    @Override
    public void close() {
        closed = true;
        if (echo6 != null) {
            echo6.close();
        }
        if (echo != null) {
            echo.close();
        }
        if (ndp != null) {
            ndp.close();
        }
        if (tcp != null) {
            tcp.close();
        }
        if (udp != null) {
            udp.close();
        }
        if (dns != null) {
            dns.close();
        }
        if (tftp != null) {
            tftp.close();
        }
        if (watcher != null) {
            watcher.close();
        }
    }
}
