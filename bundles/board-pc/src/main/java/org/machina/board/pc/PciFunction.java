package org.machina.board.pc;

import org.machina.api.bus.pci.PciBar;
import org.machina.api.bus.pci.PciEndpoint;
import org.machina.api.bus.pci.PciHeader;
import org.machina.api.memory.Mapping;

/**
 * One function on the board's PCI bus: a name, its device/function number and its
 * configuration space. The built-in chipset functions are made by the factory methods.
 */
final class PciFunction {
    static final int INTEL = 0x8086;

    final String name;
    final int devfn;
    final PciConfigSpace config;
    /** The device bundle's side of a plugged function; null for the board's own chipset functions. */
    final PciEndpoint endpoint;
    /** BARs by index (null where the function has none). */
    final PciBar[] bars = new PciBar[6];
    /** Current mappings of the BARs (null where not decoded). */
    final Mapping[] mapped = new Mapping[6];
    /** Level the function drives on its INTx pin. */
    boolean intx;

    PciFunction(String name, int device, int function, PciConfigSpace config) {
        this(name, device, function, config, null);
    }

    PciFunction(String name, int device, int function, PciConfigSpace config, PciEndpoint endpoint) {
        if (device < 0 || device > 31 || function < 0 || function > 7) {
            throw new IllegalArgumentException("PCI function '" + name + "': device must be 0..31 and function 0..7, not "
                    + device + "." + function);
        }
        this.name = name;
        this.devfn = device << 3 | function;
        this.config = config;
        this.endpoint = endpoint;
        config.captureDefaults();
    }

    /**
     * A function from a device bundle: its header and BARs (size masks make the BARs sizable),
     * interrupt pin, everything else of the standard header as in {@link PciConfigSpace}.
     */
    static PciFunction plugged(String name, int device, int function, PciEndpoint endpoint) {
        PciHeader h = endpoint.header();
        PciConfigSpace c = new PciConfigSpace(h.vendor(), h.device(), h.revision(), h.classCode(), 0x00);
        c.init16(PciConfigSpace.STATUS, 0x0200);                        // medium DEVSEL timing
        c.init16(PciConfigSpace.SUBSYSTEM_VENDOR, h.subsystemVendor());
        c.init16(PciConfigSpace.SUBSYSTEM_ID, h.subsystem());
        c.init8(PciConfigSpace.INTERRUPT_PIN, h.interruptPin());
        PciBar[] bars = new PciBar[6];
        for (PciBar bar : endpoint.bars()) {
            if (bars[bar.index()] != null) {
                throw new IllegalArgumentException("PCI function '" + name + "' declares BAR " + bar.index() + " twice");
            }
            bars[bar.index()] = bar;
            int reg = PciConfigSpace.BAR0 + 4 * bar.index();
            long size = bar.region().size();
            c.init32(reg, bar.io() ? 0x1 : 0x0);
            c.writableMask(reg, 4, (int) ~(size - 1) & (bar.io() ? ~0x3 : ~0xF));
        }
        PciFunction f = new PciFunction(name, device, function, c, endpoint);
        System.arraycopy(bars, 0, f.bars, 0, 6);
        return f;
    }

    /**
     * An i440FX-like host bridge (00:00.0, 8086:1237, class 06 00 00). Its chipset registers
     * 0x40-0xFF (PAM, SMRAM, DRAM rows) are stored but have no effect yet.
     */
    static PciFunction i440fxHostBridge() {
        PciConfigSpace c = new PciConfigSpace(INTEL, 0x1237, 0x02, 0x060000, 0x00);
        c.init16(PciConfigSpace.COMMAND, 0x0006);   // memory + bus master, as after firmware reset
        c.init16(PciConfigSpace.STATUS, 0x0280);    // medium DEVSEL timing, fast back-to-back
        for (int i = 0x40; i < 0x100; i++) {
            c.writableMask(i, 1, 0xFF);
        }
        return new PciFunction("i440fx", 0, 0, c);
    }

    /**
     * A PIIX3-like PCI-to-ISA bridge (00:01.0, 8086:7000, class 06 01 00, multi-function
     * header). PIRQ route registers 0x60-0x63 reset to 0x80 (routing disabled).
     */
    static PciFunction piix3IsaBridge() {
        PciConfigSpace c = new PciConfigSpace(INTEL, 0x7000, 0x00, 0x060100, 0x80);
        c.init16(PciConfigSpace.COMMAND, 0x0007);
        c.init16(PciConfigSpace.STATUS, 0x0200);
        for (int i = 0x40; i < 0x100; i++) {
            c.writableMask(i, 1, 0xFF);
        }
        for (int i = 0x60; i < 0x64; i++) {
            c.init8(i, 0x80);
        }
        return new PciFunction("piix3", 1, 0, c);
    }
}
