package org.machina.board.pc;

import java.util.Set;
import org.machina.api.board.BoardContext;
import org.machina.api.irq.IrqLine;
import org.machina.api.irq.IrqSink;

/**
 * The interrupt wiring of a {@code pc} board with APICs, as on a PIIX3 board with an 82093AA I/O
 * APIC. It registers two interrupt sinks:
 * <ul>
 * <li>{@value #ISA} (16 inputs, the ISA IRQs from the ISA devices, the PIRQ router's PCI
 *     interrupts and the HPET's routes): each goes to the 8259 pair (sink {@value #PIC}, logical
 *     levels as the 8259 and its ELCR take them) and to I/O APIC input n, IRQ0 to input 2 (the
 *     MADT's override). The I/O APIC inputs are electrical levels: the IRQs the MADT declares
 *     level-triggered and active low (the SCI and the PCI interrupts, whose INTx# lines are
 *     open-drain and active low) reach it inverted, high while idle and low while a source
 *     asserts them; the others are active high.</li>
 * <li>{@value #PIC_INTR} (1 input, the 8259's INTR output): to LINT0 of the local APIC
 *     (virtual wire mode through the local APIC, which the board's firmware part sets up) and to
 *     I/O APIC input 0 (virtual wire mode through the I/O APIC: an OS may program that entry
 *     ExtINT, edge, active high). No ISA IRQ uses input 0: IRQ0 is on input 2, and the MADT gives
 *     no ISA IRQ global system interrupt 0.</li>
 * </ul>
 * The idle level of the active-low inputs is driven at every board reset ({@link #driveIdleLevels}),
 * when the I/O APIC has registered its sink.
 */
final class ApicWiring {
    static final String ISA = "isa";
    /** The 8259 pair's interrupt sink when the board fans the ISA lines out itself. */
    static final String PIC = "pic";
    /** Where the 8259's INTR output goes (its {@code output} property). */
    static final String PIC_INTR = "pic-intr";
    static final String IOAPIC = "ioapic";
    static final String LAPIC = "lapic";

    private final BoardContext context;
    private final Set<Integer> activeLow;
    private final boolean[] levels = new boolean[16];
    private final IrqLine[] pic = new IrqLine[16];
    private final IrqLine[] ioapic = new IrqLine[16];

    /** Registers the sinks; {@code activeLow} are the ISA IRQs wired active low to the I/O APIC. */
    ApicWiring(BoardContext context, Set<Integer> activeLow) {
        this.context = context;
        this.activeLow = Set.copyOf(activeLow);
        context.registerIrqSink(ISA, sink(16, this::isa));
        IrqLine lint0 = context.irq(LAPIC, 0);
        IrqLine extInt = context.irq(IOAPIC, 0);
        context.registerIrqSink(PIC_INTR, sink(1, (index, level) -> {
            lint0.set(level);
            extInt.set(level);
        }));
    }

    /** The I/O APIC input (global system interrupt) of ISA IRQ {@code irq}. */
    static int ioApicInput(int irq) {
        return irq == 0 ? 2 : irq;
    }

    private void isa(int irq, boolean level) {
        levels[irq] = level;
        lines(irq);
        pic[irq].set(level);
        ioapic[irq].set(level != activeLow.contains(irq));
    }

    private void lines(int irq) {
        if (pic[irq] == null) {
            pic[irq] = context.irq(PIC, irq);
            ioapic[irq] = irq == 2 ? IrqLine.NONE : context.irq(IOAPIC, ioApicInput(irq));
        }
    }

    /** Drives the I/O APIC's active-low inputs to their levels (high while no source asserts them). */
    void driveIdleLevels() {
        for (int irq : activeLow) {
            lines(irq);
            ioapic[irq].set(!levels[irq]);
        }
    }

    private static IrqSink sink(int inputs, java.util.function.BiConsumer<Integer, Boolean> setInput) {
        return new IrqSink() {
            @Override
            public int inputs() {
                return inputs;
            }

            @Override
            public void setInput(int index, boolean level) {
                setInput.accept(index, level);
            }
        };
    }
}
