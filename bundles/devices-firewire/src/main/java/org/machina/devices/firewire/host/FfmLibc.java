package org.machina.devices.firewire.host;

import static java.lang.foreign.ValueLayout.ADDRESS;
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
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * {@link Libc} through {@code java.lang.foreign}: open, ioctl, read, poll and close of the C
 * library, found with {@link Linker#nativeLinker()}'s default lookup, errno captured with
 * {@link Linker.Option#captureCallState}. open(2) and ioctl(2) are variadic in C and are bound as
 * such. Needs native access, which Machina's launcher grants to the unnamed module of the OSGi
 * bundles ({@code Enable-Native-Access: ALL-UNNAMED}; tests: {@code --enable-native-access}).
 */
public final class FfmLibc implements Libc {
    private static volatile FfmLibc instance;

    private final StructLayout capture = Linker.Option.captureStateLayout();
    private final VarHandle errno = capture.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private final MethodHandle open;
    private final MethodHandle ioctl;
    private final MethodHandle read;
    private final MethodHandle poll;
    private final MethodHandle close;

    private FfmLibc() {
        Linker linker = Linker.nativeLinker();
        SymbolLookup c = linker.defaultLookup();
        Linker.Option errnoOption = Linker.Option.captureCallState("errno");
        open = linker.downcallHandle(find(c, "open"), FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
                Linker.Option.firstVariadicArg(2), errnoOption);
        ioctl = linker.downcallHandle(find(c, "ioctl"), FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS),
                Linker.Option.firstVariadicArg(2), errnoOption);
        read = linker.downcallHandle(find(c, "read"), FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG),
                errnoOption);
        poll = linker.downcallHandle(find(c, "poll"), FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT),
                errnoOption);
        close = linker.downcallHandle(find(c, "close"), FunctionDescriptor.of(JAVA_INT, JAVA_INT));
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
                "the C library has no '" + name + "' (firewire-cdev needs Linux)"));
    }

    private int errno(MemorySegment state) {
        return (int) errno.get(state, 0L);
    }

    @Override
    public int open(String path, int flags) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(capture);
            int fd = (int) open.invokeExact(state, a.allocateFrom(path), flags, 0);
            if (fd < 0) {
                throw new ErrnoException("open", errno(state));
            }
            return fd;
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("open(2) through java.lang.foreign failed", t);
        }
    }

    @Override
    public int ioctl(int fd, long request, MemorySegment arg) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(capture);
            int r = (int) ioctl.invokeExact(state, fd, request, arg);
            if (r < 0) {
                throw new ErrnoException("ioctl", errno(state));
            }
            return r;
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("ioctl(2) through java.lang.foreign failed", t);
        }
    }

    @Override
    public int read(int fd, MemorySegment buffer) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(capture);
            long r = (long) read.invokeExact(state, fd, buffer, buffer.byteSize());
            if (r < 0) {
                throw new ErrnoException("read", errno(state));
            }
            return (int) r;
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("read(2) through java.lang.foreign failed", t);
        }
    }

    @Override
    public int poll(int fd, short events, int timeoutMillis) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(capture);
            MemorySegment pfd = a.allocate(8, 4);     // struct pollfd { int fd; short events; short revents; }
            pfd.set(JAVA_INT, 0, fd);
            pfd.set(JAVA_SHORT, 4, events);
            int r = (int) poll.invokeExact(state, pfd, 1L, timeoutMillis);
            if (r < 0) {
                throw new ErrnoException("poll", errno(state));
            }
            return r == 0 ? 0 : pfd.get(JAVA_SHORT, 6) & 0xFFFF;
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("poll(2) through java.lang.foreign failed", t);
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
