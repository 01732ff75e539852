package org.machina.devices.usb.xhci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;
import org.machina.api.bus.usb.UsbDevice;
import org.machina.api.bus.usb.UsbSpeed;
import org.machina.api.bus.usb.UsbStatus;
import org.machina.api.bus.usb.UsbTransfer;
import org.machina.devices.usb.FakeMachine;

/**
 * Periodic bandwidth per root port: Configure Endpoint commands whose isochronous and interrupt
 * endpoints exceed the port's budget (80 % of a high-speed microframe, 90 % of a full-speed
 * frame) complete with Bandwidth Error and change nothing; a smaller configuration then fits;
 * drop flags, Deconfigure, Disable Slot and a disconnect free the reservation.
 */
class XhciBandwidthTest {
    static final int HS_BUDGET = 6000;
    static final int FS_BUDGET = 1350;

    /** A device of a given speed that answers every transfer (only the endpoint contexts matter here). */
    static final class Dev implements UsbDevice {
        final UsbSpeed speed;

        Dev(UsbSpeed speed) {
            this.speed = speed;
        }

        @Override
        public UsbSpeed speed() {
            return speed;
        }

        @Override
        public void busReset() {
        }

        @Override
        public void handle(UsbTransfer t) {
            t.complete(UsbStatus.OK, 0);
        }
    }

    private final XhciHost h = new XhciHost();
    private FakeMachine.Ctx devCtx;

    private int attach(UsbSpeed speed, int port, long output, long ep0Ring) {
        h.start();
        devCtx = h.machine.context("dev" + port);
        h.hc.bus().attach(devCtx, new Dev(speed), port);
        h.events();
        int slot = h.address(port, output, ep0Ring);
        h.events();
        return slot;
    }

    private void clearInput() {
        for (int i = 0; i < 0x440; i += 4) {
            h.putD(XhciHost.INPUT + i, 0);
        }
    }

    /**
     * Puts an endpoint context for DCI {@code dci} into the input context: type, Max Packet
     * Size, Max Burst Size ({@code transactions} - 1: a high-speed high-bandwidth endpoint),
     * Interval and Max ESIT Payload, as Linux fills them.
     */
    private void endpoint(int dci, int type, int maxPacket, int transactions, int interval) {
        long at = XhciHost.INPUT + 0x20L * (dci + 1);
        int esit = maxPacket * transactions;
        h.putD(at, interval << 16 | (esit >>> 16) << 24);
        h.putD(at + 4, type << 3 | (transactions - 1) << 8 | maxPacket << 16);
        h.putQ(at + 8, XhciHost.BULK_IN_RING + 0x100L * dci | 1);
        h.putD(at + 16, (esit & 0xFFFF) << 16 | esit);
    }

    private int configure(int slot, int drop, int add) {
        h.putD(XhciHost.INPUT, drop);
        h.putD(XhciHost.INPUT + 4, add | 1);
        h.putD(XhciHost.INPUT + 0x20, 3 << 20 | 15 << 27);
        return XhciHost.code(h.command(XhciHost.INPUT, 0, Trb.CONFIGURE_ENDPOINT << 10 | slot << 24));
    }

    private int free(int port, int speed) {
        return Bandwidth.available(h.hc, port, speed);
    }

