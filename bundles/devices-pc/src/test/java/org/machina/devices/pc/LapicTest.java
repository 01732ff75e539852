package org.machina.devices.pc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.machina.api.irq.InterruptAcknowledge;

/** The local APIC through its register page, its LINT inputs, the APIC bus and the CPU's pins. */
class LapicTest {
    static final long BASE = 0xFEE0_0000L;
    static final int ID = 0x20, VER = 0x30, TPR = 0x80, APR = 0x90, PPR = 0xA0, EOI = 0xB0, LDR = 0xD0, DFR = 0xE0,
            SVR = 0xF0, ISR = 0x100, TMR = 0x180, IRR = 0x200, ESR = 0x280, ICR_LO = 0x300, ICR_HI = 0x310,
            LVT_TIMER = 0x320, LVT_LINT0 = 0x350, LVT_LINT1 = 0x360, LVT_ERROR = 0x370, TIMER_INITIAL = 0x380,
            TIMER_CURRENT = 0x390, TIMER_DIVIDE = 0x3E0;

    FakeContext ctx;
    Lapic apic;
    /** Vectors the fake 8259 answered with. */
    int picVector = 0x08;
    int picAcks;
    final List<Integer> eois = new ArrayList<>();

    @BeforeEach
    void setUp() {
        ctx = new FakeContext();
        ctx.buses.put(Lapic.EXTINT_BUS, (InterruptAcknowledge) () -> {
            picAcks++;
            return picVector;
        });
        ctx.buses.put(ApicBus.IO, (ApicBus.EoiListener) eois::add);
        apic = (Lapic) FakeContext.create(new LapicType(), ctx, Map.of());
        apic.realize();
        apic.reset();
    }

    long reg(int offset) {
        return ctx.mem.read(BASE + offset, 4);
    }

    void reg(int offset, long value) {
        ctx.mem.write(BASE + offset, 4, value);
    }

    boolean bit(int base, int vector) {
        return (reg(base + (vector >> 5) * 0x10) >>> (vector & 31) & 1) != 0;
    }

    void enable() {
        reg(SVR, 0x1FF);
    }

    /** A fixed self-IPI (ICR shorthand "self"). */
    void selfIpi(int vector) {
        reg(ICR_LO, 1 << 18 | vector);
    }

    @Test
    void powerUpState() {
        assertEquals(BASE | 0x900, apic.apicBase(), "IA32_APIC_BASE: base, BSP, enabled");
        assertSame(apic, ctx.localApic);
        assertSame(apic, ctx.ack);
        assertEquals(0x0004_0014L, reg(VER));
        assertEquals(0, reg(ID));
        assertEquals(0xFFL, reg(SVR));
        assertEquals(0xFFFF_FFFFL, reg(DFR));
        for (int lvt : new int[] {LVT_TIMER, 0x340, LVT_LINT0, LVT_LINT1, LVT_ERROR}) {
            assertEquals(0x10000L, reg(lvt), "LVT 0x" + Integer.toHexString(lvt) + " masked");
        }
        assertFalse(ctx.cpuPin.level());
    }

    @Test
    void virtualWireModePassesThe8259ThroughLint0() {
        enable();
        reg(LVT_LINT0, 0x700);
        ctx.irq(Lapic.SINK, 0).set(true);
        assertTrue(ctx.cpuPin.level(), "ExtINT on LINT0 drives INTR");
        assertEquals(0x08, apic.acknowledge());
        assertEquals(1, picAcks, "the vector came from the 8259's acknowledge");
        ctx.irq(Lapic.SINK, 0).set(false);
        assertFalse(ctx.cpuPin.level());
        reg(LVT_LINT0, 0x10700); // masked
        ctx.irq(Lapic.SINK, 0).set(true);
        assertFalse(ctx.cpuPin.level(), "masked LINT0");
    }

    @Test
    void softwareDisabledApicKeepsTheLvtMasked() {
        reg(LVT_LINT0, 0x700);
        assertEquals(0x10700L, reg(LVT_LINT0), "the mask cannot be cleared while software disabled");
        enable();
        reg(LVT_LINT0, 0x700);
        assertEquals(0x700L, reg(LVT_LINT0));
        reg(SVR, 0xFF);
        assertEquals(0x10700L, reg(LVT_LINT0), "software disable masks every entry");
        assertFalse(apic.deliver(0x40, ApicBus.FIXED, false, 0, false), "no fixed interrupts while disabled");
    }

