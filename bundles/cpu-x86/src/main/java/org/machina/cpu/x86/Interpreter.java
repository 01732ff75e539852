package org.machina.cpu.x86;

import org.machina.api.cpu.CpuContext;
import org.machina.api.fastpath.FastPathPort;
import org.machina.cpu.x86.fpu.FpuMemory;
import org.machina.cpu.x86.fpu.X87;

/**
 * Executes the one-byte opcode map (and the string instructions); the 0F map is in
 * {@link Extended}. Unknown opcodes raise #UD via {@link #undefined}.
 */
abstract class Interpreter extends Decoder {
    final CpuContext ctx;
    final X87 fpu = new X87();
    boolean halted;
    /** Interrupts are inhibited for one instruction after STI, MOV SS and POP SS. */
    boolean irqShadow;

    /**
     * The x87's view of memory: every part of an operand (an 80-bit value is read as 8 + 2
     * bytes, an environment field by field) is checked against the segment limit, and stores
     * check that the segment is writable.
     */
    private final FpuMemory fpuMemory = new FpuMemory() {
        @Override public int read8(int linear) { checkOperandPart(linear, 1); return Interpreter.this.read8(linear); }
        @Override public int read16(int linear) { checkOperandPart(linear, 2); return Interpreter.this.read16(linear); }
        @Override public int read32(int linear) { checkOperandPart(linear, 4); return Interpreter.this.read32(linear); }
        @Override public long read64(int linear) { checkOperandPart(linear, 8); return Interpreter.this.read64(linear); }
        @Override public void write8(int linear, int v) { checkStore(linear, 1); Interpreter.this.write8(linear, v); }
        @Override public void write16(int linear, int v) { checkStore(linear, 2); Interpreter.this.write16(linear, v); }
        @Override public void write32(int linear, int v) { checkStore(linear, 4); Interpreter.this.write32(linear, v); }
        @Override public void write64(int linear, long v) { checkStore(linear, 8); Interpreter.this.write64(linear, v); }

        private void checkStore(int linear, int bytes) {
            checkOperandPart(linear, bytes);
            requireWritableSegment();
        }
    };

    Interpreter(CpuContext ctx) {
        super(ctx.memory());
        this.ctx = ctx;
        this.fastPath = ctx.fastPath();
    }

    /** The elements of a REP INS a fast-path handler serves at once ({@link Strings}): a page's worth at most. */
    final byte[] stringBuffer = new byte[4096];

    /**
     * The ports of the latest port accesses, bound ({@code FastPathDispatch.bindPort}), by the low
     * four bits of the port: a served access calls the handler it found before instead of looking
     * the port up (a polled driver alternates between a few ports, the data port and the status).
     */
    private final FastPathPort[] boundPorts = new FastPathPort[16];

    /** {@code port}'s (0-0xFFFF) fast path, bound on first use and kept until another port takes its slot. */
    private FastPathPort bound(int port) {
        int slot = port & 15;
        FastPathPort b = boundPorts[slot];
        if (b == null || b.port() != port) {
            b = fastPath.bindPort(port);
            boundPorts[slot] = b;
        }
        return b;
    }

    /** IN: a fast-path handler's value if one serves the port, else the port space's. */
    final int portIn(int port, int size) {
        if (bound(port).read(size, fastRead)) {
            fastPathServed++;
            return (int) fastRead.value();
        }
        return ctx.io().in(port, size);
    }

    /**
     * OUT: a fast-path handler if one serves it (it changes no mapping: nothing to pick up), else
     * the write, then what the device may have changed in memory (see {@link #memoryMayHaveChanged}).
     */
    final void portOut(int port, int size, int value) {
        if (bound(port).write(size, value & 0xffffffffL)) {
            fastPathServed++;
            return;
        }
        ctx.io().out(port, size, value);
        memoryMayHaveChanged();
    }

    /** Executes the 0F-map instruction whose second opcode byte is {@code b}. */
    abstract void exec0F(int b);

