package org.machina.net.user;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.machina.host.posix.ErrnoException;
import org.machina.host.posix.Libc;

/**
 * UDP (RFC 768): DHCP and DNS are served by the stack; every other datagram is NATed onto a host
 * socket, one per guest source ({@link UdpFlow}: "flow"), and replies come back through it. On Linux
 * the socket is the C library's with IP_RECVERR, so the host's ICMP errors about the guest's
 * datagrams (port, host or network unreachable, time exceeded, fragmentation needed) reach the guest
 * quoting its datagram, and a routed datagram leaves with the guest's TTL less one
 * ({@link UdpFlow.Posix}, made ready by the stack's {@link FdWatcher}); elsewhere a Java channel
 * without either ({@link UdpFlow.Nio}).
 * A flow lives {@link #FLOW_IDLE_MS} after its last datagram (a deadline); at most {@link #MAX_FLOWS}
 * exist (the least recently used is closed for a new one). {@code hostfwd=udp:...} rules listen on
 * a host port and relay each peer's datagrams to the guest, replies going back to that peer.
 * Sends never block: a datagram the host socket cannot take now is dropped, as UDP allows.
 * IPv4 and IPv6 share all of it (addresses are {@link IpAddr}s; DNS to {@code ipv6-dns} is forwarded
 * like DNS to {@code dns}); DHCP, TFTP and {@code hostfwd=udp:} are IPv4 only.
 */
final class Udp {
    static final int HEADER = 8;
    static final int MAX_FLOWS = 256;
    static final long FLOW_IDLE_MS = 120_000;
    static final int DHCP_SERVER = 67;
    static final int DNS = 53;

    private record Route(int guestPort, IpAddr peerIp, int peerPort) {
    }

    /** A {@code hostfwd=udp:...} listener. */
    private final class Forward implements EventLoop.Handler {
        final NetConfig.HostFwd rule;
        final DatagramChannel ch;

        Forward(NetConfig.HostFwd rule, DatagramChannel ch) {
            this.rule = rule;
            this.ch = ch;
        }

        @Override
        public void ready(SelectionKey k) throws IOException {
            ByteBuffer b = ByteBuffer.wrap(buf);
            for (int i = 0; i < UdpFlow.MAX_READS; i++) {
                b.clear();
                InetSocketAddress from = (InetSocketAddress) ch.receive(b);
                if (from == null) {
                    return;
                }
                IpAddr peerIp = new IpAddr.V4(stack.guestAddressFor(from.getAddress()));
                if (routes.size() < MAX_FLOWS || routes.containsKey(new Route(rule.guestPort(), peerIp, from.getPort()))) {
                    routes.put(new Route(rule.guestPort(), peerIp, from.getPort()), new Object[] {this, from});
                }
                output(peerIp, from.getPort(), new IpAddr.V4(rule.guestAddr()), rule.guestPort(), buf, 0, b.position());
            }
        }
    }

    final Stack stack;
    /** A datagram read from a host socket (loop thread). */
    final byte[] buf = new byte[65536];
    /** Native buffers for the C library's sockets: what they read, what they send (loop thread). */
    final MemorySegment in = Arena.ofAuto().allocate(65536);
    final MemorySegment out = Arena.ofAuto().allocate(65536);
    /** NAT flows by guest source, least recently used first. */
    private final LinkedHashMap<UdpFlow.Key, UdpFlow> flows = new LinkedHashMap<>(16, 0.75f, true);
    /** The C library of the flow sockets, got at the first flow; null before, or with {@link UdpFlow.Nio}. */
    private Libc libc;
    /** Whether the first flow has looked for the C library. */
    private boolean looked;
    /** Where a guest's reply to a hostfwd peer goes: {Forward, peer address}. */
    private final Map<Route, Object[]> routes = new HashMap<>();
    private final List<Forward> forwards = new ArrayList<>();

    Udp(Stack stack) {
        this.stack = stack;
    }

