package org.machina.cpu.x86.fpu;

import static org.machina.cpu.x86.fpu.FpEnv.*;
import static org.machina.cpu.x86.fpu.Float80.*;

/**
 * The x87 floating-point unit of an i686: eight 80-bit registers computed in software
 * ({@link Float80}), control/status/tag words, and all instructions of opcodes D8..DF.
 *
 * <h2>Contract with the CPU</h2>
 * <ul>
 * <li>{@link #execute} runs one x87 instruction given its opcode byte, ModRM byte and, for memory
 * forms, the effective linear address. Memory faults thrown by {@link FpuMemory} propagate; all
 * reads happen before any FPU state changes.</li>
 * <li>The CPU handles FNSTSW AX (DF E0) itself with {@link #statusWord()}, and WAIT/#MF: before a
 * waiting instruction it checks {@link #hasPendingException()} (CR0.NE decides #MF or FERR#).</li>
 * <li>FCMOVcc reads EFLAGS given by {@link #setEflagsForFcmov(int)}; the CPU calls it before each
 * {@code execute} of an opcode DA or DB register form (calling it always is fine).</li>
 * <li>FCOMI/FCOMIP/FUCOMI/FUCOMIP: after {@code execute}, if {@link #comiExecuted()} is true the
 * CPU sets ZF, PF and CF of EFLAGS to {@link #lastComiFlags()} (bits 0x40, 0x04, 0x01) and clears
 * OF, SF and AF.</li>
 * <li>Undefined encodings (and FISTTP, which needs SSE3) throw {@link UndefinedOpcode}; the CPU
 * raises #UD. FPU state is unchanged then.</li>
 * <li>{@link #setLastInstruction} records FIP/FCS/FOP/FDP/FDS; the CPU calls it after every
 * non-control x87 instruction (FNSTENV/FNSAVE/FXSAVE then store the last one).</li>
 * <li>{@link #saveState()}/{@link #loadState(X87State)} capture everything for snapshots.</li>
 * </ul>
 * FNSTENV/FLDENV/FNSAVE/FRSTOR use the protected-mode layouts unless the CPU declares real or
 * virtual-8086 mode with {@link #setRealMode(boolean)}; then FIP/FDP are stored as 20-bit linear
 * addresses ({@code selector * 16 + offset}) next to FOP, as the SDM's real-mode figures show. The transcendental instructions are computed through {@code double}
 * ({@link Transcendental}) and are accurate to about 53 bits, not the 64 bits of real hardware.
 */
public final class X87 {
    /** Thrown for encodings the x87 of this CPU does not define; the CPU raises #UD. */
    public static final class UndefinedOpcode extends RuntimeException {
        private static final long serialVersionUID = 1L;
        UndefinedOpcode() { super("undefined x87 opcode", null, false, false); }
    }

    private static final UndefinedOpcode UD = new UndefinedOpcode();
    static final int C0 = 0x100, C1 = 0x200, C2 = 0x400, C3 = 0x4000, ES = 0x80, B = 0x8000;
    static final int CC_MASK = C0 | C1 | C2 | C3;

    final long[] mant = new long[8];
    final int[] sexp = new int[8];
    final boolean[] empty = new boolean[8];
    int top;
    int cw;
    int sw;       // without TOP
    int fip, fcs, fop, fdp, fds;
    private int eflags;
    boolean realMode;
    private int comiFlags;
    private boolean comi;
    private final FpEnv env = new FpEnv();
    private final byte[] bcd = new byte[10];

    public X87() { reset(); }

    /** FNINIT state. */
    public void reset() {
        cw = 0x037F;
        sw = 0;
        top = 0;
        java.util.Arrays.fill(empty, true);
        fip = fcs = fop = fdp = fds = 0;
    }

    public boolean hasPendingException() { return (sw & ES) != 0; }
    public int statusWord() { return sw | (top << 11); }
    public int controlWord() { return cw; }
    public int lastComiFlags() { return comiFlags; }
    public boolean comiExecuted() { return comi; }
    public void setEflagsForFcmov(int eflags) { this.eflags = eflags; }

    /** Real or virtual-8086 mode selects the real-mode FNSTENV/FNSAVE layouts (default: protected). */
    public void setRealMode(boolean realOrV86) { this.realMode = realOrV86; }

    public void setLastInstruction(int cs, int eip, int opcode11, int ds, int operandOffset) {
        fcs = cs & 0xFFFF; fip = eip; fop = opcode11 & 0x7FF; fds = ds & 0xFFFF; fdp = operandOffset;
    }

