package org.machina.cpu.x86;

/**
 * Decodes one instruction from a copy of a code page for the translator: prefixes, opcode,
 * ModRM/SIB/displacement and immediate, with its length. It decodes only what
 * {@link BlockCompiler} can translate and answers {@code false} for everything else (the
 * interpreter then runs it), so a wrong guess can only cost speed, not correctness.
 */
final class InsnDecoder {
    /** Operand and address size (true: 32 bits), segment override (-1: none). */
    boolean op32, addr32;
    int segOvr;
    /** The opcode: 0x00-0xff, or 0x100 | second byte for the 0F map. */
    int op;
    boolean hasModrm;
    int mod, reg, rm;
    /** Memory operand: base and index registers (-1: none), scale shift, displacement, default SS. */
    int base, index, scale, disp;
    boolean ssDefault;
    /** Immediate (sign- or zero-extended as the opcode reads it) and the instruction length. */
    int imm;
    int length;

    private byte[] code;
    private int at;

    /**
     * Decodes the instruction at offset {@code offset} of {@code page} in a code segment of the
     * given default size; false when it is not one the translator handles or does not lie whole
     * inside the page.
     */
    boolean decode(byte[] page, int offset, boolean code32) {
        code = page;
        at = offset;
        op32 = code32;
        addr32 = code32;
        segOvr = -1;
        hasModrm = false;
        imm = 0;
        int b;
        int prefixes = 0;
        while (true) {
            b = next();
            switch (b) {
                case 0x26: segOvr = X86State.ES; break;
                case 0x2e: segOvr = X86State.CS; break;
                case 0x36: segOvr = X86State.SS; break;
                case 0x3e: segOvr = X86State.DS; break;
                case 0x64: segOvr = X86State.FS; break;
                case 0x65: segOvr = X86State.GS; break;
                case 0x66: op32 = !code32; break;
                case 0x67: addr32 = !code32; break;
                case 0xf0: break; // LOCK: one CPU, every instruction is atomic already
                default: prefixes = -1;
            }
            if (prefixes < 0) break;
            if (++prefixes > 4) return false;
        }
        if (b < 0) return false;
        if (b == 0x0f) {
            int b2 = next();
            if (b2 < 0) return false;
            op = 0x100 | b2;
        } else {
            op = b;
        }
        if (op >= 0xa0 && op <= 0xa3) return moffs(page, offset);
        int immSize = shape(op);
        if (immSize < 0) return false;
        if (hasModrm && (!modrm() || !modrmAllowed())) return false;
        switch (immSize) {
            case 0 -> { }
            case 1 -> imm = sbyte();
            case 2 -> imm = word16();
            case 3 -> imm = op32 ? dword() : word16();
            case 4 -> imm = ubyte();
            default -> throw new IllegalStateException();
        }
        if (at > page.length || at - offset > 15) return false;
        length = at - offset;
        return true;
    }

    /**
     * For a supported opcode, sets {@link #hasModrm} and returns the immediate's kind (0 none,
     * 1 sign-extended byte, 2 word, 3 word or dword by operand size, 4 unsigned byte); -1 when
     * the opcode is not translated.
     */
    private int shape(int o) {
        if (o < 0x40 && (o & 7) < 6) {
            hasModrm = (o & 7) < 4;
            return (o & 7) == 4 ? 4 : (o & 7) == 5 ? 3 : 0;
        }
        if (o >= 0x40 && o <= 0x5f) return 0; // INC, DEC, PUSH, POP reg
        if (o >= 0x70 && o <= 0x7f) return 1; // Jcc rel8
        if (o >= 0xb0 && o <= 0xb7) return 4; // MOV reg8, imm8
        if (o >= 0xb8 && o <= 0xbf) return 3; // MOV reg, imm
        if (o >= 0x180 && o <= 0x18f) return 3; // Jcc rel16/32
        if ((o >= 0x140 && o <= 0x14f) || (o >= 0x190 && o <= 0x19f)) { // CMOVcc, SETcc
            hasModrm = true;
            return 0;
        }
        switch (o) {
            case 0x68: return 3;
            case 0x6a: return 1;
            case 0x69: hasModrm = true; return 3;
            case 0x6b: hasModrm = true; return 1;
            case 0x80: hasModrm = true; return 4;
            case 0x81: hasModrm = true; return 3;
            case 0x83: hasModrm = true; return 1;
            case 0x84: case 0x85: case 0x86: case 0x87: case 0x88: case 0x89: case 0x8a: case 0x8b: case 0x8d:
                hasModrm = true; return 0;
            case 0x90: case 0x98: case 0x99: case 0xc3: case 0xc9: return 0;
            case 0x91: case 0x92: case 0x93: case 0x94: case 0x95: case 0x96: case 0x97: return 0;
            case 0xf5: case 0xf8: case 0xf9: case 0xfc: case 0xfd: return 0; // CMC CLC STC CLD STD
            case 0x1c8: case 0x1c9: case 0x1ca: case 0x1cb: case 0x1cc: case 0x1cd: case 0x1ce: case 0x1cf: return 0;
            case 0x1a4: case 0x1ac: hasModrm = true; return 4; // SHLD/SHRD imm8
            case 0x1a5: case 0x1ad: case 0x1bc: case 0x1bd: case 0x1b0: case 0x1b1: case 0x1c0: case 0x1c1:
                hasModrm = true; return 0; // SHLD/SHRD CL, BSF, BSR, CMPXCHG, XADD
            case 0xa8: return 4;
            case 0xa9: return 3;
            // MOVS CMPS STOS LODS SCAS without REP (a REP prefix ends the decode: it is no prefix here)
            case 0xa4: case 0xa5: case 0xa6: case 0xa7: case 0xaa: case 0xab: case 0xac: case 0xad: case 0xae:
            case 0xaf: return 0;
            case 0xc0: case 0xc1: hasModrm = true; return 4;
            case 0xd0: case 0xd1: case 0xd2: case 0xd3: hasModrm = true; return 0;
            case 0xc2: return 2;
            case 0xc6: hasModrm = true; return 4;
            case 0xc7: hasModrm = true; return 3;
            case 0xe4: case 0xe5: case 0xe6: case 0xe7: return 4; // IN/OUT imm8 port
            case 0xec: case 0xed: case 0xee: case 0xef: return 0; // IN/OUT DX
            case 0xe8: case 0xe9: return 3;
            case 0xeb: return 1;
            case 0xf6: case 0xf7: case 0xfe: case 0xff: hasModrm = true; return 0; // immediate of TEST read later
            case 0x1af: case 0x1b6: case 0x1b7: case 0x1be: case 0x1bf: hasModrm = true; return 0;
            default: return -1;
        }
    }

