package org.machina.devices.pc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.machina.api.device.Device;

class AcpiPmTest {
    static final int BASE = 0x600;
    static final long SECOND = 1_000_000_000L;
    private FakeContext ctx;
    private AcpiPm pm;

    @BeforeEach
    void setUp() {
        ctx = new FakeContext();
        ctx.shutdowns = new ArrayList<>();
        pm = (AcpiPm) FakeContext.create(new AcpiPmType(), ctx, Map.of());
        pm.realize();
        pm.reset();
    }

    private int in16(int off) {
        return ctx.io.in(BASE + off, 2);
    }

    private void out16(int off, int v) {
        ctx.io.out(BASE + off, 2, v);
    }

    private int timer() {
        return ctx.io.in(BASE + 8, 4);
    }

    @Test
    void sciEnIsSetAtReset() {
        assertEquals(List.of("acpi-pm@0x600"), ctx.io.layout());
        assertEquals(AcpiPm.SCI_EN, in16(4) & AcpiPm.SCI_EN, "always in ACPI mode (no SMI_CMD)");
        assertEquals(0, in16(0));
        assertEquals(0, in16(2));
    }

    @Test
    void timerCountsAt3579545HzFromTheVirtualClock() {
        int t0 = timer();
        ctx.executor.advance(SECOND);
        assertEquals(3_579_545, (timer() - t0) & 0xFFFFFF);
        ctx.executor.advance(SECOND / 1000);
        assertEquals(3_579_545 + 3_579, (timer() - t0) & 0xFFFFFF, "1 ms more: 3579.5 ticks, truncated");
    }

    @Test
    void timerIs24BitsAndByteReadsAgree() {
        ctx.executor.advance(10 * SECOND); // 35795450 ticks > 2^24
        int t = timer();
        assertEquals(35_795_450 & 0xFFFFFF, t);
        assertEquals(t & 0xFF, ctx.in(BASE + 8));
        assertEquals(t >>> 16 & 0xFF, ctx.in(BASE + 10));
        assertEquals(0, ctx.in(BASE + 11), "bits 24-31 read 0");
    }

    @Test
    void ticksDoNotOverflowAfterDaysOfGuestTime() {
        ctx.executor.advance(30L * 24 * 3600 * SECOND);
        long expected = 30L * 24 * 3600 * 3_579_545;
        assertEquals(expected & 0xFFFFFF, timer() & 0xFFFFFFFFL);
    }

    @Test
    void timerOverflowSetsTmrStsAndRaisesTheSciWhenEnabled() {
        FakeIrqLine sci = ctx.line("isa", 9);
        out16(2, AcpiPm.TMR_STS); // TMR_EN
        assertFalse(sci.level());
        // bit 23 toggles every 2^23 ticks = 2.343 s
        long toggle = AcpiPm.nanosForTicks(1L << 23);
        ctx.executor.advanceTo(toggle - 1);
        assertEquals(0, in16(0) & AcpiPm.TMR_STS);
        assertFalse(sci.level());
        ctx.executor.advanceTo(toggle);
        assertEquals(AcpiPm.TMR_STS, in16(0) & AcpiPm.TMR_STS);
        assertTrue(sci.level(), "the armed timer raised the SCI at the toggle");
        out16(0, AcpiPm.TMR_STS); // write 1 to clear
        assertEquals(0, in16(0) & AcpiPm.TMR_STS);
        assertFalse(sci.level());
    }

    @Test
    void powerButtonNeedsTheOsToListen() {
        FakeIrqLine sci = ctx.line("isa", 9);
        assertFalse(ctx.powerButton.press(), "PWRBTN_EN clear: refused, the runtime powers off");
        assertEquals(0, in16(0));
        out16(2, AcpiPm.PWRBTN_STS); // PWRBTN_EN
        assertTrue(ctx.powerButton.press());
        assertEquals(AcpiPm.PWRBTN_STS, in16(0));
        assertTrue(sci.level());
        out16(0, 0); // writing 0 clears nothing
        assertTrue(sci.level());
        out16(0, AcpiPm.PWRBTN_STS);
        assertEquals(0, in16(0));
        assertFalse(sci.level());
    }

    @Test
    void sciFollowsSciEn() {
        FakeIrqLine sci = ctx.line("isa", 9);
        out16(2, AcpiPm.PWRBTN_STS);
        ctx.powerButton.press();
        assertTrue(sci.level());
        out16(4, 0);
        assertFalse(sci.level(), "SCI_EN clear masks the SCI");
        assertFalse(ctx.powerButton.press(), "and the OS no longer listens");
    }

