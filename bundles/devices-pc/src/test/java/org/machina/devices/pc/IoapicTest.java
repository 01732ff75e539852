package org.machina.devices.pc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The I/O APIC through IOREGSEL/IOWIN, its inputs, and a recording local APIC on the APIC bus. */
class IoapicTest {
    static final long BASE = 0xFEC0_0000L;

    record Message(int vector, int mode, boolean logical, int destination, boolean level) {
    }

    FakeContext ctx;
    Ioapic ioapic;
    final List<Message> messages = new ArrayList<>();
    boolean accept = true;

    @BeforeEach
    void setUp() {
        ctx = new FakeContext();
        ctx.buses.put(ApicBus.LOCAL, (ApicBus.Receiver) (vector, mode, logical, destination, level) -> {
            messages.add(new Message(vector, mode, logical, destination, level));
            return accept;
        });
        ioapic = (Ioapic) FakeContext.create(new IoapicType(), ctx, Map.of());
        ioapic.realize();
        ioapic.reset();
    }

    long reg(int index) {
        ctx.mem.write(BASE, 4, index);
        return ctx.mem.read(BASE + 0x10, 4);
    }

    void reg(int index, long value) {
        ctx.mem.write(BASE, 4, index);
        ctx.mem.write(BASE + 0x10, 4, value);
    }

    void route(int pin, long low, int destination) {
        reg(0x11 + 2 * pin, (long) destination << 24);
        reg(0x10 + 2 * pin, low);
    }

    @Test
    void identificationRegisters() {
        assertEquals(0x0017_0011L, reg(1), "version 0x11, 24 entries");
        reg(0, 0x0100_0000);
        assertEquals(0x0100_0000L, reg(0));
        assertEquals(0x0100_0000L, reg(2), "arbitration id");
        reg(0, 0xF200_0000L);
        assertEquals(0x0200_0000L, reg(0), "4-bit id");
        for (int pin = 0; pin < 24; pin++) {
            assertEquals(0x10000L, reg(0x10 + 2 * pin), "entry " + pin + " masked at reset");
        }
        ctx.mem.write(BASE, 4, 0x45);
        assertEquals(0x45L, ctx.mem.read(BASE, 4), "IOREGSEL reads back");
    }

    @Test
    void badIndexesAreSurvivable() {
        assertEquals(0L, reg(0x40), "past the 24th entry");
        reg(0x40, 0x1234);
        reg(1, 0);
        assertEquals(0x0017_0011L, reg(1), "version is read-only");
        assertEquals(0L, ctx.mem.read(BASE + 4, 4), "undefined offset");
    }

    @Test
    void edgeTriggeredPinSendsOnRisingEdgesWhileUnmasked() {
        ctx.irq(Ioapic.SINK, 2).pulse();
        assertTrue(messages.isEmpty(), "masked");
        route(2, 0x830, 0x01); // vector 0x30, fixed, logical
        assertEquals(0x830L, reg(0x14));
        assertEquals(0x0100_0000L, reg(0x15));
        ctx.irq(Ioapic.SINK, 2).set(true);
        ctx.irq(Ioapic.SINK, 2).set(true);
        ctx.irq(Ioapic.SINK, 2).set(false);
        ctx.irq(Ioapic.SINK, 2).pulse();
        assertEquals(List.of(new Message(0x30, 0, true, 1, false), new Message(0x30, 0, true, 1, false)), messages);
        assertEquals(0L, reg(0x14) & 0x5000, "no delivery status, no remote IRR");
    }

