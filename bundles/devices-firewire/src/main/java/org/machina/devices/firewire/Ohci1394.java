package org.machina.devices.firewire;

import static org.machina.api.bus.ieee1394.Ieee1394.*;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.machina.api.bus.ieee1394.AsyncRequest;
import org.machina.api.bus.ieee1394.AsyncResponse;
import org.machina.api.bus.ieee1394.BusResetInfo;
import org.machina.api.bus.ieee1394.Ieee1394Bus;
import org.machina.api.bus.ieee1394.Ieee1394Node;
import org.machina.api.bus.ieee1394.Ieee1394Port;
import org.machina.api.bus.ieee1394.IsochronousPacket;
import org.machina.api.bus.ieee1394.PhyConfig;
import org.machina.api.bus.ieee1394.Responder;
import org.machina.api.bus.ieee1394.SelfId;
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
import org.machina.api.state.StateException;
import org.machina.api.state.Stateful;
import org.machina.api.time.Timer;

/**
 * An IEEE 1394 Open Host Controller Interface 1.1 controller as a PCI function: Texas Instruments
 * TSB43AB22/A (104c:8023, class 0c 00 10), registers in a 2 KiB memory BAR 0, INTA. It owns a
 * {@link Ieee1394Bus} ({@link Ieee1394BusImpl}, registered as {@value Ieee1394Bus#NAME}) and is the
 * root node of it. See {@link OhciRegisters} for the register map.
 *
 * <p>Implemented: the register set, the PHY registers ({@link OhciPhy}), AT request/response and AR
 * request/response DMA ({@link AtContext}, {@link ArContext}), bus reset with self-ID receive and the
 * bus-reset packet, config ROM mapping with the atomic update on bus reset, the CSR lock registers,
 * physical read and (posted) write requests checked against PhyReqFilter and PhyUpperBound,
 * AsReqFilter, the cycle timer with cycle64Seconds, interrupts, and isochronous DMA: four IT
 * ({@link ItContext}) and four IR ({@link IrContext}) contexts driven by an 8 kHz cycle clock in
 * guest time that runs only while a context needs it.
 */
final class Ohci1394 implements Device, PciEndpoint, Ieee1394Node, AtContext.Transmitter, Stateful<OhciState> {
    static final int VENDOR_TI = 0x104C;
    static final int DEVICE_TSB43AB22 = 0x8023;
    static final int CLASS_OHCI1394 = 0x0C0010;
    static final int BAR_SIZE = 2048;
    static final int VERSION_1_1 = 0x0001_0010;
    static final int IT_CONTEXTS = 4;
    static final int IR_CONTEXTS = 4;
    static final int MAX_WARNINGS = 20;
    /** Default bus options: irmc cmc isc bmc, cyc_clk_acc 100 ppm, max_rec 2048 bytes, S400. */
    static final int BUS_OPTIONS = 0xF064_A002;

    private final DeviceContext ctx;
    private final int addr;
    private final long guid;
    /** The shared bus this controller's bus joins ({@code bus-name}), or empty. */
    private final String busName;
    private final GuestDma dma;
    private final MemoryRegion.Io registers;
    private final Ieee1394BusImpl bus;
    private final OhciPhy phy = new OhciPhy();
    final AtContext atRequest;
    final AtContext atResponse;
    final ArContext arRequest;
    final ArContext arResponse;
    private final Timer cycle64;
    private PciSlot slot;
    private Ieee1394Port port;
    private int warnings;

    // registers
    int hcControl;
    int linkControl;
    int intEvent;
    int intMask;
    int isoXmitEvent;
    int isoXmitMask;
    int isoRecvEvent;
    int isoRecvMask;
    int configRomHdr;
    int busOptions = BUS_OPTIONS;
    int configRomMap;
    int nextConfigRomMap = -1;
    int selfIdBuffer;
    int selfIdCount;
    int nodeId = 0xFFC0 | 63;
    boolean nodeIdValid;
    int phyControl;
    int atRetries;
    int csrData;
    int csrCompare;
    int csrControl = 0x8000_0000;
    int[] csr = new int[4];
    int asReqFilterHi;
    int asReqFilterLo;
    int phyReqFilterHi;
    int phyReqFilterLo;
    int phyUpperBound;
    int postedWriteLo;
    int postedWriteHi;
    int fairness;
    int initialBandwidth = 4915;
    int initialChannelsHi = -1;
    int initialChannelsLo = -1;
    int irMultiChanHi;
    int irMultiChanLo;
    final ItContext[] it = new ItContext[IT_CONTEXTS];
    final IrContext[] ir = new IrContext[IR_CONTEXTS];
    /** The isochronous cycle clock: armed only while a context needs cycles (see {@link #armIsoCycle}). */
    private final Timer isoCycle;
    /** The last cycle processed (index in the cycle timer's 128-second range). */
    private long lastCycle;
    /** Channels the bus delivers to this node (bit per channel). */
    private long listening;
    /** Cycle timer: the counter value (24.576 MHz ticks) at {@link #cycleBaseNanos}, frozen when disabled. */
    private long cycleBaseTicks;
    private long cycleBaseNanos;
    private int generation;
    /** Requests received into AR that wait for the guest's response: key source node << 6 | tlabel. */
    private final Map<Integer, Responder> awaiting = new HashMap<>();

    Ohci1394(DeviceContext ctx, int addr, long guid) {
        this(ctx, addr, guid, "");
    }