    /** The full tag word: 00 valid, 01 zero, 10 special (NaN, infinity, denormal, unsupported), 11 empty. */
    public int tagWord() {
        int tw = 0;
        for (int r = 0; r < 8; r++) tw |= tagOf(r) << (2 * r);
        return tw;
    }

    private int tagOf(int r) {
        if (empty[r]) return 3;
        int e = sexp[r] & 0x7FFF;
        long m = mant[r];
        if (e == 0) return m == 0 ? 1 : 2;
        if (e == 0x7FFF || m >= 0) return 2;
        return 0;
    }

    // ------------------------------------------------------------------ stack

    int phys(int i) { return (top + i) & 7; }
    boolean isEmpty(int i) { return empty[phys(i)]; }
    int seOf(int i) { return sexp[phys(i)]; }
    long mOf(int i) { return mant[phys(i)]; }

    private void set(int i, int se, long m) {
        int r = phys(i);
        sexp[r] = se & 0xFFFF; mant[r] = m; empty[r] = false;
    }

    private void pop() { empty[top] = true; top = (top + 1) & 7; }

    private void push(int se, long m) {
        top = (top - 1) & 7;
        sexp[top] = se & 0xFFFF; mant[top] = m; empty[top] = false;
    }

    /** Stack underflow: IE+SF, C1=0; masked response writes the indefinite. Returns true if blocked. */
    private boolean underflow() {
        env.flags |= IE | SF;
        env.roundedUp = false;
        env.result(INDEF_SE, INDEF_M);
        return (cw & IE) == 0;
    }

    // ------------------------------------------------------------------ execute

    public void execute(int opcode, int modrm, int linear, boolean operand32, FpuMemory mem) {
        comi = false;
        env.begin(cw);
        int reg = (modrm >>> 3) & 7;
        int rm = modrm & 7;
        boolean isMem = (modrm & 0xC0) != 0xC0;
        int cc = -1; // condition codes to set (C0..C3), -1: only C1 from rounding
        switch (opcode & 0xFF) {
            case 0xD8 -> { if (isMem) arithMem(reg, loadReal(mem.read32(linear) & 0xFFFFFFFFL, 8, 23)); else arithReg(reg, rm, false, false); }
            case 0xDC -> { if (isMem) arithMem(reg, loadReal(mem.read64(linear), 11, 52)); else arithReg(reg, rm, true, false); }
            case 0xDA -> { if (isMem) arithMem(reg, loadInt(mem.read32(linear))); else execDA(modrm); }
            case 0xDE -> { if (isMem) arithMem(reg, loadInt((short) mem.read16(linear))); else execDE(reg, rm, modrm); }
            case 0xD9 -> { if (isMem) execD9Mem(reg, linear, operand32, mem); else execD9Reg(modrm); }
            case 0xDB -> { if (isMem) execDBMem(reg, linear, mem); else execDBReg(modrm); }
            case 0xDD -> { if (isMem) execDDMem(reg, linear, operand32, mem); else execDDReg(reg, rm); }
            case 0xDF -> { if (isMem) execDFMem(reg, linear, mem); else execDFReg(reg, rm); }
            default -> throw UD;
        }
    }

    /** Merges env.flags into the status word, sets C1 from rounding when asked, updates ES/B. */
    private void finish(boolean c1FromRounding) {
        if ((env.flags & (IE | ZE)) != 0) env.flags &= ~DE; // an invalid or zero-divide operation reports no DE
        if ((env.flags & DE) != 0 && (cw & DE) == 0) { // unmasked DE: the operation is not performed
            env.flags = DE;
            c1FromRounding = false;
        }
        int f = env.flags;
        if (c1FromRounding || (f & SF) != 0) {
            sw &= ~C1;
            if ((f & SF) != 0) { if (env.roundedUp) sw |= C1; }
            else if (env.roundedUp && (f & PE) != 0) sw |= C1;
        }
        sw |= f & 0x7F;
        updateEs();
    }

    void updateEs() {
        if ((sw & ~cw & 0x3F) != 0) sw |= ES | B; else sw &= ~(ES | B);
    }

    // A loaded memory operand: se/m pair packed in fields to avoid allocation.
    private int opSe;
    private long opM;

