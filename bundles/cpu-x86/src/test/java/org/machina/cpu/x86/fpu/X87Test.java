package org.machina.cpu.x86.fpu;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Unit tests of the x87 state machinery that the host differential test does not reach. */
class X87Test {
    private static final int AT = 0x100;
    private X87 x;
    private ArrayMemory mem;

    @BeforeEach
    void setUp() {
        x = new X87();
        mem = new ArrayMemory(0x1000);
    }

    private void exec(int op, int modrm) { x.execute(op, modrm, AT, true, mem); }

    private void fldDouble(double d) {
        mem.write64(0x800, Double.doubleToRawLongBits(d));
        x.execute(0xDD, 0x00, 0x800, true, mem);
    }

    private double stDouble(int i) {
        exec(0xD9, 0xC0 + i);        // FLD ST(i)
        x.execute(0xDD, 0x18, 0x808, true, mem); // FSTP m64
        return Double.longBitsToDouble(mem.read64(0x808));
    }

    private void fldcw(int cw) {
        mem.write16(0x810, cw);
        x.execute(0xD9, 0x28, 0x810, true, mem);
    }

    @Test
    void resetStateIsFninit() {
        assertEquals(0x037F, x.controlWord());
        assertEquals(0, x.statusWord());
        assertEquals(0xFFFF, x.tagWord());
        assertFalse(x.hasPendingException());
    }

    @Test
    void arithmeticAndTags() {
        fldDouble(1.5);
        fldDouble(2.25);
        exec(0xDE, 0xC1); // FADDP
        assertEquals(3.75, stDouble(0));
        assertEquals(7 << 11, x.statusWord() & 0x3800);
        exec(0xD9, 0xEE); // FLDZ
        assertEquals(0b01, (x.tagWord() >>> 12) & 3, "zero tag for the register at TOP 6");
        assertEquals(0b00, (x.tagWord() >>> 14) & 3, "valid tag for 3.75");
    }

    @Test
    void stackOverflowGivesIndefiniteWithC1() {
        for (int i = 0; i < 8; i++) exec(0xD9, 0xE8); // FLD1 x8
        exec(0xD9, 0xE8);
        int sw = x.statusWord();
        assertEquals(0x41, sw & 0x41, "IE and SF");
        assertEquals(0x200, sw & 0x200, "C1 = 1 on overflow");
        assertTrue(Double.isNaN(stDouble(0)));
        assertFalse(x.hasPendingException(), "masked");
    }

    @Test
    void unmaskedUnderflowLeavesDestinationAndSetsPending() {
        fldcw(0x037E); // IE unmasked
        exec(0xD9, 0xFA); // FSQRT on an empty stack
        assertTrue(x.hasPendingException());
        assertEquals(0x80C1, x.statusWord() & 0x80C1 & ~0x200, "B, ES, SF, IE");
        assertEquals(0xFFFF, x.tagWord(), "nothing written");
        exec(0xDB, 0xE2); // FNCLEX
        assertFalse(x.hasPendingException());
        assertEquals(0, x.statusWord() & 0xFF);
    }

    @Test
    void unmaskedOverflowWrapsExponent() {
        fldcw(0x0377); // OE unmasked
        mem.writeExt(0x900, "7ffe8000000000000000");
        x.execute(0xDB, 0x28, 0x900, true, mem);
        x.execute(0xDB, 0x28, 0x900, true, mem);
        exec(0xDE, 0xC9); // FMULP: 2^16383 * 2^16383
        assertTrue(x.hasPendingException());
        assertEquals(0x08, x.statusWord() & 0x08);
        byte[] st = x.readSt(0);
        int se = (st[8] & 0xFF) | ((st[9] & 0xFF) << 8);
        assertEquals(0x7FFE + 0x7FFE - 0x3FFF - 24576, se, "exponent biased down by 24576");
    }

    @Test
    void fcomiReportsEflags() {
        fldDouble(2);
        fldDouble(1);
        exec(0xDB, 0xF1); // FCOMI ST0, ST1: 1 < 2
        assertTrue(x.comiExecuted());
        assertEquals(0x01, x.lastComiFlags());
        exec(0xDF, 0xE8); // FUCOMIP ST0, ST0: equal, pops
        assertEquals(0x40, x.lastComiFlags());
        mem.write64(0x800, 0x7FF8000000000000L);
        x.execute(0xDD, 0x00, 0x800, true, mem); // QNaN
        exec(0xDB, 0xE9); // FUCOMI: unordered, no IE
        assertEquals(0x45, x.lastComiFlags());
        assertEquals(0, x.statusWord() & 1);
        exec(0xDB, 0xF1); // FCOMI: unordered with IE
        assertEquals(1, x.statusWord() & 1);
        exec(0xD9, 0xE8);
        assertFalse(x.comiExecuted(), "cleared by other instructions");
    }