    @Test
    void priorityIsrIrrAndEoi() {
        enable();
        selfIpi(0x31);
        selfIpi(0x52);
        assertTrue(bit(IRR, 0x31) && bit(IRR, 0x52));
        assertTrue(ctx.cpuPin.level());
        assertEquals(0x52, apic.acknowledge(), "highest vector first");
        assertTrue(bit(ISR, 0x52) && !bit(IRR, 0x52));
        assertEquals(0x50L, reg(PPR), "PPR: the in-service class");
        assertFalse(ctx.cpuPin.level(), "0x31 is below the in-service priority");
        selfIpi(0x61);
        assertTrue(ctx.cpuPin.level(), "0x61 preempts 0x52");
        assertEquals(0x61, apic.acknowledge());
        reg(EOI, 0);
        assertFalse(bit(ISR, 0x61));
        assertTrue(bit(ISR, 0x52), "EOI ends the highest in-service vector only");
        reg(EOI, 0);
        assertEquals(0L, reg(PPR));
        assertTrue(ctx.cpuPin.level());
        reg(TPR, 0x40);
        assertEquals(0x40L, reg(PPR));
        assertEquals(0x40L, reg(APR));
        assertFalse(ctx.cpuPin.level(), "TPR 0x40 holds 0x31 back");
        assertEquals(0xFF, apic.acknowledge(), "nothing deliverable: the spurious vector");
        assertFalse(bit(ISR, 0xFF), "a spurious vector is not in service");
        reg(TPR, 0);
        assertEquals(0x31, apic.acknowledge());
        reg(EOI, 0);
        assertTrue(eois.isEmpty(), "edge-triggered vectors are not broadcast");
    }

    @Test
    void levelTriggeredMessageIsBroadcastOnEoi() {
        enable();
        assertTrue(apic.deliver(0x41, ApicBus.FIXED, false, 0, true));
        assertTrue(bit(TMR, 0x41), "TMR records a level-triggered vector");
        assertFalse(apic.deliver(0x42, ApicBus.FIXED, false, 3, true), "physical destination 3 is not this APIC");
        assertTrue(apic.deliver(0x43, ApicBus.LOWEST, false, 0xFF, false), "broadcast");
        assertEquals(0x43, apic.acknowledge());
        reg(EOI, 0);
        assertEquals(0x41, apic.acknowledge());
        reg(EOI, 0);
        assertEquals(List.of(0x41), eois);
    }

    @Test
    void logicalDestinations() {
        enable();
        reg(LDR, 0x0100_0000); // flat: bit 0
        assertTrue(apic.deliver(0x40, ApicBus.FIXED, true, 0x01, false));
        assertFalse(apic.deliver(0x41, ApicBus.FIXED, true, 0x02, false));
        reg(DFR, 0x0FFF_FFFF); // cluster: cluster 0, member 1
        assertEquals(0x0FFF_FFFFL, reg(DFR));
        assertTrue(apic.deliver(0x42, ApicBus.FIXED, true, 0x01, false));
        assertFalse(apic.deliver(0x43, ApicBus.FIXED, true, 0x11, false), "cluster 1");
    }

    @Test
    void illegalVectorsAndRegistersSetTheEsr() {
        enable();
        reg(LVT_ERROR, 0xFE);
        apic.deliver(0x05, ApicBus.FIXED, false, 0, false);
        reg(ESR, 0);
        assertEquals(0x40L, reg(ESR), "receive illegal vector");
        assertTrue(bit(IRR, 0xFE), "the error LVT interrupts");
        selfIpi(0x07);
        reg(ICR_HI, 0x0500_0000);
        reg(ICR_LO, 0x40); // fixed to APIC 5: nobody accepts
        reg(ESR, 0);
        assertEquals(0x24L, reg(ESR), "send illegal vector, send accept error");
        reg(0x330, 0); // thermal LVT: not on a P6
        assertEquals(0L, reg(0x330), "undefined register reads 0");
        reg(0x340, 0x4FE); // performance counter LVT: stored
        assertEquals(0x4FEL, reg(0x340));
        reg(0x24, 5); // not on a 16-byte boundary
        reg(ESR, 0);
        assertEquals(0x80L, reg(ESR), "illegal register address");
        reg(VER, 0);
        assertEquals(0x0004_0014L, reg(VER), "read-only");
        reg(ESR, 0);
        reg(ESR, 0);
        assertEquals(0L, reg(ESR), "latched errors are cleared by the next write");
    }

    @Test
    void oneShotTimerAgainstTheVirtualClock() {
        enable();
        reg(TIMER_DIVIDE, 0xB); // divide by 1: 10 ns a count
        reg(LVT_TIMER, 0x40);
        reg(TIMER_INITIAL, 1000);
        assertEquals(1000L, reg(TIMER_CURRENT));
        ctx.executor.advance(5_000);
        assertEquals(500L, reg(TIMER_CURRENT));
        assertFalse(bit(IRR, 0x40));
        ctx.executor.advance(4_990);
        assertFalse(bit(IRR, 0x40), "not before the count reaches 0");
        ctx.executor.advance(10);
        assertTrue(bit(IRR, 0x40), "at 10 us");
        assertEquals(0L, reg(TIMER_CURRENT));
        assertEquals(0x40, apic.acknowledge());
        reg(EOI, 0);
        ctx.executor.advance(1_000_000);
        assertFalse(bit(IRR, 0x40), "one shot");
        assertEquals(1000L, reg(TIMER_INITIAL));
    }

