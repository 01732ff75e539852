package org.machina.net.user;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.SocketException;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * UDP (RFC 768): DHCP and DNS are served by the stack; every other datagram is NATed onto a host
 * {@link DatagramChannel}, one per guest source and destination ("flow", the channel connected to
 * the destination), and replies come back through it. A connected channel is told when the peer
 * refused a datagram (ECONNREFUSED, from the host's ICMP port unreachable): the guest then gets
 * an ICMP (or ICMPv6) port unreachable quoting the flow's last datagram ({@link IcmpError}).
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
    /** Destinations per flow with a connected socket of their own (further ones are sent to unconnected, refusals unseen). */
    static final int MAX_PEERS = 4;
    static final long FLOW_IDLE_MS = 120_000;
    static final int DHCP_SERVER = 67;
    static final int DNS = 53;

    private record FlowKey(IpAddr guestIp, int guestPort) {
    }

    private record Route(int guestPort, IpAddr peerIp, int peerPort) {
    }

    /**
     * A guest source's NAT flow: an unconnected host socket on port P that takes datagrams from
     * anyone (so a TFTP server may answer from another port), and for each destination (at most
     * {@link #MAX_PEERS}) a sibling socket on the same P (SO_REUSEPORT) connected to it, which the
     * guest's datagrams to it leave through. Only a connected socket is told of a refusal (Linux
     * reports ICMP errors to unconnected UDP sockets only with IP_RECVERR), and the kernel gives it
     * the destination's own datagrams (a connected socket in a reuseport group is the better match).
     */
    private final class Flow implements EventLoop.Handler {
        final FlowKey key;
        final DatagramChannel ch;
        final Map<InetSocketAddress, Peer> peers = new HashMap<>();
        EventLoop.Deadline idle;

        Flow(FlowKey key, DatagramChannel ch) {
            this.key = key;
            this.ch = ch;
        }

        void touch() {
            if (idle != null) {
                idle.cancel();
            }
            idle = stack.loop.afterMillis(FLOW_IDLE_MS, this::close);
        }

        @Override
        public void ready(SelectionKey k) throws IOException {
            receive(ch, null);
        }

        /** Up to 16 datagrams from {@code c} to the guest; a refusal on a connected one goes to {@code peer}. */
        void receive(DatagramChannel c, Peer peer) throws IOException {
            for (int i = 0; i < 16; i++) {
                buf.clear();
                SocketAddress from;
                try {
                    from = c.receive(buf);
                } catch (PortUnreachableException e) {
                    peer.refused();
                    continue;
                } catch (SocketException e) {
                    if (peer == null || !stack.icmpError.udpError(e, peer.quote)) {
                        throw e;
                    }
                    continue;                                // reported once (the socket's error is cleared): go on
                }
                if (from == null) {
                    return;
                }
                buf.flip();
                IpAddr src = stack.guestAddressFor(((InetSocketAddress) from).getAddress(), key.guestIp);
                if (src != null) {
                    output(src, ((InetSocketAddress) from).getPort(), key.guestIp, key.guestPort, buf.array(), 0, buf.limit());
                }
                touch();
            }
        }

        /** A guest datagram to {@code to} ({@code quote}: for an ICMP error about it, or null). */
        void send(InetSocketAddress to, ByteBuffer data, byte[] quote) {
            Peer p = peers.get(to);
            if (p == null && peers.size() < MAX_PEERS) {
                p = openPeer(to);
            }
            if (p == null) {
                Udp.this.send(ch, to, data.array(), data.position(), data.remaining());
                return;
            }
            p.quote = quote;
            p.send(data);
        }

        private Peer openPeer(InetSocketAddress to) {
            DatagramChannel c = null;
            try {
                c = DatagramChannel.open();
                c.setOption(StandardSocketOptions.SO_REUSEPORT, true);
                c.bind(ch.getLocalAddress());
                c.connect(to);
                c.configureBlocking(false);
                Peer p = new Peer(this, c);
                stack.loop.register(c, SelectionKey.OP_READ, p);
                peers.put(to, p);
                return p;
            } catch (IOException | UnsupportedOperationException e) {
                Stack.LOG.debug("net '{}': no connected UDP socket for {} to {}: {}", stack.id, key, to, e.toString());
                closeQuietly(c);
                return null;
            }
        }

        @Override
        public void failed(Exception e) {
            Stack.LOG.debug("net '{}': UDP flow {} failed: {}", stack.id, key, e.toString());
            close();
        }

        void close() {
            flows.remove(key, this);
            idle.cancel();
            for (Peer p : peers.values()) {
                closeQuietly(p.ch);
            }
            closeQuietly(ch);
        }
    }

    /** A flow's socket connected to one destination. */
    private final class Peer implements EventLoop.Handler {
        final Flow flow;
        final DatagramChannel ch;
        /** The last datagram's quote for an ICMP error ({@link IcmpError#quote}, {@link IcmpError#quote6}), or null. */
        byte[] quote;

        Peer(Flow flow, DatagramChannel ch) {
            this.flow = flow;
            this.ch = ch;
        }

        @Override
        public void ready(SelectionKey k) throws IOException {
            flow.receive(ch, this);
        }

        /** The destination refused one of the datagrams: port unreachable to the guest (the flow stays). */
        void refused() {
            if (flow.key.guestIp instanceof IpAddr.V4) {
                stack.icmpError.unreachable(IcmpError.PORT_UNREACHABLE, quote);
            } else {
                stack.icmpError.portUnreachable6(quote);
            }
        }

        void send(ByteBuffer data) {
            try {
                try {
                    ch.write(data);
                } catch (PortUnreachableException e) {
                    // the refusal of an earlier datagram, reported to this send, which did not happen
                    refused();
                    ch.write(data);
                } catch (SocketException e) {
                    // another error of IcmpError.udpError's, about an earlier datagram or this one: told once,
                    // then this datagram is tried again (a second failure is only logged)
                    if (!stack.icmpError.udpError(e, quote)) {
                        throw e;
                    }
                    try {
                        ch.write(data);
                    } catch (SocketException again) {
                        Stack.LOG.debug("net '{}': UDP send on {} failed again: {}", stack.id, flow.key, again.toString());
                    }
                }
            } catch (PortUnreachableException e) {
                refused();
            } catch (IOException e) {
                Stack.LOG.debug("net '{}': UDP send on {} failed: {}", stack.id, flow.key, e.toString());
            }
        }

        @Override
        public void failed(Exception e) {
            Stack.LOG.debug("net '{}': UDP flow {} to {} failed: {}", stack.id, flow.key, ch, e.toString());
            flow.peers.values().remove(this);
            closeQuietly(ch);
        }
    }

    private static void closeQuietly(DatagramChannel c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
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
            for (int i = 0; i < 16; i++) {
                buf.clear();
                InetSocketAddress from = (InetSocketAddress) ch.receive(buf);
                if (from == null) {
                    return;
                }
                buf.flip();
                IpAddr peerIp = new IpAddr.V4(stack.guestAddressFor(from.getAddress()));
                if (routes.size() < MAX_FLOWS || routes.containsKey(new Route(rule.guestPort(), peerIp, from.getPort()))) {
                    routes.put(new Route(rule.guestPort(), peerIp, from.getPort()), new Object[] {this, from});
                }
                output(peerIp, from.getPort(), new IpAddr.V4(rule.guestAddr()), rule.guestPort(), buf.array(), 0, buf.limit());
            }
        }
    }

    private final Stack stack;
    private final ByteBuffer buf = ByteBuffer.allocate(65536);
    /** NAT flows by guest source, least recently used first. */
    private final LinkedHashMap<FlowKey, Flow> flows = new LinkedHashMap<>(16, 0.75f, true);
    /** Where a guest's reply to a hostfwd peer goes: {Forward, peer address}. */
    private final Map<Route, Object[]> routes = new HashMap<>();
    private final List<Forward> forwards = new ArrayList<>();

    Udp(Stack stack) {
        this.stack = stack;
    }

    int flowCount() {
        return flows.size();
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
        if (stack.icmpError.expired(dst, IcmpError.hops(b, v4), quote)) {
            return;
        }
        Flow f = flow(new FlowKey(src, sport));
        if (f != null) {
            f.touch();
            f.send(new InetSocketAddress(to, dport), ByteBuffer.wrap(b, data, len), quote);
        }
    }

    private Flow flow(FlowKey k) {
        Flow f = flows.get(k);
        if (f != null) {
            return f;
        }
        if (flows.size() >= MAX_FLOWS) {
            Iterator<Flow> it = flows.values().iterator();
            Flow old = it.next();
            old.close();
            stack.stats.udpFlowsEvicted++;
        }
        try {
            DatagramChannel ch = DatagramChannel.open();
            ch.configureBlocking(false);
            if (ch.supportedOptions().contains(StandardSocketOptions.SO_REUSEPORT)) {
                ch.setOption(StandardSocketOptions.SO_REUSEPORT, true); // for the flow's connected sockets
            }
            ch.bind(null);
            f = new Flow(k, ch);
            stack.loop.register(ch, SelectionKey.OP_READ, f);
            flows.put(k, f);
            return f;
        } catch (IOException e) {
            Stack.LOG.warn("net '{}': no host UDP socket for a guest flow: {}", stack.id, e.toString());
            return null;
        }
    }

    private void send(DatagramChannel ch, SocketAddress to, byte[] b, int off, int len) {
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
        for (Flow f : flows.values().toArray(Flow[]::new)) {
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
