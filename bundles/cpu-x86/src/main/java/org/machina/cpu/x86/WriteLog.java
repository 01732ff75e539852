package org.machina.cpu.x86;

import org.machina.api.memory.AddressSpace;

/**
 * The RAM bytes a stretch of guest code stored to, with their values before, so the stretch can
 * be undone ({@link Lockstep}). Stores to a device or into a page holding code cannot be undone
 * (the device saw them; the code cache patched itself), nor can a read from a device be
 * repeated: those make the stretch {@link #unverifiable}.
 */
final class WriteLog {
    private final AddressSpace mem;
    long[] address = new long[256];
    byte[] before = new byte[256];
    int count;
    /** The stretch touched a device or code: it cannot be run twice. */
    boolean unverifiable;

    WriteLog(AddressSpace mem) {
        this.mem = mem;
    }

    void clear() {
        count = 0;
        unverifiable = false;
    }

    /** Records the {@code size} bytes at physical {@code phys}, about to be stored to. */
    void record(long phys, int size) {
        for (int b = 0; b < size; b++) {
            if (count == address.length) {
                address = java.util.Arrays.copyOf(address, count * 2);
                before = java.util.Arrays.copyOf(before, count * 2);
            }
            address[count] = phys + b;
            before[count++] = (byte) mem.read(phys + b, 1);
        }
    }

    /** Puts every recorded byte back, the latest store first. */
    void undo() {
        for (int i = count - 1; i >= 0; i--) mem.write(address[i], 1, before[i] & 0xffL);
    }

    byte read(long phys) {
        return (byte) mem.read(phys, 1);
    }
}
