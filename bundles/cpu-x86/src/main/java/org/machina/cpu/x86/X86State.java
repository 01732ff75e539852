package org.machina.cpu.x86;

/**
 * The architectural register file of an IA-32 CPU with lazily evaluated arithmetic flags.
 *
 * <p>Arithmetic instructions record their operands and result ({@link #lazy}); CF, PF, AF, ZF,
 * SF and OF are computed only when read. {@link #eflags} holds every other bit, and the
 * arithmetic bits too while no lazy operation is pending ({@code lfOp == OP_NONE}).
 */
abstract class X86State {
    static final int EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESP = 4, EBP = 5, ESI = 6, EDI = 7;
    static final int ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5;

    static final int CF = 1, PF = 4, AF = 0x10, ZF = 0x40, SF = 0x80, TF = 0x100, IF = 0x200, DF = 0x400,
            OF = 0x800, IOPL = 0x3000, NT = 0x4000, RF = 0x10000, VM = 0x20000, AC = 0x40000, VIF = 0x80000,
            VIP = 0x100000, ID = 0x200000;
    static final int ARITH = CF | PF | AF | ZF | SF | OF;

    static final int OP_NONE = 0, OP_ADD = 1, OP_ADC = 2, OP_SUB = 3, OP_SBB = 4, OP_LOGIC = 5, OP_INC = 6,
            OP_DEC = 7;
    /**
     * SHL/SAL, SHR and SAR by a count of 1 to 31: {@code lfA} is the operand (masked to its
     * size), {@code lfB} the count. AF is left clear, as the interpreter always did.
     */
    static final int OP_SHL = 8, OP_SHR = 9, OP_SAR = 10;

    final int[] r = new int[8];
    int eip;
    int eflags = 2;

    final int[] segSel = new int[6];
    final int[] segBase = new int[6];
    final int[] segLimit = new int[6];
    /** Descriptor bits 40..55 shifted down: type(0-3) S(4) DPL(5-6) P(7) AVL(12) D/B(14) G(15). */
    final int[] segAttr = new int[6];
    int cpl;
    /** NMIs are blocked from NMI delivery until the next IRET. */
    boolean nmiBlocked;

    int cr0 = 0x60000010, cr2, cr3, cr4;
    final int[] dr = new int[8];
    int gdtBase, gdtLimit, idtBase, idtLimit;
    int ldtSel, ldtBase, ldtLimit, trSel, trBase, trLimit, trAttr;

    // lazy flags
    int lfOp, lfA, lfB, lfRes, lfSize; // lfSize: 0=8, 1=16, 2=32
    int lfCarryIn; // old CF for INC/DEC, carry for ADC/SBB

    static final int[] SIGN = {0x80, 0x8000, 0x80000000};
    static final int[] MASK = {0xff, 0xffff, 0xffffffff};

    final void lazy(int op, int a, int b, int res, int size) {
        lfOp = op;
        lfA = a;
        lfB = b;
        lfRes = res;
        lfSize = size;
    }

    /** Sets the arithmetic flags eagerly ({@code bits} within {@link #ARITH}). */
    final void setArith(int bits) {
        eflags = (eflags & ~ARITH) | (bits & ARITH);
        lfOp = OP_NONE;
    }

    final boolean cf() {
        int m = MASK[lfSize];
        switch (lfOp) {
            case OP_NONE: return (eflags & CF) != 0;
            case OP_ADD: return Integer.compareUnsigned(lfRes & m, lfA & m) < 0;
            case OP_ADC: return lfCarryIn != 0 ? Integer.compareUnsigned(lfRes & m, lfA & m) <= 0
                    : Integer.compareUnsigned(lfRes & m, lfA & m) < 0;
            case OP_SUB: return Integer.compareUnsigned(lfA & m, lfB & m) < 0;
            case OP_SBB: return lfCarryIn != 0 ? Integer.compareUnsigned(lfA & m, lfB & m) <= 0
                    : Integer.compareUnsigned(lfA & m, lfB & m) < 0;
            case OP_LOGIC: return false;
            case OP_SHL: return ((lfA & 0xffffffffL) << lfB >>> (8 << lfSize) & 1) != 0;
            case OP_SHR: return ((lfA & 0xffffffffL) >>> (lfB - 1) & 1) != 0;
            case OP_SAR: return (signExtended(lfA, lfSize) >> (lfB - 1) & 1) != 0;
            default: return lfCarryIn != 0; // INC/DEC keep CF
        }
    }

