package org.machina.net.user;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.machina.host.posix.ErrnoException;
import org.machina.host.posix.Libc;

/**
 * A simulated Linux kernel behind {@link Libc} for the ICMP echo tests: ping sockets and raw ICMP
 * sockets, each allowed or refused as a host's settings would (EACCES: the group is not in
 * ping_group_range; EPERM: no CAP_NET_RAW), pipes, and poll(2) over them (POLLNVAL for a descriptor
 * closed, or {@link #closeUnderneath}; a close of a descriptor being polled is recorded as a
 * violation, {@link #violations}). With {@link #answer} every echo request sent is answered as the kernel would deliver the reply: on a ping socket the
 * ICMP message alone with the identifier set to the socket's ({@link #PING_ID}); on a raw socket
 * with an IP header, after a copy of the request itself (a raw socket sees the loopback request
 * too) and a reply to another program's ping. Written independently of the stack's classes.
 * Every call is recorded.
 */
final class FakeIcmpKernel implements Libc {
    static final int PING_FD = 10;
    static final int RAW_FD = 11;
    /** The ICMPv6 sockets (AF_INET6, IPPROTO_ICMPV6): the kernel sums their messages, a raw one reads no IP header. */
    static final int PING6_FD = 12;
    static final int RAW6_FD = 13;
    static final int PING_ID = 0x4242;

    /** A message sent, and the IP TTL it left with (the socket's IP_TTL; {@link #DEFAULT_TTL} if never set). */
    record Sent(int fd, byte[] icmp, InetSocketAddress to, int ttl) {
    }

    /** The TTL of a socket whose IP_TTL was never set (Linux: net.ipv4.ip_default_ttl, 64). */
    static final int DEFAULT_TTL = 64;

    /** A packet waiting on socket {@code fd} (-1: on whichever IPv4 socket reads first). */
    private record Packet(int fd, byte[] bytes, InetSocketAddress from) {
    }

    volatile boolean pingAllowed = true;
    volatile boolean rawAllowed = true;
    volatile boolean answer = true;
    /** Answers carry a wrong checksum. */
    volatile boolean corrupt;
    final List<Sent> sent = new ArrayList<>();
    final List<Integer> socketCalls = new ArrayList<>();
    final List<Integer> closed = new ArrayList<>();
    private final ArrayDeque<Packet> queue = new ArrayDeque<>();
    /** The ping socket's error queue (IP_RECVERR): the reports and the bytes each is about. */
    private final ArrayDeque<Object[]> errors = new ArrayDeque<>();
    /** The ping socket's IP_RECVERR, as set by setsockopt. */
    volatile boolean recvErr;
    /** The ICMPv6 ping socket's error queue and its IPV6_RECVERR. */
    private final ArrayDeque<Object[]> errors6 = new ArrayDeque<>();
    volatile boolean recvErr6;
    /** Each socket's IP_TTL, as set by setsockopt (by descriptor). */
    private final java.util.Map<Integer, Integer> ttl = new java.util.HashMap<>();
    /** The read ends of the pipes (20, 22, ...; the write end is one more) with a byte in them. */
    private final java.util.Set<Integer> woken = new java.util.HashSet<>();
    private int pipes;
    /** Descriptors closed (by {@link #close} or {@link #closeUnderneath}) and not opened again: poll says POLLNVAL. */
    private final java.util.Set<Integer> notOpen = new java.util.HashSet<>();
    /** The descriptors of the polls in progress. */
    private final List<int[]> polling = new ArrayList<>();
    /** A close of a descriptor a poll in progress holds, or a poll of one closed by {@link #close}. */
    private final List<String> violations = new ArrayList<>();

    @Override
    public synchronized int socket(int domain, int type, int protocol) throws ErrnoException {
        int kind = type & 0xf;
        socketCalls.add(kind);
        boolean v6 = domain == AF_INET6 && protocol == IPPROTO_ICMPV6;
        if (!v6 && (domain != AF_INET || protocol != IPPROTO_ICMP) || (type & SOCK_NONBLOCK) == 0) {
            throw new ErrnoException("socket", ErrnoException.EINVAL);
        }
        if (kind == SOCK_DGRAM) {
            if (!pingAllowed) {
                throw new ErrnoException("socket", ErrnoException.EACCES);
            }
            return opened(v6 ? PING6_FD : PING_FD);
        }
        if (kind == SOCK_RAW && rawAllowed) {
            return opened(v6 ? RAW6_FD : RAW_FD);
        }
        throw new ErrnoException("socket", ErrnoException.EPERM);
    }

    private int opened(int fd) {
        notOpen.remove(fd);
        return fd;
    }

    @Override
    public synchronized int[] pipe(int flags) {
        int r = 20 + 2 * pipes++;
        return new int[] {r, r + 1};
    }

