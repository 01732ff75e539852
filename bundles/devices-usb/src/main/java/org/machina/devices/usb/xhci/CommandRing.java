package org.machina.devices.usb.xhci;

import org.machina.api.bus.usb.UsbDevice;
import org.machina.api.bus.usb.UsbEndpointType;
import org.machina.api.bus.usb.UsbSetup;
import org.machina.api.bus.usb.UsbStatus;

/**
 * The command ring (xHCI 1.2 sections 4.6 and 6.4.3): CRCR, and the commands Enable Slot,
 * Disable Slot, Address Device, Configure Endpoint, Evaluate Context, Reset Endpoint, Stop
 * Endpoint, Set TR Dequeue Pointer, Reset Device, Get Port Bandwidth, No Op (and NEC's Get Firmware Revision on
 * {@code nec-usb-xhci}). Others complete with TRB Error. At most {@value #MAX_COMMANDS} commands
 * run per doorbell and {@value #MAX_LINKS} Link TRBs in a row are followed. Configure Endpoint
 * reserves the periodic endpoints' bus time on the slot's root port ({@link Bandwidth}) and
 * completes with Bandwidth Error, changing nothing, when it does not fit.
 *
 * <p>Contexts are 32 bytes: the input context holds the Input Control Context (drop flags,
 * add flags), then the slot context, then endpoint contexts by DCI; the output device context
 * (from the DCBAA) holds the slot context then endpoint contexts by DCI.
 */
final class CommandRing {
    static final int MAX_COMMANDS = 256;
    static final int MAX_LINKS = 16;
    static final int CTX = 32;

    private final Xhci hc;
    private final GuestMemory mem;
    long dequeue;
    boolean cycle;

    CommandRing(Xhci hc) {
        this.hc = hc;
        this.mem = hc.mem;
    }

    void reset() {
        dequeue = 0;
        cycle = false;
    }

    int crcrLow() {
        return 0;                                  // CRR 0: the ring only runs inside a doorbell write
    }

    void writeCrcrLow(int value) {
        dequeue = dequeue & 0xFFFFFFFF00000000L | value & 0xFFFFFFC0L;
        cycle = (value & 1) != 0;
    }

    void writeCrcrHigh(int value) {
        dequeue = (long) value << 32 | dequeue & 0xFFFFFFFFL;
    }

    void run() {
        int links = 0;
        for (int n = 0; n < MAX_COMMANDS;) {
            Trb t;
            try {
                t = mem.trb(dequeue);
            } catch (GuestMemory.BadPointerException e) {
                hc.warnOnce("cmd-ptr", "command ring: " + e.getMessage() + "; the ring stops");
                return;
            }
            if (t.cycle() != cycle) {
                return;
            }
            if (t.type() == Trb.LINK) {
                if (++links > MAX_LINKS) {
                    hc.warnOnce("cmd-links", "command ring: more than " + MAX_LINKS + " Link TRBs in a row at 0x"
                            + Long.toHexString(t.address()) + "; the ring stops");
                    return;
                }
                if (t.has(Trb.TOGGLE_CYCLE)) {
                    cycle = !cycle;
                }
                dequeue = t.parameter() & ~0xFL;
                continue;
            }
            links = 0;
            n++;
            dequeue += 16;
            execute(t);
        }
        hc.warnOnce("cmd-many", "command ring: more than " + MAX_COMMANDS + " commands for one doorbell; the rest wait"
                + " for the next doorbell");
    }

    private void complete(Trb t, int code, int slotId) {
        hc.postEvent(t.address(), code << 24, Trb.COMMAND_COMPLETION << 10 | slotId << 24);
    }

