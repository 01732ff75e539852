package org.machina.devices.firewire.host;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The parts of Linux's {@code <linux/firewire-cdev.h>} uAPI that {@code fw-host} uses, for 64-bit
 * Linux (x86-64, arm64: {@code __u64} 8-byte aligned, little-endian): ioctl request numbers, the
 * ABI version, event types and the byte layouts of the argument structs, with encoders into and
 * decoders from little-endian byte arrays. Pointer fields ({@code __u64} user addresses) are passed
 * in by the caller, who owns the native buffers.
 *
 * <p>Built from the header's documented definitions; the values are checked by {@code CdevAbiTest}
 * and, where a C compiler and the header are installed, against the compiler's own
 * {@code sizeof}/{@code offsetof} and ioctl numbers by {@code CdevHeaderProbeTest}.
 */
public final class CdevAbi {
    private CdevAbi() {
    }

    /**
     * The ABI version this client implements (GET_INFO's {@code version} in): 4 (Linux 2.6.36) is the
     * first with {@code FW_CDEV_EVENT_REQUEST2} (the requester's node ID and the generation of an
     * incoming request) and {@code fw_cdev_allocate.region_end}; it is also the oldest kernel ABI
     * this client accepts.
     */
    public static final int ABI_VERSION = 4;
    public static final int MIN_KERNEL_ABI = 4;

    // event types (fw_cdev_event_common.type)
    public static final int EVENT_BUS_RESET = 0x00;
    public static final int EVENT_RESPONSE = 0x01;
    public static final int EVENT_REQUEST = 0x02;
    public static final int EVENT_ISO_INTERRUPT = 0x03;
    public static final int EVENT_REQUEST2 = 0x06;

    // firewire-constants.h: juju's lock tcodes (0x10 | extended tcode) and its own rcodes
    public static final int TCODE_LOCK_BASE = 0x10;
    public static final int RCODE_SEND_ERROR = 0x10;
    public static final int RCODE_CANCELLED = 0x11;
    public static final int RCODE_BUSY = 0x12;
    public static final int RCODE_GENERATION = 0x13;
    public static final int RCODE_NO_ACK = 0x14;

    public static final int LONG_RESET = 0;
    public static final int SHORT_RESET = 1;

    // asm-generic/ioctl.h: nr 8 bits, type 8 bits, size 14 bits, dir 2 bits
    static final int IOC_NONE = 0;
    static final int IOC_WRITE = 1;
    static final int IOC_READ = 2;
    static final int IOC_TYPE = '#';

    /** {@code _IOC(dir, type, nr, size)}. */
    static long ioc(int dir, int type, int nr, int size) {
        return ((long) dir << 30 | (long) size << 16 | (long) type << 8 | nr) & 0xFFFF_FFFFL;
    }

    // struct sizes (sizeof, with the tail padding to the 8-byte alignment of their __u64 fields)
    public static final int GET_INFO_SIZE = 40;
    public static final int SEND_REQUEST_SIZE = 40;
    public static final int SEND_RESPONSE_SIZE = 24;
    public static final int ALLOCATE_SIZE = 32;
    public static final int DEALLOCATE_SIZE = 4;
    public static final int INITIATE_BUS_RESET_SIZE = 4;
    public static final int EVENT_BUS_RESET_SIZE = 40;
    /** offsetof(fw_cdev_event_response, data). */
    public static final int EVENT_RESPONSE_DATA = 20;
    /** offsetof(fw_cdev_event_request, data) (ABI 1-3). */
    public static final int EVENT_REQUEST_DATA = 32;
    /** offsetof(fw_cdev_event_request2, data). */
    public static final int EVENT_REQUEST2_DATA = 48;