    /** Pipes made: one per watcher. */
    synchronized int pipes() {
        return pipes;
    }

    /** Closes {@code fd} as if another part of the process did (its owner not told): poll says POLLNVAL. */
    synchronized void closeUnderneath(int fd) {
        notOpen.add(fd);
        notifyAll();
    }

    synchronized List<String> violations() {
        return List.copyOf(violations);
    }

    private static boolean isPipe(int fd) {
        return fd >= 20;
    }

    @Override
    public synchronized int write(int fd, MemorySegment buffer) throws ErrnoException {
        if (!isPipe(fd) || fd % 2 == 0) {
            throw new ErrnoException("write", ErrnoException.EBADF);
        }
        woken.add(fd - 1);
        notifyAll();
        return (int) buffer.byteSize();
    }

    @Override
    public synchronized int read(int fd, MemorySegment buffer) throws ErrnoException {
        if (!isPipe(fd) || fd % 2 != 0) {
            throw new ErrnoException("read", ErrnoException.EBADF);
        }
        if (!woken.remove(fd)) {
            throw new ErrnoException("read", ErrnoException.EAGAIN);
        }
        return 1;
    }

    @Override
    public synchronized int poll(int[] fds, short events, short[] revents, int timeoutMillis) throws ErrnoException {
        for (int fd : fds) {
            if (notOpen.contains(fd) && closed.contains(fd)) {
                violations.add("poll of closed descriptor " + fd);
            }
        }
        int n;
        polling.add(fds);
        try {
            while ((n = ready(fds, revents)) == 0) {
                wait();
            }
        } catch (InterruptedException e) {
            throw new ErrnoException("poll", ErrnoException.EINTR);
        } finally {
            polling.remove(fds);
        }
        return n;
    }

    /** Each descriptor's revents: a pipe's read end POLLIN with a byte in it, a socket POLLIN / POLLERR; how many have any. */
    private int ready(int[] fds, short[] revents) {
        int n = 0;
        for (int i = 0; i < fds.length; i++) {
            int fd = fds[i];
            revents[i] = (short) (notOpen.contains(fd) ? POLLNVAL : isPipe(fd) ? (woken.contains(fd) ? POLLIN : 0)
                    : (waiting(fd) == null ? 0 : POLLIN) | (errorsOf(fd).isEmpty() ? 0 : POLLERR));
            n += revents[i] != 0 ? 1 : 0;
        }
        return n;
    }

    @Override
    public synchronized int sendTo(int fd, MemorySegment buffer, int flags, InetSocketAddress to) {
        byte[] m = buffer.toArray(ValueLayout.JAVA_BYTE);
        sent.add(new Sent(fd, m, to, ttl.getOrDefault(fd, DEFAULT_TTL)));
        if (answer && (fd == PING6_FD || fd == RAW6_FD)) {
            byte[] reply = m.clone();                        // ICMPv6: the kernel sums (the stack does not check)
            reply[0] = (byte) 129;
            if (fd == PING6_FD) {
                put16(reply, 4, PING_ID);
            } else {
                queue.add(new Packet(fd, m.clone(), to));    // a raw socket sees the loopback request too
            }
            queue.add(new Packet(fd, reply, to));
            notifyAll();
        } else if (answer) {
            byte[] reply = m.clone();
            reply[0] = 0;
            if (fd == PING_FD) {
                put16(reply, 4, PING_ID);
            }
            put16(reply, 2, 0);
            put16(reply, 2, corrupt ? 0x1234 : sum(reply));
            if (fd == RAW_FD) {
                queue.add(new Packet(fd, withIp(m, to.getAddress()), to));
                byte[] other = reply.clone();
                put16(other, 4, get16(reply, 4) ^ 0x5555);
                put16(other, 2, 0);
                put16(other, 2, sum(other));
                queue.add(new Packet(fd, withIp(other, to.getAddress()), to));
                reply = withIp(reply, to.getAddress());
            }
            queue.add(new Packet(fd, reply, to));
            notifyAll();
        }
        return m.length;
    }

    /** Delivers a packet to the socket as if it came from {@code from} (raw sockets: with its IP header). */
    synchronized void deliver(byte[] bytes, InetAddress from) {
        queue.add(new Packet(-1, bytes, new InetSocketAddress(from, 0)));
        notifyAll();
    }

    private ArrayDeque<Object[]> errorsOf(int fd) {
        return fd == PING6_FD ? errors6 : fd == PING_FD ? errors : new ArrayDeque<>();
    }

    /** Delivers an ICMPv6 message to the raw ICMPv6 socket as if it came from {@code from} (no IP header: none is read). */
    synchronized void deliver6(byte[] icmp6, InetAddress from) {
        queue.add(new Packet(RAW6_FD, icmp6, new InetSocketAddress(from, 0)));
        notifyAll();
    }