    private void execute(Trb t) {
        int code;
        int slotId = t.slotId();
        try {
            code = switch (t.type()) {
                case Trb.ENABLE_SLOT -> {
                    slotId = enableSlot();
                    yield slotId == 0 ? Trb.NO_SLOTS : Trb.SUCCESS;
                }
                case Trb.DISABLE_SLOT -> disableSlot(slotId);
                case Trb.ADDRESS_DEVICE -> addressDevice(t, slotId);
                case Trb.CONFIGURE_ENDPOINT -> configureEndpoint(t, slotId);
                case Trb.EVALUATE_CONTEXT -> evaluateContext(t, slotId);
                case Trb.RESET_ENDPOINT -> resetEndpoint(slotId, t.control() >>> 16 & 0x1F);
                case Trb.STOP_ENDPOINT -> hc.transfers.stop(slot(slotId), t.control() >>> 16 & 0x1F);
                case Trb.SET_TR_DEQUEUE -> setDequeue(slotId, t.control() >>> 16 & 0x1F, t.parameter());
                case Trb.RESET_DEVICE -> resetDevice(slotId);
                case Trb.GET_PORT_BANDWIDTH -> getPortBandwidth(t);
                case Trb.NOOP_COMMAND -> Trb.SUCCESS;
                case Trb.NEC_GET_FW -> {
                    if (hc.model == Xhci.Model.NEC_XHCI) {
                        hc.postEvent(t.address(), Trb.SUCCESS << 24 | 0x3028, Trb.NEC_COMMAND_COMPLETION << 10);
                        yield -1;
                    }
                    yield Trb.TRB_ERROR;
                }
                default -> {
                    hc.warnOnce("cmd-type-" + t.type(), "command ring: TRB type " + t.type() + " at 0x"
                            + Long.toHexString(t.address()) + " is not a supported command; TRB Error");
                    yield Trb.TRB_ERROR;
                }
            };
        } catch (GuestMemory.BadPointerException e) {
            hc.warnOnce("ctx-ptr", "command " + t.type() + ": " + e.getMessage() + "; Parameter Error");
            code = Trb.PARAMETER_ERROR;
        }
        if (code >= 0) {
            complete(t, code, t.type() == Trb.ENABLE_SLOT ? slotId : t.slotId());
        }
    }

    private Slot slot(int id) {
        return id >= 1 && id <= Xhci.MAX_SLOTS ? hc.slots[id] : null;
    }

    private int enableSlot() {
        int max = Math.min(Xhci.MAX_SLOTS, hc.config & 0xFF);
        for (int id = 1; id <= max; id++) {
            if (hc.slots[id] == null) {
                hc.slots[id] = new Slot(id);
                return id;
            }
        }
        return 0;
    }

    private int disableSlot(int id) {
        Slot s = slot(id);
        if (s == null) {
            return Trb.SLOT_NOT_ENABLED;
        }
        hc.transfers.cancelSlot(s);
        if (s.context != 0) {
            writeSlotState(s, 0, 0);
        }
        hc.slots[id] = null;
        return Trb.SUCCESS;
    }

    private int addressDevice(Trb t, int id) throws GuestMemory.BadPointerException {
        Slot s = slot(id);
        if (s == null) {
            return Trb.SLOT_NOT_ENABLED;
        }
        boolean bsr = t.has(Trb.BSR);
        if (s.state != Slot.ENABLED && !(s.state == Slot.DEFAULT && !bsr)) {
            return Trb.CONTEXT_STATE_ERROR;
        }
        long input = t.parameter() & ~0xFL;
        mem.check("input context", input, 3 * CTX);
        long dcbaaEntry = hc.dcbaap + 8L * id;
        mem.check("DCBAA entry", dcbaaEntry, 8);
        long output = mem.qword(dcbaaEntry) & ~0x3FL;
        mem.check("output device context", output, 32 * CTX);
        int port = mem.dword(input + CTX + 4) >>> 16 & 0xFF;
        UsbDevice device = hc.deviceAt(port);
        if (device == null || !hc.ports[port - 1].enabled()) {
            return Trb.TRANSACTION_ERROR;
        }
        byte[] ctx = new byte[2 * CTX];
        mem.read(input + CTX, ctx, 0, ctx.length);
        mem.write(output, ctx, 0, ctx.length);
        s.port = port;
        s.context = output;
        Endpoint ep0 = new Endpoint(1);
        ep0.type = Endpoint.CONTROL;
        long deq = mem.qword(input + 2 * CTX + 8);
        ep0.dequeue = deq & ~0xFL;
        ep0.cycle = (deq & 1) != 0;
        ep0.state = Endpoint.RUNNING;
        s.endpoints[1] = ep0;
        if (!bsr) {
            XhciTransfer x = new XhciTransfer(0, false, UsbEndpointType.CONTROL,
                    new UsbSetup(0, UsbSetup.SET_ADDRESS, id, 0, 0), new byte[0], 0);
            try {
                device.handle(x);
            } catch (RuntimeException e) {
                hc.warnOnce("dev-exc", "a USB device failed SET_ADDRESS: " + e);
            }
            if (!x.done() || x.status != UsbStatus.OK) {
                if (!x.done()) {
                    device.cancel(x);
                    x.cancel();
                }
                s.state = Slot.DEFAULT;
                writeSlotState(s, Slot.DEFAULT, 0);
                hc.transfers.sync(s, ep0);
                return Trb.TRANSACTION_ERROR;
            }
        }
        s.state = bsr ? Slot.DEFAULT : Slot.ADDRESSED;
        writeSlotState(s, s.state, bsr ? 0 : id);
        hc.transfers.sync(s, ep0);
        return Trb.SUCCESS;
    }

