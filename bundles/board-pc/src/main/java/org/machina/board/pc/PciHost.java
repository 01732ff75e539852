package org.machina.board.pc;

import java.util.function.IntFunction;
import org.machina.api.bus.pci.PciBar;
import org.machina.api.bus.pci.PciBus;
import org.machina.api.bus.pci.PciEndpoint;
import org.machina.api.bus.pci.PciSlot;
import org.machina.api.io.IoSpace;
import org.machina.api.irq.IrqLine;
import org.machina.api.memory.AccessSpec;
import org.machina.api.memory.AddressSpace;
import org.machina.api.memory.MemoryRegion;
import org.machina.api.memory.Mmio;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PCI configuration mechanism #1 for bus 0: the address register at 0xCF8 and the data window
 * at 0xCFC-0xCFF. Functions that are not present read as all ones (vendor 0xFFFF).
 *
 * <pre>
 * 0xCF8 CONFIG_ADDRESS (dword only): bit 31 enable, 23:16 bus, 15:11 device, 10:8 function,
 *                                    7:2 register; bits 1:0 read as 0
 * 0xCFC CONFIG_DATA (byte, word, dword): config space at register + (port - 0xCFC)
 * </pre>
 *
 * <p>It is also the board's {@link PciBus}: functions from device bundles plug in, their BARs are
 * mapped into the port or memory space while the command register enables decoding, and their
 * INTx pins are routed like the PIIX3 does: device {@code d}, pin {@code p} (1 = INTA) drives
 * PIRQ {@code (d - 1 + p - 1) mod 4}, and PIRQ {@code n} reaches ISA IRQ {@code r & 0xF} when
 * the ISA bridge's route register {@code 0x60 + n} holds {@code r} with bit 7 (disable) clear.
 * Levels of functions sharing a PIRQ, and of PIRQs sharing an IRQ, are ORed.
 */
final class PciHost implements PciBus {
    private static final Logger LOG = LoggerFactory.getLogger(PciHost.class);
    /** Config register of the ISA bridge holding the PIRQA route (PIRQB-D follow). */
    static final int PIRQ_ROUTE = 0x60;
    static final int ISA_BRIDGE_DEVFN = 0x08;
    /** ISA IRQs a PIIX3 PIRQ may be routed to (0-2, 8 and 13 are reserved). */
    static final int ROUTABLE_IRQS = 0b1101_1110_1111_1000;

    static final int ADDRESS_PORT = 0xCF8;
    static final int DATA_PORT = 0xCFC;
    static final int ENABLE = 0x8000_0000;
    /** Bits of CONFIG_ADDRESS that are stored: enable, bus, device, function, dword register. */
    static final int ADDRESS_MASK = 0x80FF_FFFC;

    private final PciFunction[] bus0 = new PciFunction[256];
    private int address;
    private IoSpace io;
    private AddressSpace memory;
    private IntFunction<IrqLine> isaIrq = n -> IrqLine.NONE;
    /** ISA IRQ levels last driven (bit per IRQ). */
    private int driven;

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

    /** Connects BAR decoding and interrupt routing to the machine. */
    void connect(AddressSpace memorySpace, IntFunction<IrqLine> isaIrqs) {
        this.memory = memorySpace;
        this.isaIrq = isaIrqs;
    }

    /** Maps the two port regions. */
    void map(IoSpace io) {
        this.io = io;
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
        int reg = (address & 0xFC) + offset;
        if (f.endpoint != null && reg >= 0x40) {
            return f.endpoint.configRead(reg, size) & 0xFFFFFFFFL >>> (32 - 8 * size);
        }
        return f.config.read(reg, size) & 0xFFFFFFFFL;
    }

    void writeData(int offset, int size, int value) {
        PciFunction f = selected();
        if (f != null && offset + size <= 4) {
            int reg = (address & 0xFC) + offset;
            if (f.endpoint != null && reg >= 0x40) {
                f.endpoint.configWrite(reg, size, value);
                return;
            }
            f.config.write(reg, size, value);
            afterWrite(f, reg, size);
        }
    }

    /** Side effects of a config write: BAR decoding, INTx disable, PIRQ routing. */
    private void afterWrite(PciFunction f, int reg, int size) {
        int end = reg + size;
        if (f.endpoint != null) {
            if (reg < PciConfigSpace.BAR0 + 24 && end > PciConfigSpace.COMMAND) {
                remap(f);
            }
            if (reg <= PciConfigSpace.COMMAND + 1 && end > PciConfigSpace.COMMAND + 1) {
                updateIrqs();
            }
        } else if (f.devfn == ISA_BRIDGE_DEVFN && reg < PIRQ_ROUTE + 4 && end > PIRQ_ROUTE) {
            updateIrqs();
        }
    }

