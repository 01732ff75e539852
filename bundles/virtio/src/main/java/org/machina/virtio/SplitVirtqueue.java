package org.machina.virtio;

import java.util.ArrayList;
import java.util.List;
import org.machina.api.memory.AddressSpace;

/**
 * A split virtqueue in the legacy layout (virtio 1.x, "Legacy Interfaces: A Note on Virtqueue
 * Layout"): the guest gives one page frame number; the rings follow each other in guest memory,
 * the used ring aligned to 4096 bytes. All fields are little-endian (x86 guests).
 *
 * <pre>
 * desc  = pfn * 4096             16 bytes per entry: addr u64, len u32, flags u16, next u16
 *                                flags: 1 NEXT, 2 WRITE (device writes), 4 INDIRECT
 * avail = desc + 16 * size       flags u16 (1 NO_INTERRUPT), idx u16, ring[size] u16, used_event u16
 * used  = align(avail + 6 + 2 * size, 4096)
 *                                flags u16 (1 NO_NOTIFY), idx u16, ring[size] {id u32, len u32}, avail_event u16
 * </pre>
 *
 * Guest input is never trusted: descriptor indexes, chain lengths (loops), buffer addresses and
 * the available index are checked, and a bad chain is reported as a {@link BadChainException}
 * carrying whatever writable buffers were found, so the device can still write an error status.
 */
public final class SplitVirtqueue {
    public static final int ALIGN = 4096;
    public static final int DESC_NEXT = 1;
    public static final int DESC_WRITE = 2;
    public static final int DESC_INDIRECT = 4;
    public static final int AVAIL_NO_INTERRUPT = 1;

    /** One guest buffer of a chain. */
    public record Buffer(long address, int length) {
    }

    /** A descriptor chain: device-readable buffers, then device-writable ones. */
    public record Chain(int head, List<Buffer> readable, List<Buffer> writable) {
        public long readableBytes() {
            return readable.stream().mapToLong(Buffer::length).sum();
        }

        public long writableBytes() {
            return writable.stream().mapToLong(Buffer::length).sum();
        }
    }

    /** A malformed chain; {@code partial} holds the buffers seen before the fault. */
    public static final class BadChainException extends Exception {
        private static final long serialVersionUID = 1L;
        public final transient Chain partial;

        public BadChainException(String message, Chain partial) {
            super(message);
            this.partial = partial;
        }
    }

    /** The guest broke the ring itself (not one chain): the queue cannot be used until reset. */
    public static final class BrokenRingException extends Exception {
        private static final long serialVersionUID = 1L;

        public BrokenRingException(String message) {
            super(message);
        }
    }

    private final AddressSpace memory;
    public final int size;
    long desc;
    long avail;
    long used;
    /** Next available-ring index the device will consume (free-running u16). */
    public int lastAvail;
    /** Next used-ring index the device will fill (free-running u16). */
    public int usedIdx;

    public SplitVirtqueue(AddressSpace memory, int size) {
        this.memory = memory;
        this.size = size;
    }

    /** Bytes of guest memory the rings occupy from {@code pfn * 4096}. */
    public static long footprint(int size) {
        return align(16L * size + 6 + 2L * size, ALIGN) + 6 + 8L * size;
    }

    public static long align(long v, long a) {
        return (v + a - 1) & -a;
    }

    /** Places the rings at page frame {@code pfn} and starts from index 0. */
    public void setPfn(long pfn) {
        desc = pfn * ALIGN;
        avail = desc + 16L * size;
        used = align(avail + 4 + 2L * size + 2, ALIGN);
        lastAvail = 0;
        usedIdx = 0;
    }

    /** Whether the rings fit in the address space. */
    public boolean fits() {
        return desc + footprint(size) <= memory.limit();
    }

    /** How many chains the guest has made available and the device has not consumed. */
    public int pending() throws BrokenRingException {
        int idx = (int) memory.read(avail + 2, 2) & 0xFFFF;
        int n = (idx - lastAvail) & 0xFFFF;
        if (n > size) {
            throw new BrokenRingException("available index " + idx + " is " + n + " entries ahead of the device's "
                    + lastAvail + ", more than the queue size " + size);
        }
        return n;
    }