    /** With a non-empty {@code busName} the controller's bus is one segment of the runtime's shared bus of that name. */
    Ohci1394(DeviceContext ctx, int addr, long guid, String busName) {
        this.ctx = ctx;
        this.busName = busName;
        this.addr = addr;
        this.guid = guid;
        this.dma = new GuestDma(ctx.memory());
        this.bus = new Ieee1394BusImpl(ctx.executor(), ctx.log());
        this.atRequest = new AtContext("AT request", dma, this);
        this.atResponse = new AtContext("AT response", dma, new AtContext.Transmitter() {
            @Override
            public int transmit(int[] header, byte[] headerBytes, byte[] payload) {
                return transmitResponse(header, headerBytes, payload);
            }

            @Override
            public boolean held() {
                return Ohci1394.this.held();
            }

            @Override
            public void complete() {
                raise(OhciRegisters.INT_RESP_TX_COMPLETE);
            }

            @Override
            public void dead(String why) {
                Ohci1394.this.dead(why);
            }

            @Override
            public int timeStamp() {
                return Ohci1394.this.timeStamp();
            }
        });
        this.arRequest = new ArContext("AR request", dma, new ArContext.Sink() {
            @Override
            public void bufferComplete() {
                raise(OhciRegisters.INT_ARRQ);
            }

            @Override
            public void dead(String why) {
                Ohci1394.this.dead(why);
            }
        });
        this.arResponse = new ArContext("AR response", dma, new ArContext.Sink() {
            @Override
            public void bufferComplete() {
                raise(OhciRegisters.INT_ARRS);
            }

            @Override
            public void dead(String why) {
                Ohci1394.this.dead(why);
            }
        });
        this.cycle64 = ctx.executor().newTimer(ctx.id() + " cycle64Seconds", this::cycle64Seconds);
        this.isoCycle = ctx.executor().newTimer(ctx.id() + " isochronous cycle", this::isoCycle);
        for (int n = 0; n < IT_CONTEXTS; n++) {
            int bit = 1 << n;
            it[n] = new ItContext("IT " + n, dma, new ItContext.Link() {
                @Override
                public void send(IsochronousPacket packet) {
                    if (port != null && linkOn()) {
                        port.sendIsochronous(packet);
                    }
                }

                @Override
                public void interrupt() {
                    isoXmitEvent |= bit;
                    updateIrq();
                }

                @Override
                public void dead(String why) {
                    Ohci1394.this.dead(why);
                }
            });
        }
        for (int n = 0; n < IR_CONTEXTS; n++) {
            int bit = 1 << n;
            ir[n] = new IrContext("IR " + n, dma, new IrContext.Link() {
                @Override
                public void interrupt() {
                    isoRecvEvent |= bit;
                    updateIrq();
                }

                @Override
                public void dead(String why) {
                    Ohci1394.this.dead(why);
                }
            });
        }
        this.registers = new MemoryRegion.Io("ohci-1394", BAR_SIZE, new Mmio() {
            @Override
            public long read(long offset, int size) {
                return readRegister((int) offset & ~3) & 0xFFFF_FFFFL;
            }

            @Override
            public void write(long offset, int size, long value) {
                try {
                    writeRegister((int) offset & ~3, (int) value);
                } catch (RuntimeException e) {
                    // a bug in the controller or a node: never into the machine loop
                    ctx.log().warn("ohci-1394 '" + ctx.id() + "': write of 0x" + Long.toHexString(value) + " to 0x"
                            + Long.toHexString(offset) + " failed", e);
                    raise(OhciRegisters.INT_UNRECOVERABLE);
                }
            }
        }, new AccessSpec(4, 4, 4, 4, false));
        hardReset();
    }

    Ieee1394BusImpl bus() {
        return bus;
    }

    Ieee1394Port port() {
        return port;
    }

    // ---- life cycle ----

    @Override
    public void realize() {
        slot = ctx.bus(PciBus.NAME, PciBus.class).plug(ctx.id(), this, addr);
        ctx.registerBus(Ieee1394Bus.NAME, bus);
        if (!busName.isEmpty()) {
            bus.join(busName);
            ctx.onRelease(bus::leave);
        }
        port = bus.attach(ctx.id(), this);
        listening = 0;
        updateListening();
    }

    @Override
    public void reset() {
        hardReset();
        updateIrq();
    }

    @Override
    public void unrealize() {
        cycle64.cancel();
        isoCycle.cancel();
        if (port != null) {
            port.detach();
            port = null;
        }
        bus.leave();
        if (slot != null) {
            slot.unplug();
            slot = null;
        }
    }

    private void hardReset() {
        softReset();
        phy.reset();
        if (port != null) {
            port.setGapCount(63);
        }
    }

    /** HCControl.softReset (OHCI 5.7): everything but the PHY and the bus back to defaults. */
    void softReset() {
        hcControl = OhciRegisters.HC_PROGRAM_PHY_ENABLE;
        linkControl = 0;
        intEvent = 0;
        intMask = 0;
        isoXmitEvent = isoXmitMask = isoRecvEvent = isoRecvMask = 0;
        configRomHdr = 0;
        busOptions = BUS_OPTIONS;
        configRomMap = 0;
        nextConfigRomMap = -1;
        selfIdBuffer = 0;
        selfIdCount = 0;
        nodeIdValid = false;
        phyControl = 0;
        atRetries = 0;
        csrData = csrCompare = 0;
        csrControl = 0x8000_0000;
        resetCsr();
        asReqFilterHi = asReqFilterLo = phyReqFilterHi = phyReqFilterLo = 0;
        phyUpperBound = 0;
        postedWriteLo = postedWriteHi = 0;
        fairness = 0;
        irMultiChanHi = irMultiChanLo = 0;
        for (ItContext c : it) {
            c.reset();
        }
        for (IrContext c : ir) {
            c.reset();
        }
        atRequest.reset();
        atResponse.reset();
        arRequest.reset();
        arResponse.reset();
        awaiting.clear();
        cycleBaseTicks = 0;
        cycleBaseNanos = ctx.executor().clock().nanos();
        cycle64.cancel();
        isoCycle.cancel();
        updateListening();
    }

    private void resetCsr() {
        csr[0] = 0x3F;                 // BUS_MANAGER_ID: none
        csr[1] = initialBandwidth;     // BANDWIDTH_AVAILABLE
        csr[2] = initialChannelsHi;    // CHANNELS_AVAILABLE_HI
        csr[3] = initialChannelsLo;    // CHANNELS_AVAILABLE_LO
    }

    // ---- PCI ----

    @Override
    public PciHeader header() {
        return new PciHeader(VENDOR_TI, DEVICE_TSB43AB22, 0, CLASS_OHCI1394, VENDOR_TI, DEVICE_TSB43AB22, 1);
    }

    @Override
    public List<PciBar> bars() {
        return List.of(new PciBar(0, false, registers));
    }

    // ---- registers ----

