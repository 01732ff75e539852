package org.machina.devices.storage;

import java.util.List;
import org.machina.api.bus.pci.PciBar;
import org.machina.api.bus.pci.PciBus;
import org.machina.api.bus.pci.PciEndpoint;
import org.machina.api.bus.pci.PciHeader;
import org.machina.api.bus.pci.PciSlot;
import org.machina.api.device.Device;
import org.machina.api.device.DeviceContext;
import org.machina.api.memory.AccessSpec;
import org.machina.api.memory.Mapping;
import org.machina.api.memory.MemoryRegion;
import org.machina.api.memory.Mmio;
import org.machina.api.state.StateException;
import org.machina.api.state.Stateful;

/**
 * The PIIX3 IDE function (8086:7010, class 01 01 80: IDE, legacy mode, bus-master capable), at
 * PCI 00:01.1 next to the board's PIIX3 ISA bridge. Two channels at the legacy places:
 * primary 0x1F0-0x1F7 and 0x3F6, ISA IRQ 14; secondary 0x170-0x177 and 0x376, ISA IRQ 15. BAR4
 * is the 16 bytes of bus-master registers ({@link IdeBusMaster}, primary at +0, secondary at
 * +8). Config registers 0x40-0x43 (IDETIM, primary and secondary) reset with bit 15 (IDE decode
 * enable) set, as a PC BIOS leaves them, and 0x44 (SIDETIM) is stored; timings have no effect.
 * The legacy ports are decoded whatever those bits say.
 *
 * <p>The data port (16 and 32 bits), status and alternate status are served on the CPU's fast path
 * ({@link IdeFastPath}) unless the property {@code fastpath=off}.
 *
 * <p>It registers itself as the bus {@value #BUS} ({@link #attach}), where the {@code ide-hd} and
 * {@code ide-cd} devices ({@link IdeDriveDevice}) put their drives.
 */
final class PiixIde implements Device, PciEndpoint, Stateful<PiixIde.State> {
    /**
     * Version 1 of the state: what a hot-swap must keep for the guest's driver to go on. The
     * drives' own settings (transfer mode, multiple count) and a command in flight are not kept:
     * a swap happens between commands, and the drives come back reset.
     *
     * @param pciConfig the function's PCI configuration space (BAR4 address, command register)
     * @param config the device-specific registers 0x40-0x44 (IDETIM, SIDETIM)
     * @param busMaster per channel: command, status and PRD table address of the bus master
     * @param control per channel: the device control register (nIEN)
     * @param device per channel: the device register (selected unit)
     */
    record State(byte[] pciConfig, byte[] config, int[] busMaster, int[] control, int[] device) {
    }

    static final String BUS = "ide";
    static final int DEVICE_ID = 0x7010;
    static final int CLASS_IDE = 0x010180;
    static final int[] COMMAND_PORTS = {0x1F0, 0x170};
    static final int[] CONTROL_PORTS = {0x3F6, 0x376};
    static final int[] IRQS = {14, 15};
    static final int IDETIM_DECODE = 0x8000;

    private final DeviceContext ctx;
    private final int addr;
    private final int function;
    final IdeChannel[] channels = new IdeChannel[2];
    private final MemoryRegion.Io busMasterRegion;
    private final byte[] config = new byte[256];
    private final boolean fastPath;
    private PciSlot slot;

    PiixIde(DeviceContext ctx, int addr, int function) {
        this(ctx, addr, function, true);
    }

    /** With {@code fastPath} false no fast-path handler is attached (the {@code fastpath=off} property). */
    PiixIde(DeviceContext ctx, int addr, int function, boolean fastPath) {
        this.ctx = ctx;
        this.addr = addr;
        this.function = function;
        this.fastPath = fastPath;
        Warnings warnings = new Warnings(ctx.log(), "IDE '" + ctx.id() + "': ");
        for (int c = 0; c < 2; c++) {
            String name = c == 0 ? "ide.0" : "ide.1";
            channels[c] = new IdeChannel(name, ctx.irq("isa", IRQS[c]), new IdeBusMaster(ctx.memory(), name, warnings),
                    () -> slot == null || slot.busMaster(), warnings);
        }
        busMasterRegion = new MemoryRegion.Io("piix-ide-bm", 16, new Mmio() {
            @Override
            public long read(long offset, int size) {
                long v = 0;
                for (int i = size - 1; i >= 0; i--) {
                    int at = (int) offset + i;
                    v = v << 8 | channels[at >> 3].busMaster.read(at & 7);
                }
                return v;
            }

            @Override
            public void write(long offset, int size, long value) {
                for (int i = 0; i < size; i++) {
                    int at = (int) offset + i;
                    IdeChannel ch = channels[at >> 3];
                    if (ch.busMaster.write(at & 7, (int) (value >>> 8 * i) & 0xFF)) {
                        ch.busMasterStarted();
                    }
                }
            }
        }, new AccessSpec(1, 4, 1, 4, true));
        resetConfig();
    }

    private void resetConfig() {
        java.util.Arrays.fill(config, (byte) 0);
        config[0x41] = (byte) (IDETIM_DECODE >> 8);
        config[0x43] = (byte) (IDETIM_DECODE >> 8);
    }

    // ---- life cycle ----

