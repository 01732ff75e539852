package org.machina.devices.firewire;

import org.machina.api.memory.AddressSpace;
import org.machina.api.memory.Translation;

/**
 * Bus-master access to guest RAM for the controller: only RAM is read or written (a range that
 * touches anything else, or runs past 4 GiB, is refused), quadlets are little-endian as the
 * controller's descriptors and packet headers are on PCI.
 */
final class GuestDma {
    private final AddressSpace memory;

    GuestDma(AddressSpace memory) {
        this.memory = memory;
    }

    /** Whether [address, address+length) is all RAM. */
    boolean isRam(long address, long length) {
        if (address < 0 || length < 0 || address + length > 0x1_0000_0000L) {
            return false;
        }
        long at = address;
        long end = address + length;
        while (at < end) {
            Translation t = memory.translate(at);
            if (t == null || !t.isRam() || t.end() <= at) {
                return false;
            }
            at = t.end();
        }
        return true;
    }

    /** Reads bytes, or returns null when the range is not RAM. */
    byte[] read(long address, int length) {
        if (!isRam(address, length)) {
            return null;
        }
        byte[] b = new byte[length];
        memory.read(address, b, 0, length);
        return b;
    }

    /** Writes bytes; false (and nothing written) when the range is not RAM. */
    boolean write(long address, byte[] data, int offset, int length) {
        if (!isRam(address, length)) {
            return false;
        }
        memory.write(address, data, offset, length);
        return true;
    }

    /** A little-endian quadlet, or null when not RAM. */
    Integer readLe(long address) {
        if (!isRam(address, 4)) {
            return null;
        }
        return (int) memory.read(address, 4);
    }

    boolean writeLe(long address, int value) {
        if (!isRam(address, 4)) {
            return false;
        }
        memory.write(address, 4, value & 0xFFFF_FFFFL);
        return true;
    }

    /** A 16-bit little-endian field. */
    boolean writeLe16(long address, int value) {
        if (!isRam(address, 2)) {
            return false;
        }
        memory.write(address, 2, value & 0xFFFF);
        return true;
    }

    static int le(byte[] b, int at) {
        return b[at] & 0xFF | (b[at + 1] & 0xFF) << 8 | (b[at + 2] & 0xFF) << 16 | (b[at + 3] & 0xFF) << 24;
    }

    static int be(byte[] b, int at) {
        return (b[at] & 0xFF) << 24 | (b[at + 1] & 0xFF) << 16 | (b[at + 2] & 0xFF) << 8 | b[at + 3] & 0xFF;
    }

    static void putLe(byte[] b, int at, int v) {
        b[at] = (byte) v;
        b[at + 1] = (byte) (v >>> 8);
        b[at + 2] = (byte) (v >>> 16);
        b[at + 3] = (byte) (v >>> 24);
    }

    static void putBe(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
    }

    static byte[] be(int v) {
        byte[] b = new byte[4];
        putBe(b, 0, v);
        return b;
    }
}