    private boolean loadReal(long bits, int expBits, int fracBits) {
        Convert.fromReal(env, bits, expBits, fracBits);
        opSe = env.se; opM = env.m;
        return true;
    }

    private boolean loadInt(long v) {
        Convert.fromInt(env, v);
        opSe = env.se; opM = env.m;
        return true;
    }

    /** D8/DC/DA/DE memory forms: ST0 = ST0 op mem (or compare). */
    private void arithMem(int reg, boolean unused) {
        int loadFlags = env.flags; // SNaN from a real load: IE already flagged; operand is quieted
        int bse = opSe;
        long bm = opM;
        env.flags = loadFlags & DE;    // a denormal single/double operand
        if (isEmpty(0)) {
            env.flags |= loadFlags;
            boolean blocked = underflow();
            if (reg == 2 || reg == 3) { setCc(C0 | C2 | C3); if (reg == 3 && !blocked) pop(); finish(false); return; }
            if (blocked) { finish(false); return; }
            set(0, env.se, env.m);
            finish(false);
            return;
        }
        int ase = seOf(0);
        long am = mOf(0);
        if (isNaN(ase, am) || isNaN(bse, bm) || isUnsupported(ase, am)) env.flags &= ~DE; // NaN operands suppress DE
        if ((loadFlags & IE) != 0) bm &= ~QUIET; // restore the signalling NaN so the operation sees it
        if (reg == 2 || reg == 3) {
            compareAndSet(ase, am, bse, bm, false);
            if (reg == 3 && !env.blocked()) pop();
            finish(false);
            return;
        }
        arith(reg, ase, am, bse, bm);
        if (!env.blocked()) set(0, env.se, env.m);
        finish(true);
    }

    /** reg: 0 add, 1 mul, 4 a-b, 5 b-a, 6 a/b, 7 b/a with a = ST0-or-dest operand order of D8. */
    private void arith(int reg, int ase, long am, int bse, long bm) {
        switch (reg) {
            case 0 -> add(env, ase, am, bse, bm, false);
            case 1 -> mul(env, ase, am, bse, bm);
            case 4 -> add(env, ase, am, bse, bm, true);
            case 5 -> add(env, bse, bm, ase, am, true);
            case 6 -> div(env, ase, am, bse, bm);
            case 7 -> div(env, bse, bm, ase, am);
            default -> throw UD;
        }
    }

    /** Register forms: x = ST0, y = ST(i); D8 stores to ST0, DC/DE store to ST(i). */
    private void arithReg(int reg, int i, boolean toSti, boolean popAfter) {
        if (!toSti && (reg == 2 || reg == 3)) { fcom(i, false, reg == 3 ? 1 : 0); return; }
        if (toSti && (reg == 2 || reg == 3)) { fcom(i, false, reg == 3 ? 1 : 0); return; } // DC D0/D8 aliases
        if (isEmpty(0) || isEmpty(i)) {
            if (underflow()) { finish(false); return; }
            set(toSti ? i : 0, env.se, env.m);
            if (popAfter) pop();
            finish(false);
            return;
        }
        int xse = seOf(0), yse = seOf(i);
        long xm = mOf(0), ym = mOf(i);
        if (!toSti) arith(reg, xse, xm, yse, ym);
        else {
            // DC/DE: dest = ST(i); encodings E0/E8 and F0/F8 are "reversed": reg 4 is ST0-ST(i)... as FSUBR ST(i),ST0
            switch (reg) {
                case 0 -> add(env, yse, ym, xse, xm, false);
                case 1 -> mul(env, yse, ym, xse, xm);
                case 4 -> add(env, xse, xm, yse, ym, true);   // FSUBR ST(i),ST0: ST(i) = ST0 - ST(i)
                case 5 -> add(env, yse, ym, xse, xm, true);   // FSUB  ST(i),ST0: ST(i) = ST(i) - ST0
                case 6 -> div(env, xse, xm, yse, ym);         // FDIVR ST(i),ST0: ST(i) = ST0 / ST(i)
                case 7 -> div(env, yse, ym, xse, xm);         // FDIV  ST(i),ST0: ST(i) = ST(i) / ST0
                default -> throw UD;
            }
        }
        if (!env.blocked()) {
            set(toSti ? i : 0, env.se, env.m);
            if (popAfter) pop();
        }
        finish(true);
    }

    private void setCc(int bits) { sw = (sw & ~CC_MASK) | bits; }

