package org.machina.devices.firewire.host;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;
import org.machina.host.posix.ErrnoException;
import org.machina.host.posix.Libc;

/**
 * A simulated Linux firewire-cdev driver behind {@link Libc}, for unit tests: one device file at
 * {@link #path} answering the ioctls from the bytes of their structs (decoded here independently of
 * {@link CdevAbi}'s encoders, at the header's offsets) and the memory their pointers name, and an
 * event queue that read(2) hands out one event at a time (the queue and the hang-up may be set from
 * another thread than the reader's). It records every call.
 */
public final class FakeCdevKernel implements Libc {
    public static final int FD = 7;

    public String path = "/dev/fw1";
    public int abiVersion = 5;
    public int[] rom;
    public int card = 0;
    public int nodeId = 0xFFC1;
    public int localNodeId = 0xFFC0;
    public volatile int generation = 3;
    public int speed = 2;
    /** errno for the next SEND_REQUEST (0: succeed). */
    public int sendRequestErrno;
    /** errno for ALLOCATEs (0: succeed). */
    public int allocateErrno;
    /** The device went away: poll reports POLLHUP, ioctls fail with ENODEV. */
    public volatile boolean hungUp;
    public volatile boolean closed;
    public final ConcurrentLinkedDeque<byte[]> events = new ConcurrentLinkedDeque<>();

    /** A SEND_REQUEST as the kernel saw it: the struct's fields and the bytes at its data pointer. */
    public record SentRequest(int tcode, int length, long offset, long closure, int generation, byte[] data) {
    }

    public record SentResponse(int rcode, int length, int handle, byte[] data) {
    }

    public record Allocated(long offset, long closure, int length, long regionEnd, int handle) {
    }

    public final List<SentRequest> requests = new ArrayList<>();
    public final List<SentResponse> responses = new ArrayList<>();
    public final List<Allocated> allocations = new ArrayList<>();
    public final List<Integer> busResets = new ArrayList<>();
    public int getInfoCalls;

    public FakeCdevKernel(int[] rom) {
        this.rom = rom;
    }

