package org.machina.board.pc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Configuration mechanism #1 through the port space, and config-space write masks. */
class PciHostTest {
    private FakeSpace io;
    private PciHost host;

    @BeforeEach
    void setUp() {
        io = new FakeSpace(0x10000);
        host = new PciHost();
        host.add(PciFunction.i440fxHostBridge());
        host.add(PciFunction.piix3IsaBridge());
        host.map(io);
    }

    private void select(int dev, int fn, int reg) {
        io.out(0xCF8, 4, 0x8000_0000 | dev << 11 | fn << 8 | reg);
    }

    private int cfg(int dev, int fn, int reg, int size) {
        select(dev, fn, reg & 0xFC);
        return io.in(0xCFC + (reg & 3), size);
    }

    @Test
    void identifiesTheChipset() {
        assertEquals(0x1237_8086, cfg(0, 0, 0, 4));
        assertEquals(0x7000_8086, cfg(1, 0, 0, 4));
        assertEquals(0x0600_0002, cfg(0, 0, 8, 4));  // class 06 00 00, revision 2
        assertEquals(0x0601_0000, cfg(1, 0, 8, 4));  // ISA bridge
        assertEquals(0x80, cfg(1, 0, 0x0E, 1));      // multi-function header
        assertEquals(0x80, cfg(1, 0, 0x60, 1));      // PIRQA routing disabled
    }

    @Test
    void emptySlotsAndOtherBusesReadAllOnes() {
        assertEquals(0xFFFF, cfg(2, 0, 0, 2));
        assertEquals(0xFFFFFFFF, cfg(0, 1, 0, 4));
        io.out(0xCF8, 4, 0x8001_0000);              // bus 1
        assertEquals(0xFFFFFFFF, io.in(0xCFC, 4));
        io.out(0xCF8, 4, 0x0000_0000);              // enable bit clear
        assertEquals(0xFFFFFFFF, io.in(0xCFC, 4));
    }

    @Test
    void addressRegisterIsDwordOnlyAndMasked() {
        io.out(0xCF8, 4, 0x8000_08FF);
        assertEquals(0x8000_08FC, io.in(0xCF8, 4));
        io.out(0xCF8, 1, 0x00);
        assertEquals(0x8000_08FC, io.in(0xCF8, 4), "byte writes do not touch CONFIG_ADDRESS");
        io.out(0xCF8, 4, 0x7F00_0000);
        assertEquals(0, io.in(0xCF8, 4), "reserved bits 30:24 read as zero");
    }

    @Test
    void byteAndWordAccessesInsideTheDataWindow() {
        assertEquals(0x8086, cfg(0, 0, 0, 2));
        assertEquals(0x1237, cfg(0, 0, 2, 2));
        assertEquals(0x12, cfg(0, 0, 3, 1));
    }

    @Test
    void readOnlyAndWritableBits() {
        select(0, 0, 0);
        io.out(0xCFC, 4, 0);
        assertEquals(0x1237_8086, cfg(0, 0, 0, 4), "ids are read-only");
        select(0, 0, 4);
        io.out(0xCFC, 2, 0xFFFF);
        assertEquals(PciConfigSpace.COMMAND_MASK, cfg(0, 0, 4, 2), "only implemented command bits stick");
        select(0, 0, 0x3C);
        io.out(0xCFC, 2, 0xFFFF);
        assertEquals(0xFF, cfg(0, 0, 0x3C, 1), "interrupt line is writable");
        assertEquals(0x00, cfg(0, 0, 0x3D, 1), "interrupt pin is read-only");
        select(0, 0, 0x58);
        io.out(0xCFD, 1, 0x33);
        assertEquals(0x33, cfg(0, 0, 0x59, 1), "chipset registers (PAM) are writable");
    }

    @Test
    void statusErrorBitsAreWriteOneToClear() {
        PciConfigSpace c = new PciConfigSpace(0x8086, 0x1234, 0, 0, 0);
        c.init16(PciConfigSpace.STATUS, 0xF980);
        c.write(PciConfigSpace.STATUS, 2, 0x8000);
        assertEquals(0x7980, c.read(PciConfigSpace.STATUS, 2));
        c.write(PciConfigSpace.STATUS, 2, 0x0080);   // not an error bit: read-only
        assertEquals(0x7980, c.read(PciConfigSpace.STATUS, 2));
        c.write(PciConfigSpace.STATUS, 2, 0xFFFF);
        assertEquals(0x0080, c.read(PciConfigSpace.STATUS, 2));
    }

    @Test
    void resetRestoresPowerOnValues() {
        select(0, 0, 0x58);
        io.out(0xCFC, 1, 0x11);
        host.reset();
        assertEquals(0, io.in(0xCF8, 4));
        assertEquals(0, cfg(0, 0, 0x58, 1));
        assertEquals(0x0006, cfg(0, 0, 4, 2));
    }

    @Test
    void slotsCannotBeTakenTwice() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> host.add(PciFunction.i440fxHostBridge()));
        assertEquals("PCI slot 0.0 is taken by 'i440fx', cannot add 'i440fx'", e.getMessage());
    }
}
