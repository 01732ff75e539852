package org.machina.devices.usb.xhci;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.machina.api.bus.pci.PciBar;
import org.machina.api.bus.pci.PciBus;
import org.machina.api.bus.pci.PciEndpoint;
import org.machina.api.bus.pci.PciHeader;
import org.machina.api.bus.pci.PciSlot;
import org.machina.api.bus.usb.UsbBus;
import org.machina.api.bus.usb.UsbDevice;
import org.machina.api.bus.usb.UsbPort;
import org.machina.api.device.Device;
import org.machina.api.device.DeviceContext;
import org.machina.api.memory.AccessSpec;
import org.machina.api.memory.MemoryRegion;
import org.machina.api.memory.Mmio;
import org.machina.api.state.StateException;
import org.machina.api.state.Stateful;
import org.machina.api.time.Timer;

/**
 * An xHCI 1.0 host controller as a PCI function (class 0C 03 30, INTA, no MSI), compatible with
 * QEMU's {@code qemu-xhci} (1b36:000d) and {@code nec-usb-xhci} (1033:0194): 4 USB 2 root ports
 * (1-4) and 4 USB 3 root ports (5-8), 32 device slots, one interrupter, 32-byte contexts, no
 * scratchpad, no streams.
 *
 * <pre>
 * BAR 0, 16 KiB memory, dword registers:
 * 0x0000 capability: CAPLENGTH 0x40, HCIVERSION 0x0100, HCSPARAMS1-3 (IST 1 microframe), HCCPARAMS1 (AC64, CFC, xECP 0x800),
 *        DBOFF 0x2000, RTSOFF 0x1000, HCCPARAMS2 0
 * 0x0040 operational: USBCMD, USBSTS, PAGESIZE (4 KiB), DNCTRL, CRCR, DCBAAP, CONFIG
 * 0x0440 port register sets, 16 bytes each: PORTSC, PORTPMSC, PORTLI, PORTHLPMC
 * 0x0800 extended capabilities: Supported Protocol USB 2.0 (ports 1-4), USB 3.0 (ports 5-8)
 * 0x1000 runtime: MFINDEX; 0x1020 interrupter 0 ({@link EventRing})
 * 0x2000 doorbells: 0 the command ring, 1-32 device slots (bits 7:0 the endpoint's DCI)
 * </pre>
 *
 * Commands ({@link CommandRing}) and transfers ({@link TransferRunner}) run synchronously when
 * their doorbell is written; a device may complete a transfer later, and the endpoint waits for
 * it. Rings that loop, point outside RAM or hold bad TRB types are bounded and reported to the
 * guest as errors, logged once per kind.
 *
 * <p>State ({@link XhciState}, version 1) covers registers, ring positions, ports and slots; a
 * device that is hot-swapped with the controller (or alone) re-attaches to its port without the
 * guest seeing a disconnect, and transfers the swap interrupted run again from the ring.
 */
final class Xhci implements Device, PciEndpoint, Stateful<XhciState> {
    static final int BAR_SIZE = 0x4000;
    static final int OP = 0x40;
    static final int PORTS_BASE = OP + 0x400;
    static final int XECP = 0x800;
    static final int RUNTIME = 0x1000;
    static final int DOORBELLS = 0x2000;
    static final int USB2_PORTS = 4;
    static final int USB3_PORTS = 4;
    static final int MAX_SLOTS = 32;
    /**
     * Isochronous Scheduling Threshold (HCSPARAMS2 bits 3:0, bit 3 clear: in microframes): the
     * controller reads a TD when its doorbell rings or its frame ends and caches nothing ahead,
     * so a TD whose first microframe is at least this far after MFINDEX is serviced in it.
     */
    static final int IST = 1;
    /** HCCPARAMS1 CFC: the Frame ID of every Isoch TRB without SIA is honoured (see {@link TransferRunner}). */
    static final int HCC_CFC = 1 << 11;

