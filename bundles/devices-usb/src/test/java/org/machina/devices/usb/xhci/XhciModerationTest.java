package org.machina.devices.usb.xhci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Interrupt moderation (xHCI 1.2 sections 4.17.2 and 5.5.2.2): an interrupt is signalled only while
 * IP and EHB are clear, the event ring is not empty and IMODC (loaded with IMODI when the guest
 * clears IP) has counted down. Events come from No Op commands, which ask for an interrupt.
 */
class XhciModerationTest {
    private static final long US = 1000;
    private final XhciHost h = new XhciHost();

    /** Queues a No Op command and rings doorbell 0, without consuming its event. */
    private void noOp() {
        h.enqueueCommand(0, 0, Trb.NOOP_COMMAND << 10);
    }

    private boolean ip() {
        return (h.r(Xhci.RUNTIME + 0x20) & EventRing.IMAN_IP) != 0;
    }

    /** What a driver's handler does first: clear IP (RW1C), keeping IE. */
    private void clearIp() {
        h.w(Xhci.RUNTIME + 0x20, EventRing.IMAN_IP | EventRing.IMAN_IE);
    }

    /** Reads the events on the ring and writes ERDP with EHB (clearing it), as the handler's end. */
    private int consume() {
        int n = 0;
        while (((h.d(h.eventDequeue + 12) & 1) != 0) == h.eventCycle) {
            h.eventDequeue += 16;
            if (h.eventDequeue == XhciHost.EVENT_RING + 16L * XhciHost.EVENT_TRBS) {
                h.eventDequeue = XhciHost.EVENT_RING;
                h.eventCycle = !h.eventCycle;
            }
            n++;
        }
        h.w(Xhci.RUNTIME + 0x38, (int) h.eventDequeue | EventRing.ERDP_EHB);
        return n;
    }

    @Test
    void interruptsWaitForTheModerationIntervalAfterIpIsCleared() {
        h.start();
        h.events();
        h.w(Xhci.RUNTIME + 0x24, 4000);                      // IMODI 4000 x 250 ns = 1 ms, IMODC 0
        assertEquals(4000, h.r(Xhci.RUNTIME + 0x24), "IMODI reads back, IMODC 0");
        noOp();
        assertTrue(ip(), "IMODC is 0: the first event interrupts at once");
        assertTrue((h.r(Xhci.RUNTIME + 0x38) & EventRing.ERDP_EHB) != 0, "EHB is set with IP");
        clearIp();
        assertEquals(4000, h.r(Xhci.RUNTIME + 0x24) >>> 16, "clearing IP loads IMODC with IMODI");
        h.machine.advance(h.machine.nanos + 250 * US);
        assertEquals(3000, h.r(Xhci.RUNTIME + 0x24) >>> 16, "IMODC counts down in 250 ns steps");
        noOp();                                              // while the handler runs (EHB set)
        assertTrue(!ip(), "no interrupt while EHB is set");
        assertEquals(2, consume(), "the handler reads both events");
        h.machine.advance(h.machine.nanos + 2000 * US);
        assertTrue(!ip(), "the events were consumed before EHB was cleared: no second interrupt");

        noOp();
        assertTrue(ip(), "IMODC reached 0 long ago: at once");
        clearIp();
        assertEquals(1, consume());
        long cleared = h.machine.nanos;
        noOp();
        assertTrue(!ip(), "within the interval: held back");
        h.machine.advance(cleared + 999 * US);
        assertTrue(!ip(), "still within the interval");
        h.machine.advance(cleared + 1000 * US);
        assertTrue(ip(), "signalled when IMODC reaches 0 (1 ms after IP was cleared)");
        assertTrue((h.op(0x04) & Xhci.STS_EINT) != 0, "USBSTS EINT");
        clearIp();
        assertEquals(1, consume());

        h.w(Xhci.RUNTIME + 0x24, 0);                         // IMODI 0: no throttling
        noOp();
        assertTrue(ip(), "IMODI 0: at once");
        clearIp();
        consume();
        noOp();
        assertTrue(ip(), "IMODI 0: at once again after IP was cleared");
        clearIp();
        consume();
        h.w(Xhci.RUNTIME + 0x24, 160 | 80 << 16);            // IMODC written: 20 us left
        noOp();
        assertTrue(!ip(), "a written IMODC holds the interrupt back");
        h.machine.advance(h.machine.nanos + 20 * US);
        assertTrue(ip(), "until it counts down");
    }
}
