package org.machina.host.posix;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;

/**
 * {@link Libc} through {@code java.lang.foreign}: the C library's functions found with
 * {@link Linker#nativeLinker()}'s default lookup, errno read from the state
 * {@link Linker.Option#captureCallState captured} right after each call (nothing the JVM does
 * between the call and the read can change it). open(2) and ioctl(2) are variadic in C and are bound
 * as such. A call interrupted by a signal (EINTR) is made again, except poll(2), which then returns
 * 0 as on a timeout. Needs native access, which Machina's launcher grants to the unnamed module of
 * the OSGi bundles ({@code Enable-Native-Access: ALL-UNNAMED}; tests: {@code --enable-native-access}).
 */
public final class FfmLibc implements Libc {
    /** struct pollfd { int fd; short events; short revents; }. */
    public static final StructLayout POLLFD = MemoryLayout.structLayout(
            JAVA_INT.withName("fd"), JAVA_SHORT.withName("events"), JAVA_SHORT.withName("revents"));
    /** struct sockaddr_in: family (host order), port and address (network order), 8 bytes of zero. */
    public static final StructLayout SOCKADDR_IN = MemoryLayout.structLayout(
            JAVA_SHORT.withName("sin_family"), JAVA_SHORT.withName("sin_port"), JAVA_INT.withName("sin_addr"),
            MemoryLayout.sequenceLayout(8, JAVA_BYTE).withName("sin_zero"));
    /** struct sockaddr_in6: family, port, flow info, the 16-byte address, scope id. */
    static final long SOCKADDR_IN6_SIZE = 28;
    /**
     * struct msghdr (LP64): name, its length (and padding), iov, iovlen, control, its length, flags;
     * struct iovec is a base and a length; struct cmsghdr a size_t length, level, type, then the data.
     */
    static final long MSGHDR_SIZE = 56;
    static final long CMSG_DATA = 16;
    /** struct sock_extended_err: errno (4), origin, type, code, pad (1 each), info, data (4 each); the offender after it. */
    static final long SOCK_EXTENDED_ERR_SIZE = 16;
    private static final ValueLayout.OfShort NET_SHORT = JAVA_SHORT.withOrder(ByteOrder.BIG_ENDIAN);

    private static volatile FfmLibc instance;

    private final StructLayout capture = Linker.Option.captureStateLayout();
    private final VarHandle errno = capture.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private final MethodHandle open;
    private final MethodHandle ioctl;
    private final MethodHandle read;
    private final MethodHandle write;
    private final MethodHandle poll;
    private final MethodHandle mmap;
    private final MethodHandle munmap;
    private final MethodHandle pipe2;
    private final MethodHandle socket;
    private final MethodHandle sendto;
    private final MethodHandle recvfrom;
    private final MethodHandle recvmsg;
    private final MethodHandle setsockopt;
    private final MethodHandle close;
    private final MethodHandle strerror;

    /** One C call: returns its result widened to a long (an address for mmap), negative on failure. */
    @FunctionalInterface
    private interface Call {
        long run(MemorySegment state) throws Throwable;
    }