    private static int ccOf(int c) {
        return switch (c) { case -1 -> C0; case 0 -> C3; case 1 -> 0; default -> C0 | C2 | C3; };
    }

    private void compareAndSet(int ase, long am, int bse, long bm, boolean quiet) {
        int c = compare(env, ase, am, bse, bm, quiet);
        setCc(ccOf(c)); // condition codes are written even when the exception is unmasked
    }

    /** FCOM/FUCOM family with ST(i); pops = number of pops. */
    private void fcom(int i, boolean quiet, int pops) {
        if (isEmpty(0) || isEmpty(i)) {
            boolean blocked = underflow();
            setCc(C0 | C2 | C3);
            if (!blocked) for (int k = 0; k < pops; k++) pop();
            finish(false);
            return;
        }
        compareAndSet(seOf(0), mOf(0), seOf(i), mOf(i), quiet);
        if (!env.blocked()) for (int k = 0; k < pops; k++) pop();
        finish(false);
    }

    private void fcomi(int i, boolean quiet, boolean popAfter) {
        comi = true;
        if (isEmpty(0) || isEmpty(i)) {
            boolean blocked = underflow();
            comiFlags = 0x45;
            if (!blocked && popAfter) pop();
            finish(false);
            return;
        }
        int c = compare(env, seOf(0), mOf(0), seOf(i), mOf(i), quiet);
        comiFlags = switch (c) { case -1 -> 0x01; case 0 -> 0x40; case 1 -> 0; default -> 0x45; };
        sw &= ~C1;
        if (popAfter && !env.blocked()) pop();
        finish(false);
    }

    private void execDA(int modrm) {
        int i = modrm & 7;
        switch ((modrm >>> 3) & 7) {
            case 0 -> fcmov(i, (eflags & 0x01) != 0);
            case 1 -> fcmov(i, (eflags & 0x40) != 0);
            case 2 -> fcmov(i, (eflags & 0x41) != 0);
            case 3 -> fcmov(i, (eflags & 0x04) != 0);
            case 5 -> { if (i == 1) fcom(1, true, 2); else throw UD; }
            default -> throw UD;
        }
    }

    private void fcmov(int i, boolean cond) {
        if (isEmpty(0) || isEmpty(i)) {
            if (!underflow()) set(0, env.se, env.m);
            finish(false);
            return;
        }
        if (cond) set(0, seOf(i), mOf(i));
        sw &= ~C1;
    }

    private void execDE(int reg, int rm, int modrm) {
        if (reg == 3) { if (rm == 1) fcom(1, false, 2); else throw UD; return; }
        if (reg == 2) { fcom(rm, false, 1); return; } // DE D0+i alias of FCOMP
        arithReg(reg, rm, true, true);
    }

    private void execD9Reg(int modrm) {
        int i = modrm & 7;
        switch ((modrm >>> 3) & 7) {
            case 0 -> { // FLD ST(i)
                if (isEmpty(i)) { if (!underflow()) pushChecked(env.se, env.m); }
                else pushChecked(seOf(i), mOf(i));
                finish(false);
            }
            case 1 -> fxch(i);
            case 2 -> { if (i != 0) throw UD; } // FNOP
            case 3 -> fst(i, true);  // FSTP1 alias
            case 4 -> d9e0(i);
            case 5 -> loadConstant(i);
            case 6 -> d9f0(i);
            case 7 -> d9f8(i);
            default -> throw UD;
        }
    }

    private void pushChecked(int se, long m) {
        if (!empty[(top - 1) & 7]) {
            env.flags |= IE | SF;
            env.roundedUp = true;
            if ((cw & IE) == 0) return;
            se = INDEF_SE; m = INDEF_M;
        } else sw &= ~C1;
        push(se, m);
    }

    private void fxch(int i) {
        if (isEmpty(0) || isEmpty(i)) {
            env.flags |= IE | SF;
            env.roundedUp = false;
            if ((cw & IE) != 0) {
                if (isEmpty(0)) set(0, INDEF_SE, INDEF_M);
                if (isEmpty(i)) set(i, INDEF_SE, INDEF_M);
            } else { finish(false); return; }
        }
        int a = phys(0), b = phys(i);
        int se = sexp[a]; long m = mant[a];
        sexp[a] = sexp[b]; mant[a] = mant[b];
        sexp[b] = se; mant[b] = m;
        if (env.flags == 0) sw &= ~C1;
        finish(false);
    }