    // USBCMD / USBSTS
    static final int CMD_RUN = 1;
    static final int CMD_HCRST = 2;
    static final int CMD_INTE = 4;
    static final int STS_HCH = 1;
    static final int STS_HSE = 4;
    static final int STS_EINT = 8;
    static final int STS_PCD = 0x10;
    static final int STS_SRE = 0x400;

    /** Which QEMU device the controller impersonates. */
    enum Model {
        QEMU_XHCI(0x1B36, 0x000D, 0x1AF4, 0x1100),
        NEC_XHCI(0x1033, 0x0194, 0x1033, 0x0194);

        final int vendor;
        final int device;
        final int subsystemVendor;
        final int subsystem;

        Model(int vendor, int device, int subsystemVendor, int subsystem) {
            this.vendor = vendor;
            this.device = device;
            this.subsystemVendor = subsystemVendor;
            this.subsystem = subsystem;
        }
    }

    final DeviceContext ctx;
    final Model model;
    final GuestMemory mem;
    final EventRing events;
    final RootPort[] ports = new RootPort[USB2_PORTS + USB3_PORTS];
    final Slot[] slots = new Slot[MAX_SLOTS + 1];
    final CommandRing commands;
    final TransferRunner transfers;
    private final int addr;
    private final MemoryRegion.Io registers;
    private final Set<String> logged = new HashSet<>();
    private PciSlot pci;
    private final Bus bus = new Bus();
    /** Ports that were connected in a loaded state: the device that attaches there again does so silently. */
    private final boolean[] restoredConnection = new boolean[USB2_PORTS + USB3_PORTS];
    /** Ports whose device detached and whose disconnect is not reported yet (see {@link PortHandle#detach}). */
    private final boolean[] pendingDisconnect = new boolean[USB2_PORTS + USB3_PORTS];
    private boolean gone;
    /** Wakes isochronous endpoints whose next TD's microframe has come (see {@link TransferRunner}). */
    private Timer isochTimer;
    /** Signals the interrupt held back by interrupt moderation when IMODC reaches 0. */
    private Timer moderationTimer;
    /**
     * An event that asks for an interrupt (not Block Event Interrupt) was posted and no interrupt
     * has been signalled for it yet (xHCI 1.2 section 4.17.2).
     */
    private boolean interruptWanted;
    /** Guest time (ns) when the Interrupt Moderation Counter (IMODC) reaches 0. */
    private long moderationEnd;

    int usbcmd;
    int usbsts;
    int dnctrl;
    long dcbaap;
    int config;

    Xhci(DeviceContext ctx, Model model, int addr) {
        this.ctx = ctx;
        this.model = model;
        this.addr = addr;
        this.mem = new GuestMemory(ctx.memory());
        this.events = new EventRing(mem);
        this.commands = new CommandRing(this);
        this.transfers = new TransferRunner(this);
        for (int i = 0; i < USB2_PORTS; i++) {
            ports[i] = new RootPort(i + 1, false, i + 1);
        }
        for (int i = 0; i < USB3_PORTS; i++) {
            ports[USB2_PORTS + i] = new RootPort(USB2_PORTS + i + 1, true, i + 1);
        }
        this.registers = new MemoryRegion.Io("xhci", BAR_SIZE, new Mmio() {
            @Override
            public long read(long offset, int size) {
                return readRegister((int) offset) & 0xFFFFFFFFL;
            }

            @Override
            public void write(long offset, int size, long value) {
                writeRegister((int) offset, (int) value);
            }
        }, AccessSpec.DWORDS);
        resetController();
    }

    UsbBus bus() {
        return bus;
    }

    // ---- life cycle ----

    @Override
    public void realize() {
        isochTimer = ctx.executor().newTimer("isoch", this::isochDue);
        moderationTimer = ctx.executor().newTimer("imod", this::signalInterrupt);
        pci = ctx.bus(PciBus.NAME, PciBus.class).plug(ctx.id(), this, addr);
        ctx.registerBus(ctx.id() + ".0", bus);
        try {
            ctx.registerBus(UsbBus.DEFAULT, bus);
        } catch (IllegalStateException e) {
            // another controller is the machine's first USB bus
        }
    }

