package org.machina.devices.usb.xhci;

import java.util.ArrayList;
import java.util.List;
import org.machina.api.bus.usb.UsbDevice;
import org.machina.api.bus.usb.UsbEndpointType;
import org.machina.api.bus.usb.UsbSetup;
import org.machina.api.bus.usb.UsbStatus;

/**
 * Transfer rings (xHCI 1.2 sections 4.9.2, 4.10, 4.11 and 6.4.1): reads one Transfer Descriptor
 * at a time from an endpoint's ring (Normal, Isoch, Event Data and No Op TRBs chained with the
 * chain bit, or a control transfer's Setup, Data and Status stages), hands it to the device as one
 * {@code UsbTransfer}, and when the device completes it, scatters IN data over the TRB buffers
 * and posts Transfer Events: Success for TRBs with IOC, Short Packet on the TRB where IN data
 * ended (if it has ISP or IOC), Stall Error or USB Transaction Error (the endpoint halts, its
 * dequeue pointer stays on the TD). Bounded: {@value #MAX_TD_TRBS} TRBs and {@value #MAX_TD_BYTES}
 * bytes per TD, {@value #MAX_LINKS} Link TRBs in a row, {@value #MAX_TDS} TDs per doorbell.
 */
final class TransferRunner {
    static final int MAX_TD_TRBS = 4096;
    static final int MAX_TD_BYTES = 16 << 20;
    static final int MAX_LINKS = 64;
    static final int MAX_TDS = 1024;
    /**
     * Isochronous TDs are handed to devices a 1 ms frame (8 microframes) at a time, at the frame's
     * end, each as the transfer of its own microframe: one wake-up of the machine thread a frame
     * rather than one a microframe. The guest hears of them no later than it would with the
     * default interrupt moderation (IMOD 4000 x 250 ns = 1 ms).
     */
    static final int ISOCH_BATCH = 8;
    /**
     * How many microframes late (8 ms) an isochronous TD may run and still be the transfer of its
     * own microframe. The isochronous timer fires late whenever the host is busy; before, a TD
     * more than a batch late restarted the schedule and every microframe missed was bandwidth
     * lost: the high-speed camera's 640x480 YUYV frames, 230 microframes of 2676 bytes, then took
     * longer than their 33 ms and the camera sent 29.0 frames a second of its 30.
     */
    static final int ISOCH_LATE = 64;
    /** Free event ring entries an isochronous TD needs before it runs. */
    static final int ISOCH_EVENT_ROOM = 16;
    /** How many frames ahead an Isoch TRB's Frame ID may be (xHCI 1.2 section 4.11.2.5: 895 ms). */
    static final int FRAME_WINDOW = 895;

    private final Xhci hc;
    private final GuestMemory mem;

    /** One TD read from the ring: its TRBs (no Link TRBs), and where the ring continues after it. */
    record Td(List<Trb> trbs, long next, boolean nextCycle) {
    }

    /** A ring the guest broke: the message and the TRB address to report. */
    static final class RingException extends Exception {
        private static final long serialVersionUID = 1L;
        final long at;

        RingException(String message, long at) {
            super(message);
            this.at = at;
        }
    }

    TransferRunner(Xhci hc) {
        this.hc = hc;
        this.mem = hc.mem;
    }

    void doorbell(int slotId, int dci) {
        Slot s = hc.slots[slotId];
        if (s == null || dci < 1 || dci > 31 || s.endpoints[dci] == null) {
            hc.warnOnce("db-target", "doorbell for slot " + slotId + " endpoint " + dci + ", which is not enabled; ignored");
            return;
        }
        Endpoint ep = s.endpoints[dci];
        if (ep.state == Endpoint.STOPPED) {
            ep.state = Endpoint.RUNNING;
        }
        run(s, ep);
    }