    private void fst(int i, boolean popAfter) {
        if (isEmpty(0)) {
            if (underflow()) { finish(false); return; }
            set(i, env.se, env.m);
        } else {
            set(i, seOf(0), mOf(0));
            sw &= ~C1;
        }
        if (popAfter) pop();
        finish(false);
    }

    private void d9e0(int i) {
        if (i == 2 || i == 3 || i == 6 || i == 7) throw UD;
        if (i == 5) { fxam(); return; }
        if (isEmpty(0)) {
            boolean blocked = underflow();
            if (i == 4) setCc(C0 | C2 | C3); else if (!blocked) set(0, env.se, env.m);
            finish(false);
            return;
        }
        int se = seOf(0);
        long m = mOf(0);
        switch (i) {
            case 0 -> { set(0, se ^ 0x8000, m); sw &= ~C1; }
            case 1 -> { set(0, se & 0x7FFF, m); sw &= ~C1; }
            case 4 -> { compareAndSet(se, m, 0, 0, false); sw &= ~C1; finish(false); }
            default -> throw UD;
        }
    }

    private void fxam() {
        int se = seOf(0);
        long m = mOf(0);
        int c;
        if (isEmpty(0)) c = C3 | C0;
        else if (isUnsupported(se, m)) c = 0;
        else if (isNaN(se, m)) c = C0;
        else if (isInf(se, m)) c = C2 | C0;
        else if (isZero(se, m)) c = C3;
        else if (isDenormal(se, m)) c = C3 | C2;
        else c = C2;
        if (neg(se)) c |= C1;
        setCc(c);
    }

    // constants: significand (64 bits), next 64 bits, exponent
    private static final long[][] CONSTANTS = {
        {0xD49A784BCD1B8AFEL, 0x492BF6FF4DAFDB4CL, 0x4000}, // log2(10)
        {0xB8AA3B295C17F0BBL, 0xBE87FED0691D3E89L, 0x3FFF}, // log2(e)
        {0xC90FDAA22168C234L, 0xC4C6628B80DC1CD1L, 0x4000}, // pi
        {0x9A209A84FBCFF798L, 0x8F8959AC0B7C9178L, 0x3FFD}, // log10(2)
        {0xB17217F7D1CF79ABL, 0xC9E3B39803F2F6AFL, 0x3FFE}, // ln(2)
    };

    private void loadConstant(int i) {
        int se;
        long m;
        switch (i) {
            case 0 -> { se = 0x3FFF; m = INT_BIT; }
            case 6 -> { se = 0; m = 0; }
            case 1, 2, 3, 4, 5 -> {
                long[] c = CONSTANTS[i - 1];
                int rc = (cw >>> 10) & 3;
                m = c[0];
                boolean up = switch (rc) {
                    case RC_NEAREST -> c[1] < 0;
                    case RC_UP -> true;
                    default -> false;
                };
                if (up) m++;
                se = (int) c[2];
            }
            default -> throw UD;
        }
        pushChecked(se, m);
        finish(false);
    }

    private void d9f0(int i) {
        switch (i) {
            case 0, 1, 2, 3, 4 -> Transcendental.execute(this, env, i);
            case 5 -> fprem(true);
            case 6 -> { top = (top - 1) & 7; sw &= ~C1; }
            case 7 -> { top = (top + 1) & 7; sw &= ~C1; }
            default -> throw UD;
        }
    }

    private void d9f8(int i) {
        switch (i) {
            case 0 -> fprem(false);
            case 1, 3, 6, 7 -> Transcendental.execute(this, env, i + 8);
            case 2 -> unary(0);
            case 4 -> unary(1);
            case 5 -> fscale();
            default -> throw UD;
        }
    }

    private void unary(int op) {
        if (isEmpty(0)) {
            if (!underflow()) set(0, env.se, env.m);
            finish(false);
            return;
        }
        if (op == 0) sqrt(env, seOf(0), mOf(0)); else { env.pc = 64; roundInt(env, seOf(0), mOf(0)); }
        if (!env.blocked()) set(0, env.se, env.m);
        finish(true);
    }

    private void fscale() {
        if (isEmpty(0) || isEmpty(1)) {
            if (!underflow()) set(0, env.se, env.m);
            finish(false);
            return;
        }
        scale(env, seOf(0), mOf(0), seOf(1), mOf(1));
        if (!env.blocked()) set(0, env.se, env.m);
        finish(true);
    }