    int readRegister(int offset) {
        if (offset >= OhciRegisters.IT_BASE && offset < OhciRegisters.IT_BASE + 16 * IT_CONTEXTS) {
            int n = (offset - OhciRegisters.IT_BASE) / 16;
            return switch (offset & 15) {
                case 0, 4 -> it[n].control;
                case 12 -> it[n].commandPtr;
                default -> 0;
            };
        }
        if (offset >= OhciRegisters.IR_BASE && offset < OhciRegisters.IR_BASE + 32 * IR_CONTEXTS) {
            int n = (offset - OhciRegisters.IR_BASE) / 32;
            return switch (offset & 31) {
                case 0, 4 -> ir[n].readControl();
                case 12 -> ir[n].commandPtr;
                case 16 -> ir[n].match;
                default -> 0;
            };
        }
        return switch (offset) {
            case OhciRegisters.VERSION -> VERSION_1_1;
            case OhciRegisters.GUID_ROM -> 0;
            case OhciRegisters.AT_RETRIES -> atRetries;
            case OhciRegisters.CSR_DATA -> csrData;
            case OhciRegisters.CSR_COMPARE -> csrCompare;
            case OhciRegisters.CSR_CONTROL -> csrControl;
            case OhciRegisters.CONFIG_ROM_HDR -> configRomHdr;
            case OhciRegisters.BUS_ID -> 0x3133_3934;
            case OhciRegisters.BUS_OPTIONS -> busOptions;
            case OhciRegisters.GUID_HI -> (int) (guid >>> 32);
            case OhciRegisters.GUID_LO -> (int) guid;
            case OhciRegisters.CONFIG_ROM_MAP -> configRomMap;
            case OhciRegisters.POSTED_WRITE_LO -> postedWriteLo;
            case OhciRegisters.POSTED_WRITE_HI -> postedWriteHi;
            case OhciRegisters.VENDOR_ID -> 0;
            case OhciRegisters.HC_CONTROL_SET, OhciRegisters.HC_CONTROL_CLEAR -> hcControl;
            case OhciRegisters.SELF_ID_BUFFER -> selfIdBuffer;
            case OhciRegisters.SELF_ID_COUNT -> selfIdCount;
            case OhciRegisters.IR_MULTI_CHAN_HI_SET, OhciRegisters.IR_MULTI_CHAN_HI_CLEAR -> irMultiChanHi;
            case OhciRegisters.IR_MULTI_CHAN_LO_SET, OhciRegisters.IR_MULTI_CHAN_LO_CLEAR -> irMultiChanLo;
            case OhciRegisters.INT_EVENT_SET -> intEvent();
            case OhciRegisters.INT_EVENT_CLEAR -> intEvent() & intMask;
            case OhciRegisters.INT_MASK_SET, OhciRegisters.INT_MASK_CLEAR -> intMask;
            case OhciRegisters.ISO_XMIT_EVENT_SET -> isoXmitEvent;
            case OhciRegisters.ISO_XMIT_EVENT_CLEAR -> isoXmitEvent & isoXmitMask;
            case OhciRegisters.ISO_XMIT_MASK_SET, OhciRegisters.ISO_XMIT_MASK_CLEAR -> isoXmitMask;
            case OhciRegisters.ISO_RECV_EVENT_SET -> isoRecvEvent;
            case OhciRegisters.ISO_RECV_EVENT_CLEAR -> isoRecvEvent & isoRecvMask;
            case OhciRegisters.ISO_RECV_MASK_SET, OhciRegisters.ISO_RECV_MASK_CLEAR -> isoRecvMask;
            case OhciRegisters.INITIAL_BANDWIDTH -> initialBandwidth;
            case OhciRegisters.INITIAL_CHANNELS_HI -> initialChannelsHi;
            case OhciRegisters.INITIAL_CHANNELS_LO -> initialChannelsLo;
            case OhciRegisters.FAIRNESS_CONTROL -> fairness;
            case OhciRegisters.LINK_CONTROL_SET, OhciRegisters.LINK_CONTROL_CLEAR -> linkControl;
            case OhciRegisters.NODE_ID -> (nodeIdValid ? 0x8000_0000 : 0) | (phy.root ? 0x4000_0000 : 0) | 0x0800_0000
                    | nodeId & 0xFFFF;
            case OhciRegisters.PHY_CONTROL -> phyControl;
            case OhciRegisters.CYCLE_TIMER -> cycleTimer();
            case OhciRegisters.AS_REQ_FILTER_HI_SET, OhciRegisters.AS_REQ_FILTER_HI_CLEAR -> asReqFilterHi;
            case OhciRegisters.AS_REQ_FILTER_LO_SET, OhciRegisters.AS_REQ_FILTER_LO_CLEAR -> asReqFilterLo;
            case OhciRegisters.PHY_REQ_FILTER_HI_SET, OhciRegisters.PHY_REQ_FILTER_HI_CLEAR -> phyReqFilterHi;
            case OhciRegisters.PHY_REQ_FILTER_LO_SET, OhciRegisters.PHY_REQ_FILTER_LO_CLEAR -> phyReqFilterLo;
            case OhciRegisters.PHY_UPPER_BOUND -> phyUpperBound;
            case OhciRegisters.AT_REQ + 0, OhciRegisters.AT_REQ + 4 -> atRequest.control;
            case OhciRegisters.AT_REQ + 12 -> atRequest.commandPtr;
            case OhciRegisters.AT_RESP + 0, OhciRegisters.AT_RESP + 4 -> atResponse.control;
            case OhciRegisters.AT_RESP + 12 -> atResponse.commandPtr;
            case OhciRegisters.AR_REQ + 0, OhciRegisters.AR_REQ + 4 -> arRequest.control;
            case OhciRegisters.AR_REQ + 12 -> arRequest.commandPtr;
            case OhciRegisters.AR_RESP + 0, OhciRegisters.AR_RESP + 4 -> arResponse.control;
            case OhciRegisters.AR_RESP + 12 -> arResponse.commandPtr;
            default -> {
                warn("read of undefined register 0x{}", Integer.toHexString(offset));
                yield 0;
            }
        };
    }