    @Override
    public void reset() {
        resetController();
    }

    @Override
    public void unrealize() {
        gone = true;
        if (isochTimer != null) {
            isochTimer.cancel();
        }
        if (moderationTimer != null) {
            moderationTimer.cancel();
        }
        for (RootPort p : ports) {
            if (p.device != null) {
                transfers.cancelPort(p.id);
                p.device = null;
            }
        }
        if (pci != null) {
            pci.unplug();
            pci = null;
        }
    }

    void resetController() {
        for (Slot s : slots) {
            if (s != null) {
                transfers.cancelSlot(s);
            }
        }
        java.util.Arrays.fill(slots, null);
        usbcmd = 0;
        usbsts = 0;
        dnctrl = 0;
        dcbaap = 0;
        config = 0;
        events.reset();
        interruptWanted = false;
        moderationEnd = 0;
        if (moderationTimer != null) {
            moderationTimer.cancel();
        }
        commands.reset();
        for (RootPort p : ports) {
            p.reset();
        }
        updateIrq();
    }

    boolean running() {
        return (usbcmd & CMD_RUN) != 0;
    }

    // ---- PCI ----

    @Override
    public PciHeader header() {
        return new PciHeader(model.vendor, model.device, 1, 0x0C0330, model.subsystemVendor, model.subsystem, 1);
    }

    @Override
    public List<PciBar> bars() {
        return List.of(new PciBar(0, false, registers));
    }

    @Override
    public int configRead(int offset, int size) {
        // 0x60 SBRN: serial bus release 3.0; 0x61 FLADJ: frame length adjustment default 0x20
        long v = 0x2030L;
        int shift = (offset - 0x60) * 8;
        if (offset < 0x60 || offset > 0x61) {
            return 0;
        }
        return (int) (v >>> shift) & (size == 1 ? 0xFF : size == 2 ? 0xFFFF : -1);
    }

    // ---- registers ----

    int readRegister(int offset) {
        if (offset < OP) {
            return switch (offset) {
                case 0x00 -> OP | 0x0100 << 16;
                case 0x04 -> MAX_SLOTS | 1 << 8 | ports.length << 24;
                case 0x08 -> IST | 4 << 4;                             // IST (microframes), ERST Max 2^4 segments
                case 0x10 -> 1 | HCC_CFC | (XECP / 4) << 16;           // AC64, CFC, xECP
                case 0x14 -> DOORBELLS;
                case 0x18 -> RUNTIME;
                default -> 0;
            };
        }
        if (offset < PORTS_BASE) {
            return switch (offset - OP) {
                case 0x00 -> usbcmd;
                case 0x04 -> usbsts | (running() ? 0 : STS_HCH);
                case 0x08 -> 1;                                        // 4 KiB pages
                case 0x14 -> dnctrl;
                case 0x18 -> commands.crcrLow();
                case 0x30 -> (int) dcbaap;
                case 0x34 -> (int) (dcbaap >>> 32);
                case 0x38 -> config;
                default -> 0;
            };
        }
        if (offset < PORTS_BASE + 0x10 * ports.length) {
            int n = (offset - PORTS_BASE) / 0x10;
            return (offset & 0xF) == 0 ? ports[n].read() : 0;
        }
        if (offset >= XECP && offset < XECP + 0x20) {
            return protocolCapability((offset - XECP) / 4);
        }
        if (offset >= RUNTIME && offset < RUNTIME + 0x40) {
            return switch (offset - RUNTIME) {
                case 0x00 -> (int) (ctx.executor().clock().nanos() / 125_000) & 0x3FFF;
                case 0x20 -> events.iman;
                case 0x24 -> events.imod & 0xFFFF | moderationCounter() << 16;
                case 0x28 -> events.erstsz;
                case 0x30 -> (int) events.erstba;
                case 0x34 -> (int) (events.erstba >>> 32);
                case 0x38 -> (int) events.erdp;
                case 0x3C -> (int) (events.erdp >>> 32);
                default -> 0;
            };
        }
        return 0;                                                      // doorbells read 0
    }

