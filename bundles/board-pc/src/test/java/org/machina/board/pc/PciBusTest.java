package org.machina.board.pc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.machina.api.bus.pci.PciBar;
import org.machina.api.bus.pci.PciEndpoint;
import org.machina.api.bus.pci.PciHeader;
import org.machina.api.bus.pci.PciSlot;
import org.machina.api.irq.IrqLine;
import org.machina.api.memory.AccessSpec;
import org.machina.api.memory.MemoryRegion;
import org.machina.api.memory.Mmio;

/** Functions from device bundles on the board's PCI bus: BAR sizing and decoding, INTx routing, firmware set-up. */
class PciBusTest {
    private FakeSpace io;
    private FakeSpace memory;
    private PciHost host;
    private final boolean[] isa = new boolean[16];
    private final List<String> isaEvents = new ArrayList<>();

    private final MemoryRegion.Io ioRegs = new MemoryRegion.Io("dev-io", 0x40, new Mmio() {
        @Override
        public long read(long offset, int size) {
            return 0x1234_0000L + offset;
        }

        @Override
        public void write(long offset, int size, long value) {
        }
    }, AccessSpec.ANY);
    private final MemoryRegion.Io memRegs = new MemoryRegion.Io("dev-mem", 0x1000, ioRegs.ops(), AccessSpec.ANY);

    private final PciEndpoint endpoint = new PciEndpoint() {
        @Override
        public PciHeader header() {
            return new PciHeader(0x1AF4, 0x1001, 0, 0x010000, 0x1AF4, 0x0002, 1);
        }

        @Override
        public List<PciBar> bars() {
            return List.of(new PciBar(0, true, ioRegs), new PciBar(1, false, memRegs));
        }
    };

    @BeforeEach
    void setUp() {
        io = new FakeSpace(0x10000);
        memory = new FakeSpace(1L << 32);
        host = new PciHost();
        host.add(PciFunction.i440fxHostBridge());
        host.add(PciFunction.piix3IsaBridge());
        host.map(io);
        host.connect(memory, n -> new IrqLine() {
            @Override
            public void set(boolean level) {
                isa[n] = level;
                isaEvents.add(n + "=" + level);
            }

            @Override
            public boolean level() {
                return isa[n];
            }
        });
    }

    private void select(int dev, int reg) {
        io.out(0xCF8, 4, 0x8000_0000 | dev << 11 | reg);
    }

    private int cfg(int dev, int reg, int size) {
        select(dev, reg & 0xFC);
        return io.in(0xCFC + (reg & 3), size);
    }

    private void setCfg(int dev, int reg, int size, int value) {
        select(dev, reg & 0xFC);
        io.out(0xCFC + (reg & 3), size, value);
    }

    @Test
    void pluggedFunctionShowsItsHeaderAndSizableBars() {
        PciSlot slot = host.plug("vblk", endpoint, -1);
        assertEquals(2 << 3, slot.devfn(), "first free slot after the chipset");
        assertEquals(0x1001_1AF4, cfg(2, 0, 4));
        assertEquals(0x0100_0000, cfg(2, 8, 4));
        assertEquals(0x0002_1AF4, cfg(2, 0x2C, 4));
        assertEquals(1, cfg(2, 0x3D, 1));
        assertEquals(0x1, cfg(2, 0x10, 4), "I/O BAR, unassigned");
        setCfg(2, 0x10, 4, 0xFFFFFFFF);
        assertEquals(0xFFFFFFC1, cfg(2, 0x10, 4), "64 bytes of I/O");
        setCfg(2, 0x14, 4, 0xFFFFFFFF);
        assertEquals(0xFFFFF000, cfg(2, 0x14, 4), "4 KiB of memory");
        assertEquals(0, cfg(2, 0x18, 4), "no BAR 2");
        assertEquals(0, cfg(2, 0x40, 4), "device-specific registers default to 0");
    }

    @Test
    void barsAreDecodedOnlyWhileEnabled() {
        host.plug("vblk", endpoint, 3);
        setCfg(3, 0x10, 4, 0xC100);
        setCfg(3, 0x14, 4, 0xE010_0000);
        assertEquals(0xFFFFFFFF, io.in(0xC100, 4), "decoding off");
        setCfg(3, 4, 2, 0x3);
        assertEquals(0x1234_0004, io.in(0xC104, 4));
        assertEquals(0x1234_0008L, memory.read(0xE010_0008L, 4));
        setCfg(3, 0x10, 4, 0xD000);
        assertEquals(0xFFFFFFFF, io.in(0xC104, 4), "moved away");
        assertEquals(0x1234_0010, io.in(0xD010, 4));
        setCfg(3, 4, 2, 0x2);
        assertEquals(0xFFFFFFFF, io.in(0xD010, 4), "I/O decoding off again");
        assertEquals(1, memory.mappings.stream().filter(m -> m.region() == memRegs).count());
    }

