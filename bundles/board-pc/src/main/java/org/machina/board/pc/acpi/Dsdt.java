package org.machina.board.pc.acpi;

import static org.machina.board.pc.acpi.Aml.eisaId;
import static org.machina.board.pc.acpi.Aml.integer;
import static org.machina.board.pc.acpi.Aml.name;
import static org.machina.board.pc.acpi.Aml.pkg;

import java.util.ArrayList;
import java.util.List;

/**
 * The board's Differentiated System Description Table, as AML:
 *
 * <pre>
 * Name (\_S5, Package (4) { SLP_TYP_S5, SLP_TYP_S5, 0, 0 })     // soft off through PM1a_CNT
 * Scope (\_SB) {
 *     Device (PCI0) {
 *         Name (_HID, EisaId ("PNP0A03"))                      // PCI host bridge, bus 0
 *         Name (_UID, 0)
 *         Name (_CRS, ResourceTemplate () {                    // what bus 0 decodes
 *             WordBusNumber 0-0xFF, IO 0xCF8-0xCFF (configuration mechanism #1),
 *             WordIO 0-0xCF7 and 0xD00-0xFFFF, DWordMemory 0xA0000-0xBFFFF (VGA window)
 *             and 0xE0000000-0xFEBFFFFF (the PCI hole below the HPET and the firmware)
 *         })
 *         Name (_PRT, Package { Package { 0xDDDDFFFF, pin, 0, irq }, ... })
 *     }
 * }
 * </pre>
 *
 * The {@code _PRT} entries use a zero source, so the last element is the interrupt (the ISA
 * IRQ in PIC mode) wired to that device's pin (ACPI 6.5, section 6.2.13): the routes the board
 * programs into the PIRQ router before the kernel starts, fixed for the machine's life.
 */
public final class Dsdt {
    static final int REVISION = 2; // 64-bit AML integers
    static final int PCI_DEVICES = 32;
    static final long PCI_HOLE_START = 0xE000_0000L;
    /** End of the PCI memory window: below 0xFEC00000 (I/O APIC, HPET and firmware above). */
    static final long PCI_HOLE_END = 0xFEBF_FFFFL;

    private Dsdt() {
    }

    public static byte[] build(AcpiConfig config) {
        byte[] aml = Aml.concat(
                name("\\_S5", pkg(integer(AcpiConfig.SLP_TYP_S5), integer(AcpiConfig.SLP_TYP_S5), integer(0), integer(0))),
                Aml.scope("\\_SB", Aml.device("PCI0",
                        name("_HID", eisaId("PNP0A03")),
                        name("_UID", integer(0)),
                        name("_CRS", Aml.buffer(crs())),
                        name("_PRT", prt(config)))));
        return AcpiTable.of("DSDT", REVISION, aml);
    }

    /** The host bridge's current resources. */
    static byte[] crs() {
        return new Resources()
                .busNumbers(0, 0xFF)
                .ioPorts(0xCF8, 8)
                .ioWindow(0x0000, 0x0CF7)
                .ioWindow(0x0D00, 0xFFFF)
                .memoryWindow(0xA0000, 0xBFFFF, true)
                .memoryWindow(PCI_HOLE_START, PCI_HOLE_END, false)
                .bytes();
    }

    /** The routing table: every pin of devices 1-31 that reaches an IRQ. */
    static byte[] prt(AcpiConfig config) {
        List<byte[]> entries = new ArrayList<>();
        for (int device = 1; device < PCI_DEVICES; device++) {
            for (int pin = 1; pin <= 4; pin++) {
                int irq = config.pciIrq().applyAsInt(device, pin);
                if (irq >= 0) {
                    entries.add(pkg(Aml.dword((long) device << 16 | 0xFFFF), integer(pin - 1), integer(0), integer(irq)));
                }
            }
        }
        return pkg(entries.toArray(byte[][]::new));
    }
}
