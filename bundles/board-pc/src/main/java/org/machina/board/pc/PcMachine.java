package org.machina.board.pc;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.machina.api.board.Board;
import org.machina.api.board.BoardContext;
import org.machina.api.memory.RamBlock;

/**
 * A built PC. At every reset the chipset returns to its power-on state and, for direct Linux
 * boot, the kernel, initrd, command line and zero page are written to RAM again (the guest may
 * have overwritten them), so a guest reboot boots the kernel again. The CPU starts at its
 * architectural reset vector, which is in the firmware or the generated boot ROM.
 */
final class PcMachine implements Board {
    private final BoardContext context;
    private final RamBlock ram;
    private final PciHost pci;
    private final LinuxLoader.Plan plan;

    PcMachine(BoardContext context, RamBlock ram, PciHost pci, LinuxLoader.Plan plan) {
        this.context = context;
        this.ram = ram;
        this.pci = pci;
        this.plan = plan;
    }

    PciHost pci() {
        return pci;
    }

    @Override
    public void reset() {
        pci.reset();
        if (plan != null) {
            load(LinuxLoader.ZERO_PAGE, plan.zeroPage());
            load(LinuxLoader.CMDLINE, plan.cmdline());
            load(LinuxLoader.KERNEL, plan.kernel());
            if (plan.initrd().length > 0) {
                load(plan.initrdAddress(), plan.initrd());
            }
        }
    }

    /** Writes into RAM; block offsets equal physical addresses below the PCI hole. */
    private void load(long address, byte[] bytes) {
        MemorySegment.copy(bytes, 0, ram.segment(), ValueLayout.JAVA_BYTE, address, bytes.length);
        ram.markDirty(address, bytes.length);
    }
}