    @Test
    void fcmovFollowsEflags() {
        fldDouble(7);
        fldDouble(3);
        x.setEflagsForFcmov(0x40);       // ZF
        exec(0xDA, 0xC1);                // FCMOVB: CF=0, no move
        assertEquals(3.0, stDouble(0));
        exec(0xDA, 0xC9);                // FCMOVE ST0, ST1: ZF=1 moves
        assertEquals(7.0, stDouble(0));
        x.setEflagsForFcmov(0x01);
        exec(0xDB, 0xC1);                // FCMOVNB ST0, ST1: CF=1, no move
        assertEquals(7.0, stDouble(0));
    }

    @Test
    void fnsaveFrstorRoundTripBothLayouts() {
        for (boolean op32 : new boolean[] {true, false}) {
            x.reset();
            fldcw(0x0A7F);
            fldDouble(-0.1);
            fldDouble(12345.678);
            exec(0xD9, 0xEB); // FLDPI
            x.setLastInstruction(0x1B, 0x401234, 0x1EB, 0x23, 0x5678);
            int sw = x.statusWord(), tw = x.tagWord();
            byte[] st0 = x.readSt(0), st2 = x.readSt(2);
            x.execute(0xDD, 0x30, 0x200, op32, mem); // FNSAVE
            assertEquals(0x037F, x.controlWord(), "FNSAVE reinitializes");
            assertEquals(0xFFFF, x.tagWord());
            assertEquals(0x0A7F, mem.read16(0x200));
            assertEquals(sw, mem.read16(0x200 + (op32 ? 4 : 2)));
            assertEquals(tw, mem.read16(0x200 + (op32 ? 8 : 4)));
            if (op32) {
                assertEquals(0x401234, mem.read32(0x200 + 12));
                assertEquals(0x1B | (0x1EB << 16), mem.read32(0x200 + 16));
            }
            x.execute(0xDD, 0x20, 0x200, op32, mem); // FRSTOR
            assertEquals(0x0A7F, x.controlWord());
            assertEquals(sw, x.statusWord());
            assertEquals(tw, x.tagWord());
            assertArrayEquals(st0, x.readSt(0));
            assertArrayEquals(st2, x.readSt(2));
        }
    }

    @Test
    void realModeEnvironmentLayouts() {
        x.setRealMode(true);
        exec(0xD9, 0xE8);
        x.setLastInstruction(0x1234, 0x0010, 0x1E8, 0x2000, 0x0008);
        x.execute(0xD9, 0x30, 0x300, true, mem);  // FNSTENV, 32-bit real-mode layout
        assertEquals(0x12350 & 0xFFFF, mem.read16(0x300 + 12));
        assertEquals((0x1 << 12) | 0x1E8, mem.read32(0x300 + 16));
        assertEquals(0x20008 & 0xFFFF, mem.read16(0x300 + 20));
        assertEquals(0x2 << 12, mem.read32(0x300 + 24));
        x.execute(0xD9, 0x30, 0x340, false, mem); // 16-bit real-mode layout
        assertEquals(0x2350, mem.read16(0x340 + 6));
        assertEquals((0x1 << 12) | 0x1E8, mem.read16(0x340 + 8));
        x.execute(0xD9, 0x20, 0x340, false, mem); // FLDENV reads it back
        x.execute(0xD9, 0x30, 0x380, false, mem);
        for (int k = 0; k < 14; k += 2) assertEquals(mem.read16(0x340 + k), mem.read16(0x380 + k), "offset " + k);
    }

    @Test
    void fnstenvMasksExceptionsAndFldenvRestores() {
        fldcw(0x0360);
        exec(0xD9, 0xE8);
        x.execute(0xD9, 0x30, 0x300, true, mem); // FNSTENV
        assertEquals(0x037F, x.controlWord() & 0x3F | 0x0340, "all masked after FNSTENV");
        assertEquals(0x3F, x.controlWord() & 0x3F);
        x.execute(0xD9, 0x20, 0x300, true, mem); // FLDENV
        assertEquals(0x0360, x.controlWord());
        assertEquals(1.0, stDouble(0));
    }