    private FfmLibc() {
        Linker linker = Linker.nativeLinker();
        SymbolLookup c = linker.defaultLookup();
        Linker.Option e = Linker.Option.captureCallState("errno");
        open = linker.downcallHandle(find(c, "open"), FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
                Linker.Option.firstVariadicArg(2), e);
        ioctl = linker.downcallHandle(find(c, "ioctl"), FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS),
                Linker.Option.firstVariadicArg(2), e);
        read = linker.downcallHandle(find(c, "read"), FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), e);
        write = linker.downcallHandle(find(c, "write"), FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), e);
        poll = linker.downcallHandle(find(c, "poll"), FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT), e);
        mmap = linker.downcallHandle(find(c, "mmap"),
                FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG), e);
        munmap = linker.downcallHandle(find(c, "munmap"), FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG), e);
        pipe2 = linker.downcallHandle(find(c, "pipe2"), FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), e);
        socket = linker.downcallHandle(find(c, "socket"), FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), e);
        sendto = linker.downcallHandle(find(c, "sendto"),
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT), e);
        recvfrom = linker.downcallHandle(find(c, "recvfrom"),
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS), e);
        recvmsg = linker.downcallHandle(find(c, "recvmsg"), FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT), e);
        setsockopt = linker.downcallHandle(find(c, "setsockopt"),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), e);
        close = linker.downcallHandle(find(c, "close"), FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        strerror = linker.downcallHandle(find(c, "strerror"), FunctionDescriptor.of(ADDRESS, JAVA_INT));
    }

    /** The one binding (made at first use). */
    public static FfmLibc get() {
        FfmLibc i = instance;
        if (i == null) {
            synchronized (FfmLibc.class) {
                i = instance;
                if (i == null) {
                    instance = i = new FfmLibc();
                }
            }
        }
        return i;
    }

    private static MemorySegment find(SymbolLookup c, String name) {
        return c.find(name).orElseThrow(() -> new UnsupportedOperationException(
                "the host's C library has no '" + name + "' (Machina's host devices need Linux)"));
    }

    /** Runs {@code c} with a fresh errno capture, again after EINTR; a negative result throws its errno. */
    private long call(String name, Call c) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(capture);
            while (true) {
                long r;
                try {
                    r = c.run(state);
                } catch (Throwable t) {
                    throw new IllegalStateException(name + "(2) through java.lang.foreign failed", t);
                }
                if (r >= 0) {
                    return r;
                }
                int n = (int) errno.get(state, 0L);
                if (n != ErrnoException.EINTR) {
                    throw new ErrnoException(name, n, strerror(n));
                }
            }
        }
    }

    @Override
    public String strerror(int n) {
        try {
            MemorySegment s = (MemorySegment) strerror.invokeExact(n);
            return s.equals(MemorySegment.NULL) ? null : s.reinterpret(256).getString(0);
        } catch (Throwable t) {
            return null;
        }
    }

    @Override
    public int open(String path, int flags) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocateFrom(path);
            return (int) call("open", s -> (int) open.invokeExact(s, p, flags, 0));
        }
    }

    @Override
    public int ioctl(int fd, long request, MemorySegment arg) throws ErrnoException {
        return (int) call("ioctl", s -> (int) ioctl.invokeExact(s, fd, request, arg));
    }

    @Override
    public int read(int fd, MemorySegment buffer) throws ErrnoException {
        return (int) call("read", s -> (long) read.invokeExact(s, fd, buffer, buffer.byteSize()));
    }

    @Override
    public int write(int fd, MemorySegment buffer) throws ErrnoException {
        return (int) call("write", s -> (long) write.invokeExact(s, fd, buffer, buffer.byteSize()));
    }

    @Override
    public int poll(int[] fds, short events, short[] revents, int timeoutMillis) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment pfds = a.allocate(POLLFD, fds.length);
            for (int i = 0; i < fds.length; i++) {
                pfds.set(JAVA_INT, i * POLLFD.byteSize(), fds[i]);
                pfds.set(JAVA_SHORT, i * POLLFD.byteSize() + 4, events);
            }
            int n;
            try {
                n = (int) call("poll", s -> (int) poll.invokeExact(s, pfds, (long) fds.length, timeoutMillis));
            } catch (ErrnoException e) {
                if (e.errno() != ErrnoException.EINTR) {
                    throw e;
                }
                n = 0;
            }
            for (int i = 0; i < fds.length; i++) {
                revents[i] = n == 0 ? 0 : pfds.get(JAVA_SHORT, i * POLLFD.byteSize() + 6);
            }
            return n;
        }
    }

    @Override
    public MemorySegment mmap(int fd, long length, int prot, int flags, long offset) throws ErrnoException {
        long at = call("mmap", s -> ((MemorySegment) mmap.invokeExact(s, MemorySegment.NULL, length, prot, flags, fd, offset))
                .address());
        return MemorySegment.ofAddress(at).reinterpret(length);
    }

    @Override
    public void munmap(MemorySegment mapping) throws ErrnoException {
        call("munmap", s -> (int) munmap.invokeExact(s, mapping, mapping.byteSize()));
    }

    @Override
    public int[] pipe(int flags) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment fds = a.allocate(JAVA_INT, 2);
            call("pipe2", s -> (int) pipe2.invokeExact(s, fds, flags));
            return new int[] {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
        }
    }

    @Override
    public int socket(int domain, int type, int protocol) throws ErrnoException {
        return (int) call("socket", s -> (int) socket.invokeExact(s, domain, type, protocol));
    }

    @Override
    public int sendTo(int fd, MemorySegment buffer, int flags, InetSocketAddress to) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment sa = sockaddr(a, to);
            return (int) call("sendto", s -> (long) sendto.invokeExact(s, fd, buffer, buffer.byteSize(), flags, sa,
                    (int) sa.byteSize()));
        }
    }

    /** struct sockaddr_in for an IPv4 address, struct sockaddr_in6 (no flow label, no scope) for an IPv6 one. */
    private static MemorySegment sockaddr(Arena a, InetSocketAddress to) {
        byte[] ip = to.getAddress().getAddress();
        MemorySegment sa = a.allocate(ip.length == 4 ? SOCKADDR_IN.byteSize() : SOCKADDR_IN6_SIZE, 4);
        sa.set(JAVA_SHORT, 0, (short) (ip.length == 4 ? AF_INET : AF_INET6));
        sa.set(NET_SHORT, 2, (short) to.getPort());
        MemorySegment.copy(ip, 0, sa, JAVA_BYTE, ip.length == 4 ? 4 : 8, ip.length);
        return sa;
    }

    @Override
    public Received recvFrom(int fd, MemorySegment buffer, int flags) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment sa = a.allocate(SOCKADDR_IN6_SIZE, 4);
            MemorySegment len = a.allocateFrom(JAVA_INT, (int) SOCKADDR_IN6_SIZE);
            long n = call("recvfrom", s -> (long) recvfrom.invokeExact(s, fd, buffer, buffer.byteSize(), flags, sa, len));
            return new Received((int) n, len.get(JAVA_INT, 0) >= 8 ? inet(sa) : null);
        }
    }

    @Override
    public void setsockopt(int fd, int level, int option, int value) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocateFrom(JAVA_INT, value);
            call("setsockopt", s -> (int) setsockopt.invokeExact(s, fd, level, option, v, 4));
        }
    }

    @Override
    public QueuedError recvError(int fd, MemorySegment buffer) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment name = a.allocate(SOCKADDR_IN6_SIZE, 4);
            MemorySegment iov = a.allocate(16, 8);
            iov.set(ADDRESS, 0, buffer);
            iov.set(JAVA_LONG, 8, buffer.byteSize());
            MemorySegment control = a.allocate(512, 8);
            MemorySegment msg = a.allocate(MSGHDR_SIZE, 8);
            msg.set(ADDRESS, 0, name);
            msg.set(JAVA_INT, 8, (int) SOCKADDR_IN6_SIZE);
            msg.set(ADDRESS, 16, iov);
            msg.set(JAVA_LONG, 24, 1L);
            msg.set(ADDRESS, 32, control);
            msg.set(JAVA_LONG, 40, control.byteSize());
            long n = call("recvmsg", s -> (long) recvmsg.invokeExact(s, fd, msg, MSG_ERRQUEUE | MSG_DONTWAIT));
            InetSocketAddress to = msg.get(JAVA_INT, 8) >= 8 ? inet(name) : null;
            long controlLength = Math.min(msg.get(JAVA_LONG, 40), control.byteSize());
            for (long at = 0; at + CMSG_DATA <= controlLength; ) {
                long len = control.get(JAVA_LONG, at);
                if (len < CMSG_DATA || at + len > controlLength) {
                    break;
                }
                int level = control.get(JAVA_INT, at + 8);
                int type = control.get(JAVA_INT, at + 12);
                if ((level == SOL_IP && type == IP_RECVERR || level == SOL_IPV6 && type == IPV6_RECVERR)
                        && len >= CMSG_DATA + SOCK_EXTENDED_ERR_SIZE) {
                    MemorySegment ee = control.asSlice(at + CMSG_DATA, len - CMSG_DATA);
                    InetSocketAddress offender = len >= CMSG_DATA + SOCK_EXTENDED_ERR_SIZE + 8
                            ? inet(ee.asSlice(SOCK_EXTENDED_ERR_SIZE)) : null;
                    return new QueuedError((int) n, ee.get(JAVA_INT, 0), ee.get(JAVA_BYTE, 4) & 0xff, ee.get(JAVA_BYTE, 5) & 0xff,
                            ee.get(JAVA_BYTE, 6) & 0xff, offender == null ? null : offender.getAddress(), to, ee.get(JAVA_INT, 8));
                }
                at += (len + 7) & ~7L;                       // CMSG_NXTHDR: aligned to size_t
            }
            return new QueuedError((int) n, 0, 0, 0, 0, null, to);
        }
    }

    /** The address and port of a struct sockaddr_in or sockaddr_in6, or null when it is of another family. */
    private static InetSocketAddress inet(MemorySegment sa) {
        int family = sa.get(JAVA_SHORT, 0);
        if (family != AF_INET && (family != AF_INET6 || sa.byteSize() < SOCKADDR_IN6_SIZE)) {
            return null;
        }
        byte[] ip = new byte[family == AF_INET ? 4 : 16];
        MemorySegment.copy(sa, JAVA_BYTE, family == AF_INET ? 4 : 8, ip, 0, ip.length);
        try {
            return new InetSocketAddress(InetAddress.getByAddress(ip), sa.get(NET_SHORT, 2) & 0xFFFF);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);   // four or sixteen bytes are always an address
        }
    }

    @Override
    public void close(int fd) {
        try {
            int r = (int) close.invokeExact(fd);
        } catch (Throwable t) {
            throw new IllegalStateException("close(2) through java.lang.foreign failed", t);
        }
    }
}