    /** The two Supported Protocol capabilities (xHCI 1.2 section 7.2), dword {@code i}. */
    private int protocolCapability(int i) {
        boolean usb3 = i >= 4;
        return switch (i % 4) {
            case 0 -> 2 | (usb3 ? 0 : 4) << 8 | (usb3 ? 3 : 2) << 24;   // ID 2, next, revision 2.0 / 3.0
            case 1 -> 0x20425355;                                       // "USB "
            case 2 -> (usb3 ? USB2_PORTS + 1 : 1) | (usb3 ? USB3_PORTS : USB2_PORTS) << 8;
            default -> 0;                                               // protocol slot type 0
        };
    }

    void writeRegister(int offset, int value) {
        if (offset < OP) {
            return;                                                    // capability registers are read-only
        }
        if (offset < PORTS_BASE) {
            switch (offset - OP) {
                case 0x00 -> writeUsbcmd(value);
                case 0x04 -> {
                    usbsts &= ~(value & (STS_HSE | STS_EINT | STS_PCD | STS_SRE));
                    updateIrq();
                }
                case 0x14 -> dnctrl = value & 0xFFFF;
                case 0x18 -> commands.writeCrcrLow(value);
                case 0x1C -> commands.writeCrcrHigh(value);
                case 0x30 -> dcbaap = dcbaap & 0xFFFFFFFF00000000L | value & 0xFFFFFFC0L;
                case 0x34 -> dcbaap = (long) value << 32 | dcbaap & 0xFFFFFFFFL;
                case 0x38 -> config = value & 0x3FF;
                default -> { }
            }
            return;
        }
        if (offset < PORTS_BASE + 0x10 * ports.length) {
            if ((offset & 0xF) == 0) {
                RootPort p = ports[(offset - PORTS_BASE) / 0x10];
                if (p.write(value)) {
                    portChanged(p);
                }
            }
            return;
        }
        if (offset >= RUNTIME && offset < RUNTIME + 0x40) {
            switch (offset - RUNTIME) {
                case 0x20 -> {
                    if ((value & events.iman & EventRing.IMAN_IP) != 0) {
                        // IP cleared: IMODC is loaded with IMODI (xHCI 1.2 section 5.5.2.2)
                        moderationEnd = ctx.executor().clock().nanos() + 250L * (events.imod & 0xFFFF);
                    }
                    events.iman = events.iman & ~(value & EventRing.IMAN_IP) & ~EventRing.IMAN_IE
                            | value & EventRing.IMAN_IE;
                    updateIrq();
                    signalInterrupt();
                }
                case 0x24 -> {
                    events.imod = value & 0xFFFF;
                    moderationEnd = ctx.executor().clock().nanos() + 250L * (value >>> 16);
                    signalInterrupt();
                }
                case 0x28 -> events.erstsz = value & 0xFFFF;
                case 0x30 -> {
                    events.erstba = events.erstba & 0xFFFFFFFF00000000L | value & 0xFFFFFFC0L;
                    startEventRing();
                }
                case 0x34 -> {
                    events.erstba = (long) value << 32 | events.erstba & 0xFFFFFFFFL;
                    startEventRing();
                }
                case 0x38 -> {
                    events.writeErdp(events.erdp & 0xFFFFFFFF00000000L | value & 0xFFFFFFFFL);
                    signalInterrupt();
                }
                case 0x3C -> {
                    events.writeErdp((long) value << 32 | events.erdp & 0xFFFFFFF7L);
                    signalInterrupt();
                }
                default -> { }
            }
            return;
        }
        if (offset >= DOORBELLS && offset < DOORBELLS + 4 * (MAX_SLOTS + 1)) {
            doorbell((offset - DOORBELLS) / 4, value);
        }
    }

    private void startEventRing() {
        String error = events.start();
        if (error != null) {
            warnOnce("erst", error + "; events are dropped until ERSTBA is written again");
        }
    }

