package org.machina.devices.usb.xhci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.machina.api.device.Device;
import org.machina.api.device.DeviceConfig;
import org.machina.devices.usb.FakeMachine;
import org.machina.devices.usb.storage.UsbStorageType;

/**
 * A tiny xHCI driver for tests, doing what a guest driver does: rings in fake RAM, commands,
 * events, port reset, addressing, control and bulk transfers.
 */
final class XhciHost {
    static final long DCBAA = 0x1000;
    static final long CMD_RING = 0x2000;
    static final int CMD_TRBS = 16;
    static final long ERST = 0x3000;
    static final long EVENT_RING = 0x4000;
    static final int EVENT_TRBS = 32;
    static final long INPUT = 0x5000;
    static final long OUTPUT = 0x6000;
    static final long EP0_RING = 0x7000;
    static final long BULK_OUT_RING = 0x8000;
    static final long BULK_IN_RING = 0x9000;
    static final int RING_TRBS = 64;
    static final long DATA = 0x10000;

    final FakeMachine machine = new FakeMachine(1 << 20);
    final FakeMachine.Ctx ctx = machine.context("xhci");
    final Xhci hc = new Xhci(ctx, Xhci.Model.QEMU_XHCI, -1);
    final java.util.Map<Long, long[]> rings = new java.util.HashMap<>();   // ring base -> {enqueue, cycle}
    long cmdEnqueue = CMD_RING;
    boolean cmdCycle = true;
    long eventDequeue = EVENT_RING;
    boolean eventCycle = true;

    XhciHost() {
        hc.realize();
    }

    int r(int off) {
        return hc.readRegister(off);
    }

    void w(int off, int v) {
        hc.writeRegister(off, v);
    }

    int op(int off) {
        return r(Xhci.OP + off);
    }

    void op(int off, int v) {
        w(Xhci.OP + off, v);
    }

    int portsc(int port) {
        return r(Xhci.PORTS_BASE + 0x10 * (port - 1));
    }

    void portsc(int port, int v) {
        w(Xhci.PORTS_BASE + 0x10 * (port - 1), v);
    }

    long q(long a) {
        return machine.ram.getLong((int) a);
    }

    int d(long a) {
        return machine.ram.getInt((int) a);
    }

    void putQ(long a, long v) {
        machine.ram.putLong((int) a, v);
    }

    void putD(long a, int v) {
        machine.ram.putInt((int) a, v);
    }

    /** Resets and starts the controller with one event segment and a command ring. */
    void start() {
        op(0x00, Xhci.CMD_HCRST);
        op(0x38, 32);
        op(0x30, (int) DCBAA);
        op(0x34, 0);
        putQ(CMD_RING + 16L * (CMD_TRBS - 1), CMD_RING);
        putD(CMD_RING + 16L * (CMD_TRBS - 1) + 12, Trb.LINK << 10 | Trb.TOGGLE_CYCLE);   // cycle 0 until we wrap
        op(0x18, (int) CMD_RING | 1);
        op(0x1C, 0);
        putQ(ERST, EVENT_RING);
        putD(ERST + 8, EVENT_TRBS);
        w(Xhci.RUNTIME + 0x28, 1);
        w(Xhci.RUNTIME + 0x38, (int) EVENT_RING);
        w(Xhci.RUNTIME + 0x30, (int) ERST);
        w(Xhci.RUNTIME + 0x34, 0);
        w(Xhci.RUNTIME + 0x20, EventRing.IMAN_IE);
        op(0x00, Xhci.CMD_RUN | Xhci.CMD_INTE);
    }

    /** Enqueues a command and rings doorbell 0; returns the completion event's {parameter, status, control}. */
    long[] command(long parameter, int status, int control) {
        long at = enqueueCommand(parameter, status, control);
        long[] e = nextEvent();
        assertTrue(e != null, "a command completion event");
        assertEquals(Trb.COMMAND_COMPLETION, (int) (e[2] >>> 10 & 0x3F), "event type");
        assertEquals(at, e[0], "the event names the command TRB");
        return e;
    }

    /** Enqueues a command (following the ring's link TRB) and rings doorbell 0; returns its address. */
    long enqueueCommand(long parameter, int status, int control) {
        long at = cmdEnqueue;
        putQ(at, parameter);
        putD(at + 8, status);
        putD(at + 12, control | (cmdCycle ? 1 : 0));
        cmdEnqueue += 16;
        if (cmdEnqueue == CMD_RING + 16L * (CMD_TRBS - 1)) {
            putD(cmdEnqueue + 12, Trb.LINK << 10 | Trb.TOGGLE_CYCLE | (cmdCycle ? 1 : 0));
            cmdEnqueue = CMD_RING;
            cmdCycle = !cmdCycle;
        }
        w(Xhci.DOORBELLS, 0);
        return at;
    }

    /** The next event, or null; advances ERDP and clears EHB and IP like a driver's handler. */
    long[] nextEvent() {
        int control = d(eventDequeue + 12);
        if (((control & 1) != 0) != eventCycle) {
            return null;
        }
        long[] e = {q(eventDequeue), d(eventDequeue + 8) & 0xFFFFFFFFL, control & 0xFFFFFFFFL};
        eventDequeue += 16;
        if (eventDequeue == EVENT_RING + 16L * EVENT_TRBS) {
            eventDequeue = EVENT_RING;
            eventCycle = !eventCycle;
        }
        w(Xhci.RUNTIME + 0x20, EventRing.IMAN_IP | EventRing.IMAN_IE);
        w(Xhci.RUNTIME + 0x38, (int) eventDequeue | EventRing.ERDP_EHB);
        return e;
    }

