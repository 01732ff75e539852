package org.machina.devices.firewire.host;

import java.lang.foreign.MemorySegment;

/**
 * The C library calls a firewire-cdev client makes: what {@link FfmLibc} binds through
 * {@code java.lang.foreign}, and what a unit test replaces with a simulated kernel. Failing calls
 * throw {@link ErrnoException} with the errno.
 */
public interface Libc {
    /** Linux open(2) flags (x86-64 and arm64 values). */
    int O_RDWR = 2;
    int O_CLOEXEC = 0x80000;

    /** poll(2) events. */
    short POLLIN = 0x1;
    short POLLERR = 0x8;
    short POLLHUP = 0x10;
    short POLLNVAL = 0x20;

    int open(String path, int flags) throws ErrnoException;

    /** ioctl(2) with a pointer argument ({@link MemorySegment#NULL} for none); returns its non-negative result. */
    int ioctl(int fd, long request, MemorySegment arg) throws ErrnoException;

    /** read(2) into {@code buffer} (a native segment); returns the bytes read. */
    int read(int fd, MemorySegment buffer) throws ErrnoException;

    /** poll(2) of one descriptor; returns its revents (0 on timeout). */
    int poll(int fd, short events, int timeoutMillis) throws ErrnoException;

    void close(int fd);
}
