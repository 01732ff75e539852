package org.machina.devices.pc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The HPET through its registers, as a guest drives it (IA-PC HPET 1.0a). */
class HpetTest {
    static final long BASE = 0xFED0_0000L;
    static final long T0_CONF = 0x100;
    static final long T0_CMP = 0x108;
    static final long T1_CONF = 0x120;
    static final long T1_CMP = 0x128;
    static final long T2_CONF = 0x140;
    static final long T2_CMP = 0x148;
    private FakeContext ctx;
    private Hpet hpet;

    @BeforeEach
    void setUp() {
        ctx = new FakeContext();
        hpet = (Hpet) FakeContext.create(new HpetType(), ctx, Map.of());
        hpet.realize();
        hpet.reset();
    }

    private long r64(long off) {
        return ctx.mem.read(BASE + off, 8);
    }

    private long r32(long off) {
        return ctx.mem.read(BASE + off, 4);
    }

    private void w64(long off, long v) {
        ctx.mem.write(BASE + off, 8, v);
    }

    private void w32(long off, long v) {
        ctx.mem.write(BASE + off, 4, v & 0xFFFF_FFFFL);
    }

    @Test
    void capabilities() {
        assertEquals(List.of("hpet@0xfed00000"), ctx.mem.layout());
        long cap = r64(0);
        assertEquals(1, cap & 0xFF, "revision 1");
        assertEquals(2, cap >>> 8 & 0x1F, "three timers");
        assertEquals(1, cap >>> 13 & 1, "64-bit counter");
        assertEquals(1, cap >>> 15 & 1, "legacy replacement capable");
        assertEquals(10_000_000L, cap >>> 32, "10 ns period in fs");
        assertEquals(cap >>> 32, r32(4), "high half by a 32-bit read");
        long t0 = r64(T0_CONF);
        assertEquals(HpetTimer.PER_INT_CAP | HpetTimer.SIZE_CAP, t0 & 0xFFFF_FFFFL & (HpetTimer.PER_INT_CAP | HpetTimer.SIZE_CAP));
        assertEquals(Hpet.ROUTE_CAPABILITY, t0 >>> 32);
    }

    @Test
    void counterRunsAt100MhzOnlyWhenEnabled() {
        ctx.executor.advance(1_000_000);
        assertEquals(0, r64(0xF0), "halted at reset");
        w64(0x10, Hpet.ENABLE_CNF);
        ctx.executor.advance(1_000_000); // 1 ms
        assertEquals(100_000, r64(0xF0));
        assertEquals(100_000, r32(0xF0), "32-bit read of the low half");
        w64(0x10, 0);
        ctx.executor.advance(1_000_000);
        assertEquals(100_000, r64(0xF0), "halted: holds");
        w64(0xF0, 0x1_0000_0000L - 10);
        w64(0x10, Hpet.ENABLE_CNF);
        ctx.executor.advance(200);
        assertEquals(0x1_0000_0000L + 10, r64(0xF0), "carries into the high half");
        assertEquals(1, r32(0xF4));
        w64(0xF0, 5);
        assertTrue(r64(0xF0) >= 0x1_0000_0000L, "writes while running are ignored");
    }

    @Test
    void oneShot64BitFiresOnceOnItsRoute() {
        FakeIrqLine irq5 = ctx.line("isa", 5);
        w64(T2_CONF, HpetTimer.INT_ENB | 5L << HpetTimer.ROUTE_SHIFT);
        w64(T2_CMP, 1000);
        w64(0x10, Hpet.ENABLE_CNF);
        ctx.executor.advanceTo(10 * 1000 - 1);
        assertEquals(0, irq5.rises);
        ctx.executor.advanceTo(10 * 1000);
        assertEquals(1, irq5.rises);
        assertFalse(irq5.level(), "edge: a pulse");
        ctx.executor.advance(1_000_000_000L);
        assertEquals(1, irq5.rises, "one-shot in 64-bit mode: no second match");
        assertEquals(0, r64(0x20), "no status for edge-triggered timers");
    }

    @Test
    void periodicWithValSetFiresEveryPeriod() {
        FakeIrqLine irq0 = ctx.line("isa", 0);
        w64(0x10, Hpet.ENABLE_CNF | Hpet.LEG_RT_CNF);
        // what Linux does: periodic, VAL_SET, 32-bit; comparator = now + period, then the period
        w32(T0_CONF, HpetTimer.INT_ENB | HpetTimer.TYPE_PERIODIC | HpetTimer.VAL_SET | HpetTimer.MODE_32);
        long now = r32(0xF0);
        w32(T0_CMP, now + 100_000);
        w32(T0_CMP, 100_000);
        assertEquals(0, r64(T0_CONF) & HpetTimer.VAL_SET, "VAL_SET clears itself");
        ctx.executor.advance(10_000_000L); // 10 ms = 10 periods of 1 ms
        assertEquals(10, irq0.rises);
        assertEquals(now + 11 * 100_000, r32(T0_CMP), "the comparator moved on by the period");
    }