    @Test
    void periodicTimerReloads() {
        enable();
        reg(TIMER_DIVIDE, 0x3); // divide by 16: 160 ns a count
        reg(LVT_TIMER, 0x20000 | 0x50);
        reg(TIMER_INITIAL, 100); // 16 us period
        int interrupts = 0;
        for (int period = 0; period < 5; period++) {
            ctx.executor.advance(8_000);
            assertEquals(50L, reg(TIMER_CURRENT), "half way through period " + period);
            ctx.executor.advance(8_000);
            if (bit(IRR, 0x50)) {
                interrupts++;
                assertEquals(0x50, apic.acknowledge());
                reg(EOI, 0);
            }
        }
        assertEquals(5, interrupts);
        assertEquals(100L, reg(TIMER_CURRENT), "reloaded");
        reg(TIMER_INITIAL, 0);
        ctx.executor.advance(100_000);
        assertFalse(bit(IRR, 0x50), "an initial count of 0 stops the timer");
    }

    @Test
    void divideChangeKeepsTheCountAndMaskedTimerStillCounts() {
        enable();
        reg(TIMER_DIVIDE, 0x0); // divide by 2: 20 ns
        reg(LVT_TIMER, 0x10060); // masked
        reg(TIMER_INITIAL, 1000); // 20 us
        ctx.executor.advance(10_000);
        assertEquals(500L, reg(TIMER_CURRENT));
        reg(TIMER_DIVIDE, 0x1); // divide by 4: the 500 left take 20 us more
        assertEquals(500L, reg(TIMER_CURRENT));
        ctx.executor.advance(10_000);
        assertEquals(250L, reg(TIMER_CURRENT));
        ctx.executor.advance(10_000);
        assertEquals(0L, reg(TIMER_CURRENT), "expired");
        assertFalse(bit(IRR, 0x60), "masked: no interrupt");
        assertEquals(2, LapicTimer.divisor(0));
        assertEquals(128, LapicTimer.divisor(0xA));
        assertEquals(1, LapicTimer.divisor(0xB));
    }

    @Test
    void lint1NmiAndLevelLint0() {
        enable();
        reg(LVT_LINT1, 0x400);
        ctx.irq(Lapic.SINK, 1).set(true);
        assertEquals(1, ctx.nmiPin.rises, "LINT1 as NMI");
        reg(LVT_LINT0, 0x8000 | 0x70); // fixed, level
        ctx.irq(Lapic.SINK, 0).set(true);
        assertTrue((reg(LVT_LINT0) & 0x4000) != 0, "remote IRR");
        assertEquals(0x70, apic.acknowledge());
        reg(EOI, 0);
        assertTrue(bit(IRR, 0x70), "still asserted after the EOI: requested again");
    }

    @Test
    void apicBaseRelocatesAndDisables() {
        assertFalse(apic.writeApicBase(BASE | 0x900 | 1), "reserved bit 0");
        assertFalse(apic.writeApicBase(0x1_0000_0000L | 0x800), "above 4 GiB");
        assertTrue(apic.writeApicBase(0xFED0_0000L | 0x800));
        assertEquals(0x0004_0014L, ctx.mem.read(0xFED0_0030L, 4), "the page moved");
        assertEquals(0xFFFF_FFFFL, ctx.mem.read(BASE + VER, 4), "nothing left at the old base");
        assertTrue(apic.writeApicBase(BASE));
        assertEquals(BASE | 0x100, apic.apicBase(), "disabled, BSP kept");
        assertEquals(0xFFFF_FFFFL, ctx.mem.read(BASE + VER, 4), "a disabled APIC has no page");
        ctx.irq(Lapic.SINK, 0).set(true);
        assertTrue(ctx.cpuPin.level(), "disabled: LINT0 is INTR");
        assertEquals(0x08, apic.acknowledge(), "and the 8259 answers");
        ctx.irq(Lapic.SINK, 1).set(true);
        assertEquals(1, ctx.nmiPin.rises, "LINT1 is NMI");
    }

    @Test
    void stateRoundTrip() {
        enable();
        reg(TPR, 0x20);
        selfIpi(0x45);
        reg(TIMER_DIVIDE, 0xB);
        reg(LVT_TIMER, 0x20000 | 0x66);
        reg(TIMER_INITIAL, 500);
        ctx.executor.advance(1_000);
        Lapic.State saved = StateRoundTrip.viaJson(apic);

        FakeContext ctx2 = new FakeContext(ctx.executor);
        ctx2.buses.put(ApicBus.IO, ctx.buses.get(ApicBus.IO));
        Lapic copy = (Lapic) FakeContext.create(new LapicType(), ctx2, Map.of());
        copy.realize();
        copy.loadState(saved);
        assertTrue(ctx2.cpuPin.level(), "the pending 0x45 drives INTR");
        assertEquals(0x20L, ctx2.mem.read(BASE + TPR, 4));
        assertEquals(400L, ctx2.mem.read(BASE + TIMER_CURRENT, 4));
        assertEquals(0x45, copy.acknowledge());
        ctx.executor.advance(4_000);
        assertEquals(0x66, copy.acknowledge(), "the timer goes on in the copy");
    }
}
