package org.machina.cpu.x86;

import static java.lang.constant.ConstantDescs.CD_boolean;
import static java.lang.constant.ConstantDescs.CD_int;

import java.lang.classfile.CodeBuilder;
import java.lang.classfile.Label;
import java.lang.classfile.Opcode;
import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;

/**
 * The arithmetic flags in translated code. The eight ALU operations, TEST, NEG, INC, DEC and
 * the shifts SHL/SAL, SHR and SAR by a constant are emitted inline and write the lazy-flags fields ({@code lfOp}, {@code lfA}, ...) exactly
 * as {@link Alu} does, so whatever runs after the block, or handles a fault inside it, sees the
 * interpreter's state. While the last such instruction (the <em>producer</em>) is known and its
 * operands are still in locals, a following Jcc, SETcc, CMOVcc, or the carry INC/DEC keeps, is
 * computed with a JVM compare of those operands ({@code cmp eax, ebx; jb} becomes an unsigned
 * compare of two ints) instead of asking the lazy-flags state. The producer is forgotten at every
 * instruction that changes the flags some other way and at every jump target inside the block;
 * a condition it cannot answer directly (parity, overflow after ADD, ...) asks
 * {@link X86State#cond}, which reads the fields.
 */
final class FlagCode {
    /** Locals of the generated method: the producer's operands, result and carry-in. */
    static final int FA = 8, FB = 9, FR = 10, FC = 11;

    private static final ClassDesc CD_CPU = ClassDesc.of("org.machina.cpu.x86.X86Cpu");
    private static final int CPU = 1;

    private enum Kind { ADD, SUB, LOGIC, INC, DEC, SHIFT }

    private final CodeBuilder c;
    private Kind kind;
    private int size;
    /** Whether the instruction being emitted set the producer. */
    private boolean produced;

    FlagCode(CodeBuilder c) {
        this.c = c;
    }

    /** Zeroes the locals (the verifier wants them assigned on every path). */
    void init() {
        for (int l : new int[] {FA, FB, FR, FC}) {
            c.iconst_0();
            c.istore(l);
        }
    }

    /** Before an instruction is emitted. */
    void begin() {
        produced = false;
    }

    /** After an instruction: unless it was a producer or leaves the flags alone, the producer is unknown. */
    void end(boolean preservesFlags) {
        if (!produced && !preservesFlags) kind = null;
    }

    /** At a jump target: the flags depend on the path taken. */
    void forget() {
        kind = null;
    }

    /**
     * ADD OR ADC SBB AND SUB XOR CMP (op 0..7, TEST is AND) on {@code [a, b]} on the stack;
     * leaves the result when {@code keep}, nothing otherwise.
     */
    void alu(int op, int size, boolean keep) {
        c.istore(FB);
        c.istore(FA);
        if (op == 2 || op == 3) { // ADC, SBB read the carry: the interpreter's helper
            c.aload(CPU);
            c.loadConstant(op);
            c.iload(FA);
            c.iload(FB);
            c.loadConstant(size);
            c.invokevirtual(CD_CPU, "alu", MethodTypeDesc.of(CD_int, CD_int, CD_int, CD_int, CD_int));
            if (!keep) c.pop();
            kind = null;
            return;
        }
        c.iload(FA);
        c.iload(FB);
        switch (op) {
            case 0 -> c.iadd();
            case 1 -> c.ior();
            case 4 -> c.iand();
            case 6 -> c.ixor();
            default -> c.isub(); // SUB, CMP
        }
        Kind k = op == 0 ? Kind.ADD : op == 5 || op == 7 ? Kind.SUB : Kind.LOGIC;
        int lf = k == Kind.ADD ? X86State.OP_ADD : k == Kind.SUB ? X86State.OP_SUB : X86State.OP_LOGIC;
        c.istore(FR);
        produce(k, lf, size);
        if (keep) c.iload(FR);
    }

    /** NEG of {@code [a]} on the stack, leaving {@code -a} (flags as 0 - a). */
    void neg(int size) {
        c.istore(FB);
        c.iconst_0();
        c.istore(FA);
        c.iconst_0();
        c.iload(FB);
        c.isub();
        c.istore(FR);
        produce(Kind.SUB, X86State.OP_SUB, size);
        c.iload(FR);
    }

    /**
     * INC or DEC of {@code [a]} on the stack, leaving the result; CF is kept (carried in), unless
     * {@code flagsDead}: a later instruction of the block sets all six flags before anything can
     * read them, fault or leave the block, so the carry kept is 0.
     */
    void incDec(boolean inc, int size, boolean flagsDead) {
        // the carry of the previous producer, before its locals are overwritten; 0 when nothing can
        // see the flags INC/DEC leaves (a later instruction sets all six first): no call to ask the
        // lazy state for CF after an unknown producer, at a loop's head for one
        if (flagsDead) c.iconst_0();
        else pushCarry();
        c.istore(FC);
        c.istore(FA);
        c.iconst_1();
        c.istore(FB);
        c.iload(FA);
        c.iconst_1();
        if (inc) c.iadd();
        else c.isub();
        c.istore(FR);
        c.aload(CPU);
        c.iload(FC);
        c.putfield(CD_CPU, "lfCarryIn", CD_int);
        produce(inc ? Kind.INC : Kind.DEC, inc ? X86State.OP_INC : X86State.OP_DEC, size);
        c.iload(FR);
    }

