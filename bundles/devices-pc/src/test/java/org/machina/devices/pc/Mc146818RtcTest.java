package org.machina.devices.pc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class Mc146818RtcTest {
    private static final long SECOND = 1_000_000_000L;
    private FakeContext ctx;
    private Mc146818Rtc rtc;

    private Mc146818Rtc create(Map<String, String> props) {
        ctx = new FakeContext();
        rtc = (Mc146818Rtc) FakeContext.create(new Mc146818RtcType(), ctx, props);
        rtc.realize();
        return rtc;
    }

    private int cmos(int index) {
        ctx.out(0x70, index);
        return ctx.in(0x71);
    }

    private void setCmos(int index, int value) {
        ctx.out(0x70, index);
        ctx.out(0x71, value);
    }

    @Test
    void readsBaseTimeInBcd() {
        create(Map.of("base", "2024-02-29T23:59:58"));
        assertEquals(0x58, cmos(0));
        assertEquals(0x59, cmos(2));
        assertEquals(0x23, cmos(4));
        assertEquals(5, cmos(6), "Thursday");
        assertEquals(0x29, cmos(7));
        assertEquals(0x02, cmos(8));
        assertEquals(0x24, cmos(9));
        assertEquals(0x20, cmos(0x32));
        assertEquals(0x80, cmos(0x0d));
    }

    @Test
    void timeFollowsTheVirtualClock() {
        create(Map.of("base", "2024-02-29T23:59:58Z"));
        ctx.executor.advance(3 * SECOND + 5);
        assertEquals(0x01, cmos(0));
        assertEquals(0x00, cmos(4));
        assertEquals(0x01, cmos(7));
        assertEquals(0x03, cmos(8));
    }

    @Test
    void binaryAnd12HourModes() {
        create(Map.of("base", "2023-07-04T13:05:09"));
        setCmos(0x0b, 0x04); // binary, 12 h
        assertEquals(0x81, cmos(4), "1 PM");
        assertEquals(9, cmos(0));
        assertEquals(23, cmos(9));
        setCmos(0x0b, 0x06); // binary, 24 h
        assertEquals(13, cmos(4));
    }

    @Test
    void guestSetsTimeWithSetBit() {
        create(Map.of("base", "2020-01-01T00:00:00"));
        setCmos(0x0b, 0x82);
        setCmos(0, 0x30);
        setCmos(2, 0x15);
        setCmos(4, 0x10);
        setCmos(7, 0x15);
        setCmos(8, 0x06);
        setCmos(9, 0x99);
        setCmos(0x32, 0x19);
        ctx.executor.advance(5 * SECOND);
        assertEquals(0x30, cmos(0), "frozen while SET");
        setCmos(0x0b, 0x02);
        ctx.executor.advance(2 * SECOND);
        assertEquals(0x32, cmos(0));
        assertEquals(0x99, cmos(9));
        assertEquals(0x19, cmos(0x32));
    }

    @Test
    void writingOneTimeRegisterWhileRunningKeepsTheOthers() {
        create(Map.of("base", "2022-05-05T05:05:05"));
        setCmos(2, 0x45);
        ctx.executor.advance(SECOND);
        assertEquals(0x06, cmos(0));
        assertEquals(0x45, cmos(2));
        assertEquals(0x05, cmos(4));
    }

    @Test
    void updateInProgressJustBeforeTheSecond() {
        create(Map.of("base", "2022-05-05T05:05:05"));
        ctx.executor.advance(SECOND / 2);
        assertEquals(0, cmos(0x0a) & 0x80);
        ctx.executor.advance(SECOND / 2 - 100_000);
        assertEquals(0x80, cmos(0x0a) & 0x80);
        assertEquals(0x26, cmos(0x0a) & 0x7f);
    }

    @Test
    void periodicInterruptAt1024HzWithClearOnReadC() {
        create(Map.of("base", "2022-05-05T05:05:05"));
        FakeIrqLine irq8 = ctx.line("isa", 8);
        setCmos(0x0a, 0x26);
        setCmos(0x0b, 0x42);
        assertFalse(irq8.level());
        assertEquals((SECOND + 1023) / 1024, ctx.executor.timer("rtc").deadline(), "first 1024 Hz boundary, rounded up");
        for (int i = 1; i <= 10; i++) {
            ctx.executor.advanceTo((i * SECOND + 1023) / 1024);
            assertTrue(irq8.level(), "interrupt " + i);
            assertEquals(0xc0, cmos(0x0c) & 0xc0);
            assertFalse(irq8.level());
            assertEquals(0, cmos(0x0c), "clear on read");
        }
        assertEquals(10, irq8.rises);
    }

    @Test
    void periodicFlagIsSetWithoutInterruptEnable() {
        create(Map.of("base", "2022-05-05T05:05:05"));
        setCmos(0x0a, 0x2f); // 2 Hz
        assertFalse(ctx.executor.timer("rtc").isArmed(), "nothing to interrupt: no timer");
        ctx.executor.advance(SECOND / 2);
        assertEquals(0x40, cmos(0x0c) & 0xc0, "PF without IRQF");
    }

    @Test
    void updateInterruptEverySecond() {
        create(Map.of("base", "2022-05-05T05:05:05"));
        FakeIrqLine irq8 = ctx.line("isa", 8);
        setCmos(0x0b, 0x12);
        ctx.executor.advance(SECOND - 1);
        assertFalse(irq8.level());
        ctx.executor.advance(1);
        assertTrue(irq8.level());
        assertEquals(0x90, cmos(0x0c) & 0xb0, "IRQF and UF (PF runs too at the default rate)");
        assertEquals(0x06, cmos(0));
    }

    @Test
    void alarmInterruptWithDontCareHours() {
        create(Map.of("base", "2022-05-05T05:05:05"));
        FakeIrqLine irq8 = ctx.line("isa", 8);
        setCmos(1, 0x08);
        setCmos(3, 0x05);
        setCmos(5, 0xff);
        setCmos(0x0b, 0x22);
        ctx.executor.advance(2 * SECOND);
        assertFalse(irq8.level());
        assertEquals(0, cmos(0x0c) & 0x20);
        ctx.executor.advance(SECOND);
        assertTrue(irq8.level());
        assertEquals(0xa0, cmos(0x0c) & 0xa0);
    }

    @Test
    void memorySizeBytesAndChecksum() {
        create(Map.of("memory", Long.toString(8L << 20)));
        assertEquals(0x80, cmos(0x15));
        assertEquals(0x02, cmos(0x16));
        assertEquals(7168, cmos(0x17) | cmos(0x18) << 8);
        assertEquals(7168, cmos(0x30) | cmos(0x31) << 8);
        assertEquals(0, cmos(0x34) | cmos(0x35) << 8);
        int sum = 0;
        for (int i = 0x10; i <= 0x2d; i++) {
            sum += cmos(i);
        }
        assertEquals(sum, cmos(0x2e) << 8 | cmos(0x2f));

        create(Map.of("memory", "256M"));
        assertEquals(0xffff, cmos(0x17) | cmos(0x18) << 8, "capped");
        assertEquals(240 * 16, cmos(0x34) | cmos(0x35) << 8);
    }

    @Test
    void indexWriteCarriesNmiMaskAndCmosRamIsPlainStorage() {
        create(Map.of());
        ctx.out(0x70, 0x8f);
        assertTrue(rtc.nmiDisabled());
        ctx.out(0x71, 0x5a);
        ctx.out(0x70, 0x0f);
        assertFalse(rtc.nmiDisabled());
        assertEquals(0x5a, ctx.in(0x71));
        setCmos(0x7f, 0xa5);
        assertEquals(0xa5, cmos(0x7f));
    }

    @Test
    void badBaseIsRefusedWithAccepted() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> create(Map.of("base", "yesterday")));
        assertTrue(e.getMessage().contains("'yesterday'") && e.getMessage().contains("utc"), e.getMessage());
    }

    @Test
    void resetClearsInterruptEnablesButKeepsTime() {
        create(Map.of("base", "2022-05-05T05:05:05"));
        setCmos(0x0b, 0x72);
        rtc.reset();
        assertEquals(0x02, cmos(0x0b));
        assertFalse(ctx.executor.timer("rtc").isArmed());
        assertEquals(0x05, cmos(0));
    }

    @Test
    void stateRoundTripKeepsTimeAndReArmsTimer() {
        create(Map.of("base", "2022-05-05T05:05:05"));
        setCmos(0x0b, 0x42);
        setCmos(0x40, 0x77);
        ctx.executor.advance(SECOND / 4096);
        Mc146818Rtc.State saved = StateRoundTrip.viaJson(rtc);

        FakeExecutor exec2 = new FakeExecutor();
        exec2.setNow(ctx.executor.nanos());
        FakeContext ctx2 = new FakeContext(exec2);
        Mc146818Rtc rtc2 = (Mc146818Rtc) FakeContext.create(new Mc146818RtcType(), ctx2,
                Map.of("base", "1999-01-01T00:00:00"));
        rtc2.realize();
        rtc2.loadState(saved);
        assertEquals((SECOND + 1023) / 1024, exec2.timer("rtc").deadline());
        ctx = ctx2;
        assertEquals(0x77, cmos(0x40));
        exec2.advance(3 * SECOND);
        assertEquals(0x08, cmos(0), "time continues from the saved base, not the new property");
        assertTrue(ctx2.line("isa", 8).level());
    }
}