    /**
     * Asked between iterations of a repeated string instruction: whether it should stop there
     * (to be restarted) because an interrupt can be taken, an exit was requested or the run's
     * deadline passed.
     */
    abstract boolean yieldRepeat();

    /** Raises #UD for an opcode this CPU does not implement (logged once per opcode). */
    abstract CpuFault undefined(int opcode);

    // the packed decode of an instruction's prefixes and opcode, cached per byte of a code page
    private static final int H_OPCODE = 0x1ff; // 0x100 | second byte for the 0F map
    private static final int H_OP32 = 1 << 9, H_ADDR32 = 1 << 10, H_SEG_SHIFT = 11, H_REP_SHIFT = 14,
            H_LEN_SHIFT = 16, H_CODE32 = 1 << 20, H_VALID = 1 << 21;

    /**
     * Executes one instruction (prefixes included). The prefixes and opcode of an instruction
     * are decoded once per code page and cached in the low half of a long (see
     * {@link CodeCache}); a cached decode is used only when CS has the default size it was
     * decoded with. The ModRM form
     * cached beside it is left in {@link #cachedModrm} for {@link #decodeModrm}.
     */
    final void step() {
        startEip = eip;
        startEsp = r[ESP];
        int op = cachedOpcode();
        if (op < 0) op = decodePrefixes();
        if (op < 0x100) exec(op);
        else exec0F(op & 0xff);
    }

    /**
     * Applies the cached decode of the instruction at CS:EIP (prefix state, EIP past prefixes
     * and opcode) and returns its opcode, or -1 when there is none for the current CS size.
     */
    private int cachedOpcode() {
        long hl = cachedHeader(segBase[CS] + eip);
        int h = (int) hl;
        boolean c32 = code32();
        if ((h & H_VALID) == 0 || ((h & H_CODE32) != 0) != c32 || !fetchable((h >>> H_LEN_SHIFT) & 15)) return -1;
        cachedModrm = (int) (hl >>> 32);
        op32 = (h & H_OP32) != 0;
        addr32 = (h & H_ADDR32) != 0;
        segOvr = ((h >>> H_SEG_SHIFT) & 7) - 1;
        int rp = (h >>> H_REP_SHIFT) & 3;
        rep = rp == 0 ? 0 : 0xf1 + rp;
        advanceEip((h >>> H_LEN_SHIFT) & 15);
        return h & H_OPCODE;
    }

    /** Decodes prefixes and opcode at CS:EIP, caches the result and returns the opcode. */
    private int decodePrefixes() {
        boolean c32 = code32();
        int lin = segBase[CS] + eip;
        cachedModrm = 0;
        op32 = c32;
        addr32 = c32;
        segOvr = -1;
        rep = 0;
        int b;
        for (int n = 0; ; n++) {
            b = fetch8();
            switch (b) {
                case 0x26: segOvr = ES; continue;
                case 0x2e: segOvr = CS; continue;
                case 0x36: segOvr = SS; continue;
                case 0x3e: segOvr = DS; continue;
                case 0x64: segOvr = FS; continue;
                case 0x65: segOvr = GS; continue;
                case 0x66: op32 = !c32; continue;
                case 0x67: addr32 = !c32; continue;
                case 0xf0: continue;
                case 0xf2: case 0xf3: rep = b; continue;
                default:
            }
            if (n > 14) throw raise(13, 0);
            break;
        }
        int op = b == 0x0f ? 0x100 | fetch8() : b;
        int len = eip - startEip;
        if (len > 0 && len < 16) { // not wrapped around a 64 KiB code segment
            cacheHeader(lin, len, op | (op32 ? H_OP32 : 0) | (addr32 ? H_ADDR32 : 0)
                    | ((segOvr + 1) << H_SEG_SHIFT) | ((rep == 0 ? 0 : rep - 0xf1) << H_REP_SHIFT)
                    | (len << H_LEN_SHIFT) | (c32 ? H_CODE32 : 0) | H_VALID);
        }
        return op;
    }

