package org.machina.board.pc.acpi;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The Multiple APIC Description Table (signature {@code APIC}, ACPI 6.5 section 5.2.12): the
 * local APIC address, PCAT_COMPAT (the machine also has the 8259 pair, which the OS masks when
 * it uses the APICs), then the interrupt controller structures:
 *
 * <pre>
 * type 0  Processor Local APIC   processor UID 0, APIC id 0, enabled
 * type 1  I/O APIC               id, address, global system interrupt base 0
 * type 2  Interrupt Source Override (bus 0, ISA) IRQ0 -> GSI 2 (the timer, on I/O APIC pin 2),
 *         and each level-triggered ISA IRQ (the SCI, the PCI interrupts) -> the same GSI, level,
 *         active low
 * type 4  Local APIC NMI          all processors (UID 0xFF), LINT1, flags conforming (edge, high)
 * </pre>
 */
public final class Madt {
    static final int REVISION = 1;
    static final int PCAT_COMPAT = 1;
    /** MPS INTI flags (ACPI 6.5, table 5.26): polarity bits 0-1, trigger mode bits 2-3. */
    static final int ACTIVE_LOW = 3, LEVEL = 3 << 2;

    private Madt() {
    }

    public static byte[] build(AcpiConfig.Apic apic) {
        int overrides = 1 + apic.levelIrqs().size();
        ByteBuffer b = ByteBuffer.allocate(8 + 8 + 12 + 10 * overrides + 6).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt((int) apic.localApicBase());
        b.putInt(PCAT_COMPAT);
        // Processor Local APIC
        b.put((byte) 0).put((byte) 8).put((byte) 0).put((byte) 0).putInt(1);
        // I/O APIC
        b.put((byte) 1).put((byte) 12).put((byte) apic.ioApicId()).put((byte) 0).putInt((int) apic.ioApicBase()).putInt(0);
        // Interrupt Source Overrides
        override(b, 0, 2, 0);
        for (int irq : apic.levelIrqs()) {
            override(b, irq, irq, LEVEL | ACTIVE_LOW);
        }
        // Local APIC NMI: LINT1 of every processor
        b.put((byte) 4).put((byte) 6).put((byte) 0xFF).putShort((short) 0).put((byte) 1);
        return AcpiTable.of("APIC", REVISION, b.array());
    }

    private static void override(ByteBuffer b, int irq, int gsi, int flags) {
        b.put((byte) 2).put((byte) 10).put((byte) 0).put((byte) irq).putInt(gsi).putShort((short) flags);
    }
}