    private void fprem(boolean ieee) {
        if (isEmpty(0) || isEmpty(1)) {
            if (!underflow()) { set(0, env.se, env.m); setCc(0); }
            finish(false);
            return;
        }
        int cc = remainder(env, seOf(0), mOf(0), seOf(1), mOf(1), ieee);
        if (!env.blocked()) {
            set(0, env.se, env.m);
            setCc(cc);
        }
        finish(false);
    }

    /** FXTRACT: ST0 = exponent, then push significand. */
    void fxtract() {
        if (isEmpty(0)) {
            if (!underflow()) { set(0, env.se, env.m); pushChecked(env.se, env.m); }
            finish(false);
            return;
        }
        if (!empty[(top - 1) & 7]) {
            env.flags |= IE | SF;
            env.roundedUp = true;
            if ((cw & IE) != 0) { set(0, INDEF_SE, INDEF_M); push(INDEF_SE, INDEF_M); }
            finish(false);
            return;
        }
        int se = seOf(0);
        long m = mOf(0);
        int ese, sse; long em, sm;
        boolean special = specials1(env, se, m);
        if (env.blocked()) { finish(false); return; }
        if (special) {
            ese = sse = env.se; em = sm = env.m;
        } else if (isZero(se, m)) {
            env.flags |= ZE;
            if ((cw & ZE) == 0) { finish(false); return; }
            ese = 0xFFFF; em = INT_BIT; sse = se; sm = 0;
        } else if (isInf(se, m)) {
            ese = 0x7FFF; em = INT_BIT; sse = se; sm = m;
        } else {
            int e = normExp(se, m) - BIAS;
            Convert.fromInt(env, e);
            ese = env.se; em = env.m;
            sse = (se & 0x8000) | BIAS; sm = normMant(m);
        }
        set(0, ese, em);
        push(sse, sm);
        sw &= ~C1;
        finish(false);
    }

    private void execD9Mem(int reg, int linear, boolean operand32, FpuMemory mem) {
        switch (reg) {
            case 0 -> { loadReal(mem.read32(linear) & 0xFFFFFFFFL, 8, 23); pushLoaded(); }
            case 2, 3 -> storeReal(mem, linear, 8, 23, reg == 3);
            case 4 -> { loadEnv(linear, operand32, mem); }
            case 5 -> { cw = (mem.read16(linear) & 0x1F3F) | 0x40; updateEs(); }
            case 6 -> { storeEnv(linear, operand32, mem); cw |= 0x3F; updateEs(); }
            case 7 -> mem.write16(linear, cw);
            default -> throw UD;
        }
    }

    private void pushLoaded() {
        int se = env.se;
        long m = env.m;
        if (!empty[(top - 1) & 7]) env.flags &= ~(IE | DE);          // the stack fault takes precedence
        else if ((env.flags & ~cw & IE) != 0) { finish(false); return; } // (an unmasked DE still loads, as the hardware does)
        pushChecked(se, m);
        finish(false);
    }

    private void storeReal(FpuMemory mem, int linear, int expBits, int fracBits, boolean popAfter) {
        if (isEmpty(0)) {
            if (underflow()) { finish(false); return; }
            long v = Convert.indefReal(expBits, fracBits);
            if (expBits == 8) mem.write32(linear, (int) v); else mem.write64(linear, v);
        } else {
            long v = Convert.toReal(env, seOf(0), mOf(0), expBits, fracBits);
            if ((env.flags & ~cw & (IE | DE | OE | UE)) != 0) { finish(true); return; }
            if (expBits == 8) mem.write32(linear, (int) v); else mem.write64(linear, v);
        }
        if (popAfter) pop();
        finish(true);
    }

    private void storeInt(FpuMemory mem, int linear, int bits, boolean popAfter) {
        long v;
        if (isEmpty(0)) {
            if (underflow()) { finish(false); return; }
            v = 1L << (bits - 1);
        } else {
            v = Convert.toInt(env, seOf(0), mOf(0), bits);
            if ((env.flags & ~cw & (IE | DE)) != 0) { finish(true); return; }
        }
        switch (bits) {
            case 16 -> mem.write16(linear, (int) v & 0xFFFF);
            case 32 -> mem.write32(linear, (int) v);
            default -> mem.write64(linear, v);
        }
        if (popAfter) pop();
        finish(true);
    }

