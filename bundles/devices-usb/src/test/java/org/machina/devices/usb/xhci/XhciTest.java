package org.machina.devices.usb.xhci;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.machina.api.device.Device;
import org.machina.devices.usb.FakeMachine;

class XhciTest {
    @Test
    void capabilityRegistersDescribeTheController() {
        XhciHost h = new XhciHost();
        assertEquals(0x01000040, h.r(0), "CAPLENGTH 0x40, HCIVERSION 1.0");
        assertEquals(8, h.r(4) >>> 24, "8 ports");
        assertEquals(32, h.r(4) & 0xFF, "32 slots");
        assertEquals(1, h.r(8) & 0xF, "IST: 1 microframe (bit 3 clear)");
        assertEquals(1 << 11, h.r(0x10) & 1 << 11, "CFC: Frame IDs are honoured");
        int xecp = (h.r(0x10) >>> 16) * 4;
        assertEquals(0x02000002 | 4 << 8, h.r(xecp), "USB 2.0 protocol capability, next 4 dwords on");
        assertEquals(0x20425355, h.r(xecp + 4), "\"USB \"");
        assertEquals(1 | 4 << 8, h.r(xecp + 8), "USB 2 ports 1-4");
        assertEquals(0x03000002, h.r(xecp + 16), "USB 3.0 protocol capability, last");
        assertEquals(5 | 4 << 8, h.r(xecp + 24), "USB 3 ports 5-8");
        assertEquals(1, h.op(0x04) & 1, "halted after reset");
        assertEquals(0x0C0330, h.hc.header().classCode());
        assertEquals(0x1B36, h.hc.header().vendor());
        assertEquals(0x000D, h.hc.header().device());
    }

