package org.machina.board.pc.acpi;

import java.io.ByteArrayOutputStream;

/**
 * A resource template (ACPI 6.5, section 6.4): the byte list of a {@code _CRS} buffer, built
 * from the descriptors a PCI host bridge needs, ended by an End Tag with checksum 0 ("treated
 * as if the checksum operation succeeded").
 *
 * <pre>
 * IO (Decode16)       small item 0x47: info, min, max, alignment, length      (8 bytes)
 * Word Address Space  large item 0x88, length 13: type (0 memory, 1 I/O, 2 bus number),
 *                     general flags, type flags, granularity, min, max, translation, length
 * DWord Memory        large item 0x87, length 23: the same with 32-bit fields
 * End Tag             small item 0x79, checksum
 * </pre>
 *
 * General flags used: bits 2 and 3 (_MIF, _MAF: minimum and maximum fixed), bit 1 clear
 * (positive decode), bit 0 clear (the bridge produces the range for its children).
 */
public final class Resources {
    static final int WORD_ADDRESS_SPACE = 0x88;
    static final int DWORD_ADDRESS_SPACE = 0x87;
    static final int IO_PORT = 0x47;
    static final int END_TAG = 0x79;
    static final int TYPE_MEMORY = 0;
    static final int TYPE_IO = 1;
    static final int TYPE_BUS = 2;
    static final int FIXED_PRODUCER = 0x0C;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    /** {@code WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode, 0, min, max, 0, n)}. */
    public Resources busNumbers(int min, int max) {
        return word(TYPE_BUS, 0, min, max);
    }

    /** {@code WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange, 0, min, max, 0, n)}. */
    public Resources ioWindow(int min, int max) {
        return word(TYPE_IO, 3, min, max);
    }

    /** {@code IO (Decode16, port, port, 1, length)}: ports the bridge itself decodes. */
    public Resources ioPorts(int port, int length) {
        out.write(IO_PORT);
        out.write(1); // decodes 16 address bits
        le(port, 2);
        le(port, 2);
        out.write(1);
        out.write(length);
        return this;
    }

    /**
     * {@code DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, Cacheable or
     * NonCacheable, ReadWrite, 0, min, max, 0, n)}.
     */
    public Resources memoryWindow(long min, long max, boolean cacheable) {
        if (min < 0 || max > 0xFFFF_FFFFL || max < min) {
            throw new IllegalArgumentException("memory window 0x" + Long.toHexString(min) + "-0x" + Long.toHexString(max)
                    + " is not a 32-bit range");
        }
        out.write(DWORD_ADDRESS_SPACE);
        le(23, 2);
        out.write(TYPE_MEMORY);
        out.write(FIXED_PRODUCER);
        out.write((cacheable ? 1 : 0) << 1 | 1); // _MEM, _RW = read/write
        le(0, 4);
        le(min, 4);
        le(max, 4);
        le(0, 4);
        le(max - min + 1, 4);
        return this;
    }

    private Resources word(int type, int typeFlags, int min, int max) {
        if (min < 0 || max > 0xFFFF || max < min) {
            throw new IllegalArgumentException("range 0x" + Integer.toHexString(min) + "-0x" + Integer.toHexString(max)
                    + " is not a 16-bit range");
        }
        out.write(WORD_ADDRESS_SPACE);
        le(13, 2);
        out.write(type);
        out.write(FIXED_PRODUCER);
        out.write(typeFlags);
        le(0, 2);
        le(min, 2);
        le(max, 2);
        le(0, 2);
        le(max - min + 1, 2);
        return this;
    }

    private void le(long v, int bytes) {
        for (int i = 0; i < bytes; i++) {
            out.write((int) (v >>> (8 * i)));
        }
    }

    /** The descriptors followed by the End Tag. */
    public byte[] bytes() {
        byte[] d = out.toByteArray();
        byte[] b = new byte[d.length + 2];
        System.arraycopy(d, 0, b, 0, d.length);
        b[d.length] = END_TAG;
        return b;
    }
}