    int flowCount() {
        return flows.size();
    }

    /** The flows (tests). */
    java.util.Collection<UdpFlow> flows() {
        return List.copyOf(flows.values());
    }

    /** The bound address of the {@code i}th UDP hostfwd listener (port 0 rules get a real port). */
    InetSocketAddress forwardAddress(int i) {
        try {
            return (InetSocketAddress) forwards.get(i).ch.getLocalAddress();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    void startForwards() throws IOException {
        for (NetConfig.HostFwd r : stack.cfg.hostfwds) {
            if (!r.udp()) {
                continue;
            }
            DatagramChannel ch = DatagramChannel.open();
            try {
                ch.bind(new InetSocketAddress(r.hostAddr(), r.hostPort()));
                ch.configureBlocking(false);
                Forward f = new Forward(r, ch);
                stack.loop.register(ch, SelectionKey.OP_READ, f);
                forwards.add(f);
            } catch (IOException e) {
                ch.close();
                throw new IOException("hostfwd=udp:" + r.hostAddr() + ":" + r.hostPort() + ": " + e.getMessage(), e);
            }
        }
    }

    /** An IPv4 datagram from the guest. */
    void input(Ipv4.Datagram d) {
        input(new IpAddr.V4(d.src()), new IpAddr.V4(d.dst()), d.buf(), d.off(), d.len(), d);
    }

    /**
     * A UDP datagram from the guest, over either family ({@code v4}: the IPv4 datagram it came in;
     * null for IPv6, whose packet is then {@code b} up to the datagram's end).
     */
    void input(IpAddr src, IpAddr dst, byte[] b, int o, int dlen, Ipv4.Datagram v4) {
        if (dlen < HEADER) {
            stack.stats.malformed++;
            return;
        }
        int sport = Bytes.u16(b, o);
        int dport = Bytes.u16(b, o + 2);
        int ulen = Bytes.u16(b, o + 4);
        int sum = Bytes.u16(b, o + 6);
        boolean v6 = src instanceof IpAddr.V6;
        // a zero checksum means "none" in IPv4 only; over IPv6 it is mandatory (RFC 8200 section 8.1)
        if (ulen < HEADER || ulen > dlen || (sum == 0 ? v6 : Checksum.finish(Checksum.add(src.pseudoSum(dst, Ipv4.UDP, ulen), b, o, ulen)) != 0)) {
            stack.stats.malformed++;
            return;
        }
        int data = o + HEADER;
        int len = ulen - HEADER;
        if (src instanceof IpAddr.V4(int s4) && dst instanceof IpAddr.V4(int d4)) {
            if (dport == DHCP_SERVER && (d4 == -1 || d4 == stack.cfg.broadcast() || d4 == stack.cfg.host)) {
                stack.dhcp.input(s4, sport, b, data, len);
                return;
            }
            if (stack.tftp.owns(d4, dport)) {
                stack.tftp.input(s4, sport, dport, b, data, len);
                return;
            }
        }
        if (src instanceof IpAddr.V6 s6 && Dhcp6.owns(dst, dport)) {
            stack.dhcp6.input(s6, sport, b, data, len);
            return;
        }
        if (stack.cfg.restrict) {
            stack.stats.restricted++;
            return;
        }
        if (dport == DNS && (dst.equals(new IpAddr.V4(stack.cfg.dns)) || dst.equals(stack.cfg.ipv6Dns))) {
            stack.dns.input(src, dst, sport, b, data, len);
            return;
        }
        Object[] route = routes.get(new Route(sport, dst, dport));
        if (route != null) {
            send(((Forward) route[0]).ch, (SocketAddress) route[1], b, data, len);
            return;
        }
        InetAddress to = stack.hostAddressFor(dst);
        if (to == null) {
            stack.stats.unsupported++;
            return;
        }
        byte[] quote = IcmpError.quote(b, o + dlen, v4, stack.cfg);
        int hops = IcmpError.hops(b, v4);
        if (stack.icmpError.expired(dst, hops, quote)) {
            return;
        }
        UdpFlow f = flow(new UdpFlow.Key(src, sport));
        if (f != null) {
            f.touch();
            // routed, it leaves as a router forwards it (RFC 1812 section 5.3.1, RFC 8200 section 3): TTL less one
            f.send(new InetSocketAddress(to, dport), b, data, len, stack.isRouted(dst) ? hops - 1 : -1, quote);
        }
    }

    private UdpFlow flow(UdpFlow.Key k) {
        UdpFlow f = flows.get(k);
        if (f != null) {
            return f;
        }
        if (flows.size() >= MAX_FLOWS) {
            flows.values().iterator().next().close();
            stack.stats.udpFlowsEvicted++;
        }
        try {
            f = posix() ? new UdpFlow.Posix(this, k, libc, stack.watcher()) : new UdpFlow.Nio(this, k);
            flows.put(k, f);
            return f;
        } catch (ErrnoException | IOException e) {
            Stack.LOG.warn("net '{}': no host UDP socket for a guest flow: {}", stack.id, e.toString());
            return null;
        }
    }

    /**
     * Whether flows are sockets of the C library's ({@link UdpFlow.Posix}): on Linux, when it and the
     * stack's watcher are there (looked for at the first flow, which starts the watcher if the ICMP
     * sockets have not; else one warning, and Java's channels).
     */
    private boolean posix() {
        if (!looked) {
            looked = true;
            try {
                if (!System.getProperty("os.name", "").startsWith("Linux")) {
                    throw new UnsupportedOperationException("not Linux");
                }
                Libc c = stack.host.libc().get();
                stack.watcher();
                libc = c;
            } catch (ErrnoException | RuntimeException | LinkageError e) {
                Stack.LOG.warn("net '{}': NATed UDP through Java's sockets: the host's ICMP errors about it do not reach the"
                        + " guest, and it leaves with the host's TTL (the C library's sockets are not usable: {})", stack.id,
                        e.toString());
            }
        }
        return libc != null;
    }

    /** A flow closed: out of the table. */
    void removed(UdpFlow f) {
        flows.remove(f.key, f);
    }

    void send(DatagramChannel ch, SocketAddress to, byte[] b, int off, int len) {
        try {
            ch.send(ByteBuffer.wrap(b, off, len), to);
        } catch (IOException e) {
            Stack.LOG.debug("net '{}': UDP send to {} failed: {}", stack.id, to, e.toString());
        }
    }

    /** Sends a UDP datagram to the guest over IPv4. */
    boolean output(int src, int sport, int dst, int dport, byte[] data, int off, int len) {
        return output(new IpAddr.V4(src), sport, new IpAddr.V4(dst), dport, data, off, len);
    }

    /** Sends a UDP datagram to the guest over the family of its addresses. */
    boolean output(IpAddr src, int sport, IpAddr dst, int dport, byte[] data, int off, int len) {
        if (len > 65535 - Ipv4.HEADER - HEADER) {
            stack.stats.malformed++;
            return false;
        }
        byte[] u = new byte[HEADER + len];
        Bytes.put16(u, 0, sport);
        Bytes.put16(u, 2, dport);
        Bytes.put16(u, 4, u.length);
        System.arraycopy(data, off, u, HEADER, len);
        int c = Checksum.finish(Checksum.add(src.pseudoSum(dst, Ipv4.UDP, u.length), u, 0, u.length));
        Bytes.put16(u, 6, c == 0 ? 0xffff : c);
        return stack.ipOutput(src, dst, Ipv4.UDP, u, 0, u.length);
    }

    void close() {
        for (UdpFlow f : flows.values().toArray(UdpFlow[]::new)) {
            f.close();
        }
        for (Forward f : forwards) {
            try {
                f.ch.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }
}
