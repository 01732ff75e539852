package org.machina.devices.usb.video.v4l2;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The C library calls V4L2 capture needs (open, ioctl, mmap, munmap, poll, close), called through
 * {@link Linker#nativeLinker()} with errno captured right after each call. Needs native access
 * (the launcher's {@code Enable-Native-Access: ALL-UNNAMED}; bundles live in unnamed modules).
 */
final class LibC {
    static final int O_RDWR = 2;
    static final int O_NONBLOCK = 0x800;
    static final int O_CLOEXEC = 0x80000;
    static final int PROT_READ = 1;
    static final int PROT_WRITE = 2;
    static final int MAP_SHARED = 1;
    static final short POLLIN = 1;
    static final short POLLERR = 8;
    static final short POLLHUP = 0x10;
    static final short POLLNVAL = 0x20;
    static final int EINTR = 4;
    static final int EAGAIN = 11;
    static final int EINVAL = 22;
    static final int ENOTTY = 25;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = STATE.varHandle(PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE = Linker.Option.captureCallState("errno");

    private static final MethodHandle OPEN = handle("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
            CAPTURE, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle IOCTL = handle("ioctl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS),
            CAPTURE, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle MMAP = handle("mmap",
            FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG), CAPTURE);
    private static final MethodHandle MUNMAP = handle("munmap", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG), CAPTURE);
    private static final MethodHandle POLL = handle("poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT), CAPTURE);
    private static final MethodHandle CLOSE = handle("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT), CAPTURE);
    private static final MethodHandle STRERROR = handle("strerror", FunctionDescriptor.of(ADDRESS, JAVA_INT));

    private LibC() {
    }

    private static MethodHandle handle(String name, FunctionDescriptor d, Linker.Option... options) {
        MemorySegment f = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("the C library has no " + name));
        return LINKER.downcallHandle(f, d, options);
    }

    /** A failed call: its errno and the C library's text for it. */
    static final class Errno extends java.io.IOException {
        final int errno;

        Errno(String call, int errno) {
            super(call + ": " + strerror(errno) + " (errno " + errno + ")");
            this.errno = errno;
        }
    }

    static String strerror(int errno) {
        try {
            MemorySegment s = (MemorySegment) STRERROR.invokeExact(errno);
            return s.equals(MemorySegment.NULL) ? "error " + errno : s.reinterpret(256).getString(0);
        } catch (Throwable t) {
            return "error " + errno;
        }
    }

    private static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    static int open(String path, int flags) throws Errno {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(STATE);
            int fd = (int) OPEN.invokeExact(state, a.allocateFrom(path), flags, 0);
            if (fd < 0) {
                throw new Errno("open", errno(state));
            }
            return fd;
        } catch (Errno e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("open(2) through FFM failed", t);
        }
    }

    /** ioctl(2), retried on EINTR; {@code name} names the request in errors. */
    static void ioctl(int fd, long request, MemorySegment arg, String name) throws Errno {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(STATE);
            while (true) {
                int r = (int) IOCTL.invokeExact(state, fd, request, arg);
                if (r >= 0) {
                    return;
                }
                int e = errno(state);
                if (e != EINTR) {
                    throw new Errno(name, e);
                }
            }
        } catch (Errno e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("ioctl(2) through FFM failed", t);
        }
    }

    /** mmap(2) of a shared read/write mapping of {@code length} bytes at {@code offset} of {@code fd}. */
    static MemorySegment mmap(int fd, long length, long offset) throws Errno {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(STATE);
            MemorySegment p = (MemorySegment) MMAP.invokeExact(state, MemorySegment.NULL, length,
                    PROT_READ | PROT_WRITE, MAP_SHARED, fd, offset);
            if (p.address() == -1L) {
                throw new Errno("mmap", errno(state));
            }
            return p.reinterpret(length);
        } catch (Errno e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("mmap(2) through FFM failed", t);
        }
    }

    static void munmap(MemorySegment mapping) {
        try (Arena a = Arena.ofConfined()) {
            int r = (int) MUNMAP.invokeExact(a.allocate(STATE), mapping, mapping.byteSize());
        } catch (Throwable t) {
            throw new IllegalStateException("munmap(2) through FFM failed", t);
        }
    }

    /** poll(2) of one descriptor for input; returns its revents (0 on timeout or EINTR). */
    static int pollIn(int fd, int timeoutMillis) throws Errno {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(STATE);
            MemorySegment pfd = a.allocate(V4l2Abi.POLLFD);
            pfd.set(JAVA_INT, 0, fd);
            pfd.set(java.lang.foreign.ValueLayout.JAVA_SHORT, 4, POLLIN);
            int r = (int) POLL.invokeExact(state, pfd, 1L, timeoutMillis);
            if (r < 0) {
                int e = errno(state);
                if (e == EINTR) {
                    return 0;
                }
                throw new Errno("poll", e);
            }
            return r == 0 ? 0 : pfd.get(java.lang.foreign.ValueLayout.JAVA_SHORT, 6) & 0xFFFF;
        } catch (Errno e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("poll(2) through FFM failed", t);
        }
    }

    static void close(int fd) {
        try (Arena a = Arena.ofConfined()) {
            int r = (int) CLOSE.invokeExact(a.allocate(STATE), fd);
        } catch (Throwable t) {
            throw new IllegalStateException("close(2) through FFM failed", t);
        }
    }
}