    private static ByteBuffer le(MemorySegment s) {
        return s.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    private static MemorySegment at(long address, long size) {
        return MemorySegment.ofAddress(address).reinterpret(size);
    }

    @Override
    public int open(String p, int flags) throws ErrnoException {
        if (!p.equals(path)) {
            throw new ErrnoException("open", ErrnoException.ENOENT);
        }
        if ((flags & O_RDWR) == 0) {
            throw new ErrnoException("open", ErrnoException.EACCES);
        }
        return FD;
    }

    @Override
    public int ioctl(int fd, long request, MemorySegment arg) throws ErrnoException {
        if (fd != FD || closed) {
            throw new ErrnoException("ioctl", 9 /* EBADF */);
        }
        if (hungUp) {
            throw new ErrnoException("ioctl", ErrnoException.ENODEV);
        }
        if (request == 0xC0282300L) {              // GET_INFO
            getInfoCalls++;
            ByteBuffer b = le(arg.reinterpret(40));
            int romLength = b.getInt(4);
            long romPtr = b.getLong(8);
            long resetPtr = b.getLong(16);
            long closure = b.getLong(24);
            if (romPtr != 0) {
                ByteBuffer r = le(at(romPtr, romLength));
                for (int i = 0; i < rom.length && 4 * i + 4 <= romLength; i++) {
                    r.putInt(4 * i, rom[i]);       // the kernel's ROM copy: quadlets in CPU order
                }
            }
            if (resetPtr != 0) {
                at(resetPtr, 40).copyFrom(MemorySegment.ofArray(busResetEvent(closure, nodeId, localNodeId, generation)));
            }
            b.putInt(0, abiVersion).putInt(4, 4 * rom.length).putInt(32, card);
            return 0;
        }
        if (request == 0x2311L) {                  // GET_SPEED
            return speed;
        }
        if (request == 0x40282301L) {              // SEND_REQUEST
            ByteBuffer b = le(arg.reinterpret(40));
            int length = b.getInt(4);
            byte[] data = at(b.getLong(24), length).toArray(ValueLayout.JAVA_BYTE);
            if (sendRequestErrno != 0) {
                int e = sendRequestErrno;
                sendRequestErrno = 0;
                throw new ErrnoException("ioctl", e);
            }
            requests.add(new SentRequest(b.getInt(0), length, b.getLong(8), b.getLong(16), b.getInt(32), data));
            return 0;
        }
        if (request == 0xC0202302L) {              // ALLOCATE
            ByteBuffer b = le(arg.reinterpret(32));
            if (allocateErrno != 0) {
                throw new ErrnoException("ioctl", allocateErrno);
            }
            int handle = 100 + allocations.size();
            allocations.add(new Allocated(b.getLong(0), b.getLong(8), b.getInt(16), b.getLong(24), handle));
            b.putInt(20, handle);
            return 0;
        }
        if (request == 0x40182304L) {              // SEND_RESPONSE
            ByteBuffer b = le(arg.reinterpret(24));
            int length = b.getInt(4);
            long ptr = b.getLong(8);
            byte[] data = length == 0 ? new byte[0] : at(ptr, length).toArray(ValueLayout.JAVA_BYTE);
            responses.add(new SentResponse(b.getInt(0), length, b.getInt(16), data));
            return 0;
        }
        if (request == 0x40042305L) {              // INITIATE_BUS_RESET
            busResets.add(le(arg.reinterpret(4)).getInt(0));
            return 0;
        }
        throw new ErrnoException("ioctl", ErrnoException.ENOTTY);
    }

    @Override
    public int read(int fd, MemorySegment buffer) throws ErrnoException {
        if (hungUp) {
            throw new ErrnoException("read", ErrnoException.ENODEV);
        }
        byte[] e = events.poll();
        if (e == null) {
            throw new ErrnoException("read", ErrnoException.EAGAIN);
        }
        int n = (int) Math.min(e.length, buffer.byteSize());
        MemorySegment.copy(e, 0, buffer, ValueLayout.JAVA_BYTE, 0, n);
        return n;
    }

    @Override
    public int poll(int fd, short ev, int timeoutMillis) {
        if (hungUp) {
            return POLLHUP | POLLERR;
        }
        return events.isEmpty() ? 0 : POLLIN;
    }

    @Override
    public void close(int fd) {
        closed = true;
    }

    // ---- event bytes as read(2) returns them (64-bit layouts of <linux/firewire-cdev.h>) ----

    public static byte[] busResetEvent(long closure, int nodeId, int localNodeId, int generation) {
        byte[] b = new byte[40];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, closure).putInt(8, 0x00).putInt(12, nodeId)
                .putInt(16, localNodeId).putInt(20, 0xFFFF).putInt(24, localNodeId).putInt(28, localNodeId)
                .putInt(32, generation);
        return b;
    }

    /** fw_cdev_event_response: read returns sizeof (24) + length bytes, the data at offset 20. */
    public static byte[] responseEvent(long closure, int rcode, byte[] data) {
        byte[] b = new byte[24 + data.length];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, closure).putInt(8, 0x01).putInt(12, rcode)
                .putInt(16, data.length);
        System.arraycopy(data, 0, b, 20, data.length);
        return b;
    }

    public static byte[] request2Event(long closure, int tcode, long offset, int source, int destination, int card,
            int generation, int handle, int length, byte[] data) {
        byte[] b = new byte[48 + data.length];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, closure).putInt(8, 0x06).putInt(12, tcode)
                .putLong(16, offset).putInt(24, source).putInt(28, destination).putInt(32, card)
                .putInt(36, generation).putInt(40, handle).putInt(44, length);
        System.arraycopy(data, 0, b, 48, data.length);
        return b;
    }
}