    static int signExtended(int v, int size) {
        return size == 0 ? (byte) v : size == 1 ? (short) v : v;
    }

    final boolean zf() {
        return lfOp == OP_NONE ? (eflags & ZF) != 0 : (lfRes & MASK[lfSize]) == 0;
    }

    final boolean sf() {
        return lfOp == OP_NONE ? (eflags & SF) != 0 : (lfRes & SIGN[lfSize]) != 0;
    }

    final boolean of() {
        int s = SIGN[lfSize];
        switch (lfOp) {
            case OP_NONE: return (eflags & OF) != 0;
            case OP_ADD: case OP_ADC: return (((lfA ^ lfRes) & (lfB ^ lfRes)) & s) != 0;
            case OP_SUB: case OP_SBB: return (((lfA ^ lfB) & (lfA ^ lfRes)) & s) != 0;
            case OP_INC: return (lfRes & MASK[lfSize]) == s;
            case OP_DEC: return (lfRes & MASK[lfSize]) == s - 1;
            case OP_SHL: return ((lfRes & s) != 0) != cf();
            case OP_SHR: return (lfA & s) != 0;
            default: return false; // LOGIC, SAR
        }
    }

    final boolean pf() {
        return lfOp == OP_NONE ? (eflags & PF) != 0 : (Integer.bitCount(lfRes & 0xff) & 1) == 0;
    }

    final boolean af() {
        switch (lfOp) {
            case OP_NONE: return (eflags & AF) != 0;
            case OP_LOGIC: case OP_SHL: case OP_SHR: case OP_SAR: return false;
            default: return ((lfA ^ lfB ^ lfRes) & 0x10) != 0;
        }
    }

    /** EFLAGS with the arithmetic bits materialized. */
    final int getEflags() {
        if (lfOp == OP_NONE) {
            return eflags;
        }
        int f = eflags & ~ARITH;
        if (cf()) f |= CF;
        if (pf()) f |= PF;
        if (af()) f |= AF;
        if (zf()) f |= ZF;
        if (sf()) f |= SF;
        if (of()) f |= OF;
        return f;
    }

    /** Condition code {@code cc} (0..15, as in Jcc). */
    final boolean cond(int cc) {
        boolean v;
        switch (cc >> 1) {
            case 0: v = of(); break;
            case 1: v = cf(); break;
            case 2: v = zf(); break;
            case 3: v = cf() || zf(); break;
            case 4: v = sf(); break;
            case 5: v = pf(); break;
            case 6: v = sf() != of(); break;
            default: v = zf() || sf() != of(); break;
        }
        return ((cc & 1) != 0) != v;
    }

    final boolean protectedMode() {
        return (cr0 & 1) != 0;
    }

    final boolean v86() {
        return (eflags & VM) != 0;
    }

    final int reg8(int i) {
        return i < 4 ? r[i] & 0xff : (r[i - 4] >> 8) & 0xff;
    }

    final void setReg8(int i, int v) {
        if (i < 4) r[i] = (r[i] & ~0xff) | (v & 0xff);
        else r[i - 4] = (r[i - 4] & ~0xff00) | ((v & 0xff) << 8);
    }

    final void setReg16(int i, int v) {
        r[i] = (r[i] & 0xffff0000) | (v & 0xffff);
    }
}