    private void exec(int b) {
        int os = osize();
        if (b < 0x40 && (b & 7) < 6) {
            int op = b >>> 3, size = (b & 1) == 0 ? 0 : os;
            switch (b & 7) {
                case 0: case 1: aluRmReg(op, size); return;
                case 2: case 3: aluRegRm(op, size); return;
                default: aluAccImm(op, size); return;
            }
        }
        switch (b) {
            case 0x06: push(op32, segSel[ES]); return;
            case 0x07: loadSegment(ES, pop(op32)); return;
            case 0x0e: push(op32, segSel[CS]); return;
            case 0x16: push(op32, segSel[SS]); return;
            case 0x17: { int s = pop(op32); loadSegment(SS, s); irqShadow = true; return; }
            case 0x1e: push(op32, segSel[DS]); return;
            case 0x1f: loadSegment(DS, pop(op32)); return;
            case 0x27: daa(); return;
            case 0x2f: das(); return;
            case 0x37: aaa(false); return;
            case 0x3f: aaa(true); return;
            case 0x40: case 0x41: case 0x42: case 0x43: case 0x44: case 0x45: case 0x46: case 0x47:
            case 0x48: case 0x49: case 0x4a: case 0x4b: case 0x4c: case 0x4d: case 0x4e: case 0x4f:
                incDecReg(b, os); return;
            case 0x50: case 0x51: case 0x52: case 0x53: case 0x54: case 0x55: case 0x56: case 0x57:
                push(op32, r[b & 7]); return;
            case 0x58: case 0x59: case 0x5a: case 0x5b: case 0x5c: case 0x5d: case 0x5e: case 0x5f:
                popReg(b & 7, os); return;
            case 0x60: {
                probePushes(8, op32 ? 4 : 2, 0);
                int t = r[ESP];
                for (int i = 0; i < 8; i++) push(op32, i == ESP ? t : r[i]);
                return;
            }
            case 0x61: { // all eight pops before the first register is written
                int[] v = popaScratch;
                for (int i = 7; i >= 0; i--) v[i] = pop(op32);
                for (int i = 7; i >= 0; i--) {
                    if (i != ESP) writeReg(i, os, v[i]);
                }
                return;
            }
            case 0x62: {
                decodeModrm();
                if (mod == 3) throw undefined(b);
                int idx = readReg(reg, os);
                int lo = readMem(eaLin, os), hi = readMem(eaLin + (op32 ? 4 : 2), os);
                if (!op32) {
                    idx = (short) idx;
                    lo = (short) lo;
                    hi = (short) hi;
                }
                if (idx < lo || idx > hi) throw raise(5);
                return;
            }
            case 0x63: { // ARPL
                if (!protectedMode() || v86()) throw undefined(b);
                decodeModrm();
                int d = readRm(1), s = r[reg] & 0xffff;
                int f = getEflags() & ARITH & ~ZF;
                if ((d & 3) < (s & 3)) {
                    writeRm(1, (d & ~3) | (s & 3));
                    f |= ZF;
                }
                setArith(f);
                return;
            }
            case 0x68: push(op32, fetchImm(os)); return;
            case 0x69: { decodeModrm(); int a = readRm(os); writeReg(reg, os, imul(a, fetchImm(os), os)); return; }
            case 0x6a: push(op32, fetchS8()); return;
            case 0x6b: { decodeModrm(); int a = readRm(os); writeReg(reg, os, imul(a, fetchS8(), os)); return; }
            case 0x6c: case 0x6d: case 0x6e: case 0x6f:
                Strings.io(this, b); return;
            case 0x70: case 0x71: case 0x72: case 0x73: case 0x74: case 0x75: case 0x76: case 0x77:
            case 0x78: case 0x79: case 0x7a: case 0x7b: case 0x7c: case 0x7d: case 0x7e: case 0x7f:
                jcc(b & 15, fetchS8()); return;
            case 0x80: case 0x82: aluRmImm(0, false); return;
            case 0x81: aluRmImm(os, false); return;
            case 0x83: aluRmImm(os, true); return;
            case 0x84: testRmReg(0); return;
            case 0x85: testRmReg(os); return;
            case 0x86: xchgRmReg(0); return;
            case 0x87: xchgRmReg(os); return;
            case 0x88: movRmReg(0); return;
            case 0x89: movRmReg(os); return;
            case 0x8a: movRegRm(0); return;
            case 0x8b: movRegRm(os); return;
            case 0x8c: {
                decodeModrm();
                if (reg > 5) throw undefined(b);
                if (mod == 3) writeReg(rm, os, segSel[reg]);
                else {
                    requireWritableSegment();
                    write16(eaLin, segSel[reg]);
                }
                return;
            }
            case 0x8d: lea(os); return;
            case 0x8e: {
                decodeModrm();
                if (reg > 5 || reg == CS) throw undefined(b);
                loadSegment(reg, readRm(1));
                if (reg == SS) irqShadow = true;
                return;
            }
            case 0x8f: {
                int v = pop(op32);
                decodeModrm(); // ESP-based addresses use the incremented ESP
                writeRm(os, v);
                return;
            }
            case 0x90: return;
            case 0x91: case 0x92: case 0x93: case 0x94: case 0x95: case 0x96: case 0x97: {
                int a = readReg(EAX, os);
                writeReg(EAX, os, readReg(b & 7, os));
                writeReg(b & 7, os, a);
                return;
            }
            case 0x98: if (op32) r[EAX] = (short) r[EAX]; else setReg16(EAX, (byte) r[EAX]); return;
            case 0x99: if (op32) r[EDX] = r[EAX] >> 31; else setReg16(EDX, ((short) r[EAX]) >> 15); return;
            case 0x9a: { int off = fetchImm(os); int sel = fetch16(); farJump(sel, off, op32, true, eip); return; }
            case 0x9b: fpuWait(); return;
            case 0x9c: {
                if (v86() && ((eflags >>> 12) & 3) < 3) throw raise(13, 0);
                push(op32, getEflags() & ~(VM | RF));
                return;
            }
            case 0x9d: {
                if (v86() && ((eflags >>> 12) & 3) < 3) throw raise(13, 0);
                int v = pop(op32);
                int mask = op32 ? 0x247fd5 : 0x7fd5;
                if (v86()) mask &= ~IOPL;
                boolean wasIf = (eflags & IF) != 0;
                writeEflags(v, mask);
                if (!wasIf && (eflags & IF) != 0) irqShadow = true;
                return;
            }
            case 0x9e: setArith((getEflags() & ~0xd5) | (reg8(4) & 0xd5)); return;
            case 0x9f: setReg8(4, (getEflags() & 0xd7) | 2); return;
            case 0xa0: case 0xa1: case 0xa2: case 0xa3: {
                int off = addr32 ? fetch32() : fetch16();
                int sz = (b & 1) == 0 ? 0 : os;
                int lin = operandAt(dataSeg(DS), off, sz);
                if (b < 0xa2) {
                    writeReg(EAX, sz, readMem(lin, sz));
                } else {
                    requireWritableSegment();
                    writeMem(lin, sz, readReg(EAX, sz));
                }
                return;
            }
            case 0xa4: case 0xa5: case 0xa6: case 0xa7: case 0xaa: case 0xab: case 0xac: case 0xad: case 0xae: case 0xaf:
                Strings.exec(this, b); return;
            case 0xa8: alu(4, r[EAX] & 0xff, fetch8(), 0); return;
            case 0xa9: alu(4, readReg(EAX, os), fetchImm(os), os); return;
            case 0xb0: case 0xb1: case 0xb2: case 0xb3: case 0xb4: case 0xb5: case 0xb6: case 0xb7:
                setReg8(b & 7, fetch8()); return;
            case 0xb8: case 0xb9: case 0xba: case 0xbb: case 0xbc: case 0xbd: case 0xbe: case 0xbf:
                writeReg(b & 7, os, fetchImm(os)); return;
            case 0xc0: shiftRm(0, SHIFT_IMM8); return;
            case 0xc1: shiftRm(os, SHIFT_IMM8); return;
            case 0xc2: { int n = fetch16(); int t = pop(op32); setSp(sp() + n); eip = op32 ? t : t & 0xffff; return; }
            case 0xc3: { int t = pop(op32); eip = op32 ? t : t & 0xffff; return; }
            case 0xc4: case 0xc5: {
                decodeModrm();
                if (mod == 3) throw undefined(b);
                int off = readMem(eaLin, os);
                int sel = read16(eaLin + (op32 ? 4 : 2));
                loadSegment(b == 0xc4 ? ES : DS, sel);
                writeReg(reg, os, off);
                return;
            }
            case 0xc6: movRmImm(0); return;
            case 0xc7: movRmImm(os); return;
            case 0xc8: enter(fetch16(), fetch8() & 31); return;
            case 0xc9: {
                setSp(r[EBP]);
                writeReg(EBP, os, pop(op32));
                return;
            }
            case 0xca: farReturn(op32, fetch16()); return;
            case 0xcb: farReturn(op32, 0); return;
            case 0xcc: interrupt(3, true, false, 0, eip); return;
            case 0xcd: { int v = fetch8(); interrupt(v, true, false, 0, eip); return; }
            case 0xce: if (of()) interrupt(4, true, false, 0, eip); return;
            case 0xcf: iret(op32); return;
            case 0xd0: shiftRm(0, SHIFT_ONE); return;
            case 0xd1: shiftRm(os, SHIFT_ONE); return;
            case 0xd2: shiftRm(0, SHIFT_CL); return;
            case 0xd3: shiftRm(os, SHIFT_CL); return;
            case 0xd4: aam(fetch8()); return;
            case 0xd5: aad(fetch8()); return;
            case 0xd7: {
                int off = addr32 ? r[EBX] + (r[EAX] & 0xff) : (r[EBX] + (r[EAX] & 0xff)) & 0xffff;
                setReg8(EAX, read8(operandAt(dataSeg(DS), off, 0)));
                return;
            }
            case 0xd8: case 0xd9: case 0xda: case 0xdb: case 0xdc: case 0xdd: case 0xde: case 0xdf:
                fpuOp(b); return;
            case 0xe0: case 0xe1: case 0xe2: case 0xe3: {
                int d = fetchS8();
                int cnt;
                if (b == 0xe3) {
                    cnt = addr32 ? r[ECX] : r[ECX] & 0xffff;
                    if (cnt == 0) jumpRel(d);
                    return;
                }
                if (addr32) cnt = --r[ECX];
                else {
                    cnt = (r[ECX] - 1) & 0xffff;
                    setReg16(ECX, cnt);
                }
                boolean take = cnt != 0 && (b == 0xe2 || (b == 0xe1) == zf());
                if (take) jumpRel(d);
                return;
            }
            case 0xe4: { int p = fetch8(); checkIo(p, 1); setReg8(EAX, portIn(p, 1)); return; }
            case 0xe5: { int p = fetch8(); int s = op32 ? 4 : 2; checkIo(p, s); writeReg(EAX, os, portIn(p, s)); return; }
            case 0xe6: { int p = fetch8(); checkIo(p, 1); portOut(p, 1, r[EAX] & 0xff); return; }
            case 0xe7: { int p = fetch8(); int s = op32 ? 4 : 2; checkIo(p, s); portOut(p, s, readReg(EAX, os)); return; }
            case 0xe8: { int d = fetchImm(os); push(op32, eip); jumpRel(d); return; }
            case 0xe9: jumpRel(fetchImm(os)); return;
            case 0xea: { int off = fetchImm(os); int sel = fetch16(); farJump(sel, off, op32, false, eip); return; }
            case 0xeb: jumpRel(fetchS8()); return;
            case 0xec: { int p = r[EDX] & 0xffff; checkIo(p, 1); setReg8(EAX, portIn(p, 1)); return; }
            case 0xed: { int p = r[EDX] & 0xffff; int s = op32 ? 4 : 2; checkIo(p, s); writeReg(EAX, os, portIn(p, s)); return; }
            case 0xee: { int p = r[EDX] & 0xffff; checkIo(p, 1); portOut(p, 1, r[EAX] & 0xff); return; }
            case 0xef: { int p = r[EDX] & 0xffff; int s = op32 ? 4 : 2; checkIo(p, s); portOut(p, s, readReg(EAX, os)); return; }
            case 0xf4:
                if (cpl != 0) throw raise(13, 0);
                halted = true;
                return;
            case 0xf5: setArith(getEflags() ^ CF); return;
            case 0xf6: case 0xf7: group3(b == 0xf6 ? 0 : os); return;
            case 0xf8: setArith(getEflags() & ~CF); return;
            case 0xf9: setArith(getEflags() | CF); return;
            case 0xfa: case 0xfb: {
                if (protectedMode() && cpl > ((eflags >>> 12) & 3) || v86() && ((eflags >>> 12) & 3) < 3) {
                    throw raise(13, 0);
                }
                if (b == 0xfa) eflags &= ~IF;
                else {
                    if ((eflags & IF) == 0) irqShadow = true;
                    eflags |= IF;
                }
                return;
            }
            case 0xfc: eflags &= ~DF; return;
            case 0xfd: eflags |= DF; return;
            case 0xfe: {
                decodeModrm();
                if (reg > 1) throw undefined(b);
                incDecRm(0, reg == 1);
                return;
            }
            case 0xff: group5(os); return;
            default: throw undefined(b);
        }
    }

