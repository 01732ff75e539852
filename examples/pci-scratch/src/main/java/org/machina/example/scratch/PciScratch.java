package org.machina.example.scratch;

import java.util.List;
import org.machina.api.bus.pci.PciBar;
import org.machina.api.bus.pci.PciBus;
import org.machina.api.bus.pci.PciEndpoint;
import org.machina.api.bus.pci.PciHeader;
import org.machina.api.bus.pci.PciSlot;
import org.machina.api.device.Device;
import org.machina.api.device.DeviceContext;
import org.machina.api.memory.AccessSpec;
import org.machina.api.memory.MemoryRegion;
import org.machina.api.memory.Mmio;
import org.machina.api.state.Stateful;

/**
 * An example PCI function: vendor 0x1234, device 0x4D01 (an example id, not a registered one),
 * class 0xFF0000 (unassigned), no interrupt. BAR 0 is 16 bytes of I/O space, 32-bit registers:
 * <pre>
 * 0x0  ID       R    0x4D534352 ("MSCR")
 * 0x4  SCRATCH  R/W  any value; every write counts
 * 0x8  WRITES   R    writes to SCRATCH since reset
 * </pre>
 * Other offsets read 0 and ignore writes.
 */
final class PciScratch implements Device, PciEndpoint, Stateful<ScratchState> {
    static final int ID = 0x4D534352;
    private static final PciHeader HEADER = new PciHeader(0x1234, 0x4D01, 1, 0xFF0000, 0x1234, 0x4D01, 0);

    private final DeviceContext context;
    private final int addr;
    private final PciBar bar;
    private PciSlot slot;
    private int scratch;
    private int writes;

    PciScratch(DeviceContext context, int addr) {
        this.context = context;
        this.addr = addr;
        this.bar = new PciBar(0, true, new MemoryRegion.Io("pci-scratch", 16, new Mmio() {
            @Override
            public long read(long offset, int size) {
                return switch ((int) offset) {
                    case 0x0 -> ID & 0xFFFFFFFFL;
                    case 0x4 -> scratch & 0xFFFFFFFFL;
                    case 0x8 -> writes & 0xFFFFFFFFL;
                    default -> 0;
                };
            }

            @Override
            public void write(long offset, int size, long value) {
                if (offset == 0x4) {
                    scratch = (int) value;
                    writes++;
                }
            }
        }, AccessSpec.DWORDS));
    }

    @Override
    public void realize() {
        slot = context.bus(PciBus.NAME, PciBus.class).plug(context.id(), this, addr);
    }

    @Override
    public void reset() {
        scratch = 0;
        writes = 0;
    }

    @Override
    public void unrealize() {
        if (slot != null) {
            slot.unplug();
            slot = null;
        }
    }

    @Override
    public PciHeader header() {
        return HEADER;
    }

    @Override
    public List<PciBar> bars() {
        return List.of(bar);
    }

    @Override
    public Class<ScratchState> stateType() {
        return ScratchState.class;
    }

    @Override
    public int stateVersion() {
        return 1;
    }

    @Override
    public ScratchState saveState() {
        return new ScratchState(slot.saveConfig(), scratch, writes);
    }

    @Override
    public void loadState(ScratchState s) {
        slot.loadConfig(s.config());
        scratch = s.scratch();
        writes = s.writes();
    }
}
