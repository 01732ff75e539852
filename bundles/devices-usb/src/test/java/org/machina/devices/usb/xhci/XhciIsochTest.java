package org.machina.devices.usb.xhci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.machina.api.bus.usb.UsbDevice;
import org.machina.api.bus.usb.UsbEndpointType;
import org.machina.api.bus.usb.UsbSpeed;
import org.machina.api.bus.usb.UsbStatus;
import org.machina.api.bus.usb.UsbTransfer;

/**
 * Isochronous TDs: each runs in its own (micro)frame of guest time (SIA: the endpoint's next
 * service interval; Frame ID: that frame; a passed frame: Missed Service Error), Block Event
 * Interrupt keeps an event from interrupting, a failing isochronous transfer does not halt the
 * endpoint, and a nearly full event ring holds TDs back until the guest consumes events.
 */
class XhciIsochTest {
    static final long MICROFRAME = 125_000;

    /**
     * An isochronous IN device: each packet is 100 bytes of its microframe number; records the
     * microframe of each transfer (checking it is handed over in that microframe's 1 ms frame).
     */
    static final class IsoDevice implements UsbDevice {
        final List<Long> ran = new ArrayList<>();
        final XhciHost h;
        boolean fail;
        /** Microframes a transfer may come after its frame's end (the test holds the timers back). */
        long lateness;

        IsoDevice(XhciHost h) {
            this.h = h;
        }

        @Override
        public UsbSpeed speed() {
            return UsbSpeed.HIGH;
        }

        @Override
        public void busReset() {
        }

        @Override
        public void handle(UsbTransfer t) {
            if (t.endpoint() == 0) {
                t.complete(UsbStatus.OK, 0);
                return;
            }
            assertEquals(UsbEndpointType.ISOCHRONOUS, t.type());
            long now = h.machine.nanos / MICROFRAME;
            assertTrue(now >= t.frame() && now <= (t.frame() + 7) / 8 * 8 + lateness,
                    "handed over at the end of its frame at the latest: microframe " + t.frame() + " at " + now);
            ran.add(t.frame());
            if (fail) {
                t.complete(UsbStatus.ERROR, 0);
                return;
            }
            int n = Math.min(100, t.buffer().length);
            for (int i = 0; i < n; i++) {
                t.buffer()[i] = (byte) t.frame();
            }
            t.complete(UsbStatus.OK, n);
        }
    }

    private XhciHost h;
    private IsoDevice dev;
    private int slot;

    /** An iso IN endpoint 1 (DCI 3) with service interval 2^interval microframes on BULK_IN_RING. */
    private void setUp(int interval) {
        setUp(interval, Endpoint.ISOCH_IN);
    }

    private void setUp(int interval, int type) {
        h = new XhciHost();
        h.start();
        dev = new IsoDevice(h);
        h.hc.bus().attach(h.machine.context("iso"), dev, 1);
        h.events();
        slot = h.address(1);
        h.events();
        for (int i = 0; i < 0x440; i += 4) {
            h.putD(XhciHost.INPUT + i, 0);
        }
        h.putD(XhciHost.INPUT + 4, 1 | 1 << 3);
        h.putD(XhciHost.INPUT + 0x20, 3 << 20 | 3 << 27);
        h.ring(XhciHost.BULK_IN_RING);
        h.putD(XhciHost.INPUT + 0x20 * 4, interval << 16);
        h.putD(XhciHost.INPUT + 0x20 * 4 + 4, type << 3 | 1024 << 16);
        h.putQ(XhciHost.INPUT + 0x20 * 4 + 8, XhciHost.BULK_IN_RING | 1);
        assertEquals(Trb.SUCCESS, XhciHost.code(h.command(XhciHost.INPUT, 0, Trb.CONFIGURE_ENDPOINT << 10 | slot << 24)));
    }

    private long isoch(int i, int flags) {
        return h.queue(XhciHost.BULK_IN_RING, XhciHost.DATA + 0x400L * i, 512,
                Trb.ISOCH << 10 | Trb.IOC | Trb.ISP | flags);
    }

    private boolean interruptPending() {
        return (h.r(Xhci.RUNTIME + 0x20) & EventRing.IMAN_IP) != 0;
    }

