package org.machina.board.pc.acpi;

import java.util.function.IntBinaryOperator;

/**
 * What the board's ACPI tables describe.
 *
 * @param pmBase first port of the PM register block: PM1a_EVT (4 bytes: status, enable) at
 *     {@code pmBase}, PM1a_CNT (2 bytes) at {@code pmBase + 4}, PM_TMR (4 bytes) at {@code pmBase + 8}
 * @param sciIrq the ISA IRQ of the system control interrupt
 * @param hpetBase physical address of the HPET registers, or -1 when the machine has no HPET
 * @param hpetCapabilities the low 32 bits of the HPET's GCAP_ID (event timer block id)
 * @param pciIrq the ISA IRQ that INTx pin {@code pin} (1 = INTA) of PCI device {@code device}
 *     raises on bus 0, or -1 when it is not connected
 * @param apic the APICs the MADT describes, or null for a machine with only the 8259 pair
 */
public record AcpiConfig(int pmBase, int sciIrq, long hpetBase, int hpetCapabilities, IntBinaryOperator pciIrq,
        Apic apic) {
    /**
     * The local and I/O APIC, as the MADT describes them. ISA IRQ n is I/O APIC input n (global
     * system interrupt n), except IRQ0 on input 2; {@code levelIrqs} are the ISA IRQs that are
     * level-triggered and active low (the SCI and the PCI interrupts).
     *
     * @param localApicBase physical address of the local APIC
     * @param ioApicId the I/O APIC's APIC id
     * @param ioApicBase physical address of the I/O APIC
     * @param levelIrqs level-triggered, active-low ISA IRQs
     */
    public record Apic(long localApicBase, int ioApicId, long ioApicBase, java.util.List<Integer> levelIrqs) {
        public Apic {
            levelIrqs = java.util.List.copyOf(levelIrqs);
        }
    }

    /** A machine without APICs. */
    public AcpiConfig(int pmBase, int sciIrq, long hpetBase, int hpetCapabilities, IntBinaryOperator pciIrq) {
        this(pmBase, sciIrq, hpetBase, hpetCapabilities, pciIrq, null);
    }

    public static final int PM1_EVT_LEN = 4;
    public static final int PM1_CNT_LEN = 2;
    public static final int PM_TMR_LEN = 4;
    public static final int PM1_CNT_OFFSET = 4;
    public static final int PM_TMR_OFFSET = 8;
    /** Value of SLP_TYP (PM1_CNT bits 10-12) that \_S5 gives: soft off. */
    public static final int SLP_TYP_S5 = 0;

    public AcpiConfig {
        if (pmBase <= 0 || pmBase + 12 > 0x10000 || (pmBase & 3) != 0) {
            throw new IllegalArgumentException("PM block base must be a 4-aligned port below 0xFFF4, not " + pmBase);
        }
        if (sciIrq < 0 || sciIrq > 15) {
            throw new IllegalArgumentException("SCI must be an ISA IRQ 0-15, not " + sciIrq);
        }
    }

    public boolean hasApic() {
        return apic != null;
    }

    public boolean hasHpet() {
        return hpetBase >= 0;
    }
}