    void writeRegister(int offset, int v) {
        if (offset >= OhciRegisters.IT_BASE && offset < OhciRegisters.IT_BASE + 16 * IT_CONTEXTS) {
            int n = (offset - OhciRegisters.IT_BASE) / 16;
            switch (offset & 15) {
                case 0 -> it[n].writeControlSet(v);
                case 4 -> it[n].writeControlClear(v);
                case 12 -> it[n].writeCommandPtr(v);
                default -> { }
            }
            armIsoCycle();
            return;
        }
        if (offset >= OhciRegisters.IR_BASE && offset < OhciRegisters.IR_BASE + 32 * IR_CONTEXTS) {
            int n = (offset - OhciRegisters.IR_BASE) / 32;
            switch (offset & 31) {
                case 0 -> ir[n].writeControlSet(v);
                case 4 -> ir[n].writeControlClear(v);
                case 12 -> ir[n].writeCommandPtr(v);
                case 16 -> ir[n].match = v & 0xF7FF_FF7F;
                default -> { }
            }
            updateListening();
            armIsoCycle();
            return;
        }
        switch (offset) {
            case OhciRegisters.AT_RETRIES -> atRetries = v;
            case OhciRegisters.CSR_DATA -> csrData = v;
            case OhciRegisters.CSR_COMPARE -> csrCompare = v;
            case OhciRegisters.CSR_CONTROL -> {
                int sel = v & 3;
                int old = csr[sel];
                if (old == csrCompare) {
                    csr[sel] = sel == 0 ? csrData & 0x3F : csrData;
                }
                csrData = old;
                csrControl = 0x8000_0000 | sel;
            }
            case OhciRegisters.CONFIG_ROM_HDR -> configRomHdr = v;
            case OhciRegisters.BUS_OPTIONS -> busOptions = v;
            case OhciRegisters.GUID_HI, OhciRegisters.GUID_LO -> { }   // loaded from the (absent) GUID ROM: read-only here
            case OhciRegisters.CONFIG_ROM_MAP -> {
                // with the link enabled the new map takes effect at the next bus reset (atomic update)
                if ((hcControl & OhciRegisters.HC_LINK_ENABLE) != 0) {
                    nextConfigRomMap = v & ~0x3FF;
                } else {
                    configRomMap = v & ~0x3FF;
                }
            }
            case OhciRegisters.HC_CONTROL_SET -> hcControlSet(v);
            case OhciRegisters.HC_CONTROL_CLEAR -> {
                hcControl &= ~(v & OhciRegisters.HC_WRITABLE);
                armIsoCycle();
            }
            case OhciRegisters.SELF_ID_BUFFER -> selfIdBuffer = v & ~0x7FF;
            case OhciRegisters.IR_MULTI_CHAN_HI_SET -> {
                irMultiChanHi |= v;
                updateListening();
            }
            case OhciRegisters.IR_MULTI_CHAN_HI_CLEAR -> {
                irMultiChanHi &= ~v;
                updateListening();
            }
            case OhciRegisters.IR_MULTI_CHAN_LO_SET -> {
                irMultiChanLo |= v;
                updateListening();
            }
            case OhciRegisters.IR_MULTI_CHAN_LO_CLEAR -> {
                irMultiChanLo &= ~v;
                updateListening();
            }
            case OhciRegisters.INT_EVENT_SET -> {
                intEvent |= v & ~(OhciRegisters.INT_ISOCH_TX | OhciRegisters.INT_ISOCH_RX | OhciRegisters.INT_MASTER);
                updateIrq();
            }
            case OhciRegisters.INT_EVENT_CLEAR -> {
                boolean wasHeld = held();
                intEvent &= ~v;
                updateIrq();
                if (wasHeld && !held()) {
                    atRequest.process();
                    atResponse.process();
                }
            }
            case OhciRegisters.INT_MASK_SET -> {
                intMask |= v;
                armCycle64();
                updateIrq();
            }
            case OhciRegisters.INT_MASK_CLEAR -> {
                intMask &= ~v;
                updateIrq();
            }
            case OhciRegisters.ISO_XMIT_EVENT_SET -> {
                isoXmitEvent |= v & (1 << IT_CONTEXTS) - 1;
                updateIrq();
            }
            case OhciRegisters.ISO_XMIT_EVENT_CLEAR -> {
                isoXmitEvent &= ~v;
                updateIrq();
            }
            case OhciRegisters.ISO_XMIT_MASK_SET -> {
                isoXmitMask |= v & (1 << IT_CONTEXTS) - 1;
                updateIrq();
            }
            case OhciRegisters.ISO_XMIT_MASK_CLEAR -> {
                isoXmitMask &= ~v;
                updateIrq();
            }
            case OhciRegisters.ISO_RECV_EVENT_SET -> {
                isoRecvEvent |= v & (1 << IR_CONTEXTS) - 1;
                updateIrq();
            }
            case OhciRegisters.ISO_RECV_EVENT_CLEAR -> {
                isoRecvEvent &= ~v;
                updateIrq();
            }
            case OhciRegisters.ISO_RECV_MASK_SET -> {
                isoRecvMask |= v & (1 << IR_CONTEXTS) - 1;
                updateIrq();
            }
            case OhciRegisters.ISO_RECV_MASK_CLEAR -> {
                isoRecvMask &= ~v;
                updateIrq();
            }
            case OhciRegisters.INITIAL_BANDWIDTH -> initialBandwidth = v & 0x1FFF;
            case OhciRegisters.INITIAL_CHANNELS_HI -> initialChannelsHi = v;
            case OhciRegisters.INITIAL_CHANNELS_LO -> initialChannelsLo = v;
            case OhciRegisters.FAIRNESS_CONTROL -> fairness = v & 0x3F;
            case OhciRegisters.LINK_CONTROL_SET -> {
                boolean wasRunning = cycleTimerRunning();
                long now = cycleTicks();
                linkControl |= v & OhciRegisters.LC_WRITABLE;
                cycleRestart(wasRunning, now);
                armIsoCycle();
            }
            case OhciRegisters.LINK_CONTROL_CLEAR -> {
                boolean wasRunning = cycleTimerRunning();
                long now = cycleTicks();
                linkControl &= ~(v & OhciRegisters.LC_WRITABLE);
                cycleRestart(wasRunning, now);
                armIsoCycle();
            }
            case OhciRegisters.NODE_ID -> nodeId = nodeId & 0x3F | (v & 0xFFC0);
            case OhciRegisters.PHY_CONTROL -> phyControlWrite(v);
            case OhciRegisters.CYCLE_TIMER -> {
                long ticks = ((long) (v >>> 25) * 8000 + (v >>> 12 & 0x1FFF)) * 3072 + Math.min(v & 0xFFF, 3071);
                cycleBaseTicks = ticks;
                cycleBaseNanos = ctx.executor().clock().nanos();
                armCycle64();
                isoCycle.cancel();
                armIsoCycle();
            }
            case OhciRegisters.AS_REQ_FILTER_HI_SET -> asReqFilterHi |= v;
            case OhciRegisters.AS_REQ_FILTER_HI_CLEAR -> asReqFilterHi &= ~v;
            case OhciRegisters.AS_REQ_FILTER_LO_SET -> asReqFilterLo |= v;
            case OhciRegisters.AS_REQ_FILTER_LO_CLEAR -> asReqFilterLo &= ~v;
            case OhciRegisters.PHY_REQ_FILTER_HI_SET -> phyReqFilterHi |= v;
            case OhciRegisters.PHY_REQ_FILTER_HI_CLEAR -> phyReqFilterHi &= ~v;
            case OhciRegisters.PHY_REQ_FILTER_LO_SET -> phyReqFilterLo |= v;
            case OhciRegisters.PHY_REQ_FILTER_LO_CLEAR -> phyReqFilterLo &= ~v;
            case OhciRegisters.PHY_UPPER_BOUND -> phyUpperBound = v;
            case OhciRegisters.AT_REQ + 0 -> atRequest.writeControlSet(v);
            case OhciRegisters.AT_REQ + 4 -> atRequest.writeControlClear(v);
            case OhciRegisters.AT_REQ + 12 -> atRequest.writeCommandPtr(v);
            case OhciRegisters.AT_RESP + 0 -> atResponse.writeControlSet(v);
            case OhciRegisters.AT_RESP + 4 -> atResponse.writeControlClear(v);
            case OhciRegisters.AT_RESP + 12 -> atResponse.writeCommandPtr(v);
            case OhciRegisters.AR_REQ + 0 -> arRequest.writeControlSet(v);
            case OhciRegisters.AR_REQ + 4 -> arRequest.writeControlClear(v);
            case OhciRegisters.AR_REQ + 12 -> arRequest.writeCommandPtr(v);
            case OhciRegisters.AR_RESP + 0 -> arResponse.writeControlSet(v);
            case OhciRegisters.AR_RESP + 4 -> arResponse.writeControlClear(v);
            case OhciRegisters.AR_RESP + 12 -> arResponse.writeCommandPtr(v);
            default -> warn("write of 0x" + Integer.toHexString(v) + " to read-only or undefined register 0x{}",
                    Integer.toHexString(offset));
        }
    }