    @Test
    void aTimerFiringLateLosesNoMicroframe() {
        setUp(0);                                              // every microframe
        h.machine.advance(10 * MICROFRAME);
        for (int i = 0; i < 16; i++) {
            isoch(i, Trb.SIA | (i < 15 ? Trb.BEI : 0));
        }
        h.w(Xhci.DOORBELLS + 4 * slot, 3);
        h.machine.advance(16 * MICROFRAME);
        assertEquals(List.of(11L, 12L, 13L, 14L, 15L, 16L), dev.ran);
        dev.lateness = 3;
        h.machine.advanceLate(27 * MICROFRAME);                // the timer of microframe 24 fires at 27
        List<Long> want = new ArrayList<>();
        for (long m = 11; m <= 26; m++) {
            want.add(m);
        }
        assertEquals(want, dev.ran, "the late TDs are the transfers of their own microframes, one after another: "
                + "none of the microframes the host was late for is lost");
        List<long[]> ev = h.events();
        assertEquals(17, ev.size(), "16 TDs and the ring running dry after them");
        assertEquals(Trb.RING_OVERRUN, XhciHost.code(ev.get(16)));
        assertEquals((byte) 16, h.machine.ram.get((int) XhciHost.DATA + 0x400 * 5), "the data of microframe 16");
    }