    @Test
    void oneShot32BitMatchesTheLowHalfAndAgainAfterTheWrap() {
        FakeIrqLine irq0 = ctx.line("isa", 0);
        w64(0x10, Hpet.ENABLE_CNF | Hpet.LEG_RT_CNF);
        w32(T0_CONF, HpetTimer.INT_ENB | HpetTimer.MODE_32);
        w32(T0_CMP, 50);
        ctx.executor.advance(500);
        assertEquals(1, irq0.rises);
        ctx.executor.advance((1L << 32) * 10 - 1); // to 2^32 ticks after the first match, less 1 ns
        assertEquals(1, irq0.rises);
        ctx.executor.advance(1);
        assertEquals(2, irq0.rises, "the 32-bit comparator matches again after 2^32 ticks");
        assertEquals(0, r64(T0_CMP) >>> 32, "32-bit mode: comparator reads back 32 bits");
    }

    @Test
    void levelTriggeredHoldsTheLineUntilTheStatusIsCleared() {
        FakeIrqLine irq11 = ctx.line("isa", 11);
        w64(T1_CONF, HpetTimer.INT_ENB | HpetTimer.INT_TYPE_LEVEL | 11L << HpetTimer.ROUTE_SHIFT);
        w64(T1_CMP, 10);
        w64(0x10, Hpet.ENABLE_CNF);
        ctx.executor.advance(100);
        assertTrue(irq11.level());
        assertEquals(2, r64(0x20), "T1_INT_STS");
        w64(0x20, 1); // clearing another timer's bit changes nothing
        assertTrue(irq11.level());
        w64(0x20, 2);
        assertFalse(irq11.level());
        assertEquals(0, r64(0x20));
    }

    @Test
    void legacyReplacementTakesIrq0And8FromThePitAndRtc() {
        FakeIrqLine irq0 = ctx.line("isa", 0);
        FakeIrqLine irq8 = ctx.line("isa", 8);
        // the PIT's output arrives through the HPET's legacy switch
        ctx.sinks.get(Hpet.LEGACY_SINK).setInput(0, true);
        assertTrue(irq0.level(), "without legacy replacement the PIT reaches IRQ 0");
        ctx.sinks.get(Hpet.LEGACY_SINK).setInput(8, true);
        assertTrue(irq8.level());
        w64(0x10, Hpet.ENABLE_CNF | Hpet.LEG_RT_CNF);
        assertFalse(irq0.level(), "PIT output gated");
        assertFalse(irq8.level(), "RTC output gated");
        int rises = irq0.rises;
        w32(T0_CONF, HpetTimer.INT_ENB | HpetTimer.MODE_32);
        w32(T0_CMP, 100);
        w32(T1_CONF, HpetTimer.INT_ENB | HpetTimer.MODE_32);
        w32(T1_CMP, 200);
        ctx.executor.advance(3000);
        assertEquals(rises + 1, irq0.rises, "timer 0 -> IRQ 0");
        assertEquals(2, irq8.rises, "timer 1 -> IRQ 8 (after the RTC's rise)");
        ctx.sinks.get(Hpet.LEGACY_SINK).setInput(0, false);
        ctx.sinks.get(Hpet.LEGACY_SINK).setInput(0, true);
        assertFalse(irq0.level(), "PIT changes stay gated");
        w64(0x10, Hpet.ENABLE_CNF);
        assertTrue(irq0.level(), "legacy replacement off: the PIT's level is back");
    }

    @Test
    void fastpathOffAttachesNothingAndTheCounterStillRuns() {
        FakeContext off = new FakeContext();
        Hpet h = (Hpet) FakeContext.create(new HpetType(), off, Map.of("fastpath", "false"));
        h.realize();
        h.reset();
        assertTrue(off.fastPaths.isEmpty(), "fastpath=off attaches no handler");
        off.mem.write(BASE + 0x10, 8, Hpet.ENABLE_CNF);
        off.executor.advance(1000);
        assertEquals(100, off.mem.read(BASE + 0xF0, 8), "1 us at 100 MHz");
    }