    @Test
    void barOverAnotherDeviceIsLoggedAndNotDecoded() {
        host.plug("vblk", endpoint, 3);
        setCfg(3, 0x10, 4, 0xCF8);
        setCfg(3, 4, 2, 0x1);
        assertEquals(0x8000_1804, io.in(0xCF8, 4), "the config address register still answers");
    }

    @Test
    void intxIsRoutedThroughThePirqRegistersAndIntxDisable() {
        PciSlot slot = host.plug("vblk", endpoint, 2);   // slot 2, INTA -> PIRQB
        slot.intx().raise();
        assertFalse(isa[11], "routing disabled at reset");
        assertEquals(0x08, cfg(2, 6, 2) & 0x08, "status shows the interrupt");
        setCfg(1, 0x61, 1, 11);
        assertTrue(isa[11]);
        setCfg(2, 4, 2, 0x400);
        assertFalse(isa[11], "INTx disable");
        setCfg(2, 4, 2, 0);
        assertTrue(isa[11]);
        setCfg(1, 0x61, 1, 5);
        assertFalse(isa[11]);
        assertTrue(isa[5], "re-routed");
        setCfg(1, 0x61, 1, 13);
        assertFalse(isa[5], "IRQ 13 is reserved");
        setCfg(1, 0x61, 1, 5);
        slot.intx().lower();
        assertFalse(isa[5]);
        assertEquals(0, cfg(2, 6, 2) & 0x08);
    }

    @Test
    void firmwareAssignsBarsLinesAndRoutes() {
        PciSlot slot = host.plug("vblk", endpoint, 2);
        int elcr = host.assignResources();
        assertEquals(1 << 10 | 1 << 11, elcr);
        assertEquals(0xC001, cfg(2, 0x10, 4));
        assertEquals((int) PcMemoryMap.PCI_HOLE_START, cfg(2, 0x14, 4));
        assertEquals(10, cfg(2, 0x3C, 1), "slot 2 INTA -> PIRQB -> IRQ 10");
        assertEquals(0x3, cfg(2, 4, 2) & 0x3);
        assertEquals(0x1234_0000, io.in(0xC000, 4));
        slot.intx().raise();
        assertTrue(isa[10]);
        byte[] saved = slot.saveConfig();
        host.reset();
        assertFalse(isa[10], "routes are disabled again at reset");
        assertEquals(0xFFFFFFFF, io.in(0xC000, 4), "BARs cleared at reset");
        slot.loadConfig(saved);
        assertArrayEquals(saved, slot.saveConfig());
        assertEquals(0x1234_0000, io.in(0xC000, 4), "decoded again after a state load");
    }

    @Test
    void unplugFreesTheSlotAndTheBars() {
        PciSlot slot = host.plug("vblk", endpoint, 2);
        host.assignResources();
        slot.intx().raise();
        slot.unplug();
        assertFalse(isa[10]);
        assertEquals(0xFFFF, cfg(2, 0, 2));
        assertEquals(0xFFFFFFFF, io.in(0xC000, 4));
        host.plug("again", endpoint, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> host.plug("x", endpoint, 2));
        assertEquals("PCI slot 2.0 is taken by 'again', cannot add 'x'", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> host.plug("x", endpoint, 32));
    }

    @Test
    void aFunctionOtherThanZeroGoesNextToAnExistingFunctionZero() {
        PciSlot slot = host.plug("ide", endpoint, 1, 1);      // the PIIX3 IDE next to the ISA bridge at 00:01.0
        assertEquals(1 << 3 | 1, slot.devfn());
        host.setAddress(PciHost.ENABLE | 1 << 11 | 1 << 8);
        assertEquals(0x1AF4, host.readData(0, 2), "00:01.1 answers configuration reads");
        assertEquals(0x7000, cfg(1, 2, 2), "the ISA bridge is still function 0");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> host.plug("x", endpoint, 5, 1));
        assertTrue(e.getMessage().contains("needs function 0 of its device"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> host.plug("x", endpoint, 1, 8));
        assertThrows(IllegalArgumentException.class, () -> host.plug("x", endpoint, 1, 1), "taken");
    }
}