    @Test
    void siaTdsTakeConsecutiveServiceIntervalsOfGuestTime() {
        setUp(1);                                              // every 2 microframes
        h.machine.advance(10 * MICROFRAME);
        List<Long> trbs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            trbs.add(isoch(i, Trb.SIA | (i < 3 ? Trb.BEI : 0)));
        }
        h.w(Xhci.DOORBELLS + 4 * slot, 3);
        assertTrue(dev.ran.isEmpty(), "nothing runs before its microframe");
        h.machine.advance(15 * MICROFRAME);
        assertTrue(dev.ran.isEmpty(), "TDs of a 1 ms frame go to the device at its end");
        h.machine.advance(16 * MICROFRAME);
        assertEquals(List.of(11L, 13L, 15L), dev.ran, "the first TD in the next microframe, one per service interval "
                + "(2 microframes)");
        assertTrue(!interruptPending(), "Block Event Interrupt: the events wait on the ring without an interrupt");
        h.machine.advance(30 * MICROFRAME);
        assertEquals(List.of(11L, 13L, 15L, 17L), dev.ran);
        assertTrue(interruptPending(), "the last TD (no BEI) interrupts");
        List<long[]> ev = h.events();
        assertEquals(5, ev.size());
        assertEquals(Trb.RING_OVERRUN, XhciHost.code(ev.get(4)), "the ring ran dry at the next service interval");
        assertEquals(0, ev.get(4)[0], "Ring Overrun names no TRB");
        assertEquals(3, ev.get(4)[2] >>> 16 & 0x1F, "the endpoint's DCI");
        for (int i = 0; i < 4; i++) {
            assertEquals(trbs.get(i), ev.get(i)[0], "event " + i + " names its TRB");
            assertEquals(Trb.SHORT_PACKET, XhciHost.code(ev.get(i)));
            assertEquals(512 - 100, ev.get(i)[1] & 0xFFFFFF, "residual");
            assertEquals((byte) (11 + 2 * i), h.machine.ram.get((int) XhciHost.DATA + 0x400 * i), "data of its microframe");
        }
        // the ring ran dry: a new TD starts in the next microframe, not in the stale interval
        h.machine.advance(40 * MICROFRAME);
        isoch(4, Trb.SIA);
        h.w(Xhci.DOORBELLS + 4 * slot, 3);
        h.machine.advance(48 * MICROFRAME);
        assertEquals(41L, dev.ran.get(4));
    }

    @Test
    void frameIdSchedulesAndAPassedFrameIsMissed() {
        setUp(0);
        h.machine.advance(8 * 100 * MICROFRAME + 3 * MICROFRAME);   // frame 100, microframe 3
        isoch(0, 102 << 20);                                   // frame 102
        long late = isoch(1, 99 << 20);                        // frame 99 has passed
        h.w(Xhci.DOORBELLS + 4 * slot, 3);
        h.machine.advance(8 * 102 * MICROFRAME - 1);
        assertTrue(dev.ran.isEmpty(), "waits for frame 102");
        h.machine.advance(8 * 103 * MICROFRAME);
        assertEquals(List.of(8 * 102L), dev.ran, "the TD of frame 102 ran, as the transfer of its first microframe");
        List<long[]> ev = h.events();
        assertEquals(3, ev.size());
        assertEquals(Trb.SHORT_PACKET, XhciHost.code(ev.get(0)));
        assertEquals(late, ev.get(1)[0]);
        assertEquals(Trb.MISSED_SERVICE_ERROR, XhciHost.code(ev.get(1)), "frame 99 is missed");
        assertEquals(Trb.RING_OVERRUN, XhciHost.code(ev.get(2)), "then the ring is dry at the next microframe");
    }

    @Test
    void frameIdsOutsideTheWindowAreMissed() {
        setUp(0);
        h.machine.advance(8 * 100 * MICROFRAME + 3 * MICROFRAME);   // frame 100, microframe 3
        long current = isoch(0, 100 << 20);                    // its first microframe has passed (IST)
        long beyond = isoch(1, (100 + 896) << 20);             // 896 frames ahead: past the 895 ms window
        isoch(2, (100 + 895) << 20);                           // the last frame of the window
        h.w(Xhci.DOORBELLS + 4 * slot, 3);
        List<long[]> ev = h.events();
        assertEquals(2, ev.size());
        assertEquals(current, ev.get(0)[0]);
        assertEquals(Trb.MISSED_SERVICE_ERROR, XhciHost.code(ev.get(0)));
        assertEquals(beyond, ev.get(1)[0]);
        assertEquals(Trb.MISSED_SERVICE_ERROR, XhciHost.code(ev.get(1)));
        h.machine.advance(8 * 995 * MICROFRAME - 1);
        assertTrue(dev.ran.isEmpty(), "the TD 895 frames ahead waits for its frame");
        h.machine.advance(8 * 995 * MICROFRAME);
        assertEquals(List.of(8 * 995L), dev.ran);
        // at the last microframe of a frame, the next frame is still in the window (IST 1 microframe)
        h.machine.advance(8 * 1000 * MICROFRAME + 7 * MICROFRAME);
        h.events();
        isoch(3, 1001 << 20);
        h.w(Xhci.DOORBELLS + 4 * slot, 3);
        h.machine.advance(8 * 1002 * MICROFRAME);
        assertEquals(List.of(8 * 995L, 8 * 1001L), dev.ran);
        assertEquals(Trb.SHORT_PACKET, XhciHost.code(h.events().get(0)));
    }

    @Test
    void aDryOutRingIsARingUnderrunAndTheNextTdStartsAfresh() {
        setUp(0, Endpoint.ISOCH_OUT);
        isoch(0, Trb.SIA);
        h.w(Xhci.DOORBELLS + 4 * slot, 3);
        h.machine.advance(8 * MICROFRAME);
        assertEquals(List.of(0L), dev.ran, "a new endpoint's first TD in the current microframe");
        List<long[]> ev = h.events();
        assertEquals(2, ev.size());
        assertEquals(Trb.SUCCESS, XhciHost.code(ev.get(0)));
        assertEquals(Trb.RING_UNDERRUN, XhciHost.code(ev.get(1)), "an OUT ring running dry is an underrun");
        assertEquals(Endpoint.RUNNING, h.hc.slots[slot].endpoints[3].state, "the endpoint keeps running");
        h.machine.advance(20 * MICROFRAME);
        assertTrue(h.events().isEmpty(), "one event for one dry spell");
        isoch(1, Trb.SIA);
        h.w(Xhci.DOORBELLS + 4 * slot, 3);
        h.machine.advance(24 * MICROFRAME);
        assertEquals(List.of(0L, 21L), dev.ran, "the next TD in the microframe after the doorbell");
    }

    @Test
    void aFailedIsochTransferDoesNotHaltTheEndpoint() {
        setUp(0);
        dev.fail = true;
        isoch(0, Trb.SIA);
        isoch(1, Trb.SIA);
        h.w(Xhci.DOORBELLS + 4 * slot, 3);
        h.machine.advance(10 * MICROFRAME);
        assertEquals(2, dev.ran.size(), "the second TD still runs");
        List<long[]> ev = h.events();
        assertEquals(3, ev.size(), "two TDs and the dry ring");
        assertEquals(Trb.TRANSACTION_ERROR, XhciHost.code(ev.get(0)));
        assertEquals(Endpoint.RUNNING, h.hc.slots[slot].endpoints[3].state);
    }

    @Test
    void aNearlyFullEventRingHoldsTdsBackUntilTheGuestConsumes() {
        setUp(0);
        int tds = XhciHost.EVENT_TRBS;                         // more than fit on the 32-entry event ring
        for (int i = 0; i < tds; i++) {
            isoch(i % 16, Trb.SIA);
        }
        h.w(Xhci.DOORBELLS + 4 * slot, 3);
        h.machine.advance(200 * MICROFRAME);
        int first = dev.ran.size();
        assertTrue(first < tds && first >= XhciHost.EVENT_TRBS - TransferRunner.ISOCH_EVENT_ROOM - 1,
                "TDs wait while the event ring is nearly full: " + first);
        List<long[]> ev = h.events();
        assertEquals(first, ev.size(), "every TD that ran has its event, none was dropped");
        h.machine.advance(400 * MICROFRAME);
        assertEquals(tds, dev.ran.size(), "the rest run once the guest consumed events");
        List<long[]> rest = h.events();
        assertEquals(tds - first + 1, rest.size(), "the rest and the dry ring's Ring Overrun");
        assertEquals(Trb.RING_OVERRUN, XhciHost.code(rest.get(rest.size() - 1)));
    }
}
