package org.machina.devices.firewire.host;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.machina.host.posix.ErrnoException;
import org.machina.host.posix.Libc;

/**
 * An open firewire-cdev file ({@code /dev/fwN}): one remote node of a host FireWire bus, seen
 * through the ioctls of {@code <linux/firewire-cdev.h>}. Requests go out with SEND_REQUEST and come
 * back as response events; ranges of the host controller's address space are ALLOCATEd and the
 * requests the device sends there arrive as request events, answered with SEND_RESPONSE.
 *
 * <p>{@link #open} fails with a {@link CdevException} naming the file when it is missing, not a
 * firewire-cdev node (GET_INFO: ENOTTY, as for a regular file or /dev/null), or when the kernel's
 * ABI is older than {@link CdevAbi#MIN_KERNEL_ABI}. {@link #nextEvent} is for one reader thread; the
 * other calls may come from another thread (the kernel serialises them per file).
 */
public final class CdevDevice implements AutoCloseable {
    /** Enough for any event: the largest header (48 bytes) and a 4096-byte payload, with room to spare. */
    static final int EVENT_BUFFER = 16 * 1024;
    /** Configuration ROMs are at most 1 KiB (IEEE 1212). */
    static final int ROM_BYTES = 1024;
    static final long BUS_RESET_CLOSURE = 0xB05_BE5E7L;

    /** What GET_INFO tells: the kernel's ABI version, the device's config ROM, the bus now, the card. */
    public record Info(int version, int[] rom, CdevEvent.BusReset bus, int card) {
        /** Whether the file is the host controller itself rather than a device on its bus. */
        public boolean isLocalNode() {
            return bus.nodeId() == bus.localNodeId();
        }
    }

    private final Libc libc;
    private final String path;
    private final int fd;
    private final Arena readArena = Arena.ofShared();
    private final MemorySegment eventBuffer = readArena.allocate(EVENT_BUFFER, 8);
    private volatile boolean closed;
    private volatile Info info;

    private CdevDevice(Libc libc, String path, int fd) {
        this.libc = libc;
        this.path = path;
        this.fd = fd;
    }

    /** Opens {@code path} read-write and checks it with GET_INFO; the errors name the file. */
    public static CdevDevice open(Libc libc, String path) throws CdevException {
        int fd;
        try {
            fd = libc.open(path, Libc.O_RDWR | Libc.O_CLOEXEC);
        } catch (ErrnoException e) {
            String why = switch (e.errno()) {
                case ErrnoException.ENOENT -> "no such file: is the device plugged in and firewire_ohci loaded?";
                case ErrnoException.EACCES, ErrnoException.EPERM ->
                        "permission denied: the user needs read-write access to it (udev rule or group)";
                case ErrnoException.EISDIR -> "is a directory, not a firewire-cdev device file";
                default -> e.getMessage();
            };
            throw new CdevException(path + ": " + why, e);
        }
        CdevDevice d = new CdevDevice(libc, path, fd);
        try {
            d.info = d.getInfo();
        } catch (ErrnoException e) {
            d.close();
            String why = e.errno() == ErrnoException.ENOTTY || e.errno() == ErrnoException.EINVAL
                    ? "not a firewire-cdev device (FW_CDEV_IOC_GET_INFO: " + ErrnoException.name(e.errno()) + ")"
                    : e.errno() == ErrnoException.ENODEV ? "the device is gone (ENODEV)" : "GET_INFO failed: " + e.getMessage();
            throw new CdevException(path + ": " + why, e);
        }
        if (d.info.version() < CdevAbi.MIN_KERNEL_ABI) {
            d.close();
            throw new CdevException(path + ": the kernel's firewire-cdev ABI version is " + d.info.version()
                    + ", older than " + CdevAbi.MIN_KERNEL_ABI + " (Linux 2.6.36) which fw-host needs", null);
        }
        return d;
    }

    public String path() {
        return path;
    }

    /** The GET_INFO of the open (or of the last {@link #refreshInfo}). */
    public Info info() {
        return info;
    }

    /** GET_INFO again: the config ROM as the kernel has it now and the bus after the last reset. */
    public Info refreshInfo() throws ErrnoException {
        info = getInfo();
        return info;
    }