    @Test
    void slpEnWithS5PowersOff() {
        out16(4, AcpiPm.SCI_EN | AcpiPm.SLP_TYP_S5 << 10);
        assertTrue(ctx.shutdowns.isEmpty(), "SLP_TYP alone does nothing");
        out16(4, AcpiPm.SCI_EN | AcpiPm.SLP_TYP_S5 << 10 | AcpiPm.SLP_EN);
        assertEquals(List.of("guest entered ACPI S5 (soft off)/0"), ctx.shutdowns);
        assertEquals(0, in16(4) & AcpiPm.SLP_EN, "SLP_EN is write-only");
    }

    @Test
    void otherSleepStatesAreIgnored() {
        out16(4, AcpiPm.SCI_EN | 5 << 10 | AcpiPm.SLP_EN);
        assertTrue(ctx.shutdowns.isEmpty());
    }

    @Test
    void fastpathOffAttachesNothingAndTheTimerStillCounts() {
        FakeContext off = new FakeContext();
        off.shutdowns = new ArrayList<>();
        Device d = FakeContext.create(new AcpiPmType(), off, Map.of("fastpath", "false"));
        d.realize();
        d.reset();
        assertTrue(off.fastPaths.isEmpty(), "fastpath=off attaches no handler");
        long t0 = off.io.in(BASE + 8, 4);
        off.executor.advance(SECOND);
        assertEquals((t0 + AcpiPm.TIMER_HZ) & 0xFFFFFF, off.io.in(BASE + 8, 4) & 0xFFFFFFL, "one second of PM timer ticks");
    }

    @Test
    void theFastPathServesTheTimerAsTheNormalPathDoes() {
        assertEquals(1, ctx.fastPaths.size());
        assertEquals(8, ctx.fastPaths.get(0).offset());
        for (long step : new long[] {0, 1, 279, 999_999_937L, 3 * SECOND}) {
            ctx.executor.advance(step);
            assertEquals(timer(), ctx.fastRead("acpi-pm", 8, 4));
            for (int b = 0; b < 4; b++) {
                assertEquals(ctx.in(BASE + 8 + b), ctx.fastRead("acpi-pm", 8 + b, 1), "byte " + b);
            }
            assertEquals(ctx.io.in(BASE + 8, 2), ctx.fastRead("acpi-pm", 8, 2));
        }
    }

    @Test
    void theTimerComesFromTheRecentTimeOnBothPaths() {
        ctx.executor.advance(SECOND);
        ctx.executor.setRecent(SECOND / 2);
        long half = AcpiPm.TIMER_HZ / 2; // floor(0.5 s * 3579545 Hz)
        assertEquals(half, timer(), "the normal path: the clock's recent time, not nanos()");
        assertEquals(half, ctx.fastRead("acpi-pm", 8, 4), "the fast path: the same");
        ctx.executor.advance(0);
        assertEquals(AcpiPm.TIMER_HZ, timer());
    }

    @Test
    void enableBitsTheOsChecksStick() {
        out16(2, 0xFFFF);
        assertEquals(1 | 1 << 5 | 1 << 8 | 1 << 9 | 1 << 10, in16(2), "TMR, GBL, PWRBTN, SLPBTN, RTC enables");
        assertEquals(0, in16(0), "no event without a cause");
    }

    @Test
    void anUnalignedReadAcrossControlAndTimerSeesBoth() {
        ctx.executor.advance(SECOND);
        long v = ctx.io.read(BASE + 6, 4) & 0xFFFFFFFFL;
        assertEquals(timer() & 0xFFFF, v >>> 16, "bytes 8-9 are the timer's low half");
        assertEquals(0, v & 0xFFFF, "bytes 6-7 are reserved");
    }

    @Test
    void timerWritesAreIgnored() {
        int t = timer();
        ctx.io.out(BASE + 8, 4, 0x123456);
        assertEquals(t, timer());
    }

    @Test
    void stateRoundTrip() {
        out16(2, AcpiPm.PWRBTN_STS);
        ctx.powerButton.press();
        AcpiPm.State saved = StateRoundTrip.viaJson(pm);
        FakeContext ctx2 = new FakeContext();
        AcpiPm pm2 = (AcpiPm) FakeContext.create(new AcpiPmType(), ctx2, Map.of());
        pm2.realize();
        pm2.loadState(saved);
        assertEquals(AcpiPm.PWRBTN_STS, ctx2.io.in(BASE, 2));
        assertTrue(ctx2.line("isa", 9).level());
    }

    @Test
    void badPropertiesAreRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> FakeContext.create(new AcpiPmType(), new FakeContext(), Map.of("base", "0x601")));
        assertThrows(IllegalArgumentException.class,
                () -> FakeContext.create(new AcpiPmType(), new FakeContext(), Map.of("sci", "16")));
    }
}