    private void writeUsbcmd(int value) {
        if ((value & CMD_HCRST) != 0) {
            resetController();
            return;
        }
        boolean wasRunning = running();
        usbcmd = value & (CMD_RUN | CMD_INTE | 8 | 1 << 10 | 1 << 11);
        if (!wasRunning && running()) {
            for (RootPort p : ports) {
                if ((p.portsc & RootPort.CHANGE_BITS) != 0) {
                    portChanged(p);
                }
            }
        }
        updateIrq();
    }

    private void doorbell(int target, int value) {
        if (!running()) {
            warnOnce("db-halted", "doorbell " + target + " rung while the controller is halted; ignored");
            return;
        }
        if (target == 0) {
            commands.run();
        } else {
            transfers.doorbell(target, value & 0xFF);
        }
    }

    // ---- events and interrupts ----

    /** Posts an event TRB to interrupter 0 and interrupts. */
    void postEvent(long parameter, int status, int control) {
        postEvent(parameter, status, control, true);
    }

    /**
     * Posts an event TRB to interrupter 0; with {@code interrupt} false (a TRB with Block Event
     * Interrupt, xHCI 1.2 section 4.17.5) the event waits on the ring for the next interrupt.
     */
    void postEvent(long parameter, int status, int control, boolean interrupt) {
        if (!events.post(parameter, status, control)) {
            warnOnce("ring-full", "event ring full or not set up (" + events.dropped + " events dropped so far);"
                    + " the guest is not consuming events");
            return;
        }
        if (interrupt) {
            interruptWanted = true;
            signalInterrupt();
        }
    }

    /**
     * Interrupt moderation (xHCI 1.2 sections 4.17.2 and 5.5.2): an interrupt that an event asked
     * for is signalled (IP and EHB set, USBSTS EINT, the line raised if IE and INTE) once IP is 0,
     * the Event Handler Busy flag is 0 (the guest's handler wrote ERDP), the event ring is not
     * empty and the Interrupt Moderation Counter has counted down to 0 (IMODI x 250 ns after the
     * guest cleared IP; IMODI 0: at once). Events the handler consumed before it cleared EHB need
     * no further interrupt.
     */
    private void signalInterrupt() {
        if (!interruptWanted || (events.iman & EventRing.IMAN_IP) != 0 || (events.erdp & EventRing.ERDP_EHB) != 0) {
            return;
        }
        if (!events.pending()) {
            interruptWanted = false;                           // the guest consumed them already
            return;
        }
        long now = ctx.executor().clock().nanos();
        if (now < moderationEnd) {
            if (moderationTimer != null && (!moderationTimer.isArmed() || moderationTimer.deadline() > moderationEnd)) {
                moderationTimer.armAt(moderationEnd);
            }
            return;
        }
        interruptWanted = false;
        events.iman |= EventRing.IMAN_IP;
        events.erdp |= EventRing.ERDP_EHB;
        usbsts |= STS_EINT;
        updateIrq();
    }

    /** IMODC: what is left of the moderation interval, in 250 ns units. */
    private int moderationCounter() {
        long left = moderationEnd - ctx.executor().clock().nanos();
        return left <= 0 ? 0 : (int) Math.min(0xFFFF, (left + 249) / 250);
    }

    /** The current microframe (125 us) of the bus, as MFINDEX counts it (without its 14-bit wrap). */
    long microframe() {
        return ctx.executor().clock().nanos() / 125_000;
    }

    /** Runs the isochronous endpoints again at {@code microframe} (or earlier, if already armed so). */
    void wakeIsochAt(long microframe) {
        if (isochTimer == null) {
            return;
        }
        long at = microframe * 125_000;
        if (!isochTimer.isArmed() || isochTimer.deadline() > at) {
            isochTimer.armAt(at);
        }
    }