    @Test
    void enumeratesAUsbStorageDeviceAndMovesBulkData() {
        XhciHost h = new XhciHost();
        FakeMachine.Disk disk = new FakeMachine.Disk(1 << 20);
        h.attachStorage(disk, 2);
        h.start();
        assertTrue(h.machine.intx, "INTx raised by the port change event");
        long[] e = h.nextEvent();
        assertEquals(Trb.PORT_STATUS_CHANGE, (int) (e[2] >>> 10 & 0x3F), "port status change at run");
        assertEquals(2, e[0] >>> 24, "port 2");
        assertNull(h.nextEvent());
        assertFalse(h.machine.intx, "INTx lowered once IP is cleared");
        int sc = h.portsc(2);
        assertEquals(RootPort.CCS, sc & RootPort.CCS);
        assertEquals(3, sc >>> RootPort.SPEED_SHIFT & 0xF, "high speed");
        assertEquals(0, sc & RootPort.PED, "USB 2 port disabled until reset");

        int slot = h.address(2);
        assertEquals(2, h.d(XhciHost.OUTPUT + 12) >>> 27, "slot Addressed");
        assertEquals(slot, h.d(XhciHost.OUTPUT + 12) & 0xFF, "USB address = slot id");
        assertEquals(Endpoint.RUNNING, h.d(XhciHost.OUTPUT + 0x20) & 7, "EP0 running");
        h.events();

        List<long[]> ev = h.control(slot, 0x80, 6, 0x0100, 0, 18, XhciHost.DATA);
        assertEquals(1, ev.size(), "one event, on the Status Stage TRB");
        assertEquals(Trb.SUCCESS, XhciHost.code(ev.get(0)));
        byte[] dev = new byte[18];
        h.machine.ram.get((int) XhciHost.DATA, dev);
        assertEquals(18, dev[0]);
        assertEquals(1, dev[1]);
        assertEquals(0x0200, (dev[2] & 0xFF) | (dev[3] & 0xFF) << 8, "bcdUSB 2.0");

        ev = h.control(slot, 0x80, 6, 0x0200, 0, 255, XhciHost.DATA);
        assertEquals(2, ev.size(), "short packet on the data stage, then the status stage");
        assertEquals(Trb.SHORT_PACKET, XhciHost.code(ev.get(0)));
        assertEquals(255 - 32, ev.get(0)[1] & 0xFFFFFF, "residual: 255 asked, 32 bytes of configuration");
        assertEquals(Trb.SUCCESS, XhciHost.code(ev.get(1)));
        assertEquals(0x08, h.machine.ram.get((int) XhciHost.DATA + 9 + 5), "interface class mass storage");

        ev = h.control(slot, 0x00, 9, 1, 0, 0, 0);
        assertEquals(Trb.SUCCESS, XhciHost.code(ev.get(0)), "SET_CONFIGURATION 1");
        ev = h.control(slot, 0x80, 0x33, 0, 0, 1, XhciHost.DATA);
        assertEquals(Trb.STALL_ERROR, XhciHost.code(ev.get(0)), "a request the device does not know stalls");
        assertEquals(Endpoint.HALTED, h.d(XhciHost.OUTPUT + 0x20) & 7, "EP0 halted in the output context");
        assertEquals(Trb.SUCCESS, XhciHost.code(h.command(0, 0, Trb.RESET_ENDPOINT << 10 | 1 << 16 | slot << 24)));
        assertEquals(Endpoint.STOPPED, h.d(XhciHost.OUTPUT + 0x20) & 7);
        long[] st = h.rings.get(XhciHost.EP0_RING);
        assertEquals(Trb.SUCCESS, XhciHost.code(h.command(st[0] | st[1], 0,
                Trb.SET_TR_DEQUEUE << 10 | 1 << 16 | slot << 24)), "skip the stalled TD");

        // Configure Endpoint: EP1 IN bulk (DCI 3), EP2 OUT bulk (DCI 4)
        for (int i = 0; i < 0x440; i += 4) {
            h.putD(XhciHost.INPUT + i, 0);
        }
        h.putD(XhciHost.INPUT + 4, 1 | 1 << 3 | 1 << 4);
        h.putD(XhciHost.INPUT + 0x20, 3 << 20 | 4 << 27);
        h.putD(XhciHost.INPUT + 0x24, 2 << 16);
        h.ring(XhciHost.BULK_IN_RING);
        h.ring(XhciHost.BULK_OUT_RING);
        h.putD(XhciHost.INPUT + 0x20 * 4 + 4, Endpoint.BULK_IN << 3 | 512 << 16);
        h.putQ(XhciHost.INPUT + 0x20 * 4 + 8, XhciHost.BULK_IN_RING | 1);
        h.putD(XhciHost.INPUT + 0x20 * 5 + 4, Endpoint.BULK_OUT << 3 | 512 << 16);
        h.putQ(XhciHost.INPUT + 0x20 * 5 + 8, XhciHost.BULK_OUT_RING | 1);
        assertEquals(Trb.SUCCESS, XhciHost.code(h.command(XhciHost.INPUT, 0, Trb.CONFIGURE_ENDPOINT << 10 | slot << 24)));
        assertEquals(3, h.d(XhciHost.OUTPUT + 12) >>> 27, "slot Configured");

        byte[] inquiry = scsi(h, slot, new byte[] {0x12, 0, 0, 0, 36, 0}, 36, true, null);
        assertEquals("Machina ", new String(inquiry, 8, 8, StandardCharsets.US_ASCII));

        byte[] cap = scsi(h, slot, new byte[] {0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 8, true, null);
        assertEquals((1 << 20) / 512 - 1, ByteBuffer.wrap(cap).getInt(0), "last LBA");
        assertEquals(512, ByteBuffer.wrap(cap).getInt(4));

        byte[] pattern = new byte[1024];
        for (int i = 0; i < pattern.length; i++) {
            pattern[i] = (byte) (i ^ 0x5A);
        }
        scsi(h, slot, new byte[] {0x2A, 0, 0, 0, 0, 5, 0, 0, 2, 0}, 1024, false, pattern);
        assertArrayEquals(pattern, Arrays.copyOfRange(disk.data, 5 * 512, 7 * 512), "WRITE(10) reached the drive");
        byte[] back = scsi(h, slot, new byte[] {0x28, 0, 0, 0, 0, 5, 0, 0, 2, 0}, 1024, true, null);
        assertArrayEquals(pattern, back, "READ(10) reads it back");
        // INQUIRY asked with 96 bytes in two chained TRBs of 48: the 36 bytes end in the first TRB
        ByteBuffer cbw = ByteBuffer.allocate(31).order(ByteOrder.LITTLE_ENDIAN);
        cbw.putInt(0x43425355).putInt(9).putInt(96).put((byte) 0x80).put((byte) 0).put((byte) 6)
                .put(new byte[] {0x12, 0, 0, 0, 96, 0});
        h.machine.ram.put((int) XhciHost.DATA, cbw.array());
        h.queue(XhciHost.BULK_OUT_RING, XhciHost.DATA, 31, Trb.NORMAL << 10 | Trb.IOC);
        h.w(Xhci.DOORBELLS + 4 * slot, 4);
        h.events();
        long first = h.queue(XhciHost.BULK_IN_RING, XhciHost.DATA + 0x2000, 48, Trb.NORMAL << 10 | Trb.CHAIN | Trb.ISP);
        long last = h.queue(XhciHost.BULK_IN_RING, XhciHost.DATA + 0x2030, 48, Trb.NORMAL << 10 | Trb.IOC | Trb.ISP);
        h.w(Xhci.DOORBELLS + 4 * slot, 3);
        List<long[]> shortEvents = h.events();
        assertEquals(2, shortEvents.size(), "a short packet mid-TD: an event there and one on the last TRB");
        assertEquals(first, shortEvents.get(0)[0]);
        assertEquals(Trb.SHORT_PACKET, XhciHost.code(shortEvents.get(0)));
        assertEquals(48 - 36, shortEvents.get(0)[1] & 0xFFFFFF, "residual of the first TRB");
        assertEquals(last, shortEvents.get(1)[0]);
        assertEquals(Trb.SHORT_PACKET, XhciHost.code(shortEvents.get(1)));
        h.queue(XhciHost.BULK_IN_RING, XhciHost.DATA + 0x3000, 13, Trb.NORMAL << 10 | Trb.IOC | Trb.ISP);
        h.w(Xhci.DOORBELLS + 4 * slot, 3);
        h.events();
        assertEquals(96 - 36, h.d(XhciHost.DATA + 0x3000 + 8), "CSW residue");

        byte[] far = scsi(h, slot, new byte[] {0x28, 0, 0, 0, 1, 0, 0, 0, 1, 0}, 512, true, null);
        assertArrayEquals(Arrays.copyOfRange(disk.data, 256 * 512, 257 * 512), far, "READ(10) at LBA 256");
    }

    /** One bulk-only command: CBW, data (split over two chained TRBs), CSW; returns IN data. */
    private static byte[] scsi(XhciHost h, int slot, byte[] cdb, int length, boolean in, byte[] out) {
        ByteBuffer cbw = ByteBuffer.allocate(31).order(ByteOrder.LITTLE_ENDIAN);
        cbw.putInt(0x43425355).putInt(0x1234).putInt(length).put((byte) (in ? 0x80 : 0)).put((byte) 0)
                .put((byte) cdb.length).put(cdb);
        long cbwAt = XhciHost.DATA + 0x1000;
        h.machine.ram.put((int) cbwAt, cbw.array());
        h.queue(XhciHost.BULK_OUT_RING, cbwAt, 31, Trb.NORMAL << 10 | Trb.IOC);
        h.w(Xhci.DOORBELLS + 4 * slot, 4);
        List<long[]> ev = h.events();
        assertEquals(1, ev.size());
        assertEquals(Trb.SUCCESS, XhciHost.code(ev.get(0)), "CBW sent");
        long buf = XhciHost.DATA + 0x2000;
        int first = length / 2;
        long ring = in ? XhciHost.BULK_IN_RING : XhciHost.BULK_OUT_RING;
        int dci = in ? 3 : 4;
        if (!in) {
            h.machine.ram.put((int) buf, out);
        }
        h.queue(ring, buf, first, Trb.NORMAL << 10 | Trb.CHAIN | (in ? Trb.ISP : 0));
        h.queue(ring, buf + first, length - first, Trb.NORMAL << 10 | Trb.IOC | (in ? Trb.ISP : 0));
        h.w(Xhci.DOORBELLS + 4 * slot, dci);
        ev = h.events();
        assertEquals(1, ev.size(), "one event for the data TD");
        assertEquals(Trb.SUCCESS, XhciHost.code(ev.get(0)), "data phase");
        long cswAt = XhciHost.DATA + 0x3000;
        h.queue(XhciHost.BULK_IN_RING, cswAt, 13, Trb.NORMAL << 10 | Trb.IOC | Trb.ISP);
        h.w(Xhci.DOORBELLS + 4 * slot, 3);
        ev = h.events();
        assertEquals(Trb.SUCCESS, XhciHost.code(ev.get(0)), "CSW read");
        assertEquals(0x53425355, h.d(cswAt), "CSW signature");
        assertEquals(0x1234, h.d(cswAt + 4), "tag");
        assertEquals(0, h.machine.ram.get((int) cswAt + 12), "status passed");
        byte[] data = new byte[length];
        h.machine.ram.get((int) buf, data);
        return data;
    }

    @Test
    void hostileRingsAreBoundedAndReported() {
        XhciHost h = new XhciHost();
        FakeMachine.Disk disk = new FakeMachine.Disk(64 << 10);
        h.attachStorage(disk, 1);
        h.start();
        h.events();
        int slot = h.address(1);
        h.events();

        // a Link TRB pointing at itself, with a matching cycle bit: the endpoint halts with a TRB Error
        h.putQ(XhciHost.EP0_RING, XhciHost.EP0_RING);
        h.putD(XhciHost.EP0_RING + 12, Trb.LINK << 10 | 1);
        h.w(Xhci.DOORBELLS + 4 * slot, 1);
        List<long[]> ev = h.events();
        assertEquals(1, ev.size());
        assertEquals(Trb.TRB_ERROR, XhciHost.code(ev.get(0)), "link loop");
        assertEquals(Endpoint.HALTED, h.d(XhciHost.OUTPUT + 0x20) & 7);

        // Set TR Dequeue outside RAM, then a doorbell: TRB Error, no exception
        assertEquals(Trb.SUCCESS, XhciHost.code(h.command(0, 0, Trb.RESET_ENDPOINT << 10 | 1 << 16 | slot << 24)));
        assertEquals(Trb.SUCCESS, XhciHost.code(h.command(0xF000_0000L | 1, 0, Trb.SET_TR_DEQUEUE << 10 | 1 << 16 | slot << 24)));
        h.w(Xhci.DOORBELLS + 4 * slot, 1);
        ev = h.events();
        assertEquals(Trb.TRB_ERROR, XhciHost.code(ev.get(0)), "ring outside RAM");

        // a command TRB type on a transfer ring
        assertEquals(Trb.SUCCESS, XhciHost.code(h.command(0, 0, Trb.RESET_ENDPOINT << 10 | 1 << 16 | slot << 24)));
        h.ring(XhciHost.EP0_RING);
        assertEquals(Trb.SUCCESS, XhciHost.code(h.command(XhciHost.EP0_RING | 1, 0, Trb.SET_TR_DEQUEUE << 10 | 1 << 16 | slot << 24)));
        h.queue(XhciHost.EP0_RING, 0, 0, Trb.ENABLE_SLOT << 10 | Trb.IOC);
        h.w(Xhci.DOORBELLS + 4 * slot, 1);
        ev = h.events();
        assertEquals(Trb.TRB_ERROR, XhciHost.code(ev.get(0)), "bad TRB type");

        // a data buffer outside RAM: Data Buffer Error
        assertEquals(Trb.SUCCESS, XhciHost.code(h.command(0, 0, Trb.RESET_ENDPOINT << 10 | 1 << 16 | slot << 24)));
        h.ring(XhciHost.EP0_RING);
        assertEquals(Trb.SUCCESS, XhciHost.code(h.command(XhciHost.EP0_RING | 1, 0, Trb.SET_TR_DEQUEUE << 10 | 1 << 16 | slot << 24)));
        ev = h.control(slot, 0x80, 6, 0x0100, 0, 18, 0xE000_0000L);
        assertEquals(Trb.DATA_BUFFER_ERROR, XhciHost.code(ev.get(0)), "buffer outside RAM");

        // the command ring: an unknown command is a TRB Error; a self-link loop stops the ring
        assertEquals(Trb.TRB_ERROR, XhciHost.code(h.command(0, 0, 40 << 10)), "unknown command type");
        long at = h.cmdEnqueue;
        h.putQ(at, at);
        h.putD(at + 12, Trb.LINK << 10 | (h.cmdCycle ? 1 : 0));
        h.w(Xhci.DOORBELLS, 0);
        assertNull(h.nextEvent(), "no event from a looping command ring, and no hang");
        // a command ring pointer outside RAM
        h.op(0x18, 0x7000_0000 | (h.cmdCycle ? 1 : 0));
        h.w(Xhci.DOORBELLS, 0);
        assertNull(h.nextEvent());
    }

    @Test
    void eventRingFullDropsEventsWithoutOverwriting() {
        XhciHost h = new XhciHost();
        h.start();
        // never consume: NOOP commands fill the ring (31 usable entries of 32)
        for (int i = 0; i < 40; i++) {
            h.enqueueCommand(0, 0, Trb.NOOP_COMMAND << 10);
        }
        assertEquals(40 - 31, h.hc.events.dropped, "events beyond the ring's capacity are dropped");
        int n = 0;
        while (h.nextEvent() != null) {
            n++;
        }
        assertEquals(31, n, "the ring holds 31 events, none overwritten");
    }

    @Test
    void hotUnplugAndReplugReportPortChanges() {
        XhciHost h = new XhciHost();
        h.start();
        Device dev = h.attachStorage(new FakeMachine.Disk(64 << 10), 3);
        long[] e = h.nextEvent();
        assertEquals(3, e[0] >>> 24, "hot-plug: port change on port 3");
        h.portsc(3, RootPort.PP | RootPort.CHANGE_BITS);
        dev.unrealize();
        assertNull(h.nextEvent(), "the disconnect is reported in a task after the current one");
        h.machine.runTasks();
        e = h.nextEvent();
        assertEquals(3, e[0] >>> 24, "unplug: port change on port 3");
        assertEquals(0, h.portsc(3) & RootPort.CCS, "disconnected");
        assertFalse(h.machine.buses.get("xhci.0") == null, "the bus stays");
        // the context's release detaches too (a device that forgets its unrealize)
        FakeMachine.Ctx c = h.machine.context("other");
        var port = h.hc.bus().attach(c, new org.machina.devices.usb.storage.TestFunctions.Silent(), 1);
        h.events();
        c.release();
        h.machine.runTasks();
        assertFalse(port.attached(), "released with its owner");
        assertEquals(0, h.portsc(1) & RootPort.CCS);
    }

    @Test
    void theDocumentedEchoDeviceEnumeratesAndEchoes() {
        XhciHost h = new XhciHost();
        h.start();
        var echo = new org.example.usbecho.UsbEcho(h.machine.context("echo"), "usb", -1);
        echo.realize();
        h.events();
        int slot = h.address(1);
        h.events();
        List<long[]> ev = h.control(slot, 0x80, 6, 0x0100, 0, 18, XhciHost.DATA);
        assertEquals(Trb.SUCCESS, XhciHost.code(ev.get(0)));
        assertEquals(0xFF, h.machine.ram.get((int) XhciHost.DATA + 4) & 0xFF, "vendor-specific class");
        assertEquals(Trb.SUCCESS, XhciHost.code(h.control(slot, 0x00, 9, 1, 0, 0, 0).get(0)));
        // No Op TDs on a transfer ring are not sent to the device
        for (int i = 0; i < 0x440; i += 4) {
            h.putD(XhciHost.INPUT + i, 0);
        }
        h.putD(XhciHost.INPUT + 4, 1 | 1 << 2 | 1 << 3);
        h.putD(XhciHost.INPUT + 0x20, 3 << 20 | 3 << 27);
        h.ring(XhciHost.BULK_OUT_RING);
        h.ring(XhciHost.BULK_IN_RING);
        h.putD(XhciHost.INPUT + 0x20 * 3 + 4, Endpoint.BULK_OUT << 3 | 512 << 16);
        h.putQ(XhciHost.INPUT + 0x20 * 3 + 8, XhciHost.BULK_OUT_RING | 1);
        h.putD(XhciHost.INPUT + 0x20 * 4 + 4, Endpoint.BULK_IN << 3 | 512 << 16);
        h.putQ(XhciHost.INPUT + 0x20 * 4 + 8, XhciHost.BULK_IN_RING | 1);
        assertEquals(Trb.SUCCESS, XhciHost.code(h.command(XhciHost.INPUT, 0, Trb.CONFIGURE_ENDPOINT << 10 | slot << 24)));
        h.queue(XhciHost.BULK_OUT_RING, 0, 0, Trb.NOOP << 10 | Trb.IOC);
        h.machine.ram.put((int) XhciHost.DATA + 0x100, "hello, usb".getBytes(StandardCharsets.US_ASCII));
        h.queue(XhciHost.BULK_OUT_RING, XhciHost.DATA + 0x100, 10, Trb.NORMAL << 10 | Trb.IOC);
        h.w(Xhci.DOORBELLS + 4 * slot, 2);
        ev = h.events();
        assertEquals(2, ev.size(), "the No Op's event and the OUT transfer's");
        h.queue(XhciHost.BULK_IN_RING, XhciHost.DATA + 0x200, 512, Trb.NORMAL << 10 | Trb.IOC | Trb.ISP);
        h.w(Xhci.DOORBELLS + 4 * slot, 3);
        ev = h.events();
        assertEquals(Trb.SHORT_PACKET, XhciHost.code(ev.get(0)));
        assertEquals(512 - 10, ev.get(0)[1] & 0xFFFFFF);
        byte[] back = new byte[10];
        h.machine.ram.get((int) XhciHost.DATA + 0x200, back);
        assertEquals("hello, usb", new String(back, StandardCharsets.US_ASCII));
    }

    @Test
    @SuppressWarnings("unchecked")
    void aHotSwapBetweenCbwAndDataLosesNothing() {
        XhciHost h = new XhciHost();
        FakeMachine.Disk disk = new FakeMachine.Disk(1 << 20);
        Device stick = h.attachStorage(disk, 1);
        h.start();
        h.events();
        int slot = h.address(1);
        h.events();
        h.control(slot, 0x00, 9, 1, 0, 0, 0);
        configureBulk(h, slot);
        // CBW of READ(10) 1 block at LBA 7; then the swap, before the data phase
        ByteBuffer cbw = ByteBuffer.allocate(31).order(ByteOrder.LITTLE_ENDIAN);
        cbw.putInt(0x43425355).putInt(77).putInt(512).put((byte) 0x80).put((byte) 0).put((byte) 10)
                .put(new byte[] {0x28, 0, 0, 0, 0, 7, 0, 0, 1, 0});
        h.machine.ram.put((int) XhciHost.DATA, cbw.array());
        h.queue(XhciHost.BULK_OUT_RING, XhciHost.DATA, 31, Trb.NORMAL << 10 | Trb.IOC);
        h.w(Xhci.DOORBELLS + 4 * slot, 4);
        assertEquals(Trb.SUCCESS, XhciHost.code(h.events().get(0)));

        com.google.gson.Gson gson = new com.google.gson.Gson();
        String hcJson = gson.toJson(h.hc.saveState());
        var storage = (org.machina.api.state.Stateful<Record>) stick;
        String stickJson = gson.toJson(storage.saveState());
        stick.unrealize();
        h.hc.unrealize();
        h.ctx.release();

        Xhci hc2 = new Xhci(h.machine.context("xhci"), Xhci.Model.QEMU_XHCI, -1);
        hc2.realize();
        hc2.loadState(gson.fromJson(hcJson, XhciState.class));
        Device stick2 = new org.machina.devices.usb.storage.UsbStorageType().create(h.machine.context("stick"),
                new org.machina.api.device.DeviceConfig("stick", java.util.Map.of("drive", "u", "bus", "xhci.0",
                        "port", "1", "serial", "0123456789AB")));
        stick2.realize();
        var storage2 = (org.machina.api.state.Stateful<Record>) stick2;
        storage2.loadState(gson.fromJson(stickJson, storage2.stateType()));
        h.machine.runTasks();
        assertNull(h.nextEvent2(hc2), "the guest sees neither a disconnect nor a connect");

        long buf = XhciHost.DATA + 0x2000;
        h.queue(XhciHost.BULK_IN_RING, buf, 512, Trb.NORMAL << 10 | Trb.IOC | Trb.ISP);
        hc2.writeRegister(Xhci.DOORBELLS + 4 * slot, 3);
        long[] e = h.nextEvent2(hc2);
        assertEquals(Trb.SUCCESS, XhciHost.code(e), "the data phase continues in the new instances");
        byte[] data = new byte[512];
        h.machine.ram.get((int) buf, data);
        assertArrayEquals(Arrays.copyOfRange(disk.data, 7 * 512, 8 * 512), data);
        h.queue(XhciHost.BULK_IN_RING, XhciHost.DATA + 0x3000, 13, Trb.NORMAL << 10 | Trb.IOC | Trb.ISP);
        hc2.writeRegister(Xhci.DOORBELLS + 4 * slot, 3);
        assertEquals(Trb.SUCCESS, XhciHost.code(h.nextEvent2(hc2)));
        assertEquals(77, h.d(XhciHost.DATA + 0x3000 + 4), "the CSW of the command started before the swap");
    }

    private static void configureBulk(XhciHost h, int slot) {
        for (int i = 0; i < 0x440; i += 4) {
            h.putD(XhciHost.INPUT + i, 0);
        }
        h.putD(XhciHost.INPUT + 4, 1 | 1 << 3 | 1 << 4);
        h.putD(XhciHost.INPUT + 0x20, 3 << 20 | 4 << 27);
        h.putD(XhciHost.INPUT + 0x24, 1 << 16);
        h.ring(XhciHost.BULK_IN_RING);
        h.ring(XhciHost.BULK_OUT_RING);
        h.putD(XhciHost.INPUT + 0x20 * 4 + 4, Endpoint.BULK_IN << 3 | 512 << 16);
        h.putQ(XhciHost.INPUT + 0x20 * 4 + 8, XhciHost.BULK_IN_RING | 1);
        h.putD(XhciHost.INPUT + 0x20 * 5 + 4, Endpoint.BULK_OUT << 3 | 512 << 16);
        h.putQ(XhciHost.INPUT + 0x20 * 5 + 8, XhciHost.BULK_OUT_RING | 1);
        assertEquals(Trb.SUCCESS, XhciHost.code(h.command(XhciHost.INPUT, 0, Trb.CONFIGURE_ENDPOINT << 10 | slot << 24)));
    }
}
