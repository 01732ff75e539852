package org.machina.devices.pc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class I8254Test {
    private FakeContext ctx;
    private I8254 pit;
    private FakeIrqLine irq0;

    @BeforeEach
    void setUp() {
        ctx = new FakeContext();
        pit = (I8254) FakeContext.create(new I8254Type(), ctx, Map.of());
        pit.realize();
        pit.reset();
        irq0 = ctx.line("isa", 0);
    }

    /** Advances the virtual clock to {@code ticks} input-clock ticks after time 0. */
    private void toTick(long ticks) {
        ctx.executor.advanceTo(I8254.nanos(ticks));
    }

    private int latchAndRead(int counter) {
        ctx.out(0x43, counter << 6);
        int lo = ctx.in(0x40 + counter);
        return lo | ctx.in(0x40 + counter) << 8;
    }

    @Test
    void tickConversionRoundTrips() {
        assertEquals(1_193_182, I8254.ticks(1_000_000_000L));
        for (long t : new long[] {1, 1193, 1_193_181, 1_193_183, 123_456_789_012L}) {
            assertEquals(t, I8254.ticks(I8254.nanos(t)));
            assertEquals(t - 1, I8254.ticks(I8254.nanos(t) - 1));
        }
    }

    @Test
    void mode2RaisesIrq0EveryPeriodWithoutPolling() {
        ctx.out(0x43, 0x34);
        ctx.out(0x40, 1193 & 0xff);
        ctx.out(0x40, 1193 >> 8);
        int initial = irq0.rises;
        assertTrue(ctx.executor.timer("pit-irq0").isArmed());
        assertEquals(I8254.nanos(1193), ctx.executor.timer("pit-irq0").deadline());
        toTick(1193 * 10 - 1);
        assertEquals(initial + 9, irq0.rises);
        toTick(1193 * 10);
        assertEquals(initial + 10, irq0.rises);
    }

    @Test
    void latchedCountDecrementsWithVirtualTime() {
        ctx.out(0x43, 0x34);
        ctx.out(0x40, 0x00);
        ctx.out(0x40, 0x10); // N = 4096
        toTick(100);
        assertEquals(4096 - 100, latchAndRead(0));
        toTick(4096 + 5);
        assertEquals(4096 - 5, latchAndRead(0), "mode 2 reloads");
    }

    @Test
    void latchHoldsValueUntilRead() {
        ctx.out(0x43, 0x30);
        ctx.out(0x40, 0x00);
        ctx.out(0x40, 0x20);
        toTick(10);
        ctx.out(0x43, 0x00);
        toTick(500);
        int lo = ctx.in(0x40);
        int hi = ctx.in(0x40);
        assertEquals(0x2000 - 10, lo | hi << 8);
        ctx.out(0x43, 0x00);
        lo = ctx.in(0x40);
        assertEquals((0x2000 - 500) & 0xff, lo);
    }

    @Test
    void mode0OutRisesOnceAtTerminalCount() {
        ctx.out(0x43, 0x30);
        assertFalse(irq0.level(), "mode 0 OUT low after the control word");
        ctx.out(0x40, 100);
        ctx.out(0x40, 0);
        toTick(99);
        assertFalse(irq0.level());
        toTick(100);
        assertTrue(irq0.level());
        assertFalse(ctx.executor.timer("pit-irq0").isArmed(), "no further edge in mode 0");
        toTick(100 + 5);
        assertEquals(0x10000 - 5, latchAndRead(0), "counter wraps past 0");
        assertTrue(irq0.level());
    }

    @Test
    void readBackStatusReportsOutNullCountAndMode() {
        ctx.out(0x43, 0xb4); // counter 2, LSB/MSB, mode 2
        ctx.out(0x43, 0xe8); // read-back status of counter 2
        assertEquals(0x40 | 0x30 | 0x04 | 0x80, ctx.in(0x42), "null count before a count is written, OUT high");
        ctx.out(0x42, 10);
        ctx.out(0x42, 0);
        ctx.out(0x43, 0xd8); // read-back count of counter 2 (gate low: not counting)
        assertEquals(10, ctx.in(0x42));
        assertEquals(0, ctx.in(0x42));
        ctx.out(0x43, 0xe8);
        assertEquals(0x80 | 0x34, ctx.in(0x42));
    }

    @Test
    void bcdCounting() {
        ctx.out(0x43, 0x31); // counter 0, LSB/MSB, mode 0, BCD
        ctx.out(0x40, 0x34);
        ctx.out(0x40, 0x12);
        toTick(34);
        assertEquals(0x1200, latchAndRead(0));
        toTick(1234 + 1);
        assertEquals(0x9999, latchAndRead(0), "BCD wraps at 10000");
    }

    @Test
    void lsbOnlyAndMsbOnlyAccess() {
        ctx.out(0x43, 0x10); // LSB only, mode 0
        ctx.out(0x40, 0x80);
        toTick(0x10);
        assertEquals(0x70, ctx.in(0x40));
        ctx.out(0x43, 0x20); // MSB only
        ctx.out(0x40, 0x02);
        toTick(0x10 + 0x100);
        assertEquals(0x01, ctx.in(0x40));
    }

    @Test
    void port61GatesCounter2AndShowsOut2LikeLinuxCalibration() {
        ctx.out(0x61, 0x01); // gate high, speaker off
        ctx.out(0x43, 0xb0); // counter 2, mode 0
        ctx.out(0x42, 0xff);
        ctx.out(0x42, 0xff);
        assertEquals(0, ctx.in(0x61) & 0x20);
        toTick(0xffff - 1);
        assertEquals(0, ctx.in(0x61) & 0x20);
        toTick(0xffff);
        assertEquals(0x20, ctx.in(0x61) & 0x20);
        assertEquals(0x01, ctx.in(0x61) & 0x0f);
    }

    @Test
    void gateLowPausesMode0() {
        ctx.out(0x61, 0x01);
        ctx.out(0x43, 0xb0);
        ctx.out(0x42, 0x00);
        ctx.out(0x42, 0x01); // 256
        toTick(100);
        ctx.out(0x61, 0x00);
        toTick(1000);
        ctx.out(0x43, 0x80);
        assertEquals(156, ctx.in(0x42) | ctx.in(0x42) << 8);
        ctx.out(0x61, 0x01);
        toTick(1100);
        ctx.out(0x43, 0x80);
        assertEquals(56, ctx.in(0x42) | ctx.in(0x42) << 8);
    }

    @Test
    void mode3SquareWaveOnOut2() {
        ctx.out(0x43, 0xb6); // counter 2, mode 3
        ctx.out(0x42, 100);
        ctx.out(0x42, 0);
        ctx.out(0x61, 0x03);
        long start = I8254.ticks(ctx.executor.nanos());
        toTick(start + 10);
        assertEquals(0x20, ctx.in(0x61) & 0x20);
        toTick(start + 60);
        assertEquals(0, ctx.in(0x61) & 0x20);
        toTick(start + 110);
        assertEquals(0x20, ctx.in(0x61) & 0x20);
    }

    @Test
    void mode1OneShotIsTriggeredByGateEdge() {
        ctx.out(0x43, 0xb2); // counter 2, mode 1
        ctx.out(0x42, 50);
        ctx.out(0x42, 0);
        toTick(200);
        assertEquals(0x20, ctx.in(0x61) & 0x20, "OUT high until triggered");
        ctx.out(0x61, 0x01);
        toTick(210);
        assertEquals(0, ctx.in(0x61) & 0x20);
        toTick(250);
        assertEquals(0x20, ctx.in(0x61) & 0x20);
    }

    @Test
    void mode4StrobeEdgeAfterCountPlusOne() {
        ctx.out(0x43, 0x38); // counter 0, mode 4
        ctx.out(0x40, 20);
        ctx.out(0x40, 0);
        int before = irq0.rises;
        toTick(20);
        assertFalse(pit.out(0));
        toTick(21);
        assertTrue(pit.out(0));
        assertEquals(before + 1, irq0.rises);
        toTick(5000);
        assertEquals(before + 1, irq0.rises);
    }

    @Test
    void refreshBitTogglesWithVirtualTime() {
        int a = ctx.in(0x61) & 0x10;
        ctx.executor.advance(I8254.REFRESH_NANOS);
        int b = ctx.in(0x61) & 0x10;
        assertEquals(0x10, a ^ b);
    }

    @Test
    void stateRoundTripReArmsIrqTimer() {
        ctx.out(0x43, 0x34);
        ctx.out(0x40, 0xe8);
        ctx.out(0x40, 0x03); // 1000
        toTick(2500);
        ctx.out(0x43, 0x00); // latch pending across the swap
        I8254.State saved = StateRoundTrip.viaJson(pit);

        FakeExecutor exec2 = new FakeExecutor();
        exec2.setNow(ctx.executor.nanos());
        FakeContext ctx2 = new FakeContext(exec2);
        I8254 pit2 = (I8254) FakeContext.create(new I8254Type(), ctx2, Map.of());
        pit2.realize();
        pit2.loadState(saved);
        assertEquals(I8254.nanos(3000), exec2.timer("pit-irq0").deadline());
        assertEquals(500, ctx2.in(0x40) | ctx2.in(0x40) << 8);
        FakeIrqLine irq = ctx2.line("isa", 0);
        int before = irq.rises;
        exec2.advanceTo(I8254.nanos(5000));
        assertEquals(before + 3, irq.rises);
    }

    @Test
    void mode5StrobeAfterGateTrigger() {
        ctx.out(0x43, 0xba); // counter 2, mode 5
        ctx.out(0x42, 30);
        ctx.out(0x42, 0);
        toTick(100);
        ctx.out(0x61, 0x01); // trigger at tick 100
        toTick(129);
        assertEquals(0x20, ctx.in(0x61) & 0x20);
        toTick(130);
        assertEquals(0, ctx.in(0x61) & 0x20, "strobe low for one tick at N");
        toTick(131);
        assertEquals(0x20, ctx.in(0x61) & 0x20);
    }
}