    // ---- PciBus ----

    @Override
    public PciSlot plug(String name, PciEndpoint endpoint, int slot) {
        int device = slot;
        if (device == -1) {
            for (int d = 0; d < 32 && device == -1; d++) {
                if (bus0[d << 3] == null) {
                    device = d;
                }
            }
            if (device == -1) {
                throw new IllegalArgumentException("no free PCI slot for '" + name + "'");
            }
        } else if (device < 0 || device > 31) {
            throw new IllegalArgumentException("PCI slot of '" + name + "' must be 0..31 (or -1 for any), not " + slot);
        }
        return plug(name, endpoint, device, 0);
    }

    @Override
    public PciSlot plug(String name, PciEndpoint endpoint, int slot, int function) {
        if (slot < 0 || slot > 31 || function < 0 || function > 7) {
            throw new IllegalArgumentException("PCI slot of '" + name + "' must be 0..31 and function 0..7, not " + slot
                    + "." + function);
        }
        if (function != 0 && bus0[slot << 3] == null) {
            throw new IllegalArgumentException("PCI function " + slotName(slot << 3 | function) + " of '" + name
                    + "' needs function 0 of its device, which is empty");
        }
        PciFunction f = PciFunction.plugged(name, slot, function, endpoint);
        add(f);
        return new Slot(f);
    }

    /** The device bundle's handle on its function. */
    private final class Slot implements PciSlot {
        private final PciFunction f;
        private boolean plugged = true;
        private final IrqLine intx = new IrqLine() {
            @Override
            public void set(boolean level) {
                if (f.intx != level) {
                    f.intx = level;
                    int status = f.config.read(PciConfigSpace.STATUS, 2);
                    f.config.init16(PciConfigSpace.STATUS, level ? status | PciConfigSpace.STATUS_INTERRUPT
                            : status & ~PciConfigSpace.STATUS_INTERRUPT);
                    updateIrqs();
                }
            }

            @Override
            public boolean level() {
                return f.intx;
            }
        };

        Slot(PciFunction f) {
            this.f = f;
        }

        @Override
        public int devfn() {
            return f.devfn;
        }

        @Override
        public IrqLine intx() {
            return intx;
        }

        @Override
        public boolean busMaster() {
            return (f.config.read(PciConfigSpace.COMMAND, 2) & PciConfigSpace.COMMAND_MASTER) != 0;
        }

        @Override
        public byte[] saveConfig() {
            return f.config.snapshot();
        }

        @Override
        public void loadConfig(byte[] config) {
            f.config.restore(config);
            remap(f);
            updateIrqs();
        }

        @Override
        public void unplug() {
            if (plugged) {
                plugged = false;
                f.intx = false;
                for (int i = 0; i < 6; i++) {
                    unmapBar(f, i);
                }
                bus0[f.devfn] = null;
                updateIrqs();
            }
        }
    }

    // ---- BARs ----

    /** Maps each BAR of {@code f} where its register points while decoding is enabled; unmaps the others. */
    void remap(PciFunction f) {
        int command = f.config.read(PciConfigSpace.COMMAND, 2);
        for (int i = 0; i < 6; i++) {
            PciBar bar = f.bars[i];
            if (bar == null) {
                continue;
            }
            long value = f.config.read(PciConfigSpace.BAR0 + 4 * i, 4) & 0xFFFFFFFFL;
            long size = bar.region().size();
            long base = value & (bar.io() ? ~0x3L : ~0xFL);
            AddressSpace space = bar.io() ? io : memory;
            boolean enabled = space != null && base != 0 && base + size <= space.limit()
                    && (command & (bar.io() ? PciConfigSpace.COMMAND_IO : PciConfigSpace.COMMAND_MEMORY)) != 0;
            if (f.mapped[i] != null && enabled && f.mapped[i].base() == base) {
                continue;
            }
            unmapBar(f, i);
            if (enabled) {
                try {
                    f.mapped[i] = space.map(base, bar.region());
                } catch (RuntimeException e) {
                    LOG.warn("PCI {} '{}': BAR {} at 0x{} is not decoded: {}", slotName(f.devfn), f.name, i,
                            Long.toHexString(base), e.getMessage());
                }
            }
        }
    }

    private static void unmapBar(PciFunction f, int i) {
        if (f.mapped[i] != null) {
            f.mapped[i].unmap();
            f.mapped[i] = null;
        }
    }

    // ---- INTx routing ----

    /** The PIRQ (0-3 for A-D) that pin {@code pin} (1-4) of device {@code device} drives. */
    static int pirq(int device, int pin) {
        return (device - 1 + pin - 1) & 3;
    }