    /*
     * The common instructions' bodies, one small method each rather than cases of exec: HotSpot
     * compiles exec (a switch over 256 opcodes) as one method in which each call site runs for
     * a few per cent of the instructions, too rarely to inline the decoder, operand and ALU
     * helpers it calls, so each was a call of its own (five or six per instruction). Here the
     * helpers run at every call of the method and C2 inlines them into it.
     */

    /** ALU op r/m, reg (forms 00 and 01 of rows 00-3F); CMP (op 7) only reads. */
    private void aluRmReg(int op, int size) {
        decodeModrm();
        int v = alu(op, readRm(size, op != 7), readReg(reg, size), size);
        if (op != 7) writeRm(size, v);
    }

    /** ALU op reg, r/m (forms 02 and 03). */
    private void aluRegRm(int op, int size) {
        decodeModrm();
        int v = alu(op, readReg(reg, size), readRm(size), size);
        if (op != 7) writeReg(reg, size, v);
    }

    /** ALU op AL/eAX, imm (forms 04 and 05). */
    private void aluAccImm(int op, int size) {
        int v = alu(op, readReg(EAX, size), fetchImm(size), size);
        if (op != 7) writeReg(EAX, size, v);
    }

    /** 80-83: ALU op r/m, imm (ModRM reg the op); {@code s8} for the sign-extended imm8 of 83. */
    private void aluRmImm(int size, boolean s8) {
        decodeModrm();
        int op = reg;
        int a = readRm(size, op != 7);
        int v = alu(op, a, s8 ? fetchS8() : fetchImm(size), size);
        if (op != 7) writeRm(size, v);
    }

