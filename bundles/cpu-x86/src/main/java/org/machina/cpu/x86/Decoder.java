package org.machina.cpu.x86;

import org.machina.api.memory.AddressSpace;

/**
 * Instruction fetch, prefixes and ModRM/SIB effective addresses (16- and 32-bit forms), plus
 * the operand accessors the executor uses. State of the instruction being decoded lives in
 * fields, so decoding allocates nothing.
 */
abstract class Decoder extends Alu {
    Decoder(AddressSpace mem) {
        super(mem);
    }

    int startEip, startEsp;
    boolean op32, addr32;
    int segOvr; // -1 none
    int rep; // 0, 0xf2, 0xf3
    int modrm, mod, reg, rm;
    int eaOff, eaLin;
    /** Bytes past the first one that still fit in the segment at {@link #eaOff} (unsigned). */
    int eaRoom;
    /** The segment {@link #eaRoom} was measured in. */
    int eaSeg;

    final boolean code32() {
        return (segAttr[CS] & 0x4000) != 0;
    }

    /** Moves EIP past {@code n} instruction bytes (wrapping at 64 KiB in a 16-bit code segment). */
    final void advanceEip(int n) {
        eip = code32() ? eip + n : (eip + n) & 0xffff;
    }

    final int fetch8() {
        int v = fetchByte(segBase[CS] + eip);
        advanceEip(1);
        return v;
    }

    final int fetch16() {
        if (code32() || (eip & 0xffff) <= 0xfffe) { // no wrap inside a 16-bit code segment
            long v = fetchField(segBase[CS] + eip, 2);
            if (v >= 0) {
                advanceEip(2);
                return (int) v;
            }
        }
        int v = fetch8();
        return v | (fetch8() << 8);
    }

    final int fetch32() {
        if (code32() || (eip & 0xffff) <= 0xfffc) {
            long v = fetchField(segBase[CS] + eip, 4);
            if (v >= 0) {
                advanceEip(4);
                return (int) v;
            }
        }
        int v = fetch16();
        return v | (fetch16() << 16);
    }

    final int fetchImm(int size) {
        return size == 0 ? fetch8() : size == 1 ? fetch16() : fetch32();
    }

    /** Sign-extended imm8. */
    final int fetchS8() {
        return (byte) fetch8();
    }

    final int dataSeg(int dflt) {
        return segOvr >= 0 ? segOvr : dflt;
    }

    /** Reads the ModRM byte and, for memory forms, computes the effective address. */
    final void decodeModrm() {
        modrm = fetch8();
        mod = modrm >>> 6;
        reg = (modrm >>> 3) & 7;
        rm = modrm & 7;
        if (mod == 3) return;
        int seg = DS;
        int off;
        if (addr32) {
            if (rm == 4) {
                int sib = fetch8();
                int base = sib & 7, idx = (sib >>> 3) & 7, scale = sib >>> 6;
                off = idx == 4 ? 0 : r[idx] << scale;
                if (base == 5 && mod == 0) {
                    off += fetch32();
                } else {
                    off += r[base];
                    if (base == ESP || base == EBP) seg = SS;
                }
            } else if (rm == 5 && mod == 0) {
                off = fetch32();
            } else {
                off = r[rm];
                if (rm == EBP) seg = SS;
            }
            if (mod == 1) off += fetchS8();
            else if (mod == 2) off += fetch32();
        } else {
            switch (rm) {
                case 0: off = r[EBX] + r[ESI]; break;
                case 1: off = r[EBX] + r[EDI]; break;
                case 2: off = r[EBP] + r[ESI]; seg = SS; break;
                case 3: off = r[EBP] + r[EDI]; seg = SS; break;
                case 4: off = r[ESI]; break;
                case 5: off = r[EDI]; break;
                case 6:
                    if (mod == 0) {
                        off = fetch16();
                    } else {
                        off = r[EBP];
                        seg = SS;
                    }
                    break;
                default: off = r[EBX]; break;
            }
            if (mod == 1) off += fetchS8();
            else if (mod == 2) off += fetch16();
            off &= 0xffff;
        }
        eaOff = off;
        int s = dataSeg(seg);
        checkLimit(s, off);
        eaLin = segBase[s] + off;
    }

    /**
     * Segment checks for a memory operand at {@code off} in segment {@code s}: a null segment in
     * protected mode and offsets outside the limit (expand-up or expand-down) raise #GP(0), or
     * #SS(0) for SS. This checks the first byte and records how many more bytes fit, so that
     * {@link #checkEnd} can check the last byte once the operand size is known (SDM vol. 3 5.3).
     */
    final void checkLimit(int s, int off) {
        int a = segAttr[s];
        eaSeg = s;
        if ((a & 0x80) == 0) {
            if (protectedMode() && !v86()) throw limitFault(s);
            eaRoom = -1;
            return;
        }
        int limit = segLimit[s];
        boolean expandDown = (a & 0x1c) == 0x14;
        if (expandDown) {
            int upper = (a & 0x4000) != 0 ? 0xffffffff : 0xffff;
            if (Integer.compareUnsigned(off, limit) <= 0 || Integer.compareUnsigned(off, upper) > 0) {
                throw limitFault(s);
            }
            eaRoom = upper - off;
        } else if (Integer.compareUnsigned(off, limit) > 0) {
            throw limitFault(s);
        } else {
            eaRoom = limit - off;
        }
    }

    /** Raises #GP(0)/#SS(0) when an operand of {@code size} at the last checked offset ends past the limit. */
    final void checkEnd(int size) {
        if (size != 0 && Integer.compareUnsigned(eaRoom, (1 << size) - 1) < 0) throw limitFault(eaSeg);
    }

    /** #SS(0) for the stack segment, #GP(0) for the others. */
    private CpuFault limitFault(int s) {
        return raise(s == SS ? 12 : 13, 0);
    }

    final int readReg(int i, int size) {
        return size == 0 ? reg8(i) : size == 1 ? r[i] & 0xffff : r[i];
    }

    final void writeReg(int i, int size, int v) {
        if (size == 0) setReg8(i, v);
        else if (size == 1) setReg16(i, v);
        else r[i] = v;
    }

    final int readMem(int lin, int size) {
        return size == 0 ? read8(lin) : size == 1 ? read16(lin) : read32(lin);
    }

    final void writeMem(int lin, int size, int v) {
        if (size == 0) write8(lin, v);
        else if (size == 1) write16(lin, v);
        else write32(lin, v);
    }

    final int readRm(int size) {
        if (mod == 3) return readReg(rm, size);
        checkEnd(size);
        return readMem(eaLin, size);
    }

    final void writeRm(int size, int v) {
        if (mod == 3) {
            writeReg(rm, size, v);
        } else {
            checkEnd(size);
            writeMem(eaLin, size, v);
        }
    }

    /** Operand size for the non-byte forms. */
    final int osize() {
        return op32 ? 2 : 1;
    }

    final void jumpRel(int disp) {
        eip = op32 ? eip + disp : (eip + disp) & 0xffff;
    }
}
