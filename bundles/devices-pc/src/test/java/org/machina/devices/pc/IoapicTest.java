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
    /** The 8259's context in the virtual wire tests. */
    FakeContext pctx;

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

    /** Input 11's EOI cycle, asserted at level {@code active}: sent, sent again on the EOI while asserted, released. */
    void levelEoiCycle(boolean active, Message expected) {
        ctx.irq(Ioapic.SINK, 11).set(active);
        assertEquals(List.of(expected), messages);
        assertTrue((reg(0x10 + 22) & 0x4000) != 0, "remote IRR");
        ioapic.eoi(expected.vector() + 1);
        assertEquals(1, messages.size(), "another vector's EOI");
        ioapic.eoi(expected.vector());
        assertEquals(2, messages.size(), "still asserted: sent again");
        ctx.irq(Ioapic.SINK, 11).set(!active);
        ioapic.eoi(expected.vector());
        assertEquals(0L, reg(0x10 + 22) & 0x4000, "released: remote IRR cleared");
        assertEquals(2, messages.size(), "nothing sent");
    }

    @Test
    void levelTriggeredPinWaitsForTheEoi() {
        route(11, 0x8000 | 0x100 | 0x61, 0); // level, active high, lowest priority, vector 0x61, physical 0
        levelEoiCycle(true, new Message(0x61, 1, false, 0, true));
        reg(0x10 + 22, 0xC000 | 0x61); // a guest write cannot set remote IRR
        assertEquals(0x8000L | 0x61, reg(0x10 + 22));
    }

    /** A PCI INTx line as the MADT describes it: level-triggered, active low (INTPOL = 1). */
    @Test
    void lowActiveLevelPinIsAssertedWhileLow() {
        ctx.irq(Ioapic.SINK, 11).set(true); // the board's idle level of an active-low line
        route(11, 0xA000 | 0x61, 0);
        assertTrue(messages.isEmpty(), "high is idle for a low-active pin");
        levelEoiCycle(false, new Message(0x61, 0, false, 0, true));
        assertEquals(0xA000L | 0x61, reg(0x10 + 22), "INTPOL reads back");
    }

    @Test
    void lowActiveEdgePinSendsOnFallingEdges() {
        ctx.irq(Ioapic.SINK, 5).set(true);
        route(5, 0x2000 | 0x35, 0); // edge, active low
        assertTrue(messages.isEmpty());
        ctx.irq(Ioapic.SINK, 5).set(false);
        assertEquals(1, messages.size(), "the falling edge");
        ctx.irq(Ioapic.SINK, 5).set(true);
        assertEquals(1, messages.size(), "the rising edge is the end of the pulse");
        ctx.irq(Ioapic.SINK, 5).pulse(); // high, then low
        assertEquals(2, messages.size());
        assertEquals(new Message(0x35, 0, false, 0, false), messages.get(1));
    }

    @Test
    void polarityChangeTakesEffectForLevelPinsOnly() {
        route(9, 0x8000 | 0x49, 0); // level, active high; the input is low: idle
        assertTrue(messages.isEmpty());
        route(9, 0xA000 | 0x49, 0); // now low is active
        assertEquals(List.of(new Message(0x49, 0, false, 0, true)), messages, "asserted by the new polarity");
        route(4, 0x34, 0); // edge, active high, input low
        route(4, 0x2000 | 0x34, 0);
        assertEquals(1, messages.size(), "a polarity change is not an edge");
        ctx.irq(Ioapic.SINK, 4).set(true);
        ctx.irq(Ioapic.SINK, 4).set(false);
        assertEquals(2, messages.size(), "the falling edge of the low-active pin");
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

    /** ExtINT needs edge trigger mode (datasheet), and an NMI carries no vector an EOI could match: both are edges. */
    @Test
    void unvectoredModesAreEdgeTriggeredWhateverTheTriggerBit() {
        route(0, 0x8700, 0); // ExtINT, level
        ctx.irq(Ioapic.SINK, 0).set(true);
        ctx.irq(Ioapic.SINK, 0).set(true);
        route(0, 0x8700, 0); // rewriting the entry while the input is high sends nothing
        assertEquals(List.of(new Message(0, ApicBus.EXTINT, false, 0, false)), messages);
        assertEquals(0L, reg(0x10) & 0x4000, "no remote IRR that no EOI would clear");
        ctx.irq(Ioapic.SINK, 0).set(false);
        ctx.irq(Ioapic.SINK, 0).set(true);
        route(1, 0x8400, 0); // NMI, level
        ctx.irq(Ioapic.SINK, 1).set(true);
        ctx.irq(Ioapic.SINK, 1).set(true);
        assertEquals(List.of(new Message(0, ApicBus.EXTINT, false, 0, false), new Message(0, ApicBus.EXTINT, false, 0, false),
                new Message(0, ApicBus.NMI, false, 0, false)), messages);
    }

    @Test
    void withTheLocalApic() {
        FakeContext lctx = new FakeContext(ctx.executor);
        Lapic lapic = (Lapic) FakeContext.create(new LapicType(), lctx, Map.of());
        lapic.realize();
        lctx.mem.write(0xFEE0_00F0L, 4, 0x1FF);
        ctx.buses.put(ApicBus.LOCAL, (ApicBus.Receiver) lapic);
        lctx.buses.put(ApicBus.IO, (ApicBus.EoiListener) ioapic);
        ctx.irq(Ioapic.SINK, 11).set(true); // an idle active-low line
        route(11, 0xA000 | 0x61, 0);
        assertFalse(lctx.cpuPin.level());
        ctx.irq(Ioapic.SINK, 11).set(false);
        assertTrue(lctx.cpuPin.level());
        assertEquals(0x61, lapic.acknowledge());
        assertFalse(lctx.cpuPin.level());
        ctx.irq(Ioapic.SINK, 11).set(true);
        lctx.mem.write(0xFEE0_00B0L, 4, 0); // EOI
        assertEquals(0L, reg(0x10 + 22) & 0x4000, "the EOI broadcast cleared remote IRR");
        ctx.irq(Ioapic.SINK, 11).set(false);
        assertTrue(lctx.cpuPin.level(), "and the pin interrupts again");
    }

    /**
     * Virtual wire mode through the I/O APIC: the 8259's INTR on input 0 (as the pc board wires
     * it, next to LINT0), the entry ExtINT, edge, active high; LINT0 masked. The local APIC takes
     * the vector from the 8259's acknowledge.
     */
    @Test
    void the8259ThroughInputZeroAsExtInt() {
        FakeContext lctx = new FakeContext(ctx.executor);
        Lapic lapic = virtualWireThroughInputZero(lctx);
        I8259Test.initLikeLinux(pctx);
        route(0, 0x700, 0); // ExtINT, edge, active high, physical destination 0

        pctx.irq("isa", 1).set(true);
        assertTrue(lctx.cpuPin.level(), "INTR through the I/O APIC");
        assertEquals(0x31, lapic.acknowledge(), "the 8259's vector for IRQ1");
        assertFalse(lctx.cpuPin.level());
        pctx.irq("isa", 1).set(false);
        pctx.irq("isa", 3).set(true);
        assertFalse(lctx.cpuPin.level(), "IRQ3 waits behind IRQ1 in service");
        pctx.out(0x20, 0x20); // non-specific EOI to the 8259
        assertTrue(lctx.cpuPin.level(), "INTR rises again: a new edge, a new ExtINT message");
        assertEquals(0x33, lapic.acknowledge());
        assertFalse(lctx.cpuPin.level());

        route(0, 0x10700, 0); // masked: the 8259 reaches nothing
        pctx.out(0x20, 0x20);
        pctx.irq("isa", 4).set(true);
        assertFalse(lctx.cpuPin.level());
    }

    /**
     * The same with the 8259 in automatic EOI mode (ICW4 AEOI): nothing stays in service, so with
     * two requests pending the output would stay high across the first acknowledge and the
     * edge-triggered entry would never see the second; the INTA cycle takes the output down and
     * it rises again for the request left.
     */
    @Test
    void the8259InAutoEoiModeThroughInputZeroAsExtInt() {
        FakeContext lctx = new FakeContext(ctx.executor);
        Lapic lapic = virtualWireThroughInputZero(lctx);
        I8259Test.init(pctx, 0x03); // ICW4: 8086 mode, AEOI
        route(0, 0x700, 0); // ExtINT, edge, active high, physical destination 0

        pctx.irq("isa", 1).set(true);
        pctx.irq("isa", 3).set(true);
        pctx.irq("isa", 12).set(true);
        assertTrue(lctx.cpuPin.level(), "INTR through the I/O APIC");
        assertEquals(0x31, lapic.acknowledge(), "IRQ1 first");
        assertTrue(lctx.cpuPin.level(), "IRQ3 and IRQ12 still pending: a new edge, a new ExtINT message");
        assertEquals(0x3c, lapic.acknowledge(), "IRQ12 through the cascade (input 2) before IRQ3");
        assertTrue(lctx.cpuPin.level());
        assertEquals(0x33, lapic.acknowledge());
        assertFalse(lctx.cpuPin.level(), "nothing left");
        pctx.out(0x20, 0x0b); // OCW3: read ISR
        assertEquals(0, pctx.in(0x20), "automatic EOI: nothing in service");
        pctx.irq("isa", 1).set(false);
        pctx.irq("isa", 1).set(true);
        assertTrue(lctx.cpuPin.level(), "IRQ1 again, with no EOI written");
        assertEquals(0x31, lapic.acknowledge());
        assertFalse(lctx.cpuPin.level());
    }

    /**
     * A local APIC (LINT0 masked) and an 8259 whose INTR output drives LINT0 and I/O APIC input 0,
     * as the pc board wires them ({@code pic-intr}); the 8259 is {@link #pctx}.
     */
    private Lapic virtualWireThroughInputZero(FakeContext lctx) {
        Lapic lapic = (Lapic) FakeContext.create(new LapicType(), lctx, Map.of());
        lapic.realize();
        lctx.mem.write(0xFEE0_00F0L, 4, 0x1FF); // software enabled, LINT0 stays masked
        ctx.buses.put(ApicBus.LOCAL, (ApicBus.Receiver) lapic);
        pctx = new FakeContext(ctx.executor);
        I8259 pic = (I8259) FakeContext.create(new I8259Type(), pctx, Map.of("output", "pic-intr", "sink", "isa"));
        pctx.registerIrqSink("pic-intr", new org.machina.api.irq.IrqSink() { // the board's wiring
            @Override
            public int inputs() {
                return 1;
            }

            @Override
            public void setInput(int index, boolean level) {
                lapic.setInput(0, level);
                ioapic.setInput(0, level);
            }
        });
        pic.realize();
        lctx.buses.put(Lapic.EXTINT_BUS, pic);
        return lapic;
    }

    @Test
    void versionOneStateMigratesAssertedInputsToLevels() {
        List<Object> entries = new ArrayList<>(), inputs = new ArrayList<>();
        for (int pin = 0; pin < 24; pin++) {
            entries.add(pin == 9 || pin == 10 ? Ioapic.LEVEL | Ioapic.LOW_ACTIVE | 0x40 + pin : Ioapic.MASKED);
            inputs.add(pin == 9 || pin == 4);
        }
        Ioapic.State s = ioapic.migrate(1, Map.of("select", 0x13L, "id", 1L << 24, "entries", entries, "inputs", inputs));
        assertEquals(0x13, s.select());
        assertEquals(Ioapic.LEVEL | Ioapic.LOW_ACTIVE | 0x49, s.entries()[9]);
        assertFalse(s.inputs()[9], "asserted active-low pin 9 is low");
        assertTrue(s.inputs()[10], "idle active-low pin 10 is high");
        assertTrue(s.inputs()[4], "asserted active-high pin 4 is high");
        assertFalse(s.inputs()[5]);
        assertTrue(org.junit.jupiter.api.Assertions.assertThrows(org.machina.api.state.StateException.class,
                () -> ioapic.migrate(1, Map.of("select", 0L))).getMessage().contains("version 1"));
    }

    @Test
    void stateRoundTrip() {
        reg(0, 0x0100_0000);
        route(5, 0x8000 | 0x55, 0);
        ctx.irq(Ioapic.SINK, 5).set(true);
        ctx.irq(Ioapic.SINK, 7).set(true); // idle, low active
        route(7, 0xA000 | 0x57, 0);
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
        copy.setInput(7, false);
        assertEquals(new Message(0x57, 0, false, 0, true), messages.get(2), "and the low-active pin's high level");
    }
}