    private void testRmReg(int size) {
        decodeModrm();
        alu(4, readRm(size), readReg(reg, size), size);
    }

    private void xchgRmReg(int size) {
        decodeModrm();
        int a = readRmw(size);
        writeRm(size, readReg(reg, size));
        writeReg(reg, size, a);
    }

    private void movRmReg(int size) {
        decodeModrm();
        writeRm(size, readReg(reg, size));
    }

    private void movRegRm(int size) {
        decodeModrm();
        writeReg(reg, size, readRm(size));
    }

    private void movRmImm(int size) {
        decodeModrm();
        writeRm(size, fetchImm(size));
    }

    private void lea(int os) {
        decodeModrmNoAccess();
        if (mod == 3) throw undefined(0x8d);
        writeReg(reg, os, eaOff);
    }

    /** 40-4F: INC/DEC of a register. */
    private void incDecReg(int b, int os) {
        int i = b & 7, v = readReg(i, os);
        writeReg(i, os, b < 0x48 ? inc(v, os) : dec(v, os));
    }

    private void popReg(int i, int os) {
        writeReg(i, os, pop(op32));
    }

    /** A conditional jump by {@code disp} (already fetched) when condition {@code cc} holds. */
    final void jcc(int cc, int disp) {
        if (cond(cc)) jumpRel(disp);
    }