    private void isochDue() {
        if (gone || !running()) {
            return;
        }
        for (Slot s : slots) {
            if (s == null || slots[s.id] != s) {
                continue;
            }
            for (Endpoint ep : s.endpoints) {
                if (ep != null && ep.isoch() && ep.state == Endpoint.RUNNING && ep.inflight == null) {
                    transfers.run(s, ep);
                }
            }
        }
    }

    void portChanged(RootPort p) {
        usbsts |= STS_PCD;
        if (running()) {
            postEvent((long) p.id << 24, Trb.SUCCESS << 24, Trb.PORT_STATUS_CHANGE << 10);
        }
    }

    void updateIrq() {
        if (pci != null) {
            boolean level = (events.iman & EventRing.IMAN_IP) != 0 && (events.iman & EventRing.IMAN_IE) != 0
                    && (usbcmd & CMD_INTE) != 0;
            pci.intx().set(level);
        }
    }

    /** Logs a guest error once per kind. */
    void warnOnce(String kind, String message) {
        if (logged.add(kind) && logged.size() < 64) {
            ctx.log().warn("xhci '{}': {} (logged once)", ctx.id(), message);
        }
    }

    private void rerunPort(int portId) {
        for (Slot s : slots) {
            if (s != null && s.port == portId && slots[s.id] == s) {
                for (Endpoint ep : s.endpoints) {
                    if (ep != null && ep.state == Endpoint.RUNNING && ep.inflight == null && running()) {
                        transfers.run(s, ep);
                    }
                }
            }
        }
    }

    // ---- state ----

    @Override
    public Class<XhciState> stateType() {
        return XhciState.class;
    }

    @Override
    public int stateVersion() {
        return 1;
    }

    @Override
    public XhciState saveState() {
        int[] portsc = new int[ports.length];
        for (int i = 0; i < ports.length; i++) {
            portsc[i] = ports[i].portsc;
        }
        List<XhciState.SlotState> saved = new java.util.ArrayList<>();
        for (Slot s : slots) {
            if (s == null) {
                continue;
            }
            List<XhciState.EndpointState> eps = new java.util.ArrayList<>();
            for (Endpoint ep : s.endpoints) {
                if (ep != null) {
                    eps.add(new XhciState.EndpointState(ep.dci, ep.state, ep.type, ep.dequeue, ep.cycle));
                }
            }
            saved.add(new XhciState.SlotState(s.id, s.state, s.port, s.context, eps));
        }
        return new XhciState(usbcmd, usbsts, dnctrl, dcbaap, config, commands.dequeue, commands.cycle, events.iman,
                events.imod, events.erstsz, events.erstba, events.erdp, events.producer(), portsc, saved,
                pci == null ? null : pci.saveConfig());
    }

    @Override
    public void loadState(XhciState st) {
        if (st.portsc() == null || st.portsc().length != ports.length) {
            throw new StateException("xhci state: " + ports.length + " ports expected");
        }
        java.util.Arrays.fill(slots, null);
        usbcmd = st.usbcmd();
        usbsts = st.usbsts();
        dnctrl = st.dnctrl();
        dcbaap = st.dcbaap();
        config = st.config();
        commands.dequeue = st.commandDequeue();
        commands.cycle = st.commandCycle();
        events.iman = st.iman();
        events.imod = st.imod();
        events.erstsz = st.erstsz();
        events.erstba = st.erstba();
        events.erdp = st.erdp();
        events.restoreProducer(st.eventProducer());
        for (int i = 0; i < ports.length; i++) {
            ports[i].portsc = st.portsc()[i];
            restoredConnection[i] = ports[i].device == null && (st.portsc()[i] & RootPort.CCS) != 0;
        }
        for (XhciState.SlotState ss : st.slots()) {
            if (ss.id() < 1 || ss.id() > MAX_SLOTS) {
                throw new StateException("xhci state: slot id " + ss.id() + " is not 1.." + MAX_SLOTS);
            }
            Slot s = new Slot(ss.id());
            s.state = ss.state();
            s.port = ss.port();
            s.context = ss.context();
            for (XhciState.EndpointState es : ss.endpoints()) {
                if (es.dci() < 1 || es.dci() > 31) {
                    throw new StateException("xhci state: endpoint DCI " + es.dci() + " is not 1..31");
                }
                Endpoint ep = new Endpoint(es.dci());
                ep.state = es.state();
                ep.type = es.type();
                ep.dequeue = es.dequeue();
                ep.cycle = es.cycle();
                long at = s.context + 32L * es.dci();
                if (ep.isoch() && s.context != 0 && mem.isRam(at, 4)) {
                    ep.interval = 1 << Math.min(15, mem.dword(at) >>> 16 & 0xFF);
                }
                s.endpoints[es.dci()] = ep;
            }
            slots[ss.id()] = s;
        }
        Bandwidth.restore(this);
        if (st.pciConfig() != null && pci != null) {
            pci.loadConfig(st.pciConfig());
        }
        // moderation is not saved: events the guest has not consumed ask for an interrupt again
        moderationEnd = 0;
        interruptWanted = events.pending();
        updateIrq();
        signalInterrupt();
    }