    private void execDBMem(int reg, int linear, FpuMemory mem) {
        switch (reg) {
            case 0 -> { loadInt(mem.read32(linear)); pushLoaded(); }
            case 2, 3 -> storeInt(mem, linear, 32, reg == 3);
            case 5 -> {
                long m = mem.read64(linear);
                int se = mem.read16(linear + 8) & 0xFFFF;
                env.result(se, m);
                pushLoaded();
            }
            case 7 -> {
                if (isEmpty(0)) {
                    if (underflow()) { finish(false); return; }
                    writeExt(mem, linear, INDEF_SE, INDEF_M);
                } else {
                    writeExt(mem, linear, seOf(0), mOf(0));
                    sw &= ~C1;
                }
                pop();
                finish(false);
            }
            default -> throw UD;
        }
    }

    static void writeExt(FpuMemory mem, int linear, int se, long m) {
        mem.write64(linear, m);
        mem.write16(linear + 8, se & 0xFFFF);
    }

    private void execDBReg(int modrm) {
        int i = modrm & 7;
        switch ((modrm >>> 3) & 7) {
            case 0 -> fcmov(i, (eflags & 0x01) == 0);
            case 1 -> fcmov(i, (eflags & 0x40) == 0);
            case 2 -> fcmov(i, (eflags & 0x41) == 0);
            case 3 -> fcmov(i, (eflags & 0x04) == 0);
            case 4 -> {
                switch (i) {
                    case 0, 1, 4 -> { } // FENI, FDISI, FSETPM: no-ops on a 387 and later
                    case 2 -> { sw &= 0x7F00 & ~0x3800; updateEs(); } // FNCLEX keeps C0-C3
                    case 3 -> reset();
                    default -> throw UD;
                }
            }
            case 5 -> fcomi(i, true, false);
            case 6 -> fcomi(i, false, false);
            default -> throw UD;
        }
    }

    private void execDDMem(int reg, int linear, boolean operand32, FpuMemory mem) {
        switch (reg) {
            case 0 -> { loadReal(mem.read64(linear), 11, 52); pushLoaded(); }
            case 2, 3 -> storeReal(mem, linear, 11, 52, reg == 3);
            case 4 -> {
                int base = linear + (operand32 ? 28 : 14);
                long[] ms = new long[8];
                int[] ses = new int[8];
                for (int k = 0; k < 8; k++) { ms[k] = mem.read64(base + 10 * k); ses[k] = mem.read16(base + 10 * k + 8) & 0xFFFF; }
                loadEnv(linear, operand32, mem);
                for (int k = 0; k < 8; k++) { int r = phys(k); mant[r] = ms[k]; sexp[r] = ses[k]; }
            }
            case 6 -> {
                storeEnv(linear, operand32, mem);
                int base = linear + (operand32 ? 28 : 14);
                for (int k = 0; k < 8; k++) { int r = phys(k); writeExt(mem, base + 10 * k, sexp[r], mant[r]); }
                reset();
            }
            case 7 -> mem.write16(linear, statusWord());
            default -> throw UD;
        }
    }

    private void execDDReg(int reg, int i) {
        switch (reg) {
            case 0 -> empty[phys(i)] = true;
            case 1 -> fxch(i);
            case 2 -> fst(i, false);
            case 3 -> fst(i, true);
            case 4 -> fcom(i, true, 0);
            case 5 -> fcom(i, true, 1);
            default -> throw UD;
        }
    }

    private void execDFMem(int reg, int linear, FpuMemory mem) {
        switch (reg) {
            case 0 -> { loadInt((short) mem.read16(linear)); pushLoaded(); }
            case 2, 3 -> storeInt(mem, linear, 16, reg == 3);
            case 4 -> { Convert.fromBcd(env, mem.read64(linear), mem.read8(linear + 8), mem.read8(linear + 9)); pushLoaded(); }
            case 5 -> { loadInt(mem.read64(linear)); pushLoaded(); }
            case 6 -> {
                byte[] out;
                if (isEmpty(0)) {
                    if (underflow()) { finish(false); return; }
                    out = Convert.toBcd(env, INDEF_SE, INDEF_M, bcd);
                    env.flags |= IE | SF;
                } else {
                    out = Convert.toBcd(env, seOf(0), mOf(0), bcd);
                    if ((env.flags & ~cw & (IE | DE)) != 0) { finish(true); return; }
                }
                for (int k = 0; k < 10; k++) mem.write8(linear + k, out[k] & 0xFF);
                pop();
                finish(true);
            }
            case 7 -> storeInt(mem, linear, 64, true);
            default -> throw UD;
        }
    }

