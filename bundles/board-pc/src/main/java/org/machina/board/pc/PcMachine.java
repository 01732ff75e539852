package org.machina.board.pc;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.machina.api.board.Board;
import org.machina.api.board.BoardContext;
import org.machina.api.memory.RamBlock;
import org.machina.api.state.StateException;
import org.machina.api.state.Stateful;
import org.machina.board.pc.acpi.AcpiTables;

/**
 * A built PC. At every reset the chipset returns to its power-on state and, for direct Linux
 * boot, the kernel, initrd, command line and zero page are written to RAM again (the guest may
 * have overwritten them), so a guest reboot boots the kernel again. The CPU starts at its
 * architectural reset vector, which is in the firmware or the generated boot ROM.
 *
 * <p>The chipset state (PCI address latch and the configuration spaces) is a versioned
 * {@link State} record, so snapshots and migration carry it.
 */
final class PcMachine implements Board, Stateful<PcMachine.State> {
    /**
     * Version 1 of the board's state.
     *
     * @param pciAddress CONFIG_ADDRESS (0xCF8)
     * @param hostBridge config space of 00:00.0 (256 bytes)
     * @param isaBridge config space of 00:01.0 (256 bytes)
     */
    record State(int pciAddress, byte[] hostBridge, byte[] isaBridge) {
    }

    static final int HOST_BRIDGE = 0x00;
    static final int ISA_BRIDGE = 0x08;

    private final BoardContext context;
    private final RamBlock ram;
    private final PciHost pci;
    private final LinuxLoader.Plan plan;
    private final AcpiTables.Result acpiTables;
    /** The APIC wiring, or null without APICs. */
    private final ApicWiring apic;

    PcMachine(BoardContext context, RamBlock ram, PciHost pci, LinuxLoader.Plan plan) {
        this(context, ram, pci, plan, null);
    }

    /** A PC; {@code acpiTables} (or null) are written to RAM at every reset, like the kernel. */
    PcMachine(BoardContext context, RamBlock ram, PciHost pci, LinuxLoader.Plan plan, AcpiTables.Result acpiTables) {
        this(context, ram, pci, plan, acpiTables, null);
    }

    /**
     * A PC; with the APICs' {@code wiring} (or null), every reset drives the I/O APIC's idle
     * levels and direct kernel boot sets the APICs up as a BIOS does.
     */
    PcMachine(BoardContext context, RamBlock ram, PciHost pci, LinuxLoader.Plan plan, AcpiTables.Result acpiTables,
            ApicWiring apic) {
        this.apic = apic;
        this.context = context;
        this.ram = ram;
        this.pci = pci;
        this.plan = plan;
        this.acpiTables = acpiTables;
    }

    PciHost pci() {
        return pci;
    }

    /** The ELCR ports of the PIC pair (edge/level control for IRQ 0-7 and 8-15). */
    static final int ELCR_PORT = 0x4D0;

    @Override
    public void reset() {
        pci.reset();
        if (apic != null) {
            apic.driveIdleLevels();
        }
        if (plan != null) {
            // Direct kernel boot has no BIOS to set up PCI: do its part (BARs, interrupt lines,
            // PIRQ routes, level-triggered PCI IRQs), as a kernel without ACPI expects.
            int elcr = pci.assignResources();
            if (elcr != 0) {
                context.io().write(ELCR_PORT, 1, elcr & 0xFF);
                context.io().write(ELCR_PORT + 1, 1, elcr >>> 8 & 0xFF);
            }
            if (acpiTables != null) {
                load(PcMemoryMap.ACPI_TABLES, acpiTables.blob());
            }
            if (apic != null) {
                setUpApics();
            }
            load(LinuxLoader.ZERO_PAGE, plan.zeroPage());
            load(LinuxLoader.CMDLINE, plan.cmdline());
            load(LinuxLoader.KERNEL, plan.kernel());
            if (plan.initrd().length > 0) {
                load(plan.initrdAddress(), plan.initrd());
            }
        }
    }

    /** Local APIC registers a BIOS programs (Intel SDM vol. 3, local APIC register map). */
    static final int LAPIC_SVR = 0xF0, LAPIC_LVT_LINT0 = 0x350, LAPIC_LVT_LINT1 = 0x360;

    /**
     * What a BIOS does with the APICs before it boots an OS (MultiProcessor Specification,
     * "virtual wire mode"): the local APIC software-enabled with spurious vector 0xFF, LINT0 as
     * ExtINT (the 8259's interrupts reach the CPU as before), LINT1 as NMI; the I/O APIC gets the
     * id the MADT gives it, its inputs stay masked.
     */
    private void setUpApics() {
        long lapic = PcBoard.LAPIC_BASE;
        context.memory().write(lapic + LAPIC_SVR, 4, 0x1FF);
        context.memory().write(lapic + LAPIC_LVT_LINT0, 4, 0x700);
        context.memory().write(lapic + LAPIC_LVT_LINT1, 4, 0x400);
        context.memory().write(PcBoard.IOAPIC_BASE, 4, 0);
        context.memory().write(PcBoard.IOAPIC_BASE + 0x10, 4, PcBoard.IOAPIC_ID << 24);
    }

    @Override
    public Class<State> stateType() {
        return State.class;
    }

    @Override
    public int stateVersion() {
        return 1;
    }

    @Override
    public State saveState() {
        return new State(pci.address(), pci.function(HOST_BRIDGE).config.snapshot(),
                pci.function(ISA_BRIDGE).config.snapshot());
    }

    @Override
    public void loadState(State state) {
        if (state.hostBridge() == null || state.isaBridge() == null) {
            throw new StateException("pc board state lacks a PCI configuration space");
        }
        pci.setAddress(state.pciAddress());
        pci.function(HOST_BRIDGE).config.restore(state.hostBridge());
        pci.function(ISA_BRIDGE).config.restore(state.isaBridge());
        pci.updateIrqs();
    }

    /** Writes into RAM; block offsets equal physical addresses below the PCI hole. */
    private void load(long address, byte[] bytes) {
        MemorySegment.copy(bytes, 0, ram.segment(), ValueLayout.JAVA_BYTE, address, bytes.length);
        ram.markDirty(address, bytes.length);
    }
}
