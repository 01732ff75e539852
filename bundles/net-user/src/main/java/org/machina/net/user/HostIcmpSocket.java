package org.machina.net.user;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.machina.host.posix.ErrnoException;
import org.machina.host.posix.Libc;

/**
 * A host ICMP socket for echo requests to outside hosts, through {@link Libc} (the C library by
 * {@code java.lang.foreign}: Java has no ICMP sockets). {@link #open} tries, as slirp does, an
 * unprivileged "ping socket" ({@code socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP)}, allowed when the
 * process's group is in {@code /proc/sys/net/ipv4/ping_group_range}), then a raw socket
 * ({@code SOCK_RAW}, needs CAP_NET_RAW). Both are non-blocking. For ICMPv6 echo the same with
 * {@code AF_INET6, IPPROTO_ICMPV6} (the same sysctl governs both); there the kernel fills in every
 * message's checksum (it has the pseudo-header) and a raw socket reads no IP header. A ping socket of
 * either family has IP_RECVERR / IPV6_RECVERR set, so the host's ICMP errors about its requests are
 * queued on it ({@link #receiveError}); a raw socket reads them as messages.
 *
 * <p>The two kinds differ in what they receive: a ping socket only the echo replies to its own
 * requests, ICMP message only, the identifier being the socket's (the kernel sets it on send); a raw
 * socket every ICMP packet the host receives, with its IP header, identifiers untouched.
 *
 * <p>The stack's loop waits in a {@code Selector}, which cannot watch a descriptor that is not a
 * Java channel. So the stack's {@link FdWatcher} (its thread {@code net-user-ID-poll}, shared with
 * the other family's socket and the UDP flows) polls it and, when it is readable, posts
 * {@code onReadable} to the loop and waits until the loop ran it (which reads until EAGAIN) before
 * polling again: one wake-up per burst, no polling interval, and no stack state on that thread.
 * {@link #close} (loop thread) releases the descriptor to the watcher, which closes it out of its
 * poll. A descriptor found closed underneath (the watcher's POLLNVAL) makes the socket {@link #lost}:
 * it reads and sends nothing more, and its number, no longer its own, is not closed again.
 */
final class HostIcmpSocket implements AutoCloseable {
    /** Largest ICMP message read (an IPv4 datagram's payload at most). */
    static final int BUFFER = 65536;
    /** Reads in one {@link #receive} that may give errors or unusable packets before it gives up. */
    static final int MAX_SKIPPED = 64;

    enum Kind {
        PING("ping socket (SOCK_DGRAM)"),
        RAW("raw socket (SOCK_RAW)");

        final String what;

        Kind(String what) {
            this.what = what;
        }
    }

    /** Neither socket kind could be opened: {@link #getMessage} says why, for each. */
    static final class Unavailable extends Exception {
        Unavailable(String why) {
            super(why);
        }
    }

    /** An ICMP message read from the socket (its IP header removed), and who sent it. */
    record Message(InetAddress from, byte[] buf, int off, int len) {
    }

    /**
     * An ICMP error the host got about one of the socket's requests, from a ping socket's error
     * queue: its type and code, sock_extended_err's ee_info (packet too big's MTU), who reported it
     * (null if the kernel did not say), where the request
     * had gone, and the request's ICMP message as sent (from its header; overwritten by the next read).
     */
    record Report(int type, int code, int info, InetAddress reporter, InetAddress to, byte[] buf, int off, int len) {
    }

    private final Libc libc;
    private final int fd;
    private final FdWatcher watcher;
    final Kind kind;
    /** An ICMPv6 socket (AF_INET6, IPPROTO_ICMPV6): no IP header on what a raw one reads, the kernel sums. */
    private final boolean v6;
    /** Why the ping socket was not used (null when it was). */
    String pingRefusal;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment in = arena.allocate(BUFFER);
    private final MemorySegment out = arena.allocate(BUFFER);
    private final byte[] bytes = new byte[BUFFER];
    private boolean closed;
    /** The descriptor was found closed underneath (POLLNVAL): not ours to read, send on or close any more. */
    private boolean lost;
    /** The IP_TTL last set on the socket (0: never set, the host's default). */
    private int ttl;

