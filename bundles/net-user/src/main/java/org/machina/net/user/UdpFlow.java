package org.machina.net.user;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.util.Arrays;
import org.machina.host.posix.ErrnoException;
import org.machina.host.posix.Libc;

/**
 * A UDP NAT flow: one guest source (address and port) and its host socket, which the guest's
 * datagrams to any destination leave from and which takes datagrams from anyone back to it (a TFTP
 * server may answer from another port). It lives {@link Udp#FLOW_IDLE_MS} after its last datagram.
 *
 * <p>{@link Posix} (Linux): a socket of the C library's ({@link Libc}) with IP_RECVERR (IPv6:
 * IPV6_RECVERR), so the kernel queues every ICMP error the host gets about a datagram it sent
 * (port, host, network unreachable, time exceeded, fragmentation needed / packet too big ...),
 * with the reporter, the ICMP type and code, where the datagram went and as much of its payload as
 * the error quoted; each goes to the guest ({@link #error}) quoting the guest's own datagram, the
 * one of the flow's last {@link #RECENT} sent to that destination whose payload starts with the
 * bytes the error quoted. A datagram leaves with the guest's TTL / hop limit less one when it is
 * routed (IP_TTL / IPV6_UNICAST_HOPS, set when it changes), so the hops beyond the gateway answer a
 * guest's traceroute. Its readiness comes from the stack's {@link FdWatcher}.
 *
 * <p>{@link Nio}: a Java {@link DatagramChannel}, where the C library cannot be used (not Linux):
 * the datagrams pass, no error reaches the guest, the host's TTL.
 */
abstract sealed class UdpFlow permits UdpFlow.Posix, UdpFlow.Nio {
    /** Datagrams per flow remembered for the errors about them. */
    static final int RECENT = 8;
    /** Payload bytes remembered per datagram, to tell which one an error is about. */
    static final int HEAD = 32;
    /** Queued errors read per readiness. */
    static final int MAX_ERRORS = 64;
    /** Datagrams read per readiness. */
    static final int MAX_READS = 16;

    record Key(IpAddr guestIp, int guestPort) {
    }

    /** A datagram sent: its host destination, the quote for an error about it ({@link IcmpError#quote}), its first bytes. */
    private record Sent(InetSocketAddress to, byte[] quote, byte[] head) {
    }

    final Udp udp;
    final Stack stack;
    final Key key;
    private EventLoop.Deadline idle;
    private final Sent[] recent = new Sent[RECENT];
    private int next;

    UdpFlow(Udp udp, Key key) {
        this.udp = udp;
        this.stack = udp.stack;
        this.key = key;
    }

    /** Restarts the idle deadline (a datagram either way). */
    void touch() {
        if (idle != null) {
            idle.cancel();
        }
        idle = stack.loop.afterMillis(Udp.FLOW_IDLE_MS, this::close);
    }

    /**
     * A guest datagram's data ({@code len} bytes at {@code off}) to {@code to}, with IP TTL / hop limit
     * {@code ttl} (-1: the host's default); {@code quote}: for an error about it, null if none may be sent.
     */
    final void send(InetSocketAddress to, byte[] b, int off, int len, int ttl, byte[] quote) {
        if (quote != null) {
            recent[next] = new Sent(to, quote, Arrays.copyOfRange(b, off, off + Math.min(len, HEAD)));
            next = (next + 1) % RECENT;
        }
        sendHost(to, b, off, len, ttl, quote);
    }

    abstract void sendHost(InetSocketAddress to, byte[] b, int off, int len, int ttl, byte[] quote);

    /** A datagram from {@code from} to the guest ({@code udp.buf}, {@code len} bytes). */
    final void received(InetSocketAddress from, int len) {
        IpAddr src = stack.guestAddressFor(from.getAddress(), key.guestIp());
        if (src != null) {
            udp.output(src, from.getPort(), key.guestIp(), key.guestPort(), udp.buf, 0, len);
        }
        touch();
    }

    /**
     * The quote of the flow's datagram that an error about a datagram to {@code to} whose payload began
     * with {@code head} ({@code n} bytes, maybe none: what the error quoted) is about: the latest such
     * one remembered, else the latest to {@code to}; null when none was (or none may be answered).
     */
    final byte[] quoteFor(InetSocketAddress to, byte[] head, int n) {
        byte[] latest = null;
        for (int i = 1; i <= RECENT; i++) {
            Sent s = recent[(next - i + RECENT) % RECENT];
            if (s == null || !s.to().equals(to)) {
                continue;
            }
            int k = Math.min(n, s.head().length);
            if (Arrays.equals(s.head(), 0, k, head, 0, k)) {
                return s.quote();
            }
            if (latest == null) {
                latest = s.quote();
            }
        }
        return latest;
    }