    /** Runs TDs until the ring is empty, the endpoint leaves Running, or the device keeps a transfer. */
    void run(Slot s, Endpoint ep) {
        for (int n = 0; ep.state == Endpoint.RUNNING && ep.inflight == null; n++) {
            if (n == MAX_TDS) {
                hc.warnOnce("td-many", "more than " + MAX_TDS + " TDs on one doorbell (slot " + s.id + " DCI " + ep.dci
                        + "); the rest wait for the next doorbell");
                return;
            }
            Td td;
            try {
                td = read(ep);
            } catch (RingException e) {
                hc.warnOnce("ring-" + e.getMessage().hashCode(), "slot " + s.id + " DCI " + ep.dci + ": "
                        + e.getMessage() + "; the endpoint halts");
                ep.state = Endpoint.HALTED;
                sync(s, ep);
                transferEvent(s, ep, e.at, Trb.TRB_ERROR, 0, false);
                return;
            }
            if (td == null) {
                if (ep.isoch() && ep.isochActive) {
                    ringDry(s, ep);
                }
                return;
            }
            if (ep.isoch() && !isochDue(s, ep, td)) {
                if (ep.scheduledTrb == -1) {
                    continue;                                  // missed: the TD was skipped, the next one may run
                }
                return;
            }
            start(s, ep, td);
        }
    }

    /**
     * Isochronous scheduling (xHCI 1.2 sections 4.11.2.5 and 4.14.2): whether the TD's microframe
     * has come. A TD with SIA (Start Isoch ASAP, what Linux's uvcvideo asks for) takes the
     * endpoint's next service interval, or the next microframe when the ring had run dry; one
     * without SIA the first microframe of its Frame ID (1 ms frames modulo 2048; every such TD's
     * Frame ID is honoured, so HCCPARAMS1 sets CFC), or the next service interval if that is
     * later. A Frame ID outside the window (its frame starting less than {@link Xhci#IST}
     * microframes after MFINDEX, or more than {@value #FRAME_WINDOW} frames ahead) is a frame that
     * has passed: the TD is skipped with a Missed Service Error. A TD not yet due stays on the
     * ring and the controller's isochronous timer wakes the endpoint at the end of the TD's 1 ms
     * frame ({@link #ISOCH_BATCH}); the device gets it as the transfer of its microframe. When the
     * event ring is nearly full, TDs wait for the guest to consume events (a real controller would
     * miss their service intervals; waiting keeps every TD's completion). False with
     * {@code ep.scheduledTrb == -1} when the TD was skipped.
     */
    private boolean isochDue(Slot s, Endpoint ep, Td td) {
        Trb first = td.trbs().get(0);
        long now = hc.microframe();
        if (ep.scheduledTrb != first.address()) {
            long at;
            if (first.type() != Trb.ISOCH || first.has(Trb.SIA)) {
                // the next service interval; once that is more than a batch in the past (the ring
                // ran dry), the next microframe. An endpoint running TDs allows ISOCH_LATE: its
                // next interval is in the past when the timer that ran the TD before fired late
                long stale = ep.isochActive ? ISOCH_LATE : ISOCH_BATCH;
                at = ep.nextFrame > now - stale ? ep.nextFrame : now + 1;
            } else {
                // the Frame ID window: the TD's frame starts at least IST microframes after now and at
                // most FRAME_WINDOW frames ahead; any other Frame ID (modulo 2048) is a frame that has
                // passed, or one too far ahead to tell from one that has
                long ahead = (first.frameId() - now / 8) & 0x7FF;
                long start = (now / 8 + ahead) * 8;
                if (ahead > FRAME_WINDOW || start < now + Xhci.IST) {
                    hc.warnOnce("isoch-missed", "slot " + s.id + " DCI " + ep.dci + ": an Isoch TD for frame "
                            + first.frameId() + " outside the window of frames " + ((now + Xhci.IST + 7) / 8 & 0x7FF)
                            + ".." + ((now / 8 + FRAME_WINDOW) & 0x7FF) + " (MFINDEX " + (now & 0x3FFF)
                            + "); Missed Service Error");
                    ep.scheduledTrb = -1;
                    advance(ep, td);
                    transferEvent(s, ep, first.address(), Trb.MISSED_SERVICE_ERROR, 0, false);
                    return false;
                }
                at = Math.max(ep.nextFrame, start);
            }
            ep.scheduledTrb = first.address();
            ep.scheduledFrame = at;
        }
        if (ep.scheduledFrame > now) {
            hc.wakeIsochAt((ep.scheduledFrame + ISOCH_BATCH - 1) / ISOCH_BATCH * ISOCH_BATCH);
            return false;
        }
        if (!hc.events.room(ISOCH_EVENT_ROOM)) {
            hc.wakeIsochAt(now + ISOCH_BATCH);                 // back-pressure: try again in a frame
            return false;
        }
        // on time (within the batch), or late by less than ISOCH_LATE (the isochronous timer fired
        // late: the host was busy, a microframe is 125 us): the TD is the transfer of its own
        // microframe and the next TD takes the next interval, as on a controller that kept time;
        // later than that (the guest behind on events, a stopped machine): the schedule starts
        // again from now rather than catching up in a long burst
        if (now - ep.scheduledFrame >= ISOCH_LATE) {
            ep.scheduledFrame = now;                           // serviced late: in this microframe
        }
        ep.nextFrame = ep.scheduledFrame + ep.interval;
        ep.scheduledTrb = -1;
        ep.isochActive = true;
        return true;
    }