    private HostIcmpSocket(Libc libc, int fd, Kind kind, boolean v6, FdWatcher watcher) {
        this.libc = libc;
        this.fd = fd;
        this.kind = kind;
        this.v6 = v6;
        this.watcher = watcher;
    }

    /**
     * Opens a ping socket, else a raw one, and has the stack's watcher ({@code watcher}: started at
     * its first use) watch it (loop thread); {@code onReadable} runs on the loop when messages wait
     * (or the socket was {@link #lost}).
     *
     * @throws Unavailable when neither kind is allowed (the message names both refusals and what would allow them)
     */
    static HostIcmpSocket open(Libc libc, boolean v6, FdWatcher.Shared watcher, Runnable onReadable) throws Unavailable {
        int type = Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC;
        int domain = v6 ? Libc.AF_INET6 : Libc.AF_INET;
        int protocol = v6 ? Libc.IPPROTO_ICMPV6 : Libc.IPPROTO_ICMP;
        Kind kind = Kind.PING;
        int fd;
        String pingRefusal;
        try {
            fd = libc.socket(domain, Libc.SOCK_DGRAM | type, protocol);
            pingRefusal = null;
        } catch (ErrnoException e) {
            pingRefusal = "a " + Kind.PING.what + " was refused (" + e.getMessage() + ")"
                    + (e.errno() == ErrnoException.EACCES ? ": the process's group is not in "
                            + "/proc/sys/net/ipv4/ping_group_range (" + pingGroupRange() + ")" : "");
            kind = Kind.RAW;
            try {
                fd = libc.socket(domain, Libc.SOCK_RAW | type, protocol);
            } catch (ErrnoException r) {
                throw new Unavailable(pingRefusal + ", and a " + Kind.RAW.what + " too (" + r.getMessage() + ")"
                        + (r.errno() == ErrnoException.EPERM ? ": the process lacks CAP_NET_RAW" : ""));
            }
        }
        FdWatcher w;
        try {
            w = watcher.get();
        } catch (ErrnoException e) {
            libc.close(fd);
            throw new Unavailable("no watcher for the ICMP socket (" + e.getMessage() + ")");
        }
        if (kind == Kind.PING) {
            try {
                // else Linux tells an unconnected ping socket of no ICMP error
                libc.setsockopt(fd, v6 ? Libc.SOL_IPV6 : Libc.SOL_IP, v6 ? Libc.IPV6_RECVERR : Libc.IP_RECVERR, 1);
            } catch (ErrnoException e) {
                Stack.LOG.debug("net: no ICMP errors on the ping socket: {}", e.getMessage());
            }
        }
        HostIcmpSocket s = new HostIcmpSocket(libc, fd, kind, v6, w);
        s.pingRefusal = pingRefusal;
        w.watch(fd, revents -> {
            s.lost |= (revents & Libc.POLLNVAL) != 0;
            onReadable.run();
        });
        return s;
    }

    private static String pingGroupRange() {
        try {
            // read as a stream: Files.readString trusts procfs's size and stops after the first number
            try (InputStream in = new FileInputStream("/proc/sys/net/ipv4/ping_group_range")) {
                return "it is '" + new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim().replace('\t', ' ') + "'";
            }
        } catch (IOException e) {
            return "unreadable: " + e.getMessage();
        }
    }