    /** Takes the next available head (call only when {@link #pending()} is positive). */
    public int nextHead() {
        int head = (int) memory.read(avail + 4 + 2L * (lastAvail % size), 2) & 0xFFFF;
        lastAvail = (lastAvail + 1) & 0xFFFF;
        return head;
    }

    /** Walks the chain starting at {@code head}. */
    public Chain chain(int head) throws BadChainException {
        List<Buffer> readable = new ArrayList<>();
        List<Buffer> writable = new ArrayList<>();
        Chain seen = new Chain(head, readable, writable);
        if (head >= size) {
            throw new BadChainException("head descriptor " + head + " is beyond the queue size " + size, seen);
        }
        int i = head;
        for (int count = 0; ; count++) {
            if (count >= size) {
                throw new BadChainException("descriptor chain from " + head + " is longer than the queue size "
                        + size + " (a loop)", seen);
            }
            long at = desc + 16L * i;
            long addr = memory.read(at, 8);
            int len = (int) memory.read(at + 8, 4);
            int flags = (int) memory.read(at + 12, 2) & 0xFFFF;
            int next = (int) memory.read(at + 14, 2) & 0xFFFF;
            if ((flags & DESC_INDIRECT) != 0) {
                throw new BadChainException("descriptor " + i + " is indirect, a feature not offered", seen);
            }
            long length = len & 0xFFFFFFFFL;
            if (addr < 0 || addr + length > memory.limit() || addr + length < addr) {
                throw new BadChainException("descriptor " + i + " points outside guest memory: 0x"
                        + Long.toHexString(addr) + " + " + length, seen);
            }
            if ((flags & DESC_WRITE) != 0) {
                writable.add(new Buffer(addr, len));
            } else if (!writable.isEmpty()) {
                throw new BadChainException("descriptor " + i + " is device-readable after a device-writable one", seen);
            } else {
                readable.add(new Buffer(addr, len));
            }
            if ((flags & DESC_NEXT) == 0) {
                return seen;
            }
            if (next >= size) {
                throw new BadChainException("descriptor " + i + " links to " + next + ", beyond the queue size " + size, seen);
            }
            i = next;
        }
    }

    /** Returns a chain to the guest: used element {head, written}, then the new used index. */
    public void putUsed(int head, int written) {
        long elem = used + 4 + 8L * (usedIdx % size);
        memory.write(elem, 4, head & 0xFFFFFFFFL);
        memory.write(elem + 4, 4, written & 0xFFFFFFFFL);
        usedIdx = (usedIdx + 1) & 0xFFFF;
        memory.write(used + 2, 2, usedIdx);
    }

    /** Whether the guest asked not to be interrupted (VRING_AVAIL_F_NO_INTERRUPT). */
    public boolean interruptSuppressed() {
        return (memory.read(avail, 2) & AVAIL_NO_INTERRUPT) != 0;
    }

    /** Copies {@code length} bytes from the chain's readable buffers, starting {@code skip} bytes in. */
    public byte[] gather(List<Buffer> buffers, long skip, int length) {
        byte[] out = new byte[length];
        int done = 0;
        long pos = 0;
        for (Buffer b : buffers) {
            long end = pos + b.length();
            if (end > skip && done < length) {
                long from = Math.max(skip, pos) - pos;
                int n = (int) Math.min(b.length() - from, length - done);
                memory.read(b.address() + from, out, done, n);
                done += n;
            }
            pos = end;
        }
        return out;
    }

    /** Copies {@code data} into the chain's writable buffers, starting at their first byte. */
    public void scatter(List<Buffer> buffers, byte[] data, int length) {
        int done = 0;
        for (Buffer b : buffers) {
            if (done >= length) {
                break;
            }
            int n = (int) Math.min(b.length() & 0xFFFFFFFFL, length - done);
            memory.write(b.address(), data, done, n);
            done += n;
        }
    }

    /** Writes one byte at position {@code offset} of the writable buffers. */
    public void putByte(List<Buffer> buffers, long offset, int value) {
        long pos = 0;
        for (Buffer b : buffers) {
            long len = b.length() & 0xFFFFFFFFL;
            if (offset < pos + len) {
                memory.write(b.address() + (offset - pos), 1, value & 0xFF);
                return;
            }
            pos += len;
        }
    }
}