    /**
     * An ICMP (ICMPv6) error of {@code type}/{@code code} the host got about a datagram of the flow to
     * {@code to}, reported by {@code reporter} (null: not said), with {@code info} (the MTU of
     * fragmentation needed / packet too big), the datagram's payload beginning with {@code head}: to the
     * guest quoting its datagram, from the address it sent to when the reporter is that host (the
     * destination refused it), else from the reporter as the guest sees it (loopback: the gateway).
     * Relayed: the types {@link IcmpError#isRelayed} ({@link IcmpError#isRelayed6}); fragmentation
     * needed only about a datagram the guest sent with DF (else the host fragments the next ones).
     */
    final void error(int type, int code, int info, InetAddress reporter, InetSocketAddress to, byte[] head, int n) {
        boolean v6 = key.guestIp() instanceof IpAddr.V6;
        byte[] quote = quoteFor(to, head, n);
        if (quote == null || !(v6 ? IcmpError.isRelayed6(type) : IcmpError.isRelayed(type))
                || !v6 && type == IcmpError.DEST_UNREACHABLE && code == IcmpError.FRAG_NEEDED && (quote[6] & 0x40) == 0) {
            Stack.LOG.debug("net '{}': UDP flow {}: ICMP {}/{} about a datagram to {}: not relayed", stack.id, key, type, code,
                    to);
            return;
        }
        IpAddr from;
        if (reporter == null || reporter.equals(to.getAddress())) {
            from = v6 ? IpAddr.V6.of(quote, 24) : new IpAddr.V4(Bytes.i32(quote, 16));
        } else {
            from = stack.guestAddressFor(reporter, key.guestIp());
            from = from != null ? from : stack.cfg.ipv6Host;   // an IPv4 reporter about an IPv6 flow
        }
        stack.stats.udpErrorsRelayed++;
        stack.icmpError.relay(type, code, info, from, quote);
    }

    /** Closes the socket; the flow leaves the table. */
    void close() {
        udp.removed(this);
        if (idle != null) {
            idle.cancel();
        }
    }

    /** A flow on a socket of the C library's with the error queue, TTL per datagram (Linux). */
    static final class Posix extends UdpFlow {
        private final Libc libc;
        private final FdWatcher watcher;
        private final int fd;
        private final boolean v6;
        /** The IP_TTL / IPV6_UNICAST_HOPS last set (-1: the host's default). */
        private int ttl = -1;
        /** Where {@link #drain} copies a queued error's quoted payload (loop thread). */
        private final byte[] head = new byte[HEAD];
        private boolean closed;

        Posix(Udp udp, Key key, Libc libc, FdWatcher watcher) throws ErrnoException {
            super(udp, key);
            this.libc = libc;
            this.watcher = watcher;
            v6 = key.guestIp() instanceof IpAddr.V6;
            fd = libc.socket(v6 ? Libc.AF_INET6 : Libc.AF_INET, Libc.SOCK_DGRAM | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, 0);
            try {
                libc.setsockopt(fd, v6 ? Libc.SOL_IPV6 : Libc.SOL_IP, v6 ? Libc.IPV6_RECVERR : Libc.IP_RECVERR, 1);
            } catch (ErrnoException e) {
                libc.close(fd);
                throw e;
            }
            watcher.watch(fd, this::drain);
        }

        @Override
        void sendHost(InetSocketAddress to, byte[] b, int off, int len, int ttl, byte[] quote) {
            if (ttl != this.ttl) {
                try {
                    libc.setsockopt(fd, v6 ? Libc.SOL_IPV6 : Libc.SOL_IP, v6 ? Libc.IPV6_UNICAST_HOPS : Libc.IP_TTL, ttl);
                    this.ttl = ttl;
                } catch (ErrnoException e) {
                    Stack.LOG.debug("net '{}': UDP flow {}: TTL {}: {}", stack.id, key, ttl, e.getMessage());
                }
            }
            MemorySegment.copy(b, off, udp.out, ValueLayout.JAVA_BYTE, 0, len);
            for (int tries = 0; ; tries++) {
                try {
                    libc.sendTo(fd, udp.out.asSlice(0, len), 0, to);
                    return;
                } catch (ErrnoException e) {
                    if (tries == 0 && e.errno() != ErrnoException.EAGAIN && e.errno() != ErrnoException.EMSGSIZE) {
                        continue;   // maybe an earlier datagram's ICMP error, told to this send (not made; it stays queued)
                    }
                    Stack.LOG.debug("net '{}': UDP send to {} failed: {}", stack.id, to, e.getMessage());
                    if (e.errno() == ErrnoException.ENETUNREACH || e.errno() == ErrnoException.EHOSTUNREACH) {
                        // the host has no route: the gateway, the router, says so
                        stack.icmpError.noRoute(e.errno() == ErrnoException.ENETUNREACH ? IcmpError.NET_UNREACHABLE
                                : IcmpError.HOST_UNREACHABLE, quote);
                    }
                    return;
                }
            }
        }

