package org.machina.net.user;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * TCP NAT: the table of {@link TcpConnection}s, keyed by the guest's and the peer's address and
 * port as the guest sees them. A guest SYN to a mapped address opens a host connection (the
 * gateway is the host's 127.0.0.1); {@code hostfwd=tcp:...} listeners accept host connections and
 * open them towards the guest. Segments for no connection get a RST (RFC 793 "reset generation").
 * IPv4 and IPv6 share the table and the state machine: addresses are {@link IpAddr}s (a guest SYN
 * to the IPv6 gateway opens a connection to the host's ::1); hostfwd and guestfwd are IPv4 only, as in QEMU.
 *
 * <p>Bounds: {@link #MAX_CONNECTIONS} connections, of which at most {@link #MAX_HALF_OPEN} in
 * SYN-RECEIVED (a SYN flood beyond that is dropped and counted, established connections go on).
 */
final class Tcp {
    static final int MAX_CONNECTIONS = 1024;
    static final int MAX_HALF_OPEN = 64;

    final Stack stack;
    private final Map<TcpConnection.Key, TcpConnection> conns = new HashMap<>();
    /** Connections that stopped sending because the to-guest queue was full, in arrival order. */
    private final Set<TcpConnection> waitingForRoom = new LinkedHashSet<>();
    /** Connections that took guest data during the current input batch (flushed by {@link #endOfInput}). */
    private final Set<TcpConnection> toFlush = new LinkedHashSet<>();
    private final List<ServerSocketChannel> listeners = new ArrayList<>();
    private final SecureRandom random = new SecureRandom();
    /** How long unpushed guest data may wait for more before it goes to the host ({@link TcpConnection#HOST_FLUSH_MS}; tests lengthen it). */
    long hostFlushMs = TcpConnection.HOST_FLUSH_MS;
    private int halfOpen;
    private int nextPort = 49152;
    private long lastFloodLog;

    Tcp(Stack stack) {
        this.stack = stack;
    }

    int connectionCount() {
        return conns.size();
    }

    int halfOpenCount() {
        return halfOpen;
    }

    /** Total bytes held in connection buffers (for the hostile-input tests). */
    long bufferedBytes() {
        long n = 0;
        for (TcpConnection c : conns.values()) {
            n += c.buffered();
        }
        return n;
    }

    TcpConnection connection(int guestPort) {
        for (TcpConnection c : conns.values()) {
            if (c.key.guestPort() == guestPort) {
                return c;
            }
        }
        return null;
    }

    void startForwards() throws IOException {
        for (NetConfig.HostFwd r : stack.cfg.hostfwds) {
            if (r.udp()) {
                continue;
            }
            ServerSocketChannel ch = ServerSocketChannel.open();
            try {
                ch.bind(new InetSocketAddress(r.hostAddr(), r.hostPort()));
                ch.configureBlocking(false);
                stack.loop.register(ch, SelectionKey.OP_ACCEPT, k -> accept(ch, r));
                listeners.add(ch);
            } catch (IOException e) {
                ch.close();
                throw new IOException("hostfwd=tcp:" + r.hostAddr() + ":" + r.hostPort() + ": " + e.getMessage(), e);
            }
        }
    }

    /** The bound address of the {@code i}th TCP hostfwd listener (port 0 rules get a real port). */
    InetSocketAddress forwardAddress(int i) throws IOException {
        return (InetSocketAddress) listeners.get(i).getLocalAddress();
    }

    private void accept(ServerSocketChannel server, NetConfig.HostFwd r) throws IOException {
        SocketChannel c;
        while ((c = server.accept()) != null) {
            if (conns.size() >= MAX_CONNECTIONS) {
                Stack.LOG.warn("net '{}': hostfwd connection refused: {} connections", stack.id, conns.size());
                c.close();
                continue;
            }
            InetSocketAddress peer = (InetSocketAddress) c.getRemoteAddress();
            IpAddr peerIp = new IpAddr.V4(stack.guestAddressFor(peer.getAddress()));
            TcpConnection.Key key = null;
            for (int i = 0; i < 16384 && key == null; i++) {
                int p = nextPort;
                nextPort = nextPort == 65535 ? 49152 : nextPort + 1;
                TcpConnection.Key k = new TcpConnection.Key(new IpAddr.V4(r.guestAddr()), r.guestPort(), peerIp, p);
                if (!conns.containsKey(k)) {
                    key = k;
                }
            }
            if (key == null) {
                c.close();
                continue;
            }
            TcpConnection conn = new TcpConnection(this, key, TcpConnection.State.SYN_SENT, random.nextInt());
            conns.put(key, conn);
            try {
                conn.activeOpen(c);
            } catch (IOException e) {
                conn.close(true);
            }
        }
    }

    /** A TCP segment from the guest, over either family ({@code v4}: the IPv4 datagram it came in, else null). */
    void input(IpAddr src, IpAddr dst, byte[] b, int off, int len, Ipv4.Datagram v4) {
        TcpSegment s = TcpSegment.parse(src, dst, b, off, len);
        if (s == null) {
            stack.stats.malformed++;
            return;
        }
        TcpConnection.Key key = new TcpConnection.Key(s.src(), s.sport(), s.dst(), s.dport());
        TcpConnection c = conns.get(key);
        if (c != null && c.state == TcpConnection.State.TIME_WAIT && s.has(TcpSegment.SYN) && !s.has(TcpSegment.ACK)) {
            c.close(false);
            c = null;
        }
        if (c != null) {
            c.input(s);
            return;
        }
        if (!s.has(TcpSegment.SYN) || s.has(TcpSegment.ACK) || s.has(TcpSegment.RST)) {
            reset(s);
            return;
        }
        byte[] quote = IcmpError.quote(b, off + len, v4, stack.cfg); // for time exceeded, or unreachable if the connect fails
        InetSocketAddress target = null;
        for (NetConfig.GuestFwd g : stack.cfg.guestfwds) {
            if (s.dst() instanceof IpAddr.V4(int server) && g.server() == server && g.port() == s.dport()) {
                target = new InetSocketAddress(g.targetHost(), g.targetPort());
            }
        }
        if (target == null) {
            if (stack.cfg.restrict) {
                stack.stats.restricted++;
                reset(s);
                return;
            }
            InetAddress to = stack.hostAddressFor(s.dst());
            if (to == null) {
                reset(s);
                return;
            }
            if (stack.icmpError.expired(s.dst(), IcmpError.hops(b, v4), quote)) {
                return;
            }
            target = new InetSocketAddress(to, s.dport());
        }
        if (halfOpen >= MAX_HALF_OPEN || conns.size() >= MAX_CONNECTIONS) {
            stack.stats.synDropped++;
            long now = System.nanoTime();
            if (now - lastFloodLog > 10_000_000_000L) {
                lastFloodLog = now;
                Stack.LOG.warn("net '{}': dropping SYNs: {} half-open, {} connections ({} dropped so far)", stack.id, halfOpen,
                        conns.size(), stack.stats.synDropped);
            }
            return;
        }
        TcpConnection conn = new TcpConnection(this, key, TcpConnection.State.SYN_RECEIVED, random.nextInt());
        conns.put(key, conn);
        halfOpen++;
        conn.synQuote = quote;
        try {
            conn.guestSyn(s, target);
        } catch (IOException e) {
            Stack.LOG.debug("net '{}': connect to {} failed: {}", stack.id, target, e.toString());
            connectFailed(conn, e);
        }
    }

    /**
     * The host connect failed, the entry is freed: ICMP (ICMPv6) destination unreachable from the
     * gateway when the host found no route (EHOSTUNREACH, ENETUNREACH), else a RST to the guest's
     * SYN (connection refused, timed out, anything else), as slirp answers.
     */
    void connectFailed(TcpConnection c, IOException e) {
        TcpConnection.Key k = c.key;
        c.close(true);
        int code = unreachableCode(e);
        if (code >= 0 && c.synQuote != null) {
            stack.icmpError.noRoute(code, c.synQuote);
            return;
        }
        rst(k.peerIp(), k.guestIp(), k.peerPort(), k.guestPort(), 0, c.rcvNxtForRefuse(), TcpSegment.RST | TcpSegment.ACK);
    }

    /** The ICMP unreachable code for a failed connect (IPv4's; {@link IcmpError#noRoute} maps it for IPv6), or -1: a RST. */
    static int unreachableCode(IOException e) {
        if (e instanceof NoRouteToHostException) {
            return IcmpError.HOST_UNREACHABLE; // EHOSTUNREACH
        }
        if (e instanceof SocketException && !(e instanceof ConnectException) && e.getMessage() != null
                && e.getMessage().contains("Network is unreachable")) {
            return IcmpError.NET_UNREACHABLE; // ENETUNREACH: a plain SocketException with strerror's text
        }
        return -1;
    }

    /** A RST answering segment {@code s} (RFC 793 section 3.4, "reset generation"). */
    void reset(TcpSegment s) {
        if (s.has(TcpSegment.RST)) {
            return;
        }
        if (s.has(TcpSegment.ACK)) {
            rst(s.dst(), s.src(), s.dport(), s.sport(), s.ack(), 0, TcpSegment.RST);
        } else {
            rst(s.dst(), s.src(), s.dport(), s.sport(), 0, s.seq() + s.seqLength(), TcpSegment.RST | TcpSegment.ACK);
        }
    }

    private void rst(IpAddr src, IpAddr dst, int sport, int dport, int seq, int ack, int flags) {
        stack.stats.tcpResets++;
        byte[] seg = TcpSegment.build(src, dst, sport, dport, seq, ack, flags, 0, null, null, 0, 0);
        stack.ipOutput(src, dst, Ipv4.TCP, seg, 0, seg.length);
    }

    /** A connection took guest data in this input batch: {@link #endOfInput} flushes it. */
    void flushAtEndOfInput(TcpConnection c) {
        toFlush.add(c);
    }

    /** The end of an input batch: every connection that took guest data writes it to its host socket and acknowledges it. */
    void endOfInput() {
        if (toFlush.isEmpty()) {
            return;
        }
        TcpConnection[] cs = toFlush.toArray(TcpConnection[]::new);
        toFlush.clear();
        for (TcpConnection c : cs) {
            if (c.state != TcpConnection.State.CLOSED) {
                c.flushInput();
            }
        }
    }

    void waitForRoom(TcpConnection c) {
        waitingForRoom.add(c);
    }

    void guestQueueDrained() {
        if (waitingForRoom.isEmpty()) {
            return;
        }
        List<TcpConnection> ready = new ArrayList<>(waitingForRoom);
        waitingForRoom.clear();
        for (TcpConnection c : ready) {
            if (c.state != TcpConnection.State.CLOSED) {
                c.output();
            }
        }
    }

    /** Called by a connection leaving SYN-RECEIVED or closing. */
    void remove(TcpConnection c) {
        if (conns.remove(c.key, c)) {
            waitingForRoom.remove(c);
            toFlush.remove(c);
        }
        recountHalfOpen();
    }

    void established(TcpConnection c) {
        recountHalfOpen();
    }

    private void recountHalfOpen() {
        int n = 0;
        for (TcpConnection c : conns.values()) {
            n += c.halfOpen() ? 1 : 0;
        }
        halfOpen = n;
    }

    void close() {
        for (TcpConnection c : conns.values().toArray(TcpConnection[]::new)) {
            c.close(true);
        }
        for (ServerSocketChannel l : listeners) {
            try {
                l.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }
}
