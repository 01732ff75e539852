package org.machina.host.posix;

import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * The C library calls Machina's host-facing bundles make: {@link FfmLibc} binds them through
 * {@code java.lang.foreign}; a unit test implements them as a simulated kernel (only the calls its
 * code under test makes, and {@link #close}: the others answer {@code ENOSYS}, as a kernel without
 * them would). A
 * failing call throws {@link ErrnoException} with its errno. Constants are Linux's (x86-64, arm64).
 */
public interface Libc {
    /** open(2) flags. */
    int O_RDONLY = 0;
    int O_RDWR = 2;
    int O_NONBLOCK = 0x800;
    int O_CLOEXEC = 0x80000;

    /** mmap(2) protections and flags. */
    int PROT_READ = 1;
    int PROT_WRITE = 2;
    int MAP_SHARED = 1;

    /** poll(2) events. */
    short POLLIN = 0x1;
    short POLLOUT = 0x4;
    short POLLERR = 0x8;
    short POLLHUP = 0x10;
    short POLLNVAL = 0x20;

    /** socket(2) domains, types (with the flags or-ed into the type) and protocols. */
    int AF_INET = 2;
    int SOCK_DGRAM = 2;
    int SOCK_RAW = 3;
    int SOCK_NONBLOCK = O_NONBLOCK;
    int SOCK_CLOEXEC = O_CLOEXEC;
    int IPPROTO_ICMP = 1;
    int AF_INET6 = 10;
    int IPPROTO_ICMPV6 = 58;

    /** send/recv flags. */
    int MSG_DONTWAIT = 0x40;
    int MSG_ERRQUEUE = 0x2000;

    /** setsockopt(2) level and option: IPv4 errors (ICMP ones the host got) queued on the socket (ip(7)). */
    int SOL_IP = 0;
    int IP_RECVERR = 11;
    /** setsockopt(2) option at {@link #SOL_IP}: the TTL of the unicast datagrams the socket sends (ip(7)). */
    int IP_TTL = 2;
    /** setsockopt(2) level and option: the hop limit of the unicast packets an IPv6 socket sends (ipv6(7)). */
    int SOL_IPV6 = 41;
    int IPV6_UNICAST_HOPS = 16;
    /** setsockopt(2) option at {@link #SOL_IPV6}: IPv6 errors (ICMPv6 ones the host got) queued on the socket (ipv6(7)). */
    int IPV6_RECVERR = 25;
    /** Where a queued error came from (struct sock_extended_err's ee_origin): the local stack, an ICMP or an ICMPv6 message. */
    int SO_EE_ORIGIN_LOCAL = 1;
    int SO_EE_ORIGIN_ICMP = 2;
    int SO_EE_ORIGIN_ICMP6 = 3;

    default int open(String path, int flags) throws ErrnoException {
        throw new ErrnoException("open", ErrnoException.ENOSYS);
    }

    /** ioctl(2) with a pointer argument ({@link MemorySegment#NULL} for none); returns its non-negative result. */
    default int ioctl(int fd, long request, MemorySegment arg) throws ErrnoException {
        throw new ErrnoException("ioctl", ErrnoException.ENOSYS);
    }

    /** ioctl(2) whose failure is named {@code name} (the request's name) rather than "ioctl". */
    default int ioctl(int fd, long request, MemorySegment arg, String name) throws ErrnoException {
        try {
            return ioctl(fd, request, arg);
        } catch (ErrnoException e) {
            throw e.as(name);
        }
    }

    /** read(2) into {@code buffer} (a native segment); returns the bytes read. */
    default int read(int fd, MemorySegment buffer) throws ErrnoException {
        throw new ErrnoException("read", ErrnoException.ENOSYS);
    }

    /** write(2) of {@code buffer} (a native segment); returns the bytes written. */
    default int write(int fd, MemorySegment buffer) throws ErrnoException {
        throw new ErrnoException("write", ErrnoException.ENOSYS);
    }

    /** poll(2) of one descriptor; returns its revents (0 on timeout or when a signal interrupted the wait). */
    default int poll(int fd, short events, int timeoutMillis) throws ErrnoException {
        short[] revents = new short[1];
        poll(new int[] {fd}, events, revents, timeoutMillis);
        return revents[0] & 0xFFFF;
    }

    /**
     * poll(2) of several descriptors for the same {@code events}; fills {@code revents} (as long as
     * {@code fds}) and returns how many have any (0 on timeout or when a signal interrupted the wait).
     */
    default int poll(int[] fds, short events, short[] revents, int timeoutMillis) throws ErrnoException {
        throw new ErrnoException("poll", ErrnoException.ENOSYS);
    }

    /** mmap(2) of {@code length} bytes at {@code offset} of {@code fd}, anywhere; the segment has that length. */
    default MemorySegment mmap(int fd, long length, int prot, int flags, long offset) throws ErrnoException {
        throw new ErrnoException("mmap", ErrnoException.ENOSYS);
    }

    /** munmap(2) of a segment {@link #mmap} returned. */
    default void munmap(MemorySegment mapping) throws ErrnoException {
        throw new ErrnoException("munmap", ErrnoException.ENOSYS);
    }

    /** pipe2(2): {read end, write end}; {@code flags} O_CLOEXEC, O_NONBLOCK. */
    default int[] pipe(int flags) throws ErrnoException {
        throw new ErrnoException("pipe2", ErrnoException.ENOSYS);
    }

    /** socket(2); {@code type} may carry {@link #SOCK_NONBLOCK} and {@link #SOCK_CLOEXEC}. */
    default int socket(int domain, int type, int protocol) throws ErrnoException {
        throw new ErrnoException("socket", ErrnoException.ENOSYS);
    }

    /** sendto(2) of {@code buffer} to an IPv4 or IPv6 address and port (0 for ICMP); returns the bytes sent. */
    default int sendTo(int fd, MemorySegment buffer, int flags, InetSocketAddress to) throws ErrnoException {
        throw new ErrnoException("sendto", ErrnoException.ENOSYS);
    }

    /** What {@link #recvFrom} received: its length and the sender (IPv4 or IPv6). */
    record Received(int length, InetSocketAddress from) {
    }

    /** recvfrom(2) into {@code buffer} (a native segment) from an IPv4 or IPv6 socket. */
    default Received recvFrom(int fd, MemorySegment buffer, int flags) throws ErrnoException {
        throw new ErrnoException("recvfrom", ErrnoException.ENOSYS);
    }

    /** setsockopt(2) of an int-valued option. */
    default void setsockopt(int fd, int level, int option, int value) throws ErrnoException {
        throw new ErrnoException("setsockopt", ErrnoException.ENOSYS);
    }

    /**
     * An error read from a socket's error queue ({@link #recvError}): the bytes of the packet it is
     * about (for ICMP, from its transport header: what the socket sent) in the buffer, struct
     * sock_extended_err's errno, origin ({@link #SO_EE_ORIGIN_ICMP}, ...), ICMP type and code, the
     * node that reported it (SO_EE_OFFENDER; null when none), where the packet had been sent, and
     * ee_info (for an ICMP "fragmentation needed" or ICMPv6 "packet too big", the MTU).
     */
    record QueuedError(int length, int errno, int origin, int type, int code, InetAddress offender, InetSocketAddress to, int info) {
        /** Without ee_info (0). */
        public QueuedError(int length, int errno, int origin, int type, int code, InetAddress offender, InetSocketAddress to) {
            this(length, errno, origin, type, code, offender, to, 0);
        }
    }

    /**
     * recvmsg(2) with {@link #MSG_ERRQUEUE} and {@link #MSG_DONTWAIT} on an IPv4 socket with
     * {@link #IP_RECVERR} set or an IPv6 one with {@link #IPV6_RECVERR}: the next queued error, its
     * packet's bytes into {@code buffer} (EAGAIN when none is queued).
     */
    default QueuedError recvError(int fd, MemorySegment buffer) throws ErrnoException {
        throw new ErrnoException("recvmsg", ErrnoException.ENOSYS);
    }

    void close(int fd);

    /** The C library's text for an errno (strerror(3)); a simulated kernel gives the symbolic name. */
    default String strerror(int errno) {
        return ErrnoException.name(errno);
    }
}