    /**
     * An isochronous ring found empty after TDs ran (xHCI 1.2 section 4.10.3.1): once the
     * endpoint's next service interval has come without a TD, a Ring Overrun (IN) or Ring
     * Underrun (OUT) event without a TRB pointer; the endpoint stays Running, and the next TD with
     * SIA starts in the microframe after the guest queues it. Before that interval, the
     * isochronous timer looks again then.
     */
    private void ringDry(Slot s, Endpoint ep) {
        long now = hc.microframe();
        if (ep.nextFrame > now) {
            hc.wakeIsochAt((ep.nextFrame + ISOCH_BATCH - 1) / ISOCH_BATCH * ISOCH_BATCH);
            return;
        }
        ep.isochActive = false;
        ep.nextFrame = Long.MIN_VALUE / 2;
        transferEvent(s, ep, 0, ep.in() ? Trb.RING_OVERRUN : Trb.RING_UNDERRUN, 0, false);
    }

    /** Reads the next whole TD, or null when the guest has not handed one over (cycle bit). */
    Td read(Endpoint ep) throws RingException {
        List<Trb> trbs = new ArrayList<>();
        long p = ep.dequeue;
        boolean c = ep.cycle;
        int links = 0;
        while (true) {
            if (trbs.size() >= MAX_TD_TRBS) {
                throw new RingException("a TD of more than " + MAX_TD_TRBS + " TRBs", ep.dequeue);
            }
            Trb t;
            try {
                t = mem.trb(p);
            } catch (GuestMemory.BadPointerException e) {
                throw new RingException(e.getMessage(), p);
            }
            if (t.cycle() != c) {
                return null;
            }
            if (t.type() == Trb.LINK) {
                if (++links > MAX_LINKS) {
                    throw new RingException("more than " + MAX_LINKS + " Link TRBs in a row", p);
                }
                if (t.has(Trb.TOGGLE_CYCLE)) {
                    c = !c;
                }
                p = t.parameter() & ~0xFL;
                continue;
            }
            links = 0;
            trbs.add(t);
            p += 16;
            int type = t.type();
            if (type < Trb.NORMAL || type > Trb.NOOP) {
                throw new RingException("TRB type " + type + " does not belong on a transfer ring", t.address());
            }
            boolean end;
            if (ep.type == Endpoint.CONTROL && trbs.get(0).type() == Trb.SETUP) {
                end = type == Trb.STATUS;
            } else {
                end = !t.has(Trb.CHAIN);
            }
            if (end) {
                return new Td(trbs, p, c);
            }
        }
    }

    private static boolean carriesData(Trb t) {
        return t.type() == Trb.NORMAL || t.type() == Trb.DATA || t.type() == Trb.ISOCH;
    }