    private void execDFReg(int reg, int i) {
        switch (reg) {
            case 0 -> { empty[phys(i)] = true; pop(); } // FFREEP
            case 1 -> fxch(i);
            case 2, 3 -> fst(i, true);
            case 5 -> fcomi(i, true, true);
            case 6 -> fcomi(i, false, true);
            default -> throw UD; // E0 (FNSTSW AX) belongs to the CPU
        }
    }

    // ------------------------------------------------------------------ environment

    private void storeEnv(int a, boolean op32, FpuMemory mem) { SaveArea.storeEnv(this, a, op32, mem); }

    private void loadEnv(int a, boolean op32, FpuMemory mem) { SaveArea.loadEnv(this, a, op32, mem); }

    /** FXSAVE: the x87 part of the 512-byte image; MXCSR 0x1F80 and the XMM area written as zero. */
    public void fxsave(int a, FpuMemory mem) { SaveArea.fxsave(this, a, mem); }

    /** FXRSTOR: loads the x87 part of a 512-byte FXSAVE image. */
    public void fxrstor(int a, FpuMemory mem) { SaveArea.fxrstor(this, a, mem); }

    // ------------------------------------------------------------------ snapshot state

    /** Captures the complete FPU state. */
    public X87State saveState() {
        String[] regs = new String[8];
        for (int r = 0; r < 8; r++) regs[r] = String.format("%04x%016x", sexp[r], mant[r]);
        return new X87State(X87State.VERSION, cw, statusWord(), tagWord(), regs, fip, fcs, fop, fdp, fds);
    }

    /** Restores a state captured by {@link #saveState()}. */
    public void loadState(X87State s) {
        if (s.version() != X87State.VERSION)
            throw new IllegalArgumentException("x87 state version " + s.version() + " is not supported, expected " + X87State.VERSION);
        if (s.registers() == null || s.registers().length != 8)
            throw new IllegalArgumentException("x87 state needs 8 registers of 20 hex digits");
        for (int r = 0; r < 8; r++) {
            String h = s.registers()[r];
            if (h.length() != 20) throw new IllegalArgumentException("x87 register R" + r + " must be 20 hex digits, got '" + h + "'");
            sexp[r] = Integer.parseInt(h.substring(0, 4), 16);
            mant[r] = Long.parseUnsignedLong(h.substring(4), 16);
            empty[r] = ((s.tagWord() >>> (2 * r)) & 3) == 3;
        }
        cw = (s.controlWord() & 0x1F3F) | 0x40;
        top = (s.statusWord() >>> 11) & 7;
        sw = s.statusWord() & ~0x3800 & 0xFFFF;
        fip = s.fip(); fcs = s.fcs() & 0xFFFF; fop = s.fop() & 0x7FF; fdp = s.fdp(); fds = s.fds() & 0xFFFF;
        updateEs();
    }

    // ------------------------------------------------------------------ debugger access

    /** ST(i) as 10 little-endian bytes (significand then sign/exponent), empty or not. */
    public byte[] readSt(int i) {
        byte[] b = new byte[10];
        int r = phys(i);
        long m = mant[r];
        for (int k = 0; k < 8; k++) b[k] = (byte) (m >>> (8 * k));
        b[8] = (byte) sexp[r];
        b[9] = (byte) (sexp[r] >>> 8);
        return b;
    }

    /** Writes ST(i) from 10 little-endian bytes and marks it valid. */
    public void writeSt(int i, byte[] t) {
        if (t.length != 10) throw new IllegalArgumentException("ST(" + i + ") needs 10 bytes, got " + t.length);
        long m = 0;
        for (int k = 7; k >= 0; k--) m = (m << 8) | (t[k] & 0xFF);
        set(i & 7, (t[8] & 0xFF) | ((t[9] & 0xFF) << 8), m);
    }

    // access for Transcendental
    void transcendentalSet(int i, int se, long m) { set(i, se, m); }
    void transcendentalPush(int se, long m) { push(se, m); }
    void transcendentalPop() { pop(); }
    boolean slotBelowTopFull() { return !empty[(top - 1) & 7]; }
    void transcendentalFinish(boolean c1FromRounding) { finish(c1FromRounding); }
    boolean transcendentalUnderflow() { return underflow(); }
    void setC2(boolean on) { if (on) sw |= C2; else sw &= ~C2; }
}