    @Test
    void theFastPathServesCounterAndStatusAsTheNormalPathDoes() {
        assertEquals(List.of(0x20L, 0xF0L), ctx.fastPaths.stream().map(FakeContext.FastPath::offset).toList());
        w64(T1_CONF, HpetTimer.INT_ENB | HpetTimer.INT_TYPE_LEVEL | 11L << HpetTimer.ROUTE_SHIFT);
        w64(T1_CMP, 500);
        for (long step : new long[] {0, 7, 10_000, 123_456_789L}) {
            ctx.executor.advance(step);
            if (step == 7) {
                w64(0x10, Hpet.ENABLE_CNF);
            }
            assertEquals(r64(0xF0), ctx.fastRead("hpet", 0xF0, 8));
            assertEquals(r32(0xF0), ctx.fastRead("hpet", 0xF0, 4));
            assertEquals(r32(0xF4), ctx.fastRead("hpet", 0xF4, 4));
            assertEquals(r64(0x20), ctx.fastRead("hpet", 0x20, 8));
        }
        assertEquals(2, r64(0x20), "the level-triggered timer's status was among the values compared");
    }

    @Test
    void theCounterComesFromTheRecentTimeOnBothPaths() {
        w64(0x10, Hpet.ENABLE_CNF);
        ctx.executor.advance(10_000);
        ctx.executor.setRecent(4_000);
        assertEquals(400, r64(0xF0), "the normal path: the clock's recent time, not nanos()");
        assertEquals(400, ctx.fastRead("hpet", 0xF0, 8), "the fast path: the same");
        ctx.executor.advance(0);
        assertEquals(1000, r64(0xF0));
    }

    @Test
    void theBareMetalRomSequenceSetsTheLevelStatus() {
        // tests/baremetal/hpet.asm, step by step
        w32(0xF0, 0x1000);
        w32(0xF4, 0);
        w32(0x10, Hpet.ENABLE_CNF);
        ctx.executor.advance(1000);
        w32(T2_CONF, HpetTimer.MODE_32);
        w32(T2_CMP, 0xFFFF_FFF0L);
        assertEquals(0, r32(T2_CMP + 4));
        w32(T2_CONF, HpetTimer.MODE_32 | HpetTimer.INT_ENB | HpetTimer.INT_TYPE_LEVEL);
        w32(T2_CMP, r32(0xF0) + 2000);
        ctx.executor.advance(30_000);
        assertEquals(4, r32(0x20) & 4);
    }

    @Test
    void disablingStopsMatches() {
        FakeIrqLine irq5 = ctx.line("isa", 5);
        w64(T2_CONF, HpetTimer.INT_ENB | 5L << HpetTimer.ROUTE_SHIFT);
        w64(T2_CMP, 1000);
        w64(0x10, Hpet.ENABLE_CNF);
        ctx.executor.advance(5000);
        w64(0x10, 0);
        ctx.executor.advance(100_000);
        assertEquals(0, irq5.rises);
        w64(0x10, Hpet.ENABLE_CNF);
        ctx.executor.advance(5000);
        assertEquals(1, irq5.rises, "resumes counting where it stopped");
    }

    @Test
    void unsupportedRouteIsDroppedNotFatal() {
        w64(T2_CONF, HpetTimer.INT_ENB | 2L << HpetTimer.ROUTE_SHIFT);
        w64(T2_CMP, 10);
        w64(0x10, Hpet.ENABLE_CNF);
        ctx.executor.advance(1000);
        assertEquals(0, ctx.line("isa", 2).rises);
    }

    @Test
    void stateRoundTrip() {
        w64(0x10, Hpet.ENABLE_CNF | Hpet.LEG_RT_CNF);
        w32(T0_CONF, HpetTimer.INT_ENB | HpetTimer.TYPE_PERIODIC | HpetTimer.VAL_SET | HpetTimer.MODE_32);
        w32(T0_CMP, 1000);
        w32(T0_CMP, 1000);
        ctx.executor.advance(25_000);
        Hpet.State saved = StateRoundTrip.viaJson(hpet);
        FakeContext ctx2 = new FakeContext();
        ctx2.executor.setNow(ctx.executor.nanos());
        Hpet h2 = (Hpet) FakeContext.create(new HpetType(), ctx2, Map.of());
        h2.realize();
        h2.loadState(saved);
        assertEquals(r64(0xF0), ctx2.mem.read(BASE + 0xF0, 8));
        ctx2.executor.advance(10_000);
        assertEquals(1, ctx2.line("isa", 0).rises, "the periodic timer goes on after a restore");
    }

    @Test
    void badBaseIsRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> FakeContext.create(new HpetType(), new FakeContext(), Map.of("base", "0xFED00100")));
    }
}