    private void hcControlSet(int v) {
        if ((v & OhciRegisters.HC_SOFT_RESET) != 0) {
            softReset();   // completes at once: softReset reads back 0
            updateIrq();
            return;
        }
        // enabling the link resets nothing by itself: the driver asks for a reset through the PHY
        hcControl |= v & OhciRegisters.HC_WRITABLE;
        armIsoCycle();
    }

    private void phyControlWrite(int v) {
        int reg = v >>> 8 & 15;
        if ((v & OhciRegisters.PHY_RD_REG) != 0) {
            int data = phy.read(reg, port == null ? 63 : port.gapCount());
            phyControl = 0x8000_0000 | reg << 24 | data << 16;
            raise(OhciRegisters.INT_PHY_REG_RCVD);
        } else if ((v & OhciRegisters.PHY_WR_REG) != 0) {
            int[] gap = new int[1];
            OhciPhy.Effect e = phy.write(reg, v & 0xFF, gap);
            phyControl = phyControl & 0xFFFF_0000 | v & 0x0FFF;   // wrReg clears: done
            if (gap[0] >= 0 && port != null) {
                port.setGapCount(gap[0]);
            }
            if (e != OhciPhy.Effect.NONE && port != null) {
                port.initiateBusReset(e == OhciPhy.Effect.SHORT_RESET);
            }
        }
    }

    // ---- interrupts ----

    private int intEvent() {
        int e = intEvent;
        if ((isoXmitEvent & isoXmitMask) != 0) {
            e |= OhciRegisters.INT_ISOCH_TX;
        }
        if ((isoRecvEvent & isoRecvMask) != 0) {
            e |= OhciRegisters.INT_ISOCH_RX;
        }
        return e;
    }

    void raise(int bits) {
        intEvent |= bits;
        updateIrq();
    }

    private void updateIrq() {
        boolean level = (intMask & OhciRegisters.INT_MASTER) != 0 && (intEvent() & intMask & ~OhciRegisters.INT_MASTER) != 0;
        if (slot != null) {
            slot.intx().set(level);
        }
    }

    boolean irqLevel() {
        return (intMask & OhciRegisters.INT_MASTER) != 0 && (intEvent() & intMask & ~OhciRegisters.INT_MASTER) != 0;
    }

    // ---- cycle timer ----

    private boolean cycleTimerRunning() {
        return (linkControl & OhciRegisters.LC_CYCLE_TIMER_ENABLE) != 0;
    }

    /** The cycle timer as 24.576 MHz ticks (3072 per 125 us cycle, 8000 cycles a second, 128 seconds). */
    private long cycleTicks() {
        long t = cycleBaseTicks;
        if (cycleTimerRunning()) {
            long ns = ctx.executor().clock().nanos() - cycleBaseNanos;
            t += ns / 125_000 * 3072 + ns % 125_000 * 3072 / 125_000;
        }
        return t % (128L * 8000 * 3072);
    }

    private void cycleRestart(boolean wasRunning, long ticksNow) {
        if (wasRunning != cycleTimerRunning()) {
            cycleBaseTicks = ticksNow;
            cycleBaseNanos = ctx.executor().clock().nanos();
        }
        armCycle64();
    }

    int cycleTimer() {
        long t = cycleTicks();
        long cycles = t / 3072;
        return (int) ((cycles / 8000 & 0x7F) << 25 | (cycles % 8000) << 12 | t % 3072);
    }

    /** The 16-bit time stamp of status and trailers: cycleSeconds(2:0) and cycleCount. */
    @Override
    public int timeStamp() {
        int c = cycleTimer();
        return (c >>> 25 & 7) << 13 | c >>> 12 & 0x1FFF;
    }

    private void armCycle64() {
        if (!cycleTimerRunning() || (intMask & OhciRegisters.INT_CYCLE_64_SECONDS) == 0) {
            cycle64.cancel();
            return;
        }
        long period = 64L * 8000 * 3072;
        long t = cycleTicks();
        long toNext = period - t % period;
        cycle64.armAfter(toNext * 125_000 / 3072 + 1);
    }

    private void cycle64Seconds() {
        raise(OhciRegisters.INT_CYCLE_64_SECONDS);
        armCycle64();
    }

    // ---- isochronous cycles ----

    private static final long CYCLES = 128L * 8000;
    /** Cycles processed at most in one timer call when the timer came late; older ones are lost. */
    static final int MAX_CATCH_UP = 64;

    private boolean needsCycles() {
        for (ItContext c : it) {
            if (c.wantsCycles()) {
                return true;
            }
        }
        for (IrContext c : ir) {
            if (c.wantsCycles()) {
                return true;
            }
        }
        return false;
    }

    /**
     * Arms the cycle clock for the next cycle boundary when a context needs it (an IT context
     * running, or a context waiting for its cycleMatch) and the cycle timer runs with the link on;
     * otherwise stops it: no timer runs while no isochronous context works.
     */
    private void armIsoCycle() {
        if (!cycleTimerRunning() || !linkOn() || !needsCycles()) {
            isoCycle.cancel();
            return;
        }
        if (isoCycle.isArmed()) {
            return;
        }
        long t = cycleTicks();
        lastCycle = t / 3072;
        armNextCycle(t);
    }

    private void armNextCycle(long ticks) {
        long toNext = 3072 - ticks % 3072;
        isoCycle.armAfter((toNext * 125_000 + 3071) / 3072);
    }

    /** The cycle clock: every cycle since the last one, in order (at most {@value #MAX_CATCH_UP}). */
    private void isoCycle() {
        long t = cycleTicks();
        long now = t / 3072;
        long behind = Math.floorMod(now - lastCycle, CYCLES);
        long lost = Math.max(0, behind - MAX_CATCH_UP);
        if (lost > 0) {
            for (ItContext c : it) {
                c.lostCycle();
            }
        }
        for (long k = lost + 1; k <= behind; k++) {
            long c = (lastCycle + k) % CYCLES;
            int seconds = (int) (c / 8000);
            int count = (int) (c % 8000);
            int match = (seconds & 3) << 13 | count;
            int stamp = (seconds & 7) << 13 | count;
            for (IrContext r : ir) {
                r.cycle(match);
            }
            for (ItContext x : it) {
                x.cycle(match, stamp);
            }
        }
        lastCycle = now;
        if (cycleTimerRunning() && linkOn() && needsCycles()) {
            armNextCycle(t);
        }
    }

    private long multiChanMask() {
        return (long) irMultiChanHi << 32 | irMultiChanLo & 0xFFFF_FFFFL;
    }

    /** Tells the bus which channels the running IR contexts take. */
    private void updateListening() {
        long want = 0;
        for (IrContext c : ir) {
            if (c.running()) {
                want |= c.multiChannel() ? multiChanMask() : 1L << c.channel();
            }
        }
        if (port != null) {
            long changed = want ^ listening;
            for (int ch = 0; ch < 64; ch++) {
                if ((changed >>> ch & 1) != 0) {
                    port.listen(ch, (want >>> ch & 1) != 0);
                }
            }
        }
        listening = port == null ? 0 : want;
    }