    /** The ModRM-dependent rules: which /reg forms are translated, and TEST's immediate. */
    private boolean modrmAllowed() {
        switch (op) {
            case 0x8d: return mod != 3;
            case 0xf6: case 0xf7:
                if (reg <= 1) { // TEST r/m, imm
                    imm = op == 0xf6 ? ubyte() : op32 ? dword() : word16();
                }
                return true;
            case 0xfe: return reg <= 1;
            case 0xff: return reg <= 2 || reg == 4 || reg == 6;
            default: return true;
        }
    }

    /**
     * MOV AL/eAX, moffs (A0, A1) and MOV moffs, AL/eAX (A2, A3): decoded as the ModRM forms
     * 8A, 8B, 88, 89 with register eAX and a displacement-only operand (mod 0, rm 5 or, with
     * 16-bit addressing, rm 6), which is what they do: the offset is the address size's
     * displacement, the segment DS unless overridden, and the flags are left alone.
     */
    private boolean moffs(byte[] page, int offset) {
        op = op == 0xa0 ? 0x8a : op == 0xa1 ? 0x8b : op == 0xa2 ? 0x88 : 0x89;
        hasModrm = true;
        mod = 0;
        reg = X86State.EAX;
        rm = addr32 ? 5 : 6;
        base = -1;
        index = -1;
        scale = 0;
        ssDefault = false;
        disp = addr32 ? dword() : word16();
        if (at > page.length || at - offset > 15) return false;
        length = at - offset;
        return true;
    }

    private boolean modrm() {
        int m = next();
        if (m < 0) return false;
        mod = m >>> 6;
        reg = (m >>> 3) & 7;
        rm = m & 7;
        base = -1;
        index = -1;
        scale = 0;
        disp = 0;
        ssDefault = false;
        if (mod == 3) return true;
        int dc = 0; // 0 none, 1 disp8, 2 disp16, 3 disp32
        if (addr32) {
            if (rm == 4) {
                int sib = next();
                if (sib < 0) return false;
                int b = sib & 7, idx = (sib >>> 3) & 7;
                if (idx != 4) {
                    index = idx;
                    scale = sib >>> 6;
                }
                if (b == 5 && mod == 0) dc = 3;
                else {
                    base = b;
                    ssDefault = b == X86State.ESP || b == X86State.EBP;
                }
            } else if (rm == 5 && mod == 0) {
                dc = 3;
            } else {
                base = rm;
                ssDefault = rm == X86State.EBP;
            }
        } else if (rm == 6 && mod == 0) {
            dc = 2;
        } else {
            base = Decoder.BASE16[rm];
            ssDefault = base == X86State.EBP;
            if (rm < 4) index = (rm & 1) == 0 ? X86State.ESI : X86State.EDI;
        }
        if (mod == 1) dc = 1;
        else if (mod == 2) dc = addr32 ? 3 : 2;
        disp = dc == 0 ? 0 : dc == 1 ? sbyte() : dc == 2 ? word16() : dword();
        return true;
    }

    /** The operand's segment register. */
    int segment() {
        return segOvr >= 0 ? segOvr : ssDefault ? X86State.SS : X86State.DS;
    }

    /** The next byte, or -1 past the page (the position still advances, so the length check fails). */
    private int next() {
        int i = at++;
        return i < code.length ? code[i] & 0xff : -1;
    }

    private int ubyte() {
        int v = next();
        return v < 0 ? 0 : v;
    }

    private int sbyte() {
        return (byte) ubyte();
    }

    private int word16() {
        return ubyte() | ubyte() << 8;
    }

    private int dword() {
        return word16() | word16() << 16;
    }
}