    @Override
    public void realize() {
        for (int c = 0; c < 2; c++) {
            IdeChannel ch = channels[c];
            Mapping command = ctx.io().map(COMMAND_PORTS[c], new MemoryRegion.Io("ide" + c + "-cmd", 8, new Mmio() {
                @Override
                public long read(long offset, int size) {
                    return readCommandBlock(ch, (int) offset, size);
                }

                @Override
                public void write(long offset, int size, long value) {
                    writeCommandBlock(ch, (int) offset, size, value);
                }
            }, new AccessSpec(1, 4, 1, 4, true)));
            Mapping control = ctx.io().map(CONTROL_PORTS[c], new MemoryRegion.Io("ide" + c + "-ctl", 1, new Mmio() {
                @Override
                public long read(long offset, int size) {
                    return ch.readAltStatus();
                }

                @Override
                public void write(long offset, int size, long value) {
                    ch.writeControl((int) value & 0xFF);
                }
            }, AccessSpec.BYTES));
            if (fastPath) {
                IdeFastPath hot = new IdeFastPath(ch);
                ctx.fastPath().attach(command, 0, 4, hot.data);
                ctx.fastPath().attach(command, 7, 1, hot.status);
                ctx.fastPath().attach(control, 0, 1, hot.altStatus);
            }
        }
        slot = ctx.bus(PciBus.NAME, PciBus.class).plug(ctx.id(), this, addr, function);
        ctx.registerBus(BUS, this);
    }

    @Override
    public void reset() {
        resetConfig();
        for (IdeChannel ch : channels) {
            ch.reset();
        }
    }

    @Override
    public void unrealize() {
        if (slot != null) {
            slot.unplug();
            slot = null;
        }
    }

    // ---- state ----

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
        int[] bm = new int[6];
        int[] control = new int[2];
        int[] device = new int[2];
        for (int c = 0; c < 2; c++) {
            bm[3 * c] = channels[c].busMaster.command;
            bm[3 * c + 1] = channels[c].busMaster.status;
            bm[3 * c + 2] = channels[c].busMaster.prdt;
            control[c] = channels[c].control;
            device[c] = channels[c].device;
        }
        return new State(slot == null ? null : slot.saveConfig(), config.clone(), bm, control, device);
    }

    @Override
    public void loadState(State s) {
        if (s.config() == null || s.config().length != 256 || s.busMaster() == null || s.busMaster().length != 6
                || s.control() == null || s.control().length != 2 || s.device() == null || s.device().length != 2) {
            throw new StateException("piix3-ide state: config must be 256 bytes, busMaster 6 and control/device 2 values");
        }
        System.arraycopy(s.config(), 0, config, 0, 256);
        for (int c = 0; c < 2; c++) {
            IdeBusMaster bm = channels[c].busMaster;
            bm.command = s.busMaster()[3 * c] & (IdeBusMaster.CMD_START | IdeBusMaster.CMD_TO_MEMORY);
            bm.status = s.busMaster()[3 * c + 1] & 0x67;
            bm.prdt = s.busMaster()[3 * c + 2] & ~3;
            channels[c].control = s.control()[c] & IdeChannel.CTL_NIEN;
            channels[c].device = s.device()[c] & 0x5F;
        }
        if (s.pciConfig() != null && slot != null) {
            slot.loadConfig(s.pciConfig());
        }
    }

    // ---- the IDE bus ----

    /**
     * Puts {@code drive} on channel {@code channel} (0, 1, or -1 for the first with a free place)
     * as unit {@code unit} (0 master, 1 slave, or -1 for the first free); returns "channel.unit".
     */
    String attach(String who, int channel, int unit, IdeDrive drive) {
        for (int c = 0; c < 2; c++) {
            for (int u = 0; u < 2; u++) {
                if ((channel < 0 || channel == c) && (unit < 0 || unit == u) && channels[c].drives[u] == null) {
                    channels[c].attach(u, drive);
                    return c + "." + u;
                }
            }
        }
        throw new IllegalArgumentException("'" + who + "': no free IDE place"
                + (channel >= 0 ? " on bus ide." + channel : "") + (unit >= 0 ? " at unit " + unit : "")
                + " (two channels ide.0 and ide.1, units 0 and 1)");
    }

    void detach(IdeDrive drive) {
        for (IdeChannel ch : channels) {
            for (int u = 0; u < 2; u++) {
                if (ch.drives[u] == drive) {
                    ch.detach(u);
                }
            }
        }
    }

    // ---- ports ----

    static long readCommandBlock(IdeChannel ch, int offset, int size) {
        if (offset == 0 && size >= 2) {
            return ch.readData(size / 2) & 0xFFFFFFFFL;
        }
        long v = 0;
        for (int i = size - 1; i >= 0; i--) {
            v = v << 8 | ch.readCommandBlock(offset + i) & 0xFF;
        }
        return v;
    }

    static void writeCommandBlock(IdeChannel ch, int offset, int size, long value) {
        if (offset == 0 && size >= 2) {
            ch.writeData((int) value, size / 2);
            return;
        }
        for (int i = 0; i < size; i++) {
            ch.writeCommandBlock(offset + i, (int) (value >>> 8 * i) & 0xFF);
        }
    }

    // ---- PciEndpoint ----

    @Override
    public PciHeader header() {
        return new PciHeader(0x8086, DEVICE_ID, 0, CLASS_IDE, 0, 0, 0);
    }

    @Override
    public List<PciBar> bars() {
        return List.of(new PciBar(4, true, busMasterRegion));
    }

    @Override
    public int configRead(int offset, int size) {
        int v = 0;
        for (int i = size - 1; i >= 0; i--) {
            v = v << 8 | config[(offset + i) & 0xFF] & 0xFF;
        }
        return v;
    }

    @Override
    public void configWrite(int offset, int size, int value) {
        for (int i = 0; i < size; i++) {
            int at = offset + i;
            if (at >= 0x40 && at <= 0x44) {
                config[at] = (byte) (value >>> 8 * i);
            }
        }
    }
}