    /**
     * SHL/SAL, SHR or SAR (op 4..7) of {@code [x]} on the stack by {@code count} (1..31), leaving
     * the result; the flags as {@link Alu#shift} leaves them ({@link X86State#OP_SHL} ...).
     */
    void shift(int op, int count, int size) {
        if (size < 2) {
            c.loadConstant(X86State.MASK[size]);
            c.iand();
        }
        c.istore(FA);
        c.loadConstant(count);
        c.istore(FB);
        c.iload(FA);
        if (op == 7 && size == 0) c.i2b();
        else if (op == 7 && size == 1) c.i2s();
        c.loadConstant(count);
        if (op == 5) c.iushr();
        else if (op == 7) c.ishr();
        else c.ishl();
        if (size < 2 && op != 5) {
            c.loadConstant(X86State.MASK[size]);
            c.iand();
        }
        c.istore(FR);
        produce(Kind.SHIFT, op == 5 ? X86State.OP_SHR : op == 7 ? X86State.OP_SAR : X86State.OP_SHL, size);
        c.iload(FR);
    }

    private void produce(Kind k, int lf, int size) {
        field("lfOp", () -> c.loadConstant(lf));
        field("lfA", () -> c.iload(FA));
        field("lfB", () -> c.iload(FB));
        field("lfRes", () -> c.iload(FR));
        field("lfSize", () -> c.loadConstant(size));
        kind = k;
        this.size = size;
        produced = true;
    }

    private void field(String name, Runnable value) {
        c.aload(CPU);
        value.run();
        c.putfield(CD_CPU, name, CD_int);
    }

    /** Pushes CF as 0 or 1. */
    private void pushCarry() {
        if (kind == null) {
            c.aload(CPU);
            c.invokevirtual(CD_CPU, "cf", MethodTypeDesc.of(CD_boolean));
        } else if (kind == Kind.LOGIC) {
            c.iconst_0();
        } else if (kind == Kind.INC || kind == Kind.DEC) {
            c.iload(FC);
        } else {
            value(2); // B: CF
        }
    }

    /** Pushes condition {@code cc} (0..15, as in Jcc) as 0 or 1. */
    void value(int cc) {
        Label yes = c.newLabel(), done = c.newLabel();
        jumpIf(cc, yes);
        c.iconst_0();
        c.goto_(done);
        c.labelBinding(yes);
        c.iconst_1();
        c.labelBinding(done);
    }

    /** Jumps to {@code target} when condition {@code cc} (0..15, as in Jcc) holds. */
    void jumpIf(int cc, Label target) {
        boolean negate = (cc & 1) != 0;
        Opcode test = kind == null ? null : test(cc >> 1);
        if (test == null) {
            c.aload(CPU);
            c.loadConstant(cc);
            c.invokevirtual(CD_CPU, "cond", MethodTypeDesc.of(CD_boolean, CD_int));
            c.ifne(target);
        } else if (test == Opcode.NOP) { // never true
            if (negate) c.goto_(target);
        } else {
            c.branch(negate ? invert(test) : test, target);
        }
    }

    /**
     * Pushes what condition {@code k} (cc / 2) compares for the known producer and returns the
     * branch taken when it holds; {@link Opcode#NOP} when it never holds, null (nothing pushed)
     * when the fields must answer.
     */
    private Opcode test(int k) {
        switch (k) {
            case 2 -> { // Z
                masked(FR);
                return Opcode.IFEQ;
            }
            case 4 -> { // S
                signed(FR);
                return Opcode.IFLT;
            }
            case 0 -> { // O
                return kind == Kind.LOGIC ? Opcode.NOP : null;
            }
            case 1 -> { // B (CF)
                switch (kind) {
                    case LOGIC -> {
                        return Opcode.NOP;
                    }
                    case SUB -> {
                        unsigned(FA);
                        unsigned(FB);
                        return Opcode.IF_ICMPLT;
                    }
                    case ADD -> {
                        unsigned(FR);
                        unsigned(FA);
                        return Opcode.IF_ICMPLT;
                    }
                    case SHIFT -> {
                        return null;
                    }
                    default -> {
                        c.iload(FC);
                        return Opcode.IFNE;
                    }
                }
            }
            case 3 -> { // BE (CF or ZF)
                if (kind == Kind.LOGIC) {
                    masked(FR);
                    return Opcode.IFEQ;
                }
                if (kind != Kind.SUB) return null;
                unsigned(FA);
                unsigned(FB);
                return Opcode.IF_ICMPLE;
            }
            case 6, 7 -> { // L (SF != OF), LE (ZF or SF != OF)
                if (kind == Kind.LOGIC) { // OF = 0
                    signed(FR);
                    return k == 6 ? Opcode.IFLT : Opcode.IFLE;
                }
                if (kind != Kind.SUB) return null;
                signed(FA);
                signed(FB);
                return k == 6 ? Opcode.IF_ICMPLT : Opcode.IF_ICMPLE;
            }
            default -> { // P
                return null;
            }
        }
    }

    private void masked(int local) {
        c.iload(local);
        if (size < 2) {
            c.loadConstant(X86State.MASK[size]);
            c.iand();
        }
    }

    /** The operand as an int whose signed order is its unsigned order at {@link #size}. */
    private void unsigned(int local) {
        c.iload(local);
        if (size < 2) {
            c.loadConstant(X86State.MASK[size]);
            c.iand();
        } else {
            c.loadConstant(Integer.MIN_VALUE);
            c.ixor();
        }
    }

    /** The operand sign-extended from {@link #size}. */
    private void signed(int local) {
        c.iload(local);
        if (size == 0) c.i2b();
        else if (size == 1) c.i2s();
    }

    private static Opcode invert(Opcode op) {
        return switch (op) {
            case IFEQ -> Opcode.IFNE;
            case IFNE -> Opcode.IFEQ;
            case IFLT -> Opcode.IFGE;
            case IFLE -> Opcode.IFGT;
            case IF_ICMPLT -> Opcode.IF_ICMPGE;
            case IF_ICMPLE -> Opcode.IF_ICMPGT;
            default -> throw new IllegalArgumentException(op.toString());
        };
    }
}
