package org.machina.board.pc;

import org.machina.api.io.IoSpace;
import org.machina.api.memory.AccessSpec;
import org.machina.api.memory.MemoryRegion;
import org.machina.api.memory.Mmio;

/**
 * PCI configuration mechanism #1 for bus 0: the address register at 0xCF8 and the data window
 * at 0xCFC-0xCFF. Functions that are not present read as all ones (vendor 0xFFFF).
 *
 * <pre>
 * 0xCF8 CONFIG_ADDRESS (dword only): bit 31 enable, 23:16 bus, 15:11 device, 10:8 function,
 *                                    7:2 register; bits 1:0 read as 0
 * 0xCFC CONFIG_DATA (byte, word, dword): config space at register + (port - 0xCFC)
 * </pre>
 */
final class PciHost {
    static final int ADDRESS_PORT = 0xCF8;
    static final int DATA_PORT = 0xCFC;
    static final int ENABLE = 0x8000_0000;
    /** Bits of CONFIG_ADDRESS that are stored: enable, bus, device, function, dword register. */
    static final int ADDRESS_MASK = 0x80FF_FFFC;

    private final PciFunction[] bus0 = new PciFunction[256];
    private int address;

    void add(PciFunction function) {
        if (bus0[function.devfn] != null) {
            throw new IllegalArgumentException("PCI slot " + (function.devfn >> 3) + "." + (function.devfn & 7)
                    + " is taken by '" + bus0[function.devfn].name + "', cannot add '" + function.name + "'");
        }
        bus0[function.devfn] = function;
    }

    PciFunction function(int devfn) {
        return bus0[devfn & 0xFF];
    }

    /** Maps the two port regions. */
    void map(IoSpace io) {
        io.map(ADDRESS_PORT, new MemoryRegion.Io("pci-config-address", 4, new Mmio() {
            @Override
            public long read(long offset, int size) {
                return offset == 0 && size == 4 ? address & 0xFFFFFFFFL : 0xFFFFFFFFL >>> (32 - 8 * size);
            }

            @Override
            public void write(long offset, int size, long value) {
                if (offset == 0 && size == 4) {
                    address = (int) value & ADDRESS_MASK;
                }
            }
        }, new AccessSpec(1, 4, 1, 4, true)));
        io.map(DATA_PORT, new MemoryRegion.Io("pci-config-data", 4, new Mmio() {
            @Override
            public long read(long offset, int size) {
                return readData((int) offset, size);
            }

            @Override
            public void write(long offset, int size, long value) {
                writeData((int) offset, size, (int) value);
            }
        }, new AccessSpec(1, 4, 1, 4, true)));
    }

    int address() {
        return address;
    }

    void setAddress(int value) {
        address = value & ADDRESS_MASK;
    }

    /** A read of CONFIG_DATA at {@code offset} (0..3) of {@code size} bytes. */
    long readData(int offset, int size) {
        PciFunction f = selected();
        if (f == null || offset + size > 4) {
            return 0xFFFFFFFFL >>> (32 - 8 * size);
        }
        return f.config.read((address & 0xFC) + offset, size) & 0xFFFFFFFFL;
    }

    void writeData(int offset, int size, int value) {
        PciFunction f = selected();
        if (f != null && offset + size <= 4) {
            f.config.write((address & 0xFC) + offset, size, value);
        }
    }

    private PciFunction selected() {
        if ((address & ENABLE) == 0 || (address >>> 16 & 0xFF) != 0) {
            return null;
        }
        return bus0[address >>> 8 & 0xFF];
    }

    void reset() {
        address = 0;
        for (PciFunction f : bus0) {
            if (f != null) {
                f.config.reset();
            }
        }
    }
}