    private void start(Slot s, Endpoint ep, Td td) {
        List<Trb> trbs = td.trbs();
        Trb first = trbs.get(0);
        UsbSetup setup = null;
        boolean in;
        UsbEndpointType type;
        if (ep.type == Endpoint.CONTROL) {
            type = UsbEndpointType.CONTROL;
            if (first.type() != Trb.SETUP) {
                if (first.type() != Trb.NOOP) {
                    hc.warnOnce("ctl-nosetup", "slot " + s.id + ": control TD starts with a "
                            + Trb.typeName(first.type()) + " TRB, not Setup Stage; TRB Error");
                }
                advance(ep, td);
                for (Trb t : trbs) {
                    if (t.type() != Trb.NOOP) {
                        transferEvent(s, ep, t.address(), Trb.TRB_ERROR, 0, false);
                        return;
                    }
                    if (t.has(Trb.IOC)) {
                        transferEvent(s, ep, t.address(), Trb.SUCCESS, 0, false);
                    }
                }
                return;
            }
            setup = UsbSetup.of(first.parameter());
            in = setup.in();
            for (Trb t : trbs) {
                if (t.type() == Trb.DATA) {
                    in = t.has(Trb.DIR_IN);
                }
            }
        } else {
            type = switch (ep.type) {
                case Endpoint.ISOCH_IN, Endpoint.ISOCH_OUT -> UsbEndpointType.ISOCHRONOUS;
                case Endpoint.INTERRUPT_IN, Endpoint.INTERRUPT_OUT -> UsbEndpointType.INTERRUPT;
                default -> UsbEndpointType.BULK;
            };
            in = ep.in();
            if (trbs.stream().noneMatch(TransferRunner::carriesData)) {
                // No Op and Event Data TRBs only (a driver turns cancelled TDs into No Ops): nothing for the device
                advance(ep, td);
                for (Trb t : trbs) {
                    if (t.type() == Trb.EVENT_DATA && t.has(Trb.IOC)) {
                        hc.postEvent(t.parameter(), Trb.SUCCESS << 24,
                                Trb.TRANSFER_EVENT << 10 | 1 << 2 | ep.dci << 16 | s.id << 24);
                    } else if (t.has(Trb.IOC)) {
                        transferEvent(s, ep, t.address(), Trb.SUCCESS, 0, false);
                    }
                }
                return;
            }
        }
        long total = 0;
        for (Trb t : trbs) {
            if (carriesData(t)) {
                total += t.length();
            }
        }
        if (total > MAX_TD_BYTES) {
            hc.warnOnce("td-big", "slot " + s.id + " DCI " + ep.dci + ": a TD of " + total + " bytes (more than "
                    + MAX_TD_BYTES + "); TRB Error");
            advance(ep, td);
            transferEvent(s, ep, first.address(), Trb.TRB_ERROR, 0, false);
            return;
        }
        byte[] buffer = new byte[(int) total];
        if (!in) {
            int at = 0;
            for (Trb t : trbs) {
                if (!carriesData(t)) {
                    continue;
                }
                if (t.has(Trb.IDT)) {
                    for (int i = 0; i < Math.min(8, t.length()); i++) {
                        buffer[at + i] = (byte) (t.parameter() >>> 8 * i);
                    }
                } else if (!mem.isRam(t.parameter(), t.length())) {
                    dataBufferError(s, ep, td, t);
                    return;
                } else {
                    mem.read(t.parameter(), buffer, at, t.length());
                }
                at += t.length();
            }
        } else {
            for (Trb t : trbs) {
                if (carriesData(t) && !t.has(Trb.IDT) && !mem.isRam(t.parameter(), t.length())) {
                    dataBufferError(s, ep, td, t);
                    return;
                }
            }
        }
        UsbDevice device = hc.deviceAt(s.port);
        if (device == null) {
            ep.state = Endpoint.HALTED;
            sync(s, ep);
            transferEvent(s, ep, first.address(), Trb.TRANSACTION_ERROR, 0, false);
            return;
        }
        long frame = type == UsbEndpointType.ISOCHRONOUS ? ep.scheduledFrame : 0;
        XhciTransfer x = new XhciTransfer(ep.number(), in, type, setup, buffer, frame);
        ep.inflight = x;
        ep.inflightTrbs = trbs;
        ep.inflightNext = td.next();
        ep.inflightNextCycle = td.nextCycle();
        try {
            device.handle(x);
        } catch (RuntimeException e) {
            hc.warnOnce("dev-exc-" + ep.dci, "a USB device threw " + e + " handling a transfer; USB Transaction Error");
            x.complete(UsbStatus.ERROR, 0);
        }
        if (x.done()) {
            finish(s, ep);
        } else {
            x.onLateCompletion = () -> {
                if (ep.inflight == x && hc.slots[s.id] == s) {
                    finish(s, ep);
                    run(s, ep);
                }
            };
        }
    }