    /** Where a shift or rotate's count comes from (C0-C1, D0-D1, D2-D3). */
    private static final int SHIFT_IMM8 = 0, SHIFT_ONE = 1, SHIFT_CL = 2;

    /** C0-C1, D0-D3: the shifts and rotates of r/m (ModRM reg the operation). */
    private void shiftRm(int size, int count) {
        decodeModrm();
        int c = count == SHIFT_IMM8 ? fetch8() & 31 : count == SHIFT_ONE ? 1 : r[ECX] & 31;
        writeRm(size, shift(reg, readRmw(size), c, size));
    }

    // the ModRM groups: a small method per operation, for the same reason as the handlers above

    private void group3(int size) {
        decodeModrm();
        switch (reg) {
            case 0: case 1: testRmImm(size); return;
            case 2: notRm(size); return;
            case 3: negRm(size); return;
            case 4: case 5: mulRm(size, reg == 5); return;
            default: divRm(size, reg == 7);
        }
    }

    private void testRmImm(int size) {
        alu(4, readRm(size), fetchImm(size), size);
    }

    private void notRm(int size) {
        writeRm(size, ~readRmw(size));
    }

    private void negRm(int size) {
        writeRm(size, neg(readRmw(size), size));
    }

    private void mulRm(int size, boolean signed) {
        mul1(readRm(size), size, signed);
    }