    public static final long IOC_GET_INFO = ioc(IOC_READ | IOC_WRITE, IOC_TYPE, 0x00, GET_INFO_SIZE);
    public static final long IOC_SEND_REQUEST = ioc(IOC_WRITE, IOC_TYPE, 0x01, SEND_REQUEST_SIZE);
    public static final long IOC_ALLOCATE = ioc(IOC_READ | IOC_WRITE, IOC_TYPE, 0x02, ALLOCATE_SIZE);
    public static final long IOC_DEALLOCATE = ioc(IOC_WRITE, IOC_TYPE, 0x03, DEALLOCATE_SIZE);
    public static final long IOC_SEND_RESPONSE = ioc(IOC_WRITE, IOC_TYPE, 0x04, SEND_RESPONSE_SIZE);
    public static final long IOC_INITIATE_BUS_RESET = ioc(IOC_WRITE, IOC_TYPE, 0x05, INITIATE_BUS_RESET_SIZE);
    /** {@code _IO('#', 0x11)}: the ioctl's return value is the speed code to the device. */
    public static final long IOC_GET_SPEED = ioc(IOC_NONE, IOC_TYPE, 0x11, 0);

    static ByteBuffer le(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** struct fw_cdev_get_info as the client fills it in. */
    public static byte[] encodeGetInfo(int version, int romLength, long romAddress, long busResetAddress,
            long busResetClosure) {
        byte[] b = new byte[GET_INFO_SIZE];
        le(b).putInt(0, version).putInt(4, romLength).putLong(8, romAddress).putLong(16, busResetAddress)
                .putLong(24, busResetClosure);
        return b;
    }

    /** What the kernel wrote back into fw_cdev_get_info. */
    public record GetInfo(int version, int romLength, int card) {
    }

    public static GetInfo decodeGetInfo(byte[] b) {
        ByteBuffer bb = le(b);
        return new GetInfo(bb.getInt(0), bb.getInt(4), bb.getInt(32));
    }

    /** struct fw_cdev_send_request. */
    public static byte[] encodeSendRequest(int tcode, int length, long offset, long closure, long dataAddress,
            int generation) {
        byte[] b = new byte[SEND_REQUEST_SIZE];
        le(b).putInt(0, tcode).putInt(4, length).putLong(8, offset).putLong(16, closure).putLong(24, dataAddress)
                .putInt(32, generation);
        return b;
    }

    /** struct fw_cdev_send_response. */
    public static byte[] encodeSendResponse(int rcode, int length, long dataAddress, int handle) {
        byte[] b = new byte[SEND_RESPONSE_SIZE];
        le(b).putInt(0, rcode).putInt(4, length).putLong(8, dataAddress).putInt(16, handle);
        return b;
    }

    /** struct fw_cdev_allocate (in: offset, closure, length, region_end). */
    public static byte[] encodeAllocate(long offset, long closure, int length, long regionEnd) {
        byte[] b = new byte[ALLOCATE_SIZE];
        le(b).putLong(0, offset).putLong(8, closure).putInt(16, length).putLong(24, regionEnd);
        return b;
    }

    /** What the kernel wrote back into fw_cdev_allocate: where the range went and its handle. */
    public record Allocation(long offset, int length, int handle) {
    }

    public static Allocation decodeAllocate(byte[] b) {
        ByteBuffer bb = le(b);
        return new Allocation(bb.getLong(0), bb.getInt(16), bb.getInt(20));
    }

    /** struct fw_cdev_deallocate. */
    public static byte[] encodeDeallocate(int handle) {
        byte[] b = new byte[DEALLOCATE_SIZE];
        le(b).putInt(0, handle);
        return b;
    }

    /** struct fw_cdev_initiate_bus_reset. */
    public static byte[] encodeInitiateBusReset(boolean shortReset) {
        byte[] b = new byte[INITIATE_BUS_RESET_SIZE];
        le(b).putInt(0, shortReset ? SHORT_RESET : LONG_RESET);
        return b;
    }

    /**
     * The configuration ROM GET_INFO copied out: little-endian host words holding the big-endian bus
     * quadlets the kernel stores in CPU order, i.e. each {@code __u32} as read on the host.
     */
    public static int[] decodeRom(byte[] b, int length) {
        int n = Math.min(length, b.length) / 4;
        int[] rom = new int[n];
        ByteBuffer bb = le(b);
        for (int i = 0; i < n; i++) {
            rom[i] = bb.getInt(4 * i);
        }
        return rom;
    }
}