    @Test
    void fxsaveLayoutAndRoundTrip() {
        fldDouble(42);
        fldDouble(-3);
        x.setLastInstruction(0x08, 0xC0001000, 0x0F, 0x10, 0xC0002000);
        x.fxsave(0x400, mem);
        assertEquals(0x037F, mem.read16(0x400));
        assertEquals(6 << 11, mem.read16(0x402));
        assertEquals(0xC0, mem.read8(0x404), "abridged tag: registers 6 and 7 valid");
        assertEquals(0xC0001000, mem.read32(0x408));
        assertEquals(0x1F80, mem.read32(0x418));
        assertEquals(-3.0, Transcendental.toDouble(mem.read16(0x428), mem.read64(0x420)));
        X87 y = new X87();
        y.fxrstor(0x400, mem);
        assertEquals(x.statusWord(), y.statusWord());
        assertEquals(x.tagWord(), y.tagWord());
        assertArrayEquals(x.readSt(1), y.readSt(1));
    }

    @Test
    void memoryStatusAndControlStores() {
        exec(0xD9, 0xE8);
        x.execute(0xDD, 0x38, 0x500, true, mem); // FNSTSW m16
        assertEquals(7 << 11, mem.read16(0x500));
        x.execute(0xD9, 0x38, 0x502, true, mem); // FNSTCW
        assertEquals(0x037F, mem.read16(0x502));
    }

    @Test
    void undefinedEncodingsThrow() {
        assertThrows(X87.UndefinedOpcode.class, () -> exec(0xDB, 0x08)); // FISTTP m32 (SSE3)
        assertThrows(X87.UndefinedOpcode.class, () -> exec(0xDB, 0x20)); // DB /4 mem
        assertThrows(X87.UndefinedOpcode.class, () -> exec(0xD9, 0xD1)); // D9 D1
        assertThrows(X87.UndefinedOpcode.class, () -> exec(0xDF, 0xE0)); // FNSTSW AX is the CPU's
    }

    @Test
    void debuggerRegisterAccess() {
        exec(0xD9, 0xE8);
        byte[] v = {1, 2, 3, 4, 5, 6, 7, (byte) 0x80, (byte) 0xFF, 0x3F};
        x.writeSt(0, v);
        assertArrayEquals(v, x.readSt(0));
        assertThrows(IllegalArgumentException.class, () -> x.writeSt(0, new byte[3]));
    }

    @Test
    void transcendentalsAreCloseToTheTrueValue() {
        fldDouble(1);
        exec(0xD9, 0xFE); // FSIN
        assertEquals(Math.sin(1), stDouble(0), 1e-15);
        exec(0xD9, 0xFB); // FSINCOS of sin(1)
        double c = stDouble(0);
        assertEquals(Math.cos(Math.sin(1)), c, 1e-15);
        x.reset();
        fldDouble(0.5);
        exec(0xD9, 0xF0); // F2XM1
        assertEquals(Math.sqrt(2) - 1, stDouble(0), 1e-15);
        x.reset();
        mem.writeExt(0x900, "403e8000000000000000"); // 2^63: out of range for FSIN
        x.execute(0xDB, 0x28, 0x900, true, mem);
        exec(0xD9, 0xFE);
        assertEquals(0x400, x.statusWord() & 0x400, "C2 set, operand unchanged");
    }

    @Test
    void snapshotStateRoundTrip() {
        fldcw(0x0B7F);
        fldDouble(Math.PI);
        exec(0xD9, 0xEB); // FLDPI: full 64-bit significand
        exec(0xDE, 0xF9); // FDIVP
        x.setLastInstruction(0x10, 0x1234, 0x7F9, 0x18, 0x4321);
        X87State s = x.saveState();
        X87 y = new X87();
        y.loadState(s);
        assertEquals(x.statusWord(), y.statusWord());
        assertEquals(x.controlWord(), y.controlWord());
        assertEquals(x.tagWord(), y.tagWord());
        assertArrayEquals(x.readSt(0), y.readSt(0));
        assertEquals(s, s); // records compare arrays by identity; compare fields instead
        assertArrayEquals(s.registers(), y.saveState().registers());
        assertThrows(IllegalArgumentException.class,
                () -> y.loadState(new X87State(99, 0, 0, 0, s.registers(), 0, 0, 0, 0, 0)));
    }

    @Test
    void bcdRoundTrip() {
        mem.write64(0x600, 0x0000123456789012L);
        mem.write16(0x608, 0x8000);
        x.execute(0xDF, 0x20, 0x600, true, mem); // FBLD
        assertEquals(-123456789012.0, stDouble(0));
        x.execute(0xDF, 0x30, 0x610, true, mem); // FBSTP
        assertEquals(0x0000123456789012L, mem.read64(0x610));
        assertEquals(0x80, mem.read8(0x619));
    }
}