    /** The ISA IRQ PIRQ {@code n} is routed to, or -1 when routing is disabled or reserved. */
    int pirqIrq(int n) {
        PciFunction isa = bus0[ISA_BRIDGE_DEVFN];
        if (isa == null) {
            return -1;
        }
        int route = isa.config.read(PIRQ_ROUTE + n, 1);
        int irq = route & 0xF;
        return (route & 0x80) == 0 && (ROUTABLE_IRQS >> irq & 1) != 0 ? irq : -1;
    }

    /** Recomputes every PCI interrupt level and drives the ISA IRQs that changed. */
    void updateIrqs() {
        int pirqs = 0;
        for (PciFunction f : bus0) {
            if (f == null || f.endpoint == null || !f.intx
                    || (f.config.read(PciConfigSpace.COMMAND, 2) & PciConfigSpace.COMMAND_INTX_DISABLE) != 0) {
                continue;
            }
            int pin = f.config.read(PciConfigSpace.INTERRUPT_PIN, 1);
            if (pin >= 1 && pin <= 4) {
                pirqs |= 1 << pirq(f.devfn >> 3, pin);
            }
        }
        int levels = 0;
        for (int n = 0; n < 4; n++) {
            int irq = pirqIrq(n);
            if ((pirqs >> n & 1) != 0 && irq >= 0) {
                levels |= 1 << irq;
            }
        }
        int changed = levels ^ driven;
        driven = levels;
        for (int irq = 0; irq < 16; irq++) {
            if ((changed >> irq & 1) != 0) {
                isaIrq.apply(irq).set((levels >> irq & 1) != 0);
            }
        }
    }

    // ---- firmware ----

    /** First I/O and memory addresses the firmware role hands out to BARs. */
    static final int FIRMWARE_IO_BASE = 0xC000;
    static final long FIRMWARE_MEMORY_BASE = PcMemoryMap.PCI_HOLE_START;
    /** ISA IRQs the firmware routes PIRQA-D to (level-triggered in the ELCR). */
    static final int[] FIRMWARE_PIRQ_IRQS = {10, 10, 11, 11};

    /**
     * What a PC BIOS does before it boots an OS, for direct kernel boot: routes PIRQA-D to
     * {@link #FIRMWARE_PIRQ_IRQS}, and gives every plugged function its BAR addresses (I/O from
     * 0xC000, memory from the PCI hole, each aligned to its size), its interrupt line, and I/O and
     * memory decoding. Returns the ELCR bits (level-triggered IRQs) the caller should program.
     */
    int assignResources() {
        PciFunction isa = bus0[ISA_BRIDGE_DEVFN];
        int elcr = 0;
        if (isa != null) {
            for (int n = 0; n < 4; n++) {
                isa.config.write(PIRQ_ROUTE + n, 1, FIRMWARE_PIRQ_IRQS[n]);
                elcr |= 1 << FIRMWARE_PIRQ_IRQS[n];
            }
        }
        long nextIo = FIRMWARE_IO_BASE;
        long nextMemory = FIRMWARE_MEMORY_BASE;
        for (PciFunction f : bus0) {
            if (f == null || f.endpoint == null) {
                continue;
            }
            int command = 0;
            for (int i = 0; i < 6; i++) {
                PciBar bar = f.bars[i];
                if (bar == null) {
                    continue;
                }
                long size = bar.region().size();
                long base;
                if (bar.io()) {
                    base = nextIo = (nextIo + size - 1) & -size;
                    nextIo += size;
                    command |= PciConfigSpace.COMMAND_IO;
                } else {
                    base = nextMemory = (nextMemory + size - 1) & -size;
                    nextMemory += size;
                    command |= PciConfigSpace.COMMAND_MEMORY;
                }
                f.config.write(PciConfigSpace.BAR0 + 4 * i, 4, (int) base);
            }
            int pin = f.config.read(PciConfigSpace.INTERRUPT_PIN, 1);
            if (pin >= 1 && pin <= 4) {
                int irq = pirqIrq(pirq(f.devfn >> 3, pin));
                f.config.write(PciConfigSpace.INTERRUPT_LINE, 1, irq < 0 ? 0xFF : irq);
            }
            f.config.write(PciConfigSpace.COMMAND, 2, f.config.read(PciConfigSpace.COMMAND, 2) | command);
            remap(f);
        }
        updateIrqs();
        return elcr;
    }

    private static String slotName(int devfn) {
        return String.format("00:%02x.%d", devfn >> 3, devfn & 7);
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
                if (f.endpoint != null) {
                    remap(f);
                }
            }
        }
        updateIrqs();
    }
}
