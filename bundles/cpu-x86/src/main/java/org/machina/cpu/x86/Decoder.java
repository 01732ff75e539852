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

    /**
     * Whether the {@code n} instruction bytes at CS:EIP lie inside the CS limit. Instruction
     * fetch past the limit raises #GP(0) (SDM vol. 3 5.3), also for an instruction that starts
     * inside the limit and straddles it; the fault is reported on the instruction's first byte.
     */
    final boolean fetchable(int n) {
        return Integer.compareUnsigned(eip + n - 1, segLimit[CS]) <= 0;
    }

    final int fetch8() {
        if (!fetchable(1)) throw raise(13, 0);
        int v = fetchByte(segBase[CS] + eip);
        advanceEip(1);
        return v;
    }

    final int fetch16() {
        if ((code32() || (eip & 0xffff) <= 0xfffe) && fetchable(2)) { // no wrap inside a 16-bit code segment
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
        if ((code32() || (eip & 0xffff) <= 0xfffc) && fetchable(4)) {
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

    // the packed ModRM form of an instruction, cached per instruction start beside its header
    private static final int F_BASE_SHIFT = 8, F_BASE = 1 << 11, F_INDEX_SHIFT = 12, F_INDEX = 1 << 15,
            F_SCALE_SHIFT = 16, F_SS = 1 << 18, F_LEN_SHIFT = 19, F_DISP_SHIFT = 22, F_ADDR32 = 1 << 24,
            F_VALID = 1 << 25;

    /**
     * The cached ModRM form of the instruction being executed (0 when none); {@link #decodeModrm}
     * uses it once and leaves {@link #MODRM_USED}, so that a second ModRM decode in one
     * instruction would not be cached as the instruction's form.
     */
    int cachedModrm;
    static final int MODRM_USED = 1 << 30;

    /**
     * Reads the ModRM byte and, for memory forms, computes the effective address. The form of
     * the ModRM, SIB and displacement bytes (which registers are added, the displacement's size,
     * the default segment, the length) is decoded once per instruction start and cached beside
     * its header (see {@link CodeCache}); the displacement itself is read from the page copy.
     * The segment checks of the operand's first byte follow (see {@link #checkLimit}).
     */
    final void decodeModrm() {
        int s = decodeModrmAddress();
        if (s < 0) return;
        checkLimit(s, eaOff);
        eaLin = segBase[s] + eaOff;
    }

    /**
     * {@link #decodeModrm} for instructions that compute an address but access no memory (LEA,
     * the hint NOPs): no segment checks, as the SDM lists none for them, so an offset past the
     * segment limit or a null segment is no fault.
     */
    final void decodeModrmNoAccess() {
        int s = decodeModrmAddress();
        if (s >= 0) eaLin = segBase[s] + eaOff;
    }

    /**
     * Reads the ModRM bytes and sets {@link #eaOff}; returns the operand's segment, or -1 for a
     * register operand (mod 3).
     */
    private int decodeModrmAddress() {
        int f = cachedModrm;
        cachedModrm = MODRM_USED;
        int disp;
        if ((f & F_VALID) != 0 && ((f & F_ADDR32) != 0) == addr32 && fetchable((f >>> F_LEN_SHIFT) & 7)) {
            int len = (f >>> F_LEN_SHIFT) & 7, dc = (f >>> F_DISP_SHIFT) & 3;
            disp = dc == 0 ? 0 : codeDisp(segBase[CS] + eip + len - (dc == 3 ? 4 : dc), dc);
            advanceEip(len);
        } else {
            f = decodeModrmForm(f != MODRM_USED);
            disp = eaDisp;
        }
        modrm = f & 0xff;
        mod = modrm >>> 6;
        reg = (modrm >>> 3) & 7;
        rm = modrm & 7;
        if (mod == 3) return -1;
        int off = disp;
        if ((f & F_BASE) != 0) off += r[(f >>> F_BASE_SHIFT) & 7];
        if ((f & F_INDEX) != 0) off += r[(f >>> F_INDEX_SHIFT) & 7] << ((f >>> F_SCALE_SHIFT) & 3);
        if (!addr32) off &= 0xffff;
        eaOff = off;
        return dataSeg((f & F_SS) != 0 ? SS : DS);
    }

    /**
     * Reads the ModRM, SIB and displacement bytes at CS:EIP and returns their form (the
     * displacement in {@link #eaDisp}); caches the form when this is the instruction's first
     * ModRM decode and its bytes lie in one code page.
     */
    private int decodeModrmForm(boolean first) {
        int at = eip;
        int f = readModrmForm();
        int hlen = at - startEip, len = eip - at; // negative when a 16-bit EIP wrapped
        if (first && hlen > 0 && len > 0 && hlen + len < 16) {
            cacheModrm(segBase[CS] + startEip, hlen + len, f | len << F_LEN_SHIFT);
        }
        return f;
    }

    /** The displacement {@link #readModrmForm} read. */
    private int eaDisp;

    /** Reads ModRM, SIB and displacement at CS:EIP into a packed form (without the length). */
    private int readModrmForm() {
        int m = fetch8();
        int f = m | F_VALID | (addr32 ? F_ADDR32 : 0);
        int md = m >>> 6, rmv = m & 7;
        int dc = 0; // displacement: 0 none, 1 disp8, 2 disp16, 3 disp32
        if (md == 3) {
            eaDisp = 0;
            return f;
        }
        if (addr32) {
            if (rmv == 4) {
                int sib = fetch8();
                int base = sib & 7, idx = (sib >>> 3) & 7;
                if (idx != 4) f |= F_INDEX | idx << F_INDEX_SHIFT | (sib >>> 6) << F_SCALE_SHIFT;
                if (base == 5 && md == 0) dc = 3;
                else f |= F_BASE | base << F_BASE_SHIFT | (base == ESP || base == EBP ? F_SS : 0);
            } else if (rmv == 5 && md == 0) {
                dc = 3;
            } else {
                f |= F_BASE | rmv << F_BASE_SHIFT | (rmv == EBP ? F_SS : 0);
            }
        } else if (rmv == 6 && md == 0) {
            dc = 2;
        } else { // BX+SI, BX+DI, BP+SI, BP+DI, SI, DI, BP, BX
            int base = BASE16[rmv];
            f |= F_BASE | base << F_BASE_SHIFT | (base == EBP ? F_SS : 0);
            if (rmv < 4) f |= F_INDEX | ((rmv & 1) == 0 ? ESI : EDI) << F_INDEX_SHIFT;
        }
        if (md == 1) dc = 1;
        else if (md == 2) dc = addr32 ? 3 : 2;
        eaDisp = dc == 0 ? 0 : dc == 1 ? fetchS8() : dc == 2 ? fetch16() : fetch32();
        return f | dc << F_DISP_SHIFT;
    }

    /** The base register of each 16-bit ModRM r/m form (also used by {@link InsnDecoder}). */
    static final int[] BASE16 = {EBX, EBX, EBP, EBP, ESI, EDI, EBP, EBX};

    /**
     * Segment checks for a memory operand at {@code off} in segment {@code s}: a null segment in
     * protected mode and offsets outside the limit (expand-up or expand-down) raise #GP(0), or
     * #SS(0) for SS. This checks the first byte and records how many more bytes fit, so that
     * {@link #checkEnd} can check the last byte once the operand size is known (SDM vol. 3 5.3).
     */
    final void checkLimit(int s, int off) {
        eaSeg = s;
        eaRoom = roomAt(s, off);
    }

    /**
     * The linear address of a {@code size}-coded operand at {@code off} in segment {@code s},
     * after {@link #checkLimit} and {@link #checkEnd} (moffs, XLAT and string operands).
     */
    final int operandAt(int s, int off, int size) {
        checkLimit(s, off);
        checkEnd(size);
        return segBase[s] + off;
    }

    /**
     * A write to the last checked memory operand: in protected mode its segment must be a
     * writable data segment, else #GP(0) (a code segment through a CS override, a read-only data
     * segment; SDM vol. 3 5.4). Real and virtual-8086 mode do not check segment types.
     */
    final void requireWritableSegment() {
        if ((segAttr[eaSeg] & 0x1a) != 0x12 && protectedMode() && !v86()) throw limitFault(eaSeg);
    }

    /**
     * Raises #GP(0)/#SS(0) when {@code bytes} bytes at linear address {@code linear}, a part of
     * the last checked memory operand (an x87 operand, environment or save area), end past the
     * limit of its segment.
     */
    final void checkOperandPart(int linear, int bytes) {
        if (Integer.compareUnsigned(eaRoom, linear - eaLin + bytes - 1) < 0) throw limitFault(eaSeg);
    }

    /** Raises #GP(0)/#SS(0) when an operand of {@code size} at the last checked offset ends past the limit. */
    final void checkEnd(int size) {
        if (size != 0 && Integer.compareUnsigned(eaRoom, (1 << size) - 1) < 0) throw limitFault(eaSeg);
    }

    // memory operands of translated code (BlockCompiler): the checks readRm/readRmw/writeRm make

    /** A memory operand that is read: the segment checks of its first and last byte; its linear address. */
    final int operandForRead(int s, int off, int size) {
        checkLimit(s, off);
        checkEnd(size);
        return eaLin = segBase[s] + off;
    }

    /** A memory operand that is only written: also a writable segment. */
    final int operandForWrite(int s, int off, int size) {
        checkLimit(s, off);
        checkEnd(size);
        requireWritableSegment();
        return eaLin = segBase[s] + off;
    }

    /** A memory operand that is read and written back: also every page translated for writing. */
    final int operandForUpdate(int s, int off, int size) {
        checkLimit(s, off);
        checkEnd(size);
        requireWritableSegment();
        int lin = eaLin = segBase[s] + off;
        probeWrite(lin, 1 << size);
        return lin;
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
        return readRm(size, false);
    }

    /**
     * Reads the r/m operand of an instruction that writes it back (read-modify-write: ALU
     * operations, shifts, INC/DEC/NEG/NOT, XCHG, XADD, CMPXCHG, BTS/BTR/BTC, SHLD/SHRD). A memory
     * operand is checked for the write first (segment type, limit, every page translated for
     * writing), so its #GP/#PF comes before the instruction changes flags or registers and
     * reports a write access, as on hardware, also when the page is not present.
     */
    final int readRmw(int size) {
        return readRm(size, true);
    }

    /** {@link #readRmw} for an instruction that writes the operand back ({@code write}), else {@link #readRm}. */
    final int readRm(int size, boolean write) {
        if (mod == 3) return readReg(rm, size);
        checkEnd(size);
        if (write) {
            requireWritableSegment();
            probeWrite(eaLin, 1 << size);
        }
        return readMem(eaLin, size);
    }

    final void writeRm(int size, int v) {
        if (mod == 3) {
            writeReg(rm, size, v);
        } else {
            checkEnd(size);
            requireWritableSegment();
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