    /** Writes the Slot State and USB Device Address fields of the output slot context. */
    private void writeSlotState(Slot s, int state, int address) {
        if (mem.isRam(s.context, CTX)) {
            int dw3 = mem.dword(s.context + 12);
            mem.putDword(s.context + 12, dw3 & 0x07FFFF00 | state << 27 | address & 0xFF);
        }
    }

    private int configureEndpoint(Trb t, int id) throws GuestMemory.BadPointerException {
        Slot s = slot(id);
        if (s == null) {
            return Trb.SLOT_NOT_ENABLED;
        }
        if (s.state != Slot.ADDRESSED && s.state != Slot.CONFIGURED) {
            return Trb.CONTEXT_STATE_ERROR;
        }
        mem.check("output device context", s.context, 32 * CTX);
        if (t.has(Trb.DC)) {
            for (int dci = 2; dci < 32; dci++) {
                disable(s, dci);
            }
            s.state = Slot.ADDRESSED;
            writeSlotState(s, s.state, id);
            return Trb.SUCCESS;
        }
        long input = t.parameter() & ~0xFL;
        mem.check("input context", input, 33 * CTX);
        int drop = mem.dword(input);
        int add = mem.dword(input + 4);
        Bandwidth.Plan plan = Bandwidth.plan(hc, s, input, drop, add);
        if (plan == null) {
            return Trb.BANDWIDTH_ERROR;                        // nothing dropped, added or reserved
        }
        for (int dci = 2; dci < 32; dci++) {
            if ((drop & 1 << dci) != 0) {
                disable(s, dci);
            }
        }
        for (int dci = 2; dci < 32; dci++) {
            if ((add & 1 << dci) != 0) {
                disable(s, dci);
                byte[] ctx = new byte[CTX];
                mem.read(input + CTX * (dci + 1L), ctx, 0, CTX);
                mem.write(s.context + (long) CTX * dci, ctx, 0, CTX);
                Endpoint ep = new Endpoint(dci);
                int dw0 = mem.dword(input + CTX * (dci + 1L));
                int dw1 = mem.dword(input + CTX * (dci + 1L) + 4);
                ep.type = dw1 >>> 3 & 7;
                ep.interval = 1 << Math.min(15, dw0 >>> 16 & 0xFF);       // Interval: 2^n microframes
                long deq = mem.qword(input + CTX * (dci + 1L) + 8);
                ep.dequeue = deq & ~0xFL;
                ep.cycle = (deq & 1) != 0;
                ep.state = ep.type == 0 ? Endpoint.DISABLED : Endpoint.RUNNING;
                ep.bwMask = plan.mask[dci];
                ep.bwCost = plan.cost[dci];
                if (ep.state == Endpoint.RUNNING) {
                    s.endpoints[dci] = ep;
                }
                hc.transfers.sync(s, ep);
            }
        }
        if ((add & 1) != 0) {
            // slot context: take the guest's fields (context entries, hub bits, latency), keep state and address
            int dw3 = mem.dword(s.context + 12);
            byte[] slotCtx = new byte[CTX];
            mem.read(input + CTX, slotCtx, 0, CTX);
            mem.write(s.context, slotCtx, 0, CTX);
            mem.putDword(s.context + 12, dw3);
        }
        boolean any = false;
        for (int dci = 2; dci < 32; dci++) {
            any |= s.endpoints[dci] != null;
        }
        s.state = any ? Slot.CONFIGURED : Slot.ADDRESSED;
        writeSlotState(s, s.state, id);
        return Trb.SUCCESS;
    }

    private void disable(Slot s, int dci) {
        Endpoint ep = s.endpoints[dci];
        if (ep != null) {
            hc.transfers.cancel(s, ep);
            s.endpoints[dci] = null;
        }
        long at = s.context + (long) CTX * dci;
        if (mem.isRam(at, CTX)) {
            mem.putDword(at, mem.dword(at) & ~7);
        }
    }