    private void divRm(int size, boolean signed) {
        div(readRm(size), size, signed);
    }

    private void group5(int os) {
        decodeModrm();
        switch (reg) {
            case 0: case 1: incDecRm(os, reg == 1); return;
            case 2: callRm(os); return;
            case 3: case 5: {
                if (mod == 3) throw undefined(0xff);
                int off = readMem(eaLin, os);
                int sel = read16(eaLin + (op32 ? 4 : 2));
                farJump(sel, off, op32, reg == 3, eip);
                return;
            }
            case 4: jmpRm(os); return;
            case 6: pushRm(os); return;
            default: throw undefined(0xff);
        }
    }

    /** INC or DEC ({@code dec}) of r/m (FE, FF /0 /1). */
    private void incDecRm(int size, boolean dec) {
        int v = readRmw(size);
        writeRm(size, dec ? dec(v, size) : inc(v, size));
    }

    private void callRm(int os) {
        int t = readRm(os);
        push(op32, eip);
        eip = op32 ? t : t & 0xffff;
    }

    private void jmpRm(int os) {
        int t = readRm(os);
        eip = op32 ? t : t & 0xffff;
    }

    private void pushRm(int os) {
        push(op32, readRm(os));
    }

    private final int[] popaScratch = new int[8];
    private final int[] enterScratch = new int[32];