        /**
         * Loop thread, when the socket is readable or has errors queued (poll's {@code revents}): the
         * errors (POLLERR: the queue is not empty), then up to {@link #MAX_READS} datagrams; POLLNVAL
         * (closed underneath): the flow ends.
         */
        private void drain(int revents) {
            if ((revents & Libc.POLLNVAL) != 0) {
                lost();                                      // the watcher said so, and let it go
                return;
            }
            for (int i = 0; i < MAX_ERRORS && !closed && (revents & Libc.POLLERR) != 0; i++) {
                Libc.QueuedError e;
                try {
                    e = libc.recvError(fd, udp.in);
                } catch (ErrnoException x) {
                    if (x.errno() != ErrnoException.EAGAIN) {
                        Stack.LOG.debug("net '{}': UDP flow {}: error queue: {}", stack.id, key, x.getMessage());
                    }
                    break;
                }
                if (e.origin() != (v6 ? Libc.SO_EE_ORIGIN_ICMP6 : Libc.SO_EE_ORIGIN_ICMP) || e.to() == null) {
                    Stack.LOG.debug("net '{}': UDP flow {}: {} (origin {}): not relayed", stack.id, key, libc.strerror(e.errno()),
                            e.origin());
                    continue;
                }
                int n = Math.max(0, Math.min(e.length(), HEAD));
                MemorySegment.copy(udp.in, ValueLayout.JAVA_BYTE, 0, head, 0, n);
                error(e.type(), e.code(), e.info(), e.offender(), e.to(), head, n);
            }
            for (int i = 0; i < MAX_READS && !closed; i++) {
                Libc.Received r;
                try {
                    r = libc.recvFrom(fd, udp.in, 0);
                } catch (ErrnoException x) {
                    if (x.errno() == ErrnoException.EAGAIN) {
                        return;
                    }
                    if (x.errno() == ErrnoException.EBADF) {
                        Stack.LOG.warn("net '{}': UDP flow {}: {}", stack.id, key, x.getMessage());
                        lost();
                        return;
                    }
                    continue;   // an ICMP error's errno, reported once: the error itself is queued (read at the next drain)
                }
                if (r.from() != null) {
                    int n = Math.min(r.length(), udp.buf.length);
                    MemorySegment.copy(udp.in, ValueLayout.JAVA_BYTE, 0, udp.buf, 0, n);
                    received(r.from(), n);
                }
            }
        }

        /** The descriptor (tests). */
        int fd() {
            return fd;
        }

        /** Releases the socket to the watcher, which closes it out of its poll; the flow leaves the table. */
        @Override
        void close() {
            if (closed) {
                return;
            }
            closed = true;
            super.close();
            watcher.release(fd);
        }

        /**
         * The descriptor was found closed underneath (not by the flow): the flow ends without closing
         * it, as its number may be another's by now.
         */
        private void lost() {
            if (closed) {
                return;
            }
            closed = true;
            super.close();
            watcher.unwatch(fd);
        }
    }

    /** A flow on a Java channel: no error queue, no TTL of its own (where the C library is not Linux's). */
    static final class Nio extends UdpFlow implements EventLoop.Handler {
        private final DatagramChannel ch;

        Nio(Udp udp, Key key) throws IOException {
            super(udp, key);
            ch = DatagramChannel.open();
            try {
                ch.configureBlocking(false);
                ch.bind(null);
                stack.loop.register(ch, SelectionKey.OP_READ, this);
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
        }

        @Override
        public void ready(SelectionKey k) throws IOException {
            ByteBuffer buf = ByteBuffer.wrap(udp.buf);
            for (int i = 0; i < MAX_READS; i++) {
                buf.clear();
                InetSocketAddress from = (InetSocketAddress) ch.receive(buf);
                if (from == null) {
                    return;
                }
                received(from, buf.position());
            }
        }

        @Override
        void sendHost(InetSocketAddress to, byte[] b, int off, int len, int ttl, byte[] quote) {
            udp.send(ch, to, b, off, len);
        }

        @Override
        public void failed(Exception e) {
            Stack.LOG.debug("net '{}': UDP flow {} failed: {}", stack.id, key, e.toString());
            close();
        }

        @Override
        void close() {
            super.close();
            try {
                ch.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }
}