    /**
     * Queues an ICMPv6 error about {@code request} (the message the ICMPv6 ping socket sent) as
     * Linux's pingv6 error handler does with IPV6_RECVERR set (ee_info: packet too big's MTU).
     */
    synchronized void deliverError6(int type, int code, int info, InetAddress reporter, InetSocketAddress to, byte[] request) {
        if (!recvErr6) {
            return;
        }
        errors6.add(new Object[] {new QueuedError(request.length, 113, SO_EE_ORIGIN_ICMP6, type, code, reporter, to, info), request});
        notifyAll();
    }

    /** The first packet waiting on socket {@code fd}, or null. */
    private Packet waiting(int fd) {
        for (Packet p : queue) {
            if (p.fd() == fd || p.fd() == -1 && (fd == PING_FD || fd == RAW_FD)) {
                return p;
            }
        }
        return null;
    }

    @Override
    public synchronized Received recvFrom(int fd, MemorySegment buffer, int flags) throws ErrnoException {
        if (notOpen.contains(fd)) {
            throw new ErrnoException("recvfrom", ErrnoException.EBADF);
        }
        Packet p = waiting(fd);
        if (p == null) {
            throw new ErrnoException("recvfrom", ErrnoException.EAGAIN);
        }
        queue.remove(p);
        int n = (int) Math.min(p.bytes().length, buffer.byteSize());
        MemorySegment.copy(p.bytes(), 0, buffer, ValueLayout.JAVA_BYTE, 0, n);
        return new Received(n, p.from());
    }

    @Override
    public synchronized void setsockopt(int fd, int level, int option, int value) throws ErrnoException {
        boolean v6 = fd == PING6_FD || fd == RAW6_FD;
        if ((v6 ? level == SOL_IPV6 && option == IPV6_UNICAST_HOPS : level == SOL_IP && option == IP_TTL)
                && (fd == PING_FD || fd == RAW_FD || v6) && value >= 1 && value <= 255) {
            ttl.put(fd, value);                               // ip(7), ipv6(7): 1..255 on either socket kind
            return;
        }
        if (fd == PING6_FD && level == SOL_IPV6 && option == IPV6_RECVERR) {
            recvErr6 = value != 0;
            return;
        }
        if (fd != PING_FD || level != SOL_IP || option != IP_RECVERR) {
            throw new ErrnoException("setsockopt", ErrnoException.EINVAL);
        }
        recvErr = value != 0;
    }

    /**
     * Queues an ICMP error about {@code request} (the ICMP message the ping socket sent) as Linux's
     * ping_err does with IP_RECVERR set (and drops it without, as Linux does for an unconnected socket).
     */
    synchronized void deliverError(int type, int code, InetAddress reporter, InetSocketAddress to, byte[] request) {
        if (!recvErr) {
            return;
        }
        errors.add(new Object[] {new QueuedError(request.length, 113, SO_EE_ORIGIN_ICMP, type, code, reporter, to), request});
        notifyAll();
    }

    @Override
    public synchronized QueuedError recvError(int fd, MemorySegment buffer) throws ErrnoException {
        Object[] e = errorsOf(fd).poll();
        if (e == null) {
            throw new ErrnoException("recvmsg", ErrnoException.EAGAIN);
        }
        byte[] b = (byte[]) e[1];
        MemorySegment.copy(b, 0, buffer, ValueLayout.JAVA_BYTE, 0, Math.min(b.length, (int) buffer.byteSize()));
        return (QueuedError) e[0];
    }

    @Override
    public synchronized void close(int fd) {
        for (int[] fds : polling) {
            if (Arrays.stream(fds).anyMatch(f -> f == fd)) {
                violations.add("close of descriptor " + fd + " while polled");
            }
        }
        closed.add(fd);
        notOpen.add(fd);
    }

    synchronized List<Sent> sent() {
        return List.copyOf(sent);
    }

    synchronized List<Integer> socketCalls() {
        return List.copyOf(socketCalls);
    }

    private static byte[] withIp(byte[] icmp, InetAddress from) {
        byte[] p = new byte[20 + icmp.length];
        p[0] = 0x45;
        put16(p, 2, p.length);
        p[8] = 64;
        p[9] = 1;
        System.arraycopy(from.getAddress(), 0, p, 12, 4);
        System.arraycopy(new byte[] {127, 0, 0, 1}, 0, p, 16, 4);
        System.arraycopy(icmp, 0, p, 20, icmp.length);
        return p;
    }

    static int get16(byte[] b, int o) {
        return (b[o] & 0xff) << 8 | b[o + 1] & 0xff;
    }

    static void put16(byte[] b, int o, int v) {
        b[o] = (byte) (v >> 8);
        b[o + 1] = (byte) v;
    }

    /** The Internet checksum of {@code b}. */
    static int sum(byte[] b) {
        return Wire.sum(0, b, 0, b.length);
    }
}
