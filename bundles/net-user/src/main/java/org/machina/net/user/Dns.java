package org.machina.net.user;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * The DNS forwarder (RFC 1035 message format): a query to the DNS address, port 53, goes to the
 * upstream resolver ({@code dns-upstream=}, else the host's first /etc/resolv.conf nameserver)
 * on a host UDP socket of its own, connected to the upstream so only its answers arrive; the
 * answer (same ID) goes back to the guest from the DNS address it asked ({@code dns} or
 * {@code ipv6-dns}: queries over IPv6 are forwarded the same way). At most {@link #MAX_PENDING}
 * queries are outstanding (more are dropped: the guest's resolver retries); each has
 * {@link #TIMEOUT_MS} (a deadline) before its socket is closed.
 */
final class Dns {
    static final int MAX_PENDING = 128;
    static final long TIMEOUT_MS = 5_000;
    static final int HEADER = 12;

    private final class Query implements EventLoop.Handler {
        final IpAddr guestIp;
        final IpAddr server;
        final int guestPort;
        final int id;
        final DatagramChannel ch;
        EventLoop.Deadline timeout;

        Query(IpAddr guestIp, IpAddr server, int guestPort, int id, DatagramChannel ch) {
            this.guestIp = guestIp;
            this.server = server;
            this.guestPort = guestPort;
            this.id = id;
            this.ch = ch;
        }

        @Override
        public void ready(SelectionKey k) throws IOException {
            ByteBuffer b = ByteBuffer.allocate(65535);
            if (ch.read(b) <= 0) {
                return;
            }
            b.flip();
            if (b.limit() < HEADER || (b.getShort(0) & 0xffff) != id || (b.get(2) & 0x80) == 0) {
                stack.stats.dnsDropped++;
                return;
            }
            stack.udp.output(server, Udp.DNS, guestIp, guestPort, b.array(), 0, b.limit());
            finish();
        }

        @Override
        public void failed(Exception e) {
            Stack.LOG.debug("net '{}': DNS query failed: {}", stack.id, e.toString());
            finish();
        }

        void finish() {
            pending.remove(this);
            timeout.cancel();
            try {
                ch.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }

    private final Stack stack;
    private final Set<Query> pending = new HashSet<>();
    private InetSocketAddress upstream;

    Dns(Stack stack) {
        this.stack = stack;
        upstream = stack.cfg.dnsUpstream;
    }

    int pendingCount() {
        return pending.size();
    }

    /** A query from the guest at {@code src} to the DNS address {@code server} (of either family). */
    void input(IpAddr src, IpAddr server, int sport, byte[] b, int off, int len) {
        if (len < HEADER || (b[off + 2] & 0x80) != 0) {
            stack.stats.malformed++;
            return;
        }
        if (pending.size() >= MAX_PENDING) {
            stack.stats.dnsDropped++;
            return;
        }
        InetSocketAddress up = upstream();
        if (up == null) {
            stack.stats.dnsDropped++;
            return;
        }
        try {
            DatagramChannel ch = DatagramChannel.open();
            try {
                ch.configureBlocking(false);
                ch.connect(up);
                Query q = new Query(src, server, sport, Bytes.u16(b, off), ch);
                stack.loop.register(ch, SelectionKey.OP_READ, q);
                q.timeout = stack.loop.afterMillis(TIMEOUT_MS, () -> {
                    stack.stats.dnsDropped++;
                    q.finish();
                });
                pending.add(q);
                ch.write(ByteBuffer.wrap(b, off, len));
            } catch (IOException e) {
                ch.close();
                throw e;
            }
        } catch (IOException e) {
            Stack.LOG.debug("net '{}': forwarding a DNS query to {} failed: {}", stack.id, up, e.toString());
            stack.stats.dnsDropped++;
        }
    }

    private InetSocketAddress upstream() {
        if (upstream == null) {
            upstream = fromResolvConf(Path.of("/etc/resolv.conf"));
            if (upstream == null) {
                Stack.LOG.warn("net '{}': no nameserver in /etc/resolv.conf and no dns-upstream=; DNS queries are dropped", stack.id);
            }
        }
        return upstream;
    }

    /** The first IPv4 {@code nameserver} line of a resolv.conf, port 53, or null. */
    static InetSocketAddress fromResolvConf(Path p) {
        try {
            for (String line : Files.readAllLines(p)) {
                String[] w = line.trim().split("\\s+");
                if (w.length >= 2 && w[0].equals("nameserver")) {
                    try {
                        Bytes.parseIp(w[1]);
                        return new InetSocketAddress(w[1], 53);
                    } catch (IllegalArgumentException e) {
                        // IPv6 or junk: next line
                    }
                }
            }
        } catch (IOException e) {
            // no file: no upstream
        }
        return null;
    }

    void close() {
        for (Query q : pending.toArray(Query[]::new)) {
            q.finish();
        }
    }
}