    /**
     * Sends one ICMP message with IP TTL {@code ttl} (loop thread: IP_TTL is set on the socket when
     * it differs from the last one); false if the host refused it (logged at debug). A TTL the host
     * does not take leaves the message with the previous one (logged at debug).
     */
    boolean send(byte[] icmp, int off, int len, InetAddress to, int ttl) {
        if (closed || lost) {
            return false;
        }
        if (ttl != this.ttl) {
            try {
                if (v6) {
                    libc.setsockopt(fd, Libc.SOL_IPV6, Libc.IPV6_UNICAST_HOPS, ttl);
                } else {
                    libc.setsockopt(fd, Libc.SOL_IP, Libc.IP_TTL, ttl);
                }
                this.ttl = ttl;
            } catch (ErrnoException e) {
                Stack.LOG.debug("net: IP_TTL {} on the ICMP socket: {}", ttl, e.getMessage());
            }
        }
        MemorySegment.copy(icmp, off, out, ValueLayout.JAVA_BYTE, 0, len);
        try {
            libc.sendTo(fd, out.asSlice(0, len), 0, new InetSocketAddress(to, 0));
            return true;
        } catch (ErrnoException e) {
            Stack.LOG.debug("net: ICMP echo to {} not sent: {}", to.getHostAddress(), e.getMessage());
            return false;
        }
    }

    /**
     * The next ICMP message waiting (loop thread), or null when none is (EAGAIN), the socket failed,
     * or {@link #MAX_SKIPPED} reads in a row gave nothing usable (the watcher posts again if more
     * waits). The returned bytes are overwritten by the next call.
     */
    Message receive() {
        for (int i = 0; i < MAX_SKIPPED && !closed && !lost; i++) {
            Libc.Received r;
            try {
                r = libc.recvFrom(fd, in, 0);
            } catch (ErrnoException e) {
                if (e.errno() != ErrnoException.EAGAIN) {
                    // a pending socket error (an ICMP error report) is returned once and cleared
                    Stack.LOG.debug("net: ICMP socket: {}", e.getMessage());
                    continue;
                }
                return null;
            }
            int n = Math.min(r.length(), BUFFER);
            MemorySegment.copy(in, ValueLayout.JAVA_BYTE, 0, bytes, 0, n);
            int at = 0;
            if (kind == Kind.RAW && !v6) {                     // a raw IPv4 socket gives the IP header too
                at = n > 0 ? (bytes[0] & 0xf) * 4 : 0;
                if (n < Ipv4.HEADER || at < Ipv4.HEADER || at > n) {
                    continue;
                }
            }
            if (r.from() != null) {
                return new Message(r.from().getAddress(), bytes, at, n - at);
            }
        }
        return null;
    }

    /**
     * The next ICMP (ICMPv6) error queued on a ping socket (loop thread): recvmsg(MSG_ERRQUEUE)
     * until one from an ICMP (ICMPv6) message about an echo request comes; null when none is queued (EAGAIN), on a raw
     * socket (which reads errors as messages, {@link #receive}) or after {@link #MAX_SKIPPED} others.
     * A queued error also makes the socket poll readable (POLLERR), so the watcher's drain comes here.
     */
    Report receiveError() {
        for (int i = 0; i < MAX_SKIPPED && !closed && !lost && kind == Kind.PING; i++) {
            Libc.QueuedError e;
            try {
                e = libc.recvError(fd, in);
            } catch (ErrnoException x) {
                if (x.errno() != ErrnoException.EAGAIN) {
                    Stack.LOG.debug("net: ICMP socket error queue: {}", x.getMessage());
                }
                return null;
            }
            int n = Math.min(e.length(), BUFFER);
            if (e.origin() != (v6 ? Libc.SO_EE_ORIGIN_ICMP6 : Libc.SO_EE_ORIGIN_ICMP) || n < 8 || e.to() == null) {
                continue;                                    // a local error (EMSGSIZE...), or nothing to match
            }
            MemorySegment.copy(in, ValueLayout.JAVA_BYTE, 0, bytes, 0, n);
            return new Report(e.type(), e.code(), e.info(), e.offender(), e.to().getAddress(), bytes, 0, n);
        }
        return null;
    }

    /** Whether the descriptor was found closed underneath (the watcher no longer watches it): the socket is of no use. */
    boolean lost() {
        return lost;
    }

    /** The descriptor (tests). */
    int fd() {
        return fd;
    }

    /** Releases the descriptor to the watcher, which closes it (unless {@link #lost}: not ours to close). */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (lost) {
            watcher.unwatch(fd);
        } else {
            watcher.release(fd);
        }
        arena.close();
    }
}