    /** {@link #nextEvent()} acknowledging on another controller instance (after a hot-swap). */
    long[] nextEvent2(Xhci other) {
        int control = d(eventDequeue + 12);
        if (((control & 1) != 0) != eventCycle) {
            return null;
        }
        long[] e = {q(eventDequeue), d(eventDequeue + 8) & 0xFFFFFFFFL, control & 0xFFFFFFFFL};
        eventDequeue += 16;
        if (eventDequeue == EVENT_RING + 16L * EVENT_TRBS) {
            eventDequeue = EVENT_RING;
            eventCycle = !eventCycle;
        }
        other.writeRegister(Xhci.RUNTIME + 0x20, EventRing.IMAN_IP | EventRing.IMAN_IE);
        other.writeRegister(Xhci.RUNTIME + 0x38, (int) eventDequeue | EventRing.ERDP_EHB);
        return e;
    }

    static int code(long[] event) {
        return (int) (event[1] >>> 24);
    }

    /** A transfer ring at {@code base} with a link back to its start. */
    void ring(long base) {
        for (int i = 0; i < RING_TRBS * 16; i += 4) {
            putD(base + i, 0);
        }
        putQ(base + 16L * (RING_TRBS - 1), base);
        rings.put(base, new long[] {base, 1});
    }

    /** Queues one TRB on a transfer ring (the caller rings the doorbell). Returns its address. */
    long queue(long base, long parameter, int status, int control) {
        long[] st = rings.get(base);
        long at = st[0];
        putQ(at, parameter);
        putD(at + 8, status);
        putD(at + 12, control | (int) st[1]);
        st[0] += 16;
        if (st[0] == base + 16L * (RING_TRBS - 1)) {
            putD(st[0] + 12, Trb.LINK << 10 | Trb.TOGGLE_CYCLE | (int) st[1]);
            st[0] = base;
            st[1] ^= 1;
        }
        return at;
    }

    Device attachStorage(FakeMachine.Disk disk, int port) {
        machine.drives.put("u", disk);
        FakeMachine.Ctx c = machine.context("stick");
        Device dev = new UsbStorageType().create(c, new DeviceConfig("stick",
                Map.of("drive", "u", "bus", "xhci.0", "port", Integer.toString(port), "serial", "0123456789AB")));
        dev.realize();
        return dev;
    }

    /** Port reset, Enable Slot, Address Device (BSR=0) with EP0 on {@link #EP0_RING}; returns the slot id. */
    int address(int port) {
        return address(port, OUTPUT, EP0_RING);
    }

    /** {@link #address(int)} with the device context at {@code output} and EP0's ring at {@code ep0Ring}. */
    int address(int port, long output, long ep0Ring) {
        portsc(port, RootPort.PR | RootPort.PP);
        int sc = portsc(port);
        assertTrue((sc & RootPort.PED) != 0 && (sc & RootPort.PRC) != 0, "port enabled after reset: " + Integer.toHexString(sc));
        portsc(port, RootPort.PP | RootPort.CHANGE_BITS);
        List<long[]> changes = events();
        assertEquals(1, changes.size(), "one port status change event for the reset");
        assertEquals(port, changes.get(0)[0] >>> 24);
        long[] e = command(0, 0, Trb.ENABLE_SLOT << 10);
        assertEquals(Trb.SUCCESS, code(e));
        int slot = (int) (e[2] >>> 24);
        putQ(DCBAA + 8L * slot, output);
        for (int i = 0; i < 0x440; i += 4) {
            putD(INPUT + i, 0);
        }
        putD(INPUT + 4, 3);                                      // A0, A1
        putD(INPUT + 0x20, 3 << 20 | 1 << 27);                   // high speed, context entries 1
        putD(INPUT + 0x24, port << 16);
        putD(INPUT + 0x44, Endpoint.CONTROL << 3 | 3 << 1 | 64 << 16);
        ring(ep0Ring);
        putQ(INPUT + 0x48, ep0Ring | 1);
        e = command(INPUT, 0, Trb.ADDRESS_DEVICE << 10 | slot << 24);
        assertEquals(Trb.SUCCESS, code(e), "Address Device");
        return slot;
    }

    /** A control transfer on slot's EP0: returns the events it produced. */
    java.util.List<long[]> control(int slot, int requestType, int request, int value, int index, int length, long buffer) {
        long setup = requestType | (long) request << 8 | (long) value << 16 | (long) index << 32 | (long) length << 48;
        boolean in = (requestType & 0x80) != 0;
        int trt = length == 0 ? 0 : in ? 3 : 2;
        queue(EP0_RING, setup, 8, Trb.SETUP << 10 | Trb.IDT | trt << 16);
        if (length > 0) {
            queue(EP0_RING, buffer, length, Trb.DATA << 10 | (in ? Trb.DIR_IN | Trb.ISP : 0));
        }
        queue(EP0_RING, 0, 0, Trb.STATUS << 10 | Trb.IOC | (in && length > 0 ? 0 : Trb.DIR_IN));
        w(Xhci.DOORBELLS + 4 * slot, 1);
        return events();
    }

    java.util.List<long[]> events() {
        java.util.List<long[]> out = new java.util.ArrayList<>();
        for (long[] e = nextEvent(); e != null; e = nextEvent()) {
            out.add(e);
        }
        return out;
    }
}