    @Test
    void levelTriggeredPinWaitsForTheEoi() {
        route(11, 0xA000 | 0x100 | 0x61, 0); // level, active low, lowest priority, vector 0x61, physical 0
        ctx.irq(Ioapic.SINK, 11).set(true);
        assertEquals(List.of(new Message(0x61, 1, false, 0, true)), messages);
        assertTrue((reg(0x10 + 22) & 0x4000) != 0, "remote IRR");
        ioapic.eoi(0x62);
        assertEquals(1, messages.size(), "another vector's EOI");
        ioapic.eoi(0x61);
        assertEquals(2, messages.size(), "still asserted: sent again");
        ctx.irq(Ioapic.SINK, 11).set(false);
        ioapic.eoi(0x61);
        assertEquals(0L, reg(0x10 + 22) & 0x4000, "remote IRR cleared");
        assertEquals(2, messages.size());
        reg(0x10 + 22, 0xE000 | 0x61); // a guest write cannot set remote IRR
        assertEquals(0xA000L | 0x61, reg(0x10 + 22));
    }

    @Test
    void maskedLevelPinSendsWhenUnmasked() {
        route(9, 0x18000 | 0x49, 0); // masked level
        ctx.irq(Ioapic.SINK, 9).set(true);
        assertTrue(messages.isEmpty());
        route(9, 0x8000 | 0x49, 0);
        assertEquals(1, messages.size(), "unmasking an asserted level pin sends");
    }

    @Test
    void notAcceptedLevelMessageLeavesNoRemoteIrr() {
        accept = false;
        route(10, 0x8000 | 0x50, 0);
        ctx.irq(Ioapic.SINK, 10).set(true);
        assertEquals(1, messages.size());
        assertEquals(0L, reg(0x10 + 20) & 0x4000);
    }

    @Test
    void extIntAndNmiModes() {
        route(0, 0x700, 0);
        ctx.irq(Ioapic.SINK, 0).pulse();
        route(1, 0x400, 0);
        ctx.irq(Ioapic.SINK, 1).pulse();
        route(3, 0x300, 0); // reserved mode
        ctx.irq(Ioapic.SINK, 3).pulse();
        assertEquals(List.of(new Message(0, ApicBus.EXTINT, false, 0, false), new Message(0, ApicBus.NMI, false, 0, false)),
                messages);
    }

    @Test
    void withTheLocalApic() {
        FakeContext lctx = new FakeContext(ctx.executor);
        Lapic lapic = (Lapic) FakeContext.create(new LapicType(), lctx, Map.of());
        lapic.realize();
        lctx.mem.write(0xFEE0_00F0L, 4, 0x1FF);
        ctx.buses.put(ApicBus.LOCAL, (ApicBus.Receiver) lapic);
        lctx.buses.put(ApicBus.IO, (ApicBus.EoiListener) ioapic);
        route(11, 0xA000 | 0x61, 0);
        ctx.irq(Ioapic.SINK, 11).set(true);
        assertTrue(lctx.cpuPin.level());
        assertEquals(0x61, lapic.acknowledge());
        assertFalse(lctx.cpuPin.level());
        ctx.irq(Ioapic.SINK, 11).set(false);
        lctx.mem.write(0xFEE0_00B0L, 4, 0); // EOI
        assertEquals(0L, reg(0x10 + 22) & 0x4000, "the EOI broadcast cleared remote IRR");
        ctx.irq(Ioapic.SINK, 11).set(true);
        assertTrue(lctx.cpuPin.level(), "and the pin interrupts again");
    }

    @Test
    void stateRoundTrip() {
        reg(0, 0x0100_0000);
        route(5, 0x8000 | 0x55, 0);
        ctx.irq(Ioapic.SINK, 5).set(true);
        Ioapic.State saved = StateRoundTrip.viaJson(ioapic);
        FakeContext ctx2 = new FakeContext(ctx.executor);
        ctx2.buses.put(ApicBus.LOCAL, ctx.buses.get(ApicBus.LOCAL));
        Ioapic copy = (Ioapic) FakeContext.create(new IoapicType(), ctx2, Map.of());
        copy.realize();
        copy.loadState(saved);
        ctx2.mem.write(BASE, 4, 0x1A);
        assertEquals(0x4000L | 0x8000 | 0x55, ctx2.mem.read(BASE + 0x10, 4));
        copy.eoi(0x55);
        assertEquals(2, messages.size(), "the copy still sees the asserted input");
    }
}