    private void dataBufferError(Slot s, Endpoint ep, Td td, Trb t) {
        hc.warnOnce("buf-ptr", "slot " + s.id + " DCI " + ep.dci + ": data buffer 0x" + Long.toHexString(t.parameter())
                + " (" + t.length() + " bytes) is not in guest RAM; Data Buffer Error, the endpoint halts");
        ep.state = Endpoint.HALTED;
        sync(s, ep);
        transferEvent(s, ep, t.address(), Trb.DATA_BUFFER_ERROR, t.length(), false);
    }

    private static void advance(Endpoint ep, Td td) {
        ep.dequeue = td.next();
        ep.cycle = td.nextCycle();
    }

    private void finish(Slot s, Endpoint ep) {
        XhciTransfer x = ep.inflight;
        List<Trb> trbs = ep.inflightTrbs;
        ep.inflight = null;
        ep.inflightTrbs = null;
        if (x.status == UsbStatus.CANCELLED) {
            return;
        }
        if (x.status != UsbStatus.OK && ep.isoch()) {
            // isochronous endpoints do not halt: the TD fails and the ring goes on (xHCI 4.10.2.1)
            ep.dequeue = ep.inflightNext;
            ep.cycle = ep.inflightNextCycle;
            Trb at = trbs.stream().filter(TransferRunner::carriesData).findFirst().orElse(trbs.get(0));
            transferEvent(s, ep, at.address(), Trb.TRANSACTION_ERROR, carriesData(at) ? at.length() : 0, false);
            return;
        }
        if (x.status != UsbStatus.OK) {
            Trb at = trbs.get(0);
            for (Trb t : trbs) {
                if (carriesData(t)) {
                    at = t;
                    break;
                }
                if (t.type() == Trb.STATUS) {
                    at = t;
                }
            }
            ep.state = Endpoint.HALTED;
            sync(s, ep);
            transferEvent(s, ep, at.address(), x.status == UsbStatus.STALL ? Trb.STALL_ERROR : Trb.TRANSACTION_ERROR,
                    carriesData(at) ? at.length() : 0, false);
            return;
        }
        ep.dequeue = ep.inflightNext;
        ep.cycle = ep.inflightNextCycle;
        int left = x.actual;
        int offset = 0;
        boolean shortSeen = false;
        boolean control = x.setup() != null;
        long edtla = 0;
        for (int i = 0; i < trbs.size(); i++) {
            Trb t = trbs.get(i);
            if (shortSeen && !(control && t.type() == Trb.STATUS)) {
                continue;                                      // the rest of the TD after a short packet
            }
            if (carriesData(t)) {
                int moved = Math.min(t.length(), left);
                if (x.in() && moved > 0 && !t.has(Trb.IDT)) {
                    mem.write(t.parameter(), x.buffer(), offset, moved);
                }
                offset += moved;
                left -= moved;
                edtla += moved;
                if (x.in() && moved < t.length()) {
                    // Short Packet (xHCI 4.10.1.1): an event on this TRB if it asks (ISP or IOC), and the
                    // controller goes on to the last TRB of the TD (or data stage), which reports again
                    // if it has IOC; a driver that saw the first event waits for that one
                    shortSeen = true;
                    if (t.has(Trb.ISP) || t.has(Trb.IOC)) {
                        transferEvent(s, ep, t.address(), Trb.SHORT_PACKET, t.length() - moved, false, interrupts(t));
                    }
                    Trb last = lastOfStage(trbs, i);
                    if (last != t && last.has(Trb.IOC)) {
                        transferEvent(s, ep, last.address(), Trb.SHORT_PACKET, last.length(), false, interrupts(last));
                    }
                    continue;
                }
                if (t.has(Trb.IOC)) {
                    transferEvent(s, ep, t.address(), Trb.SUCCESS, 0, false, interrupts(t));
                }
            } else if (t.type() == Trb.EVENT_DATA) {
                if (t.has(Trb.IOC)) {
                    hc.postEvent(t.parameter(), Trb.SUCCESS << 24 | (int) (edtla & 0xFFFFFF),
                            Trb.TRANSFER_EVENT << 10 | 1 << 2 | ep.dci << 16 | s.id << 24);
                }
                edtla = 0;
            } else if (t.has(Trb.IOC)) {                       // Setup, Status, No Op
                transferEvent(s, ep, t.address(), Trb.SUCCESS, 0, false);
            }
        }
    }