    @Test
    void aHighSpeedPortHoldsTheUvcCamerasLargestSettingButNotTwo() {
        int slot = attach(UsbSpeed.HIGH, 1, XhciHost.OUTPUT, XhciHost.EP0_RING);
        assertEquals(HS_BUDGET, free(1, 3), "nothing reserved after Address Device (control endpoints are not periodic)");
        // usb-video's alternate setting 8: isochronous IN 0x81, 3 x 1024 bytes every microframe
        clearInput();
        endpoint(3, Endpoint.ISOCH_IN, 1024, 3, 0);
        assertEquals(Trb.SUCCESS, configure(slot, 0, 1 << 3));
        assertEquals(HS_BUDGET - 3 * (1024 + 38), free(1, 3), "3 transactions of 1024 bytes and 38 bytes of overhead");

        // a second 3 x 1024 endpoint on the same port: 2 x 3186 > 6000
        clearInput();
        endpoint(5, Endpoint.ISOCH_IN, 1024, 3, 0);
        assertEquals(Trb.BANDWIDTH_ERROR, configure(slot, 0, 1 << 5));
        assertNull(h.hc.slots[slot].endpoints[5], "the endpoint was not added");
        assertEquals(0, h.d(XhciHost.OUTPUT + 0x20 * 5) & 7, "its output context stays Disabled");
        assertEquals(HS_BUDGET - 3186, free(1, 3), "nothing more reserved");
        assertNotNull(h.hc.slots[slot].endpoints[3], "the first endpoint stays");

        // the driver's next try, a smaller alternate setting (2 x 1024), fits: 3186 + 2124 <= 6000
        clearInput();
        endpoint(5, Endpoint.ISOCH_IN, 1024, 2, 0);
        assertEquals(Trb.SUCCESS, configure(slot, 0, 1 << 5));
        assertEquals(HS_BUDGET - 3186 - 2124, free(1, 3));
        assertEquals(Endpoint.RUNNING, h.d(XhciHost.OUTPUT + 0x20 * 5) & 7);

        // dropping the first frees its 3186
        clearInput();
        assertEquals(Trb.SUCCESS, configure(slot, 1 << 3, 0));
        assertEquals(HS_BUDGET - 2124, free(1, 3));
        // re-adding an endpoint replaces its own reservation: DCI 5 as 3 x 1024 fits alone
        clearInput();
        endpoint(5, Endpoint.ISOCH_IN, 1024, 3, 0);
        assertEquals(Trb.SUCCESS, configure(slot, 0, 1 << 5));
        assertEquals(HS_BUDGET - 3186, free(1, 3));

        assertEquals(Trb.SUCCESS, XhciHost.code(h.command(0, 0, Trb.DISABLE_SLOT << 10 | slot << 24)));
        assertEquals(HS_BUDGET, free(1, 3), "Disable Slot frees everything");
    }

    @Test
    void oneCommandThatDoesNotFitAddsNothingAndDeconfigureFrees() {
        int slot = attach(UsbSpeed.HIGH, 1, XhciHost.OUTPUT, XhciHost.EP0_RING);
        clearInput();
        endpoint(3, Endpoint.ISOCH_IN, 1024, 3, 0);
        endpoint(4, Endpoint.ISOCH_OUT, 1024, 3, 0);
        endpoint(7, Endpoint.INTERRUPT_IN, 16, 1, 3);
        assertEquals(Trb.BANDWIDTH_ERROR, configure(slot, 0, 1 << 3 | 1 << 4 | 1 << 7));
        for (int dci : new int[] {3, 4, 7}) {
            assertNull(h.hc.slots[slot].endpoints[dci], "DCI " + dci + " not added");
        }
        assertEquals(2, h.d(XhciHost.OUTPUT + 12) >>> 27, "the slot stays Addressed");
        assertEquals(HS_BUDGET, free(1, 3));

        clearInput();
        endpoint(3, Endpoint.ISOCH_IN, 1024, 3, 0);
        endpoint(7, Endpoint.INTERRUPT_IN, 16, 1, 3);
        assertEquals(Trb.SUCCESS, configure(slot, 0, 1 << 3 | 1 << 7));
        assertEquals(HS_BUDGET - 3186 - (16 + 55), free(1, 3), "the interrupt endpoint (16 + 55) shares a microframe");
        assertEquals(Trb.SUCCESS, XhciHost.code(h.command(0, 0, Trb.CONFIGURE_ENDPOINT << 10 | Trb.DC | slot << 24)));
        assertEquals(HS_BUDGET, free(1, 3), "Deconfigure frees");
    }

    @Test
    void endpointsWithLongerIntervalsShareTheFrameByPhase() {
        int slot = attach(UsbSpeed.HIGH, 1, XhciHost.OUTPUT, XhciHost.EP0_RING);
        clearInput();
        endpoint(3, Endpoint.ISOCH_IN, 1024, 3, 1);        // every 2 microframes
        endpoint(5, Endpoint.ISOCH_IN, 1024, 3, 1);
        assertEquals(Trb.SUCCESS, configure(slot, 0, 1 << 3 | 1 << 5), "two in alternate microframes");
        assertEquals(0x55, h.hc.slots[slot].endpoints[3].bwMask, "even microframes");
        assertEquals(0xAA, h.hc.slots[slot].endpoints[5].bwMask, "odd microframes");
        clearInput();
        endpoint(7, Endpoint.ISOCH_IN, 1024, 3, 1);
        assertEquals(Trb.BANDWIDTH_ERROR, configure(slot, 0, 1 << 7), "a third has no microframe left");
        clearInput();
        endpoint(7, Endpoint.ISOCH_IN, 1024, 2, 4);        // every 2 ms: 2124 in one microframe of each frame
        assertEquals(Trb.SUCCESS, configure(slot, 0, 1 << 7));
        assertEquals(HS_BUDGET - 3186 - 2124, free(1, 3));
    }