    /** An isochronous packet from the bus: to every single-channel context that takes it, else to a multi-channel one. */
    @Override
    public void isochronous(IsochronousPacket packet) {
        if (!linkOn()) {
            return;
        }
        int stamp = timeStamp();
        boolean taken = false;
        for (IrContext c : ir) {
            if (!c.multiChannel() && c.takes(packet, 0)) {
                c.receive(packet, stamp);
                taken = true;
            }
        }
        if (!taken) {
            for (IrContext c : ir) {
                if (c.multiChannel() && c.takes(packet, multiChanMask())) {
                    c.receive(packet, stamp);
                    break;
                }
            }
        }
        armIsoCycle();
    }

    // ---- the node on the bus ----

    private boolean linkOn() {
        return (hcControl & OhciRegisters.HC_LINK_ENABLE) != 0 && (hcControl & OhciRegisters.HC_LPS) != 0;
    }

    @Override
    public PhyConfig phy() {
        return new PhyConfig(phy.linkControl() && linkOn(), phy.contender(), S400, phy.powerClass(), false);
    }

    @Override
    public void busReset(BusResetInfo info) {
        generation = info.generation() & 0xFF;
        phy.phyId = info.phyId();
        phy.root = info.phyId() == info.rootPhyId();
        int n = info.selfIds().size();
        phy.portState[0] = info.phyId() > 0 ? SelfId.PORT_CHILD : 0;
        phy.portState[1] = info.phyId() < n - 1 ? SelfId.PORT_PARENT : 0;
        awaiting.clear();
        resetCsr();
        // the physical request filters name nodes by ID, which a reset reassigns (OHCI 5.14.2)
        phyReqFilterHi = 0;
        phyReqFilterLo = 0;
        if (!linkOn()) {
            nodeIdValid = false;
            return;
        }
        nodeId = nodeId & 0xFFC0 | info.phyId();
        // the atomic config ROM update (OHCI 5.5.6)
        if (nextConfigRomMap != -1) {
            configRomMap = nextConfigRomMap;
            nextConfigRomMap = -1;
            Integer hdr = dma.readLe(configRomMap);
            Integer opts = dma.readLe(configRomMap + 8);
            if (hdr != null && opts != null) {
                configRomHdr = Integer.reverseBytes(hdr);
                busOptions = Integer.reverseBytes(opts);
            }
        }
        raise(OhciRegisters.INT_BUS_RESET);
        if ((linkControl & OhciRegisters.LC_RCV_SELF_ID) != 0) {
            long at = selfIdBuffer & 0xFFFF_FFFFL;
            boolean ok = dma.writeLe(at, generation << 16 | timeStamp());
            for (int i = 0; i < n && ok; i++) {
                int id = info.selfIds().get(i);
                ok = dma.writeLe(at + 4 + 8L * i, id) && dma.writeLe(at + 8 + 8L * i, ~id);
            }
            selfIdCount = (ok ? 0 : 0x8000_0000) | generation << 16 | (1 + 2 * n) << 2;
            if (!ok) {
                warn("self-ID buffer at 0x{} is outside RAM (selfIDError)", Long.toHexString(at));
            }
        }
        nodeIdValid = true;
        // the bus-reset packet in the AR request context (OHCI 8.4.2.3)
        byte[] p = new byte[16];
        GuestDma.putLe(p, 0, TCODE_LINK_INTERNAL << 4);
        GuestDma.putLe(p, 8, generation << 16);
        GuestDma.putLe(p, 12, trailer(OhciRegisters.EVT_BUS_RESET, arRequest));
        arRequest.receive(p);
        raise(OhciRegisters.INT_SELF_ID_COMPLETE | OhciRegisters.INT_SELF_ID_COMPLETE_2);
    }

    private int trailer(int evt, ArContext c) {
        return ((c.control & 0xFFE0) | S400 << 5 | evt & 0x1F) << 16 | timeStamp();
    }

    @Override
    public int request(AsyncRequest r, Responder responder) {
        if (!linkOn()) {
            return ACK_MISSING;
        }
        int src = phyId(r.source());
        long off = r.offset();
        if (r.isRead() && off >= CSR_CONFIG_ROM && off + r.length() <= CSR_CONFIG_ROM_END) {
            responder.respond(RCODE_COMPLETE, configRom((int) (off - CSR_CONFIG_ROM), r.length()));
            return ACK_PENDING;
        }
        if (r.tcode() == TCODE_LOCK_REQUEST && r.extendedTcode() == EXTCODE_COMPARE_SWAP && r.data().length == 8
                && off >= CSR_BUS_MANAGER_ID && off <= CSR_CHANNELS_AVAILABLE_LO && (off & 3) == 0) {
            int sel = (int) (off - CSR_BUS_MANAGER_ID) / 4;
            int old = csr[sel];
            if (old == GuestDma.be(r.data(), 0)) {
                csr[sel] = GuestDma.be(r.data(), 4);
            }
            responder.respond(RCODE_COMPLETE, GuestDma.be(old));
            return ACK_PENDING;
        }
        if (off < physicalUpperBound() && physicalAllowed(src) && (r.isRead() || r.isWrite())) {
            return physical(r, responder);
        }
        if (!asyncAllowed(src)) {
            return ACK_MISSING;   // filtered: the link does not accept the packet
        }
        byte[] packet = arPacket(r);
        if (!arRequest.receive(packet)) {
            return ACK_BUSY_X;
        }
        awaiting.put(r.source() << 6 | r.tlabel(), responder);
        raise(OhciRegisters.INT_RQ_PKT);
        return ACK_PENDING;
    }

    private long physicalUpperBound() {
        return phyUpperBound == 0 ? 0x1_0000_0000L : (phyUpperBound & 0xFFFF_FFFFL) << 16;
    }

    private boolean physicalAllowed(int phyId) {
        return phyId < 32 ? (phyReqFilterLo >>> phyId & 1) != 0 : (phyReqFilterHi >>> phyId - 32 & 1) != 0;
    }

    private boolean asyncAllowed(int phyId) {
        if ((asReqFilterHi & 0x8000_0000) != 0) {
            return true;
        }
        return phyId < 32 ? (asReqFilterLo >>> phyId & 1) != 0 : (asReqFilterHi >>> phyId - 32 & 1) != 0;
    }

    private boolean busMaster() {
        return slot == null || slot.busMaster();
    }