    /** The last TRB of the data chain TRB {@code i} belongs to (where a short packet is reported without ISP). */
    private static Trb lastOfStage(List<Trb> trbs, int i) {
        int j = i;
        while (j + 1 < trbs.size() && trbs.get(j).has(Trb.CHAIN) && trbs.get(j + 1).type() != Trb.STATUS) {
            j++;
        }
        return trbs.get(j);
    }

    void transferEvent(Slot s, Endpoint ep, long trb, int code, int residual, boolean eventData) {
        transferEvent(s, ep, trb, code, residual, eventData, true);
    }

    private void transferEvent(Slot s, Endpoint ep, long trb, int code, int residual, boolean eventData,
            boolean interrupt) {
        hc.postEvent(trb, code << 24 | residual & 0xFFFFFF,
                Trb.TRANSFER_EVENT << 10 | (eventData ? 1 << 2 : 0) | ep.dci << 16 | s.id << 24, interrupt);
    }

    /** Whether an event of this TRB interrupts: not for a Normal or Isoch TRB with Block Event Interrupt. */
    private static boolean interrupts(Trb t) {
        return !(t.has(Trb.BEI) && (t.type() == Trb.NORMAL || t.type() == Trb.ISOCH));
    }

    /** Stop Endpoint: takes back a transfer in flight (Stopped - Length Invalid event) and stops. */
    int stop(Slot s, int dci) {
        if (s == null) {
            return Trb.SLOT_NOT_ENABLED;
        }
        Endpoint ep = dci >= 1 && dci < 32 ? s.endpoints[dci] : null;
        if (ep == null) {
            return Trb.ENDPOINT_NOT_ENABLED;
        }
        if (ep.state != Endpoint.RUNNING) {
            return Trb.CONTEXT_STATE_ERROR;
        }
        if (ep.inflight != null) {
            long at = ep.inflightTrbs.get(0).address();
            cancel(s, ep);
            transferEvent(s, ep, at, Trb.STOPPED_LENGTH_INVALID, 0, false);
        }
        ep.state = Endpoint.STOPPED;
        ep.isochActive = false;
        sync(s, ep);
        return Trb.SUCCESS;
    }

    /** Takes back the endpoint's transfer in flight, if any (the dequeue pointer stays on its TD). */
    void cancel(Slot s, Endpoint ep) {
        XhciTransfer x = ep.inflight;
        if (x == null) {
            return;
        }
        ep.inflight = null;
        ep.inflightTrbs = null;
        UsbDevice d = hc.deviceAt(s.port);
        if (d != null && !x.done()) {
            try {
                d.cancel(x);
            } catch (RuntimeException e) {
                hc.warnOnce("dev-cancel", "a USB device threw " + e + " cancelling a transfer");
            }
        }
        x.cancel();
    }

    void cancelSlot(Slot s) {
        for (Endpoint ep : s.endpoints) {
            if (ep != null) {
                cancel(s, ep);
            }
        }
    }

    void cancelPort(int portId) {
        for (Slot s : hc.slots) {
            if (s != null && s.port == portId) {
                cancelSlot(s);
            }
        }
    }

    /** Writes the endpoint's state and dequeue pointer into the output device context. */
    void sync(Slot s, Endpoint ep) {
        long at = s.context + 32L * ep.dci;
        if (s.context != 0 && mem.isRam(at, 32)) {
            mem.putDword(at, mem.dword(at) & ~7 | ep.state);
            mem.putQword(at + 8, ep.dequeue | (ep.cycle ? 1 : 0));
        }
    }
}