    private Info getInfo() throws ErrnoException {
        checkOpen("ioctl");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment rom = a.allocate(ROM_BYTES, 8);
            MemorySegment reset = a.allocate(CdevAbi.EVENT_BUS_RESET_SIZE, 8);
            MemorySegment arg = copy(a, CdevAbi.encodeGetInfo(CdevAbi.ABI_VERSION, ROM_BYTES, rom.address(),
                    reset.address(), BUS_RESET_CLOSURE));
            libc.ioctl(fd, CdevAbi.IOC_GET_INFO, arg);
            CdevAbi.GetInfo gi = CdevAbi.decodeGetInfo(bytes(arg));
            int romLength = Math.min(gi.romLength(), ROM_BYTES);
            int[] q = CdevAbi.decodeRom(bytes(rom), romLength);
            CdevEvent.BusReset bus = (CdevEvent.BusReset) CdevEvent.parse(bytes(reset), CdevAbi.EVENT_BUS_RESET_SIZE);
            return new Info(gi.version(), q, bus, gi.card());
        }
    }

    /** GET_SPEED: the speed code from the host controller to the device. */
    public int speed() throws ErrnoException {
        checkOpen("ioctl");
        return libc.ioctl(fd, CdevAbi.IOC_GET_SPEED, MemorySegment.NULL);
    }

    /**
     * SEND_REQUEST: a request to the device in host bus generation {@code generation}. {@code payload}
     * is what writes and locks send; for reads it is a buffer of the length asked for (the kernel
     * copies {@code length} bytes from the pointer whatever the tcode).
     */
    public void sendRequest(int tcode, long offset, byte[] payload, int length, long closure, int generation)
            throws ErrnoException {
        checkOpen("ioctl");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment data = a.allocate(Math.max(length, 4), 8);
            MemorySegment.copy(payload, 0, data, ValueLayout.JAVA_BYTE, 0, Math.min(payload.length, length));
            libc.ioctl(fd, CdevAbi.IOC_SEND_REQUEST,
                    copy(a, CdevAbi.encodeSendRequest(tcode, length, offset, closure, data.address(), generation)));
        }
    }

    /** ALLOCATE: {@code length} bytes of the host controller's address space within [offset, regionEnd). */
    public CdevAbi.Allocation allocate(long offset, int length, long regionEnd, long closure) throws ErrnoException {
        checkOpen("ioctl");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment arg = copy(a, CdevAbi.encodeAllocate(offset, closure, length, regionEnd));
            libc.ioctl(fd, CdevAbi.IOC_ALLOCATE, arg);
            return CdevAbi.decodeAllocate(bytes(arg));
        }
    }

    /** SEND_RESPONSE to the request event with {@code handle}. */
    public void sendResponse(int rcode, byte[] payload, int handle) throws ErrnoException {
        checkOpen("ioctl");
        try (Arena a = Arena.ofConfined()) {
            int n = payload == null ? 0 : payload.length;
            MemorySegment data = a.allocate(Math.max(n, 4), 8);
            if (n > 0) {
                MemorySegment.copy(payload, 0, data, ValueLayout.JAVA_BYTE, 0, n);
            }
            libc.ioctl(fd, CdevAbi.IOC_SEND_RESPONSE,
                    copy(a, CdevAbi.encodeSendResponse(rcode, n, n == 0 ? 0 : data.address(), handle)));
        }
    }

    /** INITIATE_BUS_RESET of the host bus. */
    public void initiateBusReset(boolean shortReset) throws ErrnoException {
        checkOpen("ioctl");
        try (Arena a = Arena.ofConfined()) {
            libc.ioctl(fd, CdevAbi.IOC_INITIATE_BUS_RESET, copy(a, CdevAbi.encodeInitiateBusReset(shortReset)));
        }
    }

    /**
     * Waits up to {@code timeoutMillis} for an event and reads it: null on timeout.
     *
     * @throws ErrnoException with ENODEV when the device went away (poll's POLLHUP/POLLERR, or read's
     *         ENODEV), or another read/poll error
     */
    public CdevEvent nextEvent(int timeoutMillis) throws ErrnoException {
        checkOpen("read");
        int revents = libc.poll(fd, Libc.POLLIN, timeoutMillis);
        if ((revents & (Libc.POLLHUP | Libc.POLLERR | Libc.POLLNVAL)) != 0) {
            throw new ErrnoException("poll", ErrnoException.ENODEV);
        }
        if ((revents & Libc.POLLIN) == 0) {
            return null;
        }
        int n = libc.read(fd, eventBuffer);
        if (n == 0) {
            throw new ErrnoException("read", ErrnoException.ENODEV);
        }
        byte[] b = new byte[n];
        MemorySegment.copy(eventBuffer, ValueLayout.JAVA_BYTE, 0, b, 0, n);
        return CdevEvent.parse(b, n);
    }

    /** Closes the file (the kernel releases the allocations and pending transactions with it). Idempotent. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            libc.close(fd);
            readArena.close();
        }
    }

    /** A closed file's descriptor number may already name another file: no call reaches it. */
    private void checkOpen(String call) throws ErrnoException {
        if (closed) {
            throw new ErrnoException(call, ErrnoException.ENODEV);
        }
    }

    public boolean isClosed() {
        return closed;
    }

    private static MemorySegment copy(Arena a, byte[] struct) {
        MemorySegment s = a.allocate(struct.length, 8);
        MemorySegment.copy(struct, 0, s, ValueLayout.JAVA_BYTE, 0, struct.length);
        return s;
    }

    private static byte[] bytes(MemorySegment s) {
        return s.toArray(ValueLayout.JAVA_BYTE);
    }

    @Override
    public String toString() {
        return "firewire-cdev " + path;
    }
}