    /** A physical request: the controller reads or writes guest RAM itself (OHCI chapter 12). */
    private int physical(AsyncRequest r, Responder responder) {
        long off = r.offset();
        if (r.isRead()) {
            byte[] data = busMaster() ? dma.read(off, r.length()) : null;
            if (data == null) {
                warn("physical read of {} bytes outside RAM", r.length() + " at 0x" + Long.toHexString(off));
            }
            responder.respond(data == null ? RCODE_ADDRESS_ERROR : RCODE_COMPLETE, data);
            return ACK_PENDING;
        }
        boolean ok = busMaster() && dma.write(off, r.data(), 0, r.data().length);
        if ((hcControl & OhciRegisters.HC_POSTED_WRITE_ENABLE) != 0) {
            if (!ok) {
                postedWriteHi = r.source() << 16 | (int) (off >>> 32);
                postedWriteLo = (int) off;
                raise(OhciRegisters.INT_POSTED_WRITE_ERR);
            }
            return ACK_COMPLETE;
        }
        responder.respond(ok ? RCODE_COMPLETE : RCODE_ADDRESS_ERROR, null);
        return ACK_PENDING;
    }

    /** The config ROM as others read it: header, bus info from registers, the rest from the map in RAM. */
    private byte[] configRom(int offset, int length) {
        byte[] out = new byte[length];
        for (int i = 0; i < length; i += 4) {
            int q = (offset + i) / 4;
            int v = switch (q) {
                case 0 -> configRomHdr;
                case 1 -> 0x3133_3934;
                case 2 -> busOptions;
                case 3 -> (int) (guid >>> 32);
                case 4 -> (int) guid;
                default -> {
                    Integer m = dma.readLe((configRomMap & 0xFFFF_FFFFL) + 4L * q);
                    yield m == null ? 0 : Integer.reverseBytes(m);   // the image is big-endian in memory
                }
            };
            if (i + 4 <= length) {
                GuestDma.putBe(out, i, v);
            }
        }
        return out;
    }

    /** A received request as OHCI stores it in the AR request buffer (OHCI 8.7): header, payload, trailer. */
    private byte[] arPacket(AsyncRequest r) {
        int tcode = r.tcode();
        int headerBytes = tcode == TCODE_READ_QUADLET_REQUEST ? 12 : 16;
        boolean withPayload = tcode == TCODE_WRITE_BLOCK_REQUEST || tcode == TCODE_LOCK_REQUEST;
        int payload = withPayload ? r.data().length + 3 & ~3 : 0;
        byte[] p = new byte[headerBytes + payload + 4];
        GuestDma.putLe(p, 0, r.destination() << 16 | r.tlabel() << 10 | 1 << 8 | tcode << 4);
        GuestDma.putLe(p, 4, r.source() << 16 | (int) (r.offset() >>> 32) & 0xFFFF);
        GuestDma.putLe(p, 8, (int) r.offset());
        if (tcode == TCODE_WRITE_QUADLET_REQUEST) {
            System.arraycopy(r.data(), 0, p, 12, Math.min(4, r.data().length));
        } else if (headerBytes == 16) {
            GuestDma.putLe(p, 12, (withPayload ? r.data().length : r.length()) << 16 | r.extendedTcode());
        }
        if (withPayload) {
            System.arraycopy(r.data(), 0, p, 16, r.data().length);
        }
        GuestDma.putLe(p, p.length - 4, trailer(0x10 | ACK_PENDING, arRequest));
        return p;
    }

    /** A response to one of our requests, stored in the AR response buffer. */
    private void receiveResponse(AsyncRequest r, AsyncResponse resp) {
        if (resp.rcode() == RCODE_CANCELLED) {
            return;   // a bus reset came first: the driver's split timeout ends the transaction
        }
        int tcode = responseTcode(r.tcode());
        boolean withPayload = tcode == TCODE_READ_BLOCK_RESPONSE || tcode == TCODE_LOCK_RESPONSE;
        int headerBytes = tcode == TCODE_WRITE_RESPONSE ? 12 : 16;
        byte[] data = resp.data();
        int payload = withPayload ? data.length + 3 & ~3 : 0;
        byte[] p = new byte[headerBytes + payload + 4];
        GuestDma.putLe(p, 0, r.source() << 16 | r.tlabel() << 10 | 1 << 8 | tcode << 4);
        GuestDma.putLe(p, 4, resp.source() << 16 | (resp.rcode() & 15) << 12);
        if (tcode == TCODE_READ_QUADLET_RESPONSE) {
            System.arraycopy(data, 0, p, 12, Math.min(4, data.length));
        } else if (headerBytes == 16) {
            GuestDma.putLe(p, 12, (withPayload ? data.length : 0) << 16 | r.extendedTcode());
        }
        if (withPayload) {
            System.arraycopy(data, 0, p, 16, data.length);
        }
        GuestDma.putLe(p, p.length - 4, trailer(0x10 | ACK_COMPLETE, arResponse));
        if (arResponse.receive(p)) {
            raise(OhciRegisters.INT_RS_PKT);
        } else {
            warn("a response from node {} found no room in the AR response buffers; dropped",
                    Integer.toHexString(resp.source()));
        }
    }

    // ---- AT: what the guest sends ----

    @Override
    public boolean held() {
        return (intEvent & OhciRegisters.INT_BUS_RESET) != 0;
    }

    @Override
    public void complete() {
        raise(OhciRegisters.INT_REQ_TX_COMPLETE);
    }

    /** Transmits a request (or PHY packet) from the AT request context; returns ack | 0x10 or an evt code. */
    @Override
    public int transmit(int[] h, byte[] headerBytes, byte[] payload) {
        int tcode = h[0] >>> 4 & 15;
        if (port == null || !linkOn()) {
            return AtContext.EVT_MISSING_ACK;
        }
        if (tcode == TCODE_LINK_INTERNAL) {
            port.sendPhyPacket(h[1]);
            return 0x10 | ACK_COMPLETE;
        }
        if (tcode == TCODE_ISOCHRONOUS_BLOCK) {
            // an asynchronous stream packet (IEEE 1394a): the isochronous format, sent in the asynchronous phase
            int len = Math.min(h[1] >>> 16, payload.length);
            port.sendIsochronous(new IsochronousPacket(h[0] >>> 8 & 63, h[0] >>> 14 & 3,
                    h[0] & 15, h[0] >>> 16 & 7, java.util.Arrays.copyOf(payload, len)));
            return 0x10 | ACK_COMPLETE;
        }
        int tlabel = h[0] >>> 10 & 63;
        int spd = h[0] >>> 16 & 7;
        int dest = h[1] >>> 16;
        long offset = (long) (h[1] & 0xFFFF) << 32 | h[2] & 0xFFFF_FFFFL;
        AsyncRequest r;
        switch (tcode) {
            case TCODE_WRITE_QUADLET_REQUEST -> r = new AsyncRequest(nodeId(), dest, tlabel, tcode, offset,
                    java.util.Arrays.copyOfRange(headerBytes, 12, 16), 4, 0, spd);
            case TCODE_READ_QUADLET_REQUEST -> r = new AsyncRequest(nodeId(), dest, tlabel, tcode, offset, null, 4, 0, spd);
            case TCODE_READ_BLOCK_REQUEST -> r = new AsyncRequest(nodeId(), dest, tlabel, tcode, offset, null,
                    h[3] >>> 16, 0, spd);
            case TCODE_WRITE_BLOCK_REQUEST, TCODE_LOCK_REQUEST -> {
                int len = Math.min(h[3] >>> 16, payload.length);
                r = new AsyncRequest(nodeId(), dest, tlabel, tcode, offset, java.util.Arrays.copyOf(payload, len), len,
                        h[3] & 0xFFFF, spd);
            }
            default -> {
                warn("AT request context: tcode {} is not a request", tcode);
                return AtContext.EVT_TCODE_ERR;
            }
        }
        int ack = port.send(r, resp -> receiveResponse(r, resp));
        return ack == ACK_MISSING ? AtContext.EVT_MISSING_ACK : 0x10 | ack;
    }

