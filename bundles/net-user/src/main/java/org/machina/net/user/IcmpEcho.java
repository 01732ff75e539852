package org.machina.net.user;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * ICMP echo to outside hosts (RFC 792), as slirp does it: a guest's echo request to an address
 * that maps to a host address ({@link Stack#hostAddressFor}) is sent again from a host ICMP socket
 * ({@link HostIcmpSocket}: a ping socket, else a raw one), and the host's echo reply goes back to
 * the guest as if from the address it pinged.
 *
 * <p>Identifiers: every request sent gets a sequence number of ours, unique among the outstanding
 * ones, which is the key of {@link #pending}; the identifier is ours too on a raw socket (random
 * per socket, so replies to other programs' pings are told apart) and the kernel's on a ping
 * socket (it rewrites it to the socket's). A reply is matched by its sequence number (and on a raw
 * socket its identifier), and its sender must be the address the request went to; the guest gets
 * it with its own identifier and sequence number and a new checksum.
 *
 * <p>Bounds: at most {@link #MAX_PENDING} requests are outstanding (more are dropped and counted:
 * {@code icmpEchoTableFull}); each expires {@code echoTimeoutMs} after it was sent (a deadline;
 * {@code icmpEchoTimedOut}). The socket is opened at the first request and closed
 * {@link #IDLE_MS} after the last one (a raw socket sees every ICMP packet the host receives, so an
 * idle one is not kept). If neither socket kind is allowed, one warning says why and every such
 * request is dropped ({@code icmpEchoNoSocket}). {@code restrict=on}: dropped ({@code restricted}).
 * A request whose TTL is 1 or less is not sent: the guest gets time exceeded from the gateway
 * ({@link IcmpError#expired}). The host's ICMP errors about a request (destination unreachable,
 * time exceeded) go to the guest ({@link #error}): a raw socket reads them as messages, a ping
 * socket from its error queue (IP_RECVERR). A request leaves with the guest's TTL less one (IP_TTL on
 * the socket, set when it changes), as a router forwards it.
 *
 * <p>One instance per family: the stack's {@code echo6} does the same for ICMPv6 echo (RFC 4443
 * section 4) through an ICMPv6 socket, the reply going to the guest with hop limit 63 and a new
 * checksum; the host's ICMPv6 errors about its requests (destination unreachable, packet too big,
 * time exceeded) are relayed the same way, an ICMPv6 ping socket's from its error queue
 * (IPV6_RECVERR), a raw one's read as messages. Parameter problem is not: its pointer is into the
 * host's packet, not the guest's.
 */
final class IcmpEcho {
    static final int MAX_PENDING = 64;
    static final long IDLE_MS = 60_000;

    /** An outstanding request: who asked whom, with which identifier and sequence number. */
    private record Pending(IpAddr guestSrc, IpAddr guestDst, InetAddress to, int guestId, int guestSeq, byte[] quote,
            EventLoop.Deadline expiry) {
    }

    private final Stack stack;
    private final Stack.Host host;
    /** ICMPv6 echo (RFC 4443 section 4) through an ICMPv6 socket, rather than ICMP. */
    private final boolean v6;
    /** Outstanding requests by the sequence number we sent. */
    private final Map<Integer, Pending> pending = new HashMap<>();
    private HostIcmpSocket socket;
    private EventLoop.Deadline idle;
    /** Why no socket could be opened (the warning was logged); null while none was refused. */
    private String unavailable;
    private int id;
    private int nextSeq = ThreadLocalRandom.current().nextInt(0x10000);

    IcmpEcho(Stack stack, Stack.Host host, boolean v6) {
        this.stack = stack;
        this.host = host;
        this.v6 = v6;
    }

    /** Outstanding requests (tests). */
    int pendingCount() {
        return pending.size();
    }

    /** The socket kind in use, or null when none is open (tests). */
    HostIcmpSocket.Kind socketKind() {
        return socket == null ? null : socket.kind;
    }

    /** The host socket, or null when none is open (tests). */
    HostIcmpSocket socket() {
        return socket;
    }

    /** Why outside echo is unavailable, or null (tests). */
    String unavailable() {
        return unavailable;
    }

    /** An echo request from the guest to a non-virtual address (checksum checked by {@link Icmp}). */
    void request(Ipv4.Datagram d) {
        if (allowed()) {
            request(new IpAddr.V4(d.src()), new IpAddr.V4(d.dst()), d.ttl(), d.buf(), d.off(), d.len(), IcmpError.quote(d, stack.cfg));
        }
    }

    /** An ICMPv6 echo request from the guest to an address not the stack's (checksum checked by {@link Icmp6}). */
    void request(Ipv6.Packet p) {
        if (allowed()) {
            request(p.src(), p.dst(), p.hopLimit(), p.buf(), p.off(), p.len(), IcmpError.quote6(p.buf(), p.off() + p.len()));
        }
    }

    private boolean allowed() {
        if (stack.cfg.restrict) {
            stack.stats.restricted++;
            return false;
        }
        return true;
    }

    /** The echo request at {@code o} (ICMP or ICMPv6, {@code len} bytes) from {@code src} to {@code dst} with TTL / hop limit {@code ttl}. */
    private void request(IpAddr src, IpAddr dst, int ttl, byte[] b, int o, int len, byte[] quote) {
        InetAddress to = stack.hostAddressFor(dst);
        if (to == null) {
            stack.stats.unsupported++;
            return;
        }
        if (stack.icmpError.expired(dst, ttl, quote)) {
            return;
        }
        if (pending.size() >= MAX_PENDING) {
            stack.stats.icmpEchoTableFull++;
            return;
        }
        if (!openSocket()) {
            stack.stats.icmpEchoNoSocket++;
            return;
        }
        int seq = freeSeq();
        // over IPv6 the host's kernel fills in the checksum (it needs the source address it picks)
        byte[] m = Icmp.echo(b, o, len, v6 ? Icmp6.ECHO_REQUEST : Icmp.ECHO_REQUEST, socket.kind == HostIcmpSocket.Kind.RAW ? id : 0, seq);
        // forwarded as a router does (RFC 1812 section 5.3.1, RFC 8200 section 3): with the guest's TTL / hop
        // limit less one, so that a guest's `traceroute -I` finds the hops beyond the gateway (their time exceeded comes back, error)
        if (!socket.send(m, 0, m.length, to, ttl - 1)) {
            stack.stats.icmpEchoSendFailed++;
            return;
        }
        stack.stats.icmpEchoSent++;
        EventLoop.Deadline expiry = stack.loop.afterMillis(host.echoTimeoutMs(), () -> {
            if (pending.remove(seq) != null) {
                stack.stats.icmpEchoTimedOut++;
            }
        });
        pending.put(seq, new Pending(src, dst, to, Bytes.u16(b, o + 4), Bytes.u16(b, o + 6), quote, expiry));
        if (idle != null) {
            idle.cancel();
        }
        idle = stack.loop.afterMillis(IDLE_MS, this::closeSocket);
    }

    private int freeSeq() {
        while (pending.containsKey(nextSeq)) {               // at most MAX_PENDING steps
            nextSeq = (nextSeq + 1) & 0xffff;
        }
        int s = nextSeq;
        nextSeq = (nextSeq + 1) & 0xffff;
        return s;
    }

    private boolean openSocket() {
        if (socket != null) {
            return true;
        }
        if (unavailable != null) {
            return false;
        }
        try {
            socket = HostIcmpSocket.open(host.libc().get(), v6, stack::watcher, this::replies);
        } catch (HostIcmpSocket.Unavailable e) {
            unavailable = e.getMessage();
            Stack.LOG.warn("net '{}': ICMP echo to outside addresses is dropped: {} (counted in icmpEchoNoSocket)",
                    stack.id, unavailable);
            return false;
        } catch (RuntimeException | LinkageError e) {
            unavailable = "the host's C library is not reachable through java.lang.foreign (" + e + ")";
            Stack.LOG.warn("net '{}': ICMP echo to outside addresses is dropped: {} (counted in icmpEchoNoSocket)",
                    stack.id, unavailable);
            return false;
        }
        id = ThreadLocalRandom.current().nextInt(0x10000);
        Stack.LOG.info("net '{}': ICMP echo to outside addresses through a host {}{}", stack.id, socket.kind.what,
                socket.pingRefusal == null ? "" : " (" + socket.pingRefusal + ")");
        return true;
    }

    /**
     * Loop thread, posted by the stack's watcher: every reply waiting goes to its guest; a socket
     * found closed underneath ({@link HostIcmpSocket#lost}) is let go and its requests forgotten.
     */
    private void replies() {
        HostIcmpSocket s = socket;
        if (s == null) {
            return;
        }
        HostIcmpSocket.Report e;
        while ((e = s.receiveError()) != null) {
            if (v6 ? IcmpError.isRelayed6(e.type()) : IcmpError.isRelayed(e.type())) {
                error(e.type(), e.code(), e.info(), e.reporter(), e.to(), e.buf(), e.off(), e.len(), false);
            }
        }
        HostIcmpSocket.Message m;
        while ((m = s.receive()) != null) {
            reply(s.kind, m);
        }
        if (s.lost()) {
            closeSocket();                                   // the next request opens another
        }
    }

    private void reply(HostIcmpSocket.Kind kind, HostIcmpSocket.Message m) {
        byte[] b = m.buf();
        int o = m.off();
        if (m.len() >= 8 && kind == HostIcmpSocket.Kind.RAW && (v6 ? IcmpError.isRelayed6(Bytes.u8(b, o)) : IcmpError.isRelayed(Bytes.u8(b, o)))) {
            if (v6) {
                rawError6(m);
            } else {
                rawError(m);
            }
            return;
        }
        if (m.len() < 8 || Bytes.u8(b, o) != (v6 ? Icmp6.ECHO_REPLY : Icmp.ECHO_REPLY)) {
            return;                                          // a raw socket sees all ICMP: not ours
        }
        if (kind == HostIcmpSocket.Kind.RAW && Bytes.u16(b, o + 4) != id) {
            return;                                          // another program's ping
        }
        int seq = Bytes.u16(b, o + 6);
        Pending p = pending.get(seq);
        if (p == null || !p.to().equals(m.from())) {
            return;
        }
        if (!v6 && Checksum.of(b, o, m.len()) != 0) {            // (ICMPv6's the host's kernel checked: it has the pseudo-header)
            stack.stats.malformed++;
            return;
        }
        pending.remove(seq);
        p.expiry().cancel();
        stack.stats.icmpEchoReplies++;
        if (v6) {
            byte[] r = Icmp.echo(b, o, m.len(), Icmp6.ECHO_REPLY, p.guestId(), p.guestSeq());
            stack.icmp6.send((IpAddr.V6) p.guestDst(), (IpAddr.V6) p.guestSrc(), r);
            return;
        }
        byte[] r = Icmp.echo(b, o, m.len(), Icmp.ECHO_REPLY, p.guestId(), p.guestSeq());
        stack.ip.output(((IpAddr.V4) p.guestDst()).a(), ((IpAddr.V4) p.guestSrc()).a(), Ipv4.ICMP, r, 0, r.length);
    }

    /**
     * An ICMP error (destination unreachable, time exceeded) the raw socket received, its IP header
     * removed: it quotes the datagram it is about (IP header, then at least 8 bytes: for one of our
     * requests, the echo request's header). Checked and handed to {@link #error}.
     */
    private void rawError(HostIcmpSocket.Message m) {
        byte[] b = m.buf();
        int q = m.off() + IcmpError.HEADER;
        int ihl = m.len() >= IcmpError.HEADER + Ipv4.HEADER ? (b[q] & 0xf) * 4 : 0;
        if (ihl < Ipv4.HEADER || m.len() < IcmpError.HEADER + ihl + 8 || Bytes.u8(b, q + 9) != Ipv4.ICMP) {
            return;                                          // about something else
        }
        if (Checksum.of(b, m.off(), m.len()) != 0) {
            stack.stats.malformed++;
            return;
        }
        InetAddress to;
        try {
            to = InetAddress.getByAddress(Arrays.copyOfRange(b, q + 16, q + 20));
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);              // four bytes are always an address
        }
        error(Bytes.u8(b, m.off()), Bytes.u8(b, m.off() + 1), 0, m.from(), to, b, q + ihl, m.len() - IcmpError.HEADER - ihl, true);
    }

    /**
     * An ICMPv6 error the raw ICMPv6 socket received (no IP header: the kernel removed it; its
     * checksum the kernel checked): it quotes the packet it is about from its fixed header (RFC 4443
     * section 2.4 (c)); for one of our requests, an IPv6 header with Next Header ICMPv6 and our echo
     * request after it (the stack's requests carry no extension headers). Handed to {@link #error}.
     */
    private void rawError6(HostIcmpSocket.Message m) {
        byte[] b = m.buf();
        int q = m.off() + IcmpError.HEADER;
        if (m.len() < IcmpError.HEADER + Ipv6.HEADER + 8 || (b[q] & 0xf0) != 0x60 || Bytes.u8(b, q + 6) != Ipv6.ICMPV6) {
            return;                                          // about something else
        }
        InetAddress to;
        try {
            to = InetAddress.getByAddress(Arrays.copyOfRange(b, q + 24, q + 40));
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);              // sixteen bytes are always an address
        }
        error(Bytes.u8(b, m.off()), Bytes.u8(b, m.off() + 1), Bytes.i32(b, m.off() + 4), m.from(), to, b, q + Ipv6.HEADER,
                m.len() - IcmpError.HEADER - Ipv6.HEADER, true);
    }

    /**
     * An ICMP error of {@code type}/{@code code} (and over IPv6 the message's 4-byte field {@code info}:
     * packet too big's MTU) that {@code reporter} sent about a request to
     * {@code to} whose ICMP message (as sent) is at {@code off}: if that is one of our outstanding
     * requests (echo request, an outstanding sequence number, that destination, and on a raw socket
     * our identifier) the guest gets the same type and code from the reporter (loopback shown as the
     * gateway), quoting its own request, and the entry is freed.
     */
    private void error(int type, int code, int info, InetAddress reporter, InetAddress to, byte[] b, int off, int len, boolean checkId) {
        if (len < 8 || Bytes.u8(b, off) != (v6 ? Icmp6.ECHO_REQUEST : Icmp.ECHO_REQUEST) || checkId && Bytes.u16(b, off + 4) != id) {
            return;
        }
        int seq = Bytes.u16(b, off + 6);
        Pending p = pending.get(seq);
        if (p == null || !p.to().equals(to)) {
            return;
        }
        pending.remove(seq);
        p.expiry().cancel();
        stack.stats.icmpEchoErrors++;
        InetAddress from = reporter != null ? reporter : to;
        if (v6) {
            IpAddr.V6 source = (IpAddr.V6) stack.guestAddressFor(from, p.guestDst());
            stack.icmpError.relay6(type, code, info, source != null ? source : stack.cfg.ipv6Host, p.quote());
        } else {
            stack.icmpError.relay(type, code, stack.guestAddressFor(from), p.quote());
        }
    }

    private void closeSocket() {
        if (socket != null) {
            socket.close();
            socket = null;
        }
        for (Pending p : pending.values()) {
            p.expiry().cancel();
        }
        pending.clear();
    }

    void close() {
        if (idle != null) {
            idle.cancel();
        }
        closeSocket();
    }
}