    /**
     * ENTER: everything that can fault comes first (the reads of the enclosing frame pointers,
     * the pushes, and a write at the final stack top, which raises #PF as the SDM says), so a
     * fault leaves EBP, the stack and ESP as they were.
     */
    private void enter(int size, int level) {
        int os = osize(), n = op32 ? 4 : 2;
        int[] outer = enterScratch;
        int bp = r[EBP];
        for (int i = 1; i < level; i++) {
            bp -= n;
            int off = stack32() ? bp : bp & 0xffff;
            checkStack(off, n);
            outer[i] = op32 ? read32(segBase[SS] + off) : read16(segBase[SS] + off);
        }
        probePushes(level > 0 ? level + 1 : 1, n, 0);
        int top = sp() - n * (level > 0 ? level + 1 : 1) - size;
        int topOff = stack32() ? top : top & 0xffff;
        checkStack(topOff, 1);
        checkWritable(segBase[SS] + topOff);
        push(op32, r[EBP]);
        int frame = sp();
        if (level > 0) {
            for (int i = 1; i < level; i++) push(op32, outer[i]);
            push(op32, frame);
        }
        writeReg(EBP, os, frame);
        setSp(sp() - size);
    }

    // ---- x87 ----
    private void fpuWait() {
        if ((cr0 & (CR0_MP | CR0_TS)) == (CR0_MP | CR0_TS)) throw raise(7);
        if (fpu.hasPendingException()) mathFault();
    }

    /** The bytes an x87 instruction with a memory operand stores ({@code b} D8..DF, ModRM reg), 0 for none. */
    static int x87StoreBytes(int b, int reg, boolean op32) {
        switch (b) {
            case 0xd9: return reg == 2 || reg == 3 ? 4 : reg == 6 ? (op32 ? 28 : 14) : reg == 7 ? 2 : 0;
            case 0xdb: return reg == 2 || reg == 3 ? 4 : reg == 7 ? 10 : 0;
            case 0xdd: return reg == 2 || reg == 3 ? 8 : reg == 6 ? (op32 ? 108 : 94) : reg == 7 ? 2 : 0;
            case 0xdf: return reg == 2 || reg == 3 ? 2 : reg == 6 ? 10 : reg == 7 ? 8 : 0;
            default: return 0;
        }
    }

    private void mathFault() {
        if ((cr0 & CR0_NE) != 0) throw raise(16);
        // without NE the error goes to the external FERR#/IRQ13 path, which this CPU does not wire
    }

    private void fpuOp(int b) {
        decodeModrm();
        if ((cr0 & (CR0_EM | CR0_TS)) != 0) throw raise(7);
        boolean noWait = (b == 0xdb && (modrm == 0xe2 || modrm == 0xe3)) // FNCLEX, FNINIT
                || (b == 0xd9 && mod != 3 && (reg == 6 || reg == 7)) // FNSTENV, FNSTCW
                || (b == 0xdd && mod != 3 && (reg == 6 || reg == 7)) // FNSAVE, FNSTSW
                || (b == 0xdf && modrm == 0xe0);
        if (!noWait && fpu.hasPendingException()) mathFault();
        if (b == 0xdf && modrm == 0xe0) {
            setReg16(EAX, fpu.statusWord());
            return;
        }
        if (mod != 3) {
            int store = x87StoreBytes(b, reg, op32);
            if (store > 0) { // the whole destination first: a fault must not leave part of it written
                checkOperandPart(eaLin, store);
                requireWritableSegment();
                probeWrite(eaLin, store);
            }
        }
        fpu.setEflagsForFcmov(getEflags());
        try {
            fpu.execute(b, modrm, mod == 3 ? 0 : eaLin, op32, fpuMemory);
        } catch (X87.UndefinedOpcode e) {
            throw undefined((b << 8) | modrm);
        }
        if (fpu.comiExecuted()) {
            setArith((getEflags() & ~(ZF | PF | CF | OF | SF | AF)) | (fpu.lastComiFlags() & (ZF | PF | CF)));
        }
        boolean control = (b == 0xd9 && mod != 3 && reg >= 4) || (b == 0xdb && mod == 3 && reg == 4)
                || (b == 0xdd && mod != 3 && (reg == 4 || reg == 6));
        if (!control) {
            fpu.setLastInstruction(segSel[CS], startEip, ((b & 7) << 8) | modrm, segSel[dataSeg(DS)],
                    mod == 3 ? 0 : eaOff);
        }
    }
}