    private int nodeId() {
        return LOCAL_BUS << 6 | phy.phyId;
    }

    /** Transmits a response from the AT response context to the requester that waits for it. */
    private int transmitResponse(int[] h, byte[] headerBytes, byte[] payload) {
        int tcode = h[0] >>> 4 & 15;
        int tlabel = h[0] >>> 10 & 63;
        int dest = h[1] >>> 16;
        int rcode = h[1] >>> 12 & 15;
        Responder r = awaiting.remove(dest << 6 | tlabel);
        if (r == null) {
            return AtContext.EVT_MISSING_ACK;
        }
        byte[] data = switch (tcode) {
            case TCODE_READ_QUADLET_RESPONSE -> java.util.Arrays.copyOfRange(headerBytes, 12, 16);
            case TCODE_READ_BLOCK_RESPONSE, TCODE_LOCK_RESPONSE -> java.util.Arrays.copyOf(payload,
                    Math.min(h[3] >>> 16, payload.length));
            default -> null;
        };
        r.respond(rcode, data);
        return 0x10 | ACK_COMPLETE;
    }

    @Override
    public void dead(String why) {
        warn("{}; the context is dead (unrecoverableError)", why);
        raise(OhciRegisters.INT_UNRECOVERABLE);
    }

    // ---- state ----

    @Override
    public Class<OhciState> stateType() {
        return OhciState.class;
    }

    @Override
    public int stateVersion() {
        return 1;
    }

    @Override
    public OhciState saveState() {
        OhciState.Registers r = new OhciState.Registers(hcControl, linkControl, intEvent, intMask, isoXmitEvent,
                isoXmitMask, isoRecvEvent, isoRecvMask, configRomHdr, busOptions, configRomMap, nextConfigRomMap,
                selfIdBuffer, selfIdCount, nodeId, nodeIdValid, phyControl, atRetries, csrData, csrCompare, csrControl,
                csr.clone(), asReqFilterHi, asReqFilterLo, phyReqFilterHi, phyReqFilterLo, phyUpperBound, postedWriteLo,
                postedWriteHi, fairness, initialBandwidth, initialChannelsHi, initialChannelsLo, irMultiChanHi,
                irMultiChanLo);
        List<OhciState.IsoState> its = java.util.Arrays.stream(it).map(ItContext::save).toList();
        List<OhciState.IsoState> irs = java.util.Arrays.stream(ir).map(IrContext::save).toList();
        int[] waiting = awaiting.keySet().stream().mapToInt(Integer::intValue).sorted().toArray();
        return new OhciState(r, phy.save(), atRequest.save(), atResponse.save(), arRequest.save(), arResponse.save(),
                its, irs, cycleTicks(), generation, bus.gapCount(), bus.nodeNames(), waiting,
                slot == null ? new byte[0] : slot.saveConfig());
    }

    @Override
    public void loadState(OhciState s) {
        if (s.it().size() != IT_CONTEXTS || s.ir().size() != IR_CONTEXTS || s.registers().csr().length != csr.length) {
            throw new StateException("ohci-1394 state: " + s.it().size() + " IT and " + s.ir().size() + " IR contexts and "
                    + s.registers().csr().length + " CSR lock registers, not " + IT_CONTEXTS + ", " + IR_CONTEXTS + " and "
                    + csr.length);
        }
        OhciState.Registers r = s.registers();
        hcControl = r.hcControl();
        linkControl = r.linkControl();
        intEvent = r.intEvent();
        intMask = r.intMask();
        isoXmitEvent = r.isoXmitEvent();
        isoXmitMask = r.isoXmitMask();
        isoRecvEvent = r.isoRecvEvent();
        isoRecvMask = r.isoRecvMask();
        configRomHdr = r.configRomHdr();
        busOptions = r.busOptions();
        configRomMap = r.configRomMap();
        nextConfigRomMap = r.nextConfigRomMap();
        selfIdBuffer = r.selfIdBuffer();
        selfIdCount = r.selfIdCount();
        nodeId = r.nodeId();
        nodeIdValid = r.nodeIdValid();
        phyControl = r.phyControl();
        atRetries = r.atRetries();
        csrData = r.csrData();
        csrCompare = r.csrCompare();
        csrControl = r.csrControl();
        System.arraycopy(r.csr(), 0, csr, 0, csr.length);
        asReqFilterHi = r.asReqFilterHi();
        asReqFilterLo = r.asReqFilterLo();
        phyReqFilterHi = r.phyReqFilterHi();
        phyReqFilterLo = r.phyReqFilterLo();
        phyUpperBound = r.phyUpperBound();
        postedWriteLo = r.postedWriteLo();
        postedWriteHi = r.postedWriteHi();
        fairness = r.fairness();
        initialBandwidth = r.initialBandwidth();
        initialChannelsHi = r.initialChannelsHi();
        initialChannelsLo = r.initialChannelsLo();
        irMultiChanHi = r.irMultiChanHi();
        irMultiChanLo = r.irMultiChanLo();
        phy.restore(s.phy());
        atRequest.restore(s.atRequest());
        atResponse.restore(s.atResponse());
        arRequest.restore(s.arRequest());
        arResponse.restore(s.arResponse());
        for (int n = 0; n < IT_CONTEXTS; n++) {
            it[n].restore(s.it().get(n));
        }
        for (int n = 0; n < IR_CONTEXTS; n++) {
            ir[n].restore(s.ir().get(n));
        }
        cycleBaseTicks = s.cycleTicks();
        cycleBaseNanos = ctx.executor().clock().nanos();
        generation = s.generation();
        bus.resume(s.generation(), s.gapCount(), s.nodes());
        awaiting.clear();
        for (int key : s.awaiting()) {
            // the node that asked went with the old instance: the driver's response is taken and dropped
            awaiting.put(key, (rcode, data) -> { });
        }
        if (slot != null && s.pciConfig().length > 0) {
            slot.loadConfig(s.pciConfig());
        }
        armCycle64();
        isoCycle.cancel();
        armIsoCycle();
        updateListening();
        updateIrq();
    }

    private void warn(String format, Object arg) {
        if (warnings < MAX_WARNINGS) {
            warnings++;
            ctx.log().warn("ohci-1394 '" + ctx.id() + "': " + format
                    + (warnings == MAX_WARNINGS ? " (further guest errors are not logged)" : ""), arg);
        }
    }
}
