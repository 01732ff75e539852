package org.machina.board.pc;

/**
 * The 256-byte configuration space of one PCI function, with a write mask per byte (bits the
 * guest may change) and a write-one-to-clear mask (status bits). Read-only bits keep the values
 * set with {@link #init8}/{@link #init16}/{@link #init32}.
 *
 * <pre>
 * 0x00 vendor id (RO)      0x02 device id (RO)
 * 0x04 command (RW mask)   0x06 status (RO, error bits RW1C)
 * 0x08 revision (RO)       0x09 class code (RO, 3 bytes)
 * 0x0C cache line (RW)     0x0D latency timer (RW)   0x0E header type (RO)   0x0F BIST (RO)
 * 0x10-0x27 BARs (writable bits = the size mask of each implemented BAR; others read 0)
 * 0x2C subsystem vendor / id (RO)   0x3C interrupt line (RW)   0x3D interrupt pin (RO)
 * 0x40-0xFF device specific (masks set by the function)
 * </pre>
 */
final class PciConfigSpace {
    static final int SIZE = 256;
    static final int VENDOR_ID = 0x00;
    static final int DEVICE_ID = 0x02;
    static final int COMMAND = 0x04;
    static final int STATUS = 0x06;
    static final int REVISION = 0x08;
    static final int CLASS_PROG = 0x09;
    static final int CACHE_LINE = 0x0C;
    static final int LATENCY = 0x0D;
    static final int HEADER_TYPE = 0x0E;
    static final int BAR0 = 0x10;
    static final int SUBSYSTEM_VENDOR = 0x2C;
    static final int SUBSYSTEM_ID = 0x2E;
    static final int INTERRUPT_LINE = 0x3C;
    static final int INTERRUPT_PIN = 0x3D;

    /** Command bits a simple function lets the guest set: I/O, memory, bus master, parity, SERR, INTx disable. */
    static final int COMMAND_MASK = 0x0547;
    static final int COMMAND_IO = 0x1;
    static final int COMMAND_MEMORY = 0x2;
    static final int COMMAND_MASTER = 0x4;
    static final int COMMAND_INTX_DISABLE = 0x400;
    /** Status bit 3: the function's INTx is asserted (read-only). */
    static final int STATUS_INTERRUPT = 0x08;
    /** Status bits cleared by writing one: parity, signalled/received aborts, SERR, detected parity. */
    static final int STATUS_W1C = 0xF900;

    private final byte[] data = new byte[SIZE];
    private final byte[] writable = new byte[SIZE];
    private final byte[] clearOnOne = new byte[SIZE];
    private byte[] defaults = new byte[SIZE];

    PciConfigSpace(int vendor, int device, int revision, int classCode, int headerType) {
        init16(VENDOR_ID, vendor);
        init16(DEVICE_ID, device);
        init8(REVISION, revision);
        init8(CLASS_PROG, classCode & 0xFF);
        init16(CLASS_PROG + 1, classCode >>> 8);
        init8(HEADER_TYPE, headerType);
        writableMask(COMMAND, 2, COMMAND_MASK);
        w1cMask(STATUS, 2, STATUS_W1C);
        writableMask(CACHE_LINE, 1, 0xFF);
        writableMask(LATENCY, 1, 0xFF);
        writableMask(INTERRUPT_LINE, 1, 0xFF);
    }

    void init8(int offset, int value) {
        data[offset] = (byte) value;
    }

    void init16(int offset, int value) {
        data[offset] = (byte) value;
        data[offset + 1] = (byte) (value >>> 8);
    }

    void init32(int offset, int value) {
        init16(offset, value);
        init16(offset + 2, value >>> 16);
    }

    /** Makes the bits of {@code mask} in the {@code size}-byte field at {@code offset} guest-writable. */
    void writableMask(int offset, int size, int mask) {
        for (int i = 0; i < size; i++) {
            writable[offset + i] = (byte) (mask >>> (8 * i));
        }
    }

    void w1cMask(int offset, int size, int mask) {
        for (int i = 0; i < size; i++) {
            clearOnOne[offset + i] = (byte) (mask >>> (8 * i));
        }
    }

    /** Reads {@code size} (1, 2 or 4) bytes at {@code offset}, little-endian; must not cross the end. */
    int read(int offset, int size) {
        int v = 0;
        for (int i = size - 1; i >= 0; i--) {
            v = v << 8 | (data[offset + i] & 0xFF);
        }
        return v;
    }

    /** Guest write: writable bits take the new value, RW1C bits written as one are cleared. */
    void write(int offset, int size, int value) {
        for (int i = 0; i < size; i++) {
            int at = offset + i;
            int b = value >>> (8 * i) & 0xFF;
            int w = writable[at];
            int old = data[at] & ~(b & clearOnOne[at]);
            data[at] = (byte) (old & ~w | b & w);
        }
    }

    /** Remembers the current contents as the power-on values restored by {@link #reset}. */
    void captureDefaults() {
        defaults = data.clone();
    }

    /** Back to the power-on values. */
    void reset() {
        System.arraycopy(defaults, 0, data, 0, SIZE);
    }

    /** A copy of the raw bytes (state saving, tests). */
    byte[] snapshot() {
        return data.clone();
    }

    /** Restores raw bytes saved with {@link #snapshot}. */
    void restore(byte[] bytes) {
        if (bytes.length != SIZE) {
            throw new IllegalArgumentException("PCI config space must be " + SIZE + " bytes, not " + bytes.length);
        }
        System.arraycopy(bytes, 0, data, 0, SIZE);
    }
}
