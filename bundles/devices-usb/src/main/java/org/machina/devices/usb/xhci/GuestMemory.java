package org.machina.devices.usb.xhci;

import org.machina.api.memory.AddressSpace;
import org.machina.api.memory.Translation;

/** DMA for the controller: little-endian reads and writes that refuse addresses outside guest RAM. */
final class GuestMemory {
    /** A structure the guest pointed at is not in RAM (or not aligned). */
    static final class BadPointerException extends Exception {
        private static final long serialVersionUID = 1L;

        BadPointerException(String what, long address, int length) {
            super(what + " at 0x" + Long.toHexString(address) + " (" + length + " bytes) is not in guest RAM");
        }
    }

    private final AddressSpace memory;

    GuestMemory(AddressSpace memory) {
        this.memory = memory;
    }

    /** Whether [address, address+length) is RAM. */
    boolean isRam(long address, int length) {
        if (address < 0 || length < 0 || address + length > memory.limit() || address + length < address) {
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

    void check(String what, long address, int length) throws BadPointerException {
        if (!isRam(address, length)) {
            throw new BadPointerException(what, address, length);
        }
    }

    Trb trb(long address) throws BadPointerException {
        check("TRB", address, 16);
        return new Trb(address, memory.read(address, 8), (int) memory.read(address + 8, 4),
                (int) memory.read(address + 12, 4));
    }

    int dword(long address) {
        return (int) memory.read(address, 4);
    }

    long qword(long address) {
        return memory.read(address, 8);
    }

    void putDword(long address, int value) {
        memory.write(address, 4, value & 0xFFFFFFFFL);
    }

    void putQword(long address, long value) {
        memory.write(address, 8, value);
    }

    void read(long address, byte[] b, int offset, int length) {
        memory.read(address, b, offset, length);
    }

    void write(long address, byte[] b, int offset, int length) {
        memory.write(address, b, offset, length);
    }
}