    private int evaluateContext(Trb t, int id) throws GuestMemory.BadPointerException {
        Slot s = slot(id);
        if (s == null) {
            return Trb.SLOT_NOT_ENABLED;
        }
        if (s.context == 0) {
            return Trb.CONTEXT_STATE_ERROR;
        }
        long input = t.parameter() & ~0xFL;
        mem.check("input context", input, 3 * CTX);
        mem.check("output device context", s.context, 2 * CTX);
        int add = mem.dword(input + 4);
        if ((add & 1) != 0) {
            int in1 = mem.dword(input + CTX + 4);
            int in2 = mem.dword(input + CTX + 8);
            mem.putDword(s.context + 4, mem.dword(s.context + 4) & ~0xFFFF | in1 & 0xFFFF);        // max exit latency
            mem.putDword(s.context + 8, mem.dword(s.context + 8) & 0x003FFFFF | in2 & 0xFFC00000);  // interrupter
        }
        if ((add & 2) != 0) {
            int in1 = mem.dword(input + 2 * CTX + 4);
            mem.putDword(s.context + CTX + 4, mem.dword(s.context + CTX + 4) & 0xFFFF | in1 & 0xFFFF0000);
        }
        return Trb.SUCCESS;
    }

    private int resetEndpoint(int id, int dci) {
        Slot s = slot(id);
        if (s == null) {
            return Trb.SLOT_NOT_ENABLED;
        }
        Endpoint ep = dci >= 1 && dci < 32 ? s.endpoints[dci] : null;
        if (ep == null) {
            return Trb.ENDPOINT_NOT_ENABLED;
        }
        if (ep.state != Endpoint.HALTED) {
            return Trb.CONTEXT_STATE_ERROR;
        }
        ep.state = Endpoint.STOPPED;
        hc.transfers.sync(s, ep);
        return Trb.SUCCESS;
    }

    private int setDequeue(int id, int dci, long pointer) {
        Slot s = slot(id);
        if (s == null) {
            return Trb.SLOT_NOT_ENABLED;
        }
        Endpoint ep = dci >= 1 && dci < 32 ? s.endpoints[dci] : null;
        if (ep == null) {
            return Trb.ENDPOINT_NOT_ENABLED;
        }
        if (ep.state != Endpoint.STOPPED && ep.state != Endpoint.ERROR) {
            return Trb.CONTEXT_STATE_ERROR;
        }
        ep.dequeue = pointer & ~0xFL;
        ep.cycle = (pointer & 1) != 0;
        hc.transfers.sync(s, ep);
        return Trb.SUCCESS;
    }

    /**
     * Get Port Bandwidth (xHCI 1.2 sections 4.6.15, 6.2.6): writes the Port Bandwidth Context,
     * byte N the percentage of root port N's bus time still free for periodic endpoints of the
     * TRB's Dev Speed (byte 0 reserved). There are no hubs: a Hub Slot ID is a Parameter Error.
     */
    private int getPortBandwidth(Trb t) throws GuestMemory.BadPointerException {
        int speed = t.control() >>> 16 & 0xF;
        if (t.slotId() != 0 || speed < 1 || speed > 4) {
            return Trb.PARAMETER_ERROR;
        }
        long at = t.parameter() & ~0xFL;
        byte[] ctx = new byte[(hc.ports.length + 1 + 3) & ~3];
        mem.check("port bandwidth context", at, ctx.length);
        for (RootPort p : hc.ports) {
            ctx[p.id] = (byte) (Bandwidth.available(hc, p.id, speed) * 100L / Bandwidth.total(speed));
        }
        mem.write(at, ctx, 0, ctx.length);
        return Trb.SUCCESS;
    }

    private int resetDevice(int id) {
        Slot s = slot(id);
        if (s == null) {
            return Trb.SLOT_NOT_ENABLED;
        }
        if (s.state == Slot.ENABLED) {
            return Trb.CONTEXT_STATE_ERROR;
        }
        for (int dci = 2; dci < 32; dci++) {
            disable(s, dci);
        }
        s.state = Slot.DEFAULT;
        writeSlotState(s, Slot.DEFAULT, 0);
        if (mem.isRam(s.context, CTX)) {
            mem.putDword(s.context, mem.dword(s.context) & 0x07FFFFFF | 1 << 27);   // context entries 1
        }
        return Trb.SUCCESS;
    }
}