    @Test
    void portsAreSeparateBusesAndADisconnectFrees() {
        int slot1 = attach(UsbSpeed.HIGH, 1, XhciHost.OUTPUT, XhciHost.EP0_RING);
        clearInput();
        endpoint(3, Endpoint.ISOCH_IN, 1024, 3, 0);
        assertEquals(Trb.SUCCESS, configure(slot1, 0, 1 << 3));
        FakeMachine.Ctx first = devCtx;
        FakeMachine.Ctx second = h.machine.context("dev2");
        h.hc.bus().attach(second, new Dev(UsbSpeed.HIGH), 2);
        h.events();
        int slot2 = h.address(2, 0xA000, 0xB000);
        h.events();
        clearInput();
        endpoint(3, Endpoint.ISOCH_IN, 1024, 3, 0);
        assertEquals(Trb.SUCCESS, configure(slot2, 0, 1 << 3), "port 2 has its own microframes");
        assertEquals(HS_BUDGET - 3186, free(1, 3));
        assertEquals(HS_BUDGET - 3186, free(2, 3));

        first.release();                                   // unplug the device on port 1
        h.machine.runTasks();
        assertEquals(HS_BUDGET, free(1, 3), "the disconnect freed port 1");
        assertEquals(HS_BUDGET - 3186, free(2, 3), "port 2 keeps its reservation");
    }

    @Test
    void aFullSpeedPortHasNinetyPercentOfAFrame() {
        int slot = attach(UsbSpeed.FULL, 1, XhciHost.OUTPUT, XhciHost.EP0_RING);
        clearInput();
        endpoint(3, Endpoint.ISOCH_IN, 1023, 1, 3);        // 1023 bytes every 1 ms frame
        assertEquals(Trb.SUCCESS, configure(slot, 0, 1 << 3));
        assertEquals(FS_BUDGET - (1023 + 9), free(1, 1));
        clearInput();
        endpoint(4, Endpoint.ISOCH_OUT, 512, 1, 3);
        assertEquals(Trb.BANDWIDTH_ERROR, configure(slot, 0, 1 << 4), "1032 + 521 > 1350");
        clearInput();
        endpoint(4, Endpoint.ISOCH_OUT, 256, 1, 3);
        endpoint(5, Endpoint.INTERRUPT_IN, 16, 1, 6);
        assertEquals(Trb.SUCCESS, configure(slot, 0, 1 << 4 | 1 << 5), "1032 + 265 + 29 <= 1350");
        assertEquals(FS_BUDGET - 1032 - 265 - 29, free(1, 1));
    }

    @Test
    void getPortBandwidthReportsTheFreePercentagePerPort() {
        int slot = attach(UsbSpeed.HIGH, 1, XhciHost.OUTPUT, XhciHost.EP0_RING);
        clearInput();
        endpoint(3, Endpoint.ISOCH_IN, 1024, 3, 0);
        assertEquals(Trb.SUCCESS, configure(slot, 0, 1 << 3));
        long ctx = 0xC000;
        assertEquals(Trb.SUCCESS, XhciHost.code(h.command(ctx, 0, Trb.GET_PORT_BANDWIDTH << 10 | 3 << 16)));
        assertEquals((6000 - 3186) * 100 / 7500, h.machine.ram.get((int) ctx + 1), "port 1: 37 % of a microframe left");
        assertEquals(80, h.machine.ram.get((int) ctx + 2), "port 2: the whole periodic 80 %");
        assertEquals(Trb.PARAMETER_ERROR, XhciHost.code(h.command(ctx, 0, Trb.GET_PORT_BANDWIDTH << 10 | 3 << 16 | 1 << 24)),
                "no hubs: a Hub Slot ID is refused");
    }

    @Test
    void aLoadedStateReservesAgain() {
        int slot = attach(UsbSpeed.HIGH, 1, XhciHost.OUTPUT, XhciHost.EP0_RING);
        clearInput();
        endpoint(3, Endpoint.ISOCH_IN, 1024, 3, 0);
        assertEquals(Trb.SUCCESS, configure(slot, 0, 1 << 3));
        XhciState saved = h.hc.saveState();
        h.hc.loadState(saved);
        assertEquals(HS_BUDGET - 3186, free(1, 3));
        clearInput();
        endpoint(5, Endpoint.ISOCH_IN, 1024, 3, 0);
        assertEquals(Trb.BANDWIDTH_ERROR, configure(slot, 0, 1 << 5));
    }
}