    UsbDevice deviceAt(int portId) {
        return portId >= 1 && portId <= ports.length ? ports[portId - 1].device : null;
    }

    // ---- the bus devices see ----

    private final class Bus implements UsbBus {
        @Override
        public UsbPort attach(DeviceContext owner, UsbDevice device, int port) {
            RootPort rp = null;
            for (RootPort p : ports) {
                if (p.carries(device.speed()) && (port == -1 ? p.device == null : p.userPort == port)) {
                    rp = p;
                    break;
                }
            }
            if (port != -1 && (port < 1 || port > USB2_PORTS)) {
                throw new IllegalArgumentException("USB bus '" + ctx.id() + ".0' has ports 1.." + USB2_PORTS + ", not "
                        + port);
            }
            if (rp == null) {
                throw new IllegalArgumentException("USB bus '" + ctx.id() + ".0' has no free port for a "
                        + device.speed() + " speed device");
            }
            if (rp.device != null) {
                throw new IllegalArgumentException("port " + port + " of USB bus '" + ctx.id() + ".0' is taken");
            }
            RootPort chosen = rp;
            chosen.device = device;
            if (restoredConnection[chosen.id - 1] || pendingDisconnect[chosen.id - 1]) {
                // the same device coming back after a hot-swap: the guest saw no disconnect; after the
                // device has loaded its own state, transfers the swap interrupted run again
                restoredConnection[chosen.id - 1] = false;
                pendingDisconnect[chosen.id - 1] = false;
                ctx.executor().execute(() -> rerunPort(chosen.id));
            } else {
                device.busReset();
                chosen.connect();
                portChanged(chosen);
            }
            PortHandle h = new PortHandle(chosen, device);
            owner.onRelease(h::detach);
            return h;
        }

        @Override
        public int ports() {
            return USB2_PORTS;
        }
    }

    private final class PortHandle implements UsbPort {
        private final RootPort port;
        private final UsbDevice device;

        PortHandle(RootPort port, UsbDevice device) {
            this.port = port;
            this.device = device;
        }

        @Override
        public int number() {
            return port.userPort;
        }

        @Override
        public boolean attached() {
            return port.device == device;
        }

        /**
         * The device goes at once, but the guest hears of it in a task after the current one: a
         * hot-swap, which unrealizes and re-creates the device (and maybe this controller) in one
         * task, re-attaches before that and the guest sees no disconnect; PORTSC, and with it the
         * saved state, still says connected until then.
         */
        @Override
        public void detach() {
            if (port.device != device) {
                return;
            }
            transfers.cancelPort(port.id);
            port.device = null;
            pendingDisconnect[port.id - 1] = true;
            ctx.executor().execute(() -> {
                if (!gone && pendingDisconnect[port.id - 1] && port.device == null) {
                    pendingDisconnect[port.id - 1] = false;
                    port.disconnect();
                    Bandwidth.release(Xhci.this, port.id);
                    portChanged(port);
                }
            });
        }
    }
}
