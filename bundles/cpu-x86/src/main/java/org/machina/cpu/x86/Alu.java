package org.machina.cpu.x86;

import org.machina.api.memory.AddressSpace;

/**
 * The integer arithmetic of IA-32: the eight ALU operations with lazy flags, shifts and
 * rotates, double shifts, multiplication and division, bit scans and BCD adjustments.
 * Sizes are 0 (8 bits), 1 (16 bits) and 2 (32 bits).
 */
abstract class Alu extends Protection {
    Alu(AddressSpace mem) {
        super(mem);
    }

    /** ADD OR ADC SBB AND SUB XOR CMP (op 0..7); returns the result (CMP returns {@code a}). */
    final int alu(int op, int a, int b, int size) {
        int res;
        switch (op) {
            case 0: res = a + b; lazy(OP_ADD, a, b, res, size); return res;
            case 1: res = a | b; lazy(OP_LOGIC, a, b, res, size); return res;
            case 2: {
                int c = cf() ? 1 : 0;
                res = a + b + c;
                lfCarryIn = c;
                lazy(OP_ADC, a, b, res, size);
                return res;
            }
            case 3: {
                int c = cf() ? 1 : 0;
                res = a - b - c;
                lfCarryIn = c;
                lazy(OP_SBB, a, b, res, size);
                return res;
            }
            case 4: res = a & b; lazy(OP_LOGIC, a, b, res, size); return res;
            case 5: res = a - b; lazy(OP_SUB, a, b, res, size); return res;
            case 6: res = a ^ b; lazy(OP_LOGIC, a, b, res, size); return res;
            default: res = a - b; lazy(OP_SUB, a, b, res, size); return a;
        }
    }

    final int inc(int a, int size) {
        lfCarryIn = cf() ? 1 : 0;
        lazy(OP_INC, a, 1, a + 1, size);
        return a + 1;
    }

    final int dec(int a, int size) {
        lfCarryIn = cf() ? 1 : 0;
        lazy(OP_DEC, a, 1, a - 1, size);
        return a - 1;
    }

    final int neg(int a, int size) {
        lazy(OP_SUB, 0, a, -a, size);
        return -a;
    }

    static int szp(int res, int size) {
        int f = 0;
        if ((res & MASK[size]) == 0) f |= ZF;
        if ((res & SIGN[size]) != 0) f |= SF;
        if ((Integer.bitCount(res & 0xff) & 1) == 0) f |= PF;
        return f;
    }

    /** ROL ROR RCL RCR SHL SHR SAL SAR (op 0..7) by {@code count} (already masked to 5 bits). */
    final int shift(int op, int v, int count, int size) {
        if (count == 0) return v;
        int bits = 8 << size;
        long m = MASK[size] & 0xffffffffL;
        long x = v & m;
        long res;
        int cf;
        switch (op) {
            case 0: { // the rotates keep SF, ZF, AF, PF (RCL/RCR read CF): the shifts set every flag
                int f = getEflags() & ARITH;
                int n = count % bits;
                res = ((x << n) | (x >>> (bits - n))) & m;
                cf = (int) (res & 1);
                f = (f & ~(CF | OF)) | cf | ((int) ((res >>> (bits - 1)) & 1) ^ cf) * OF;
                setArith(f);
                return (int) res;
            }
            case 1: {
                int f = getEflags() & ARITH;
                int n = count % bits;
                res = ((x >>> n) | (x << (bits - n))) & m;
                cf = (int) ((res >>> (bits - 1)) & 1);
                int of = (int) (((res >>> (bits - 1)) ^ (res >>> (bits - 2))) & 1);
                f = (f & ~(CF | OF)) | cf | of * OF;
                setArith(f);
                return (int) res;
            }
            case 2: case 3: {
                int n = size == 2 ? count : count % (bits + 1);
                if (n == 0) return v;
                int f = getEflags() & ARITH;
                long c = f & CF;
                long wide = x | (c << bits); // bits+1 bit value
                long full = (1L << (bits + 1)) - 1;
                long r2 = op == 2 ? ((wide << n) | (wide >>> (bits + 1 - n))) & full
                        : ((wide >>> n) | (wide << (bits + 1 - n))) & full;
                res = r2 & m;
                cf = (int) (r2 >>> bits) & 1;
                int of = op == 2 ? (int) ((res >>> (bits - 1)) & 1) ^ cf
                        : (int) (((res >>> (bits - 1)) ^ (res >>> (bits - 2))) & 1);
                f = (f & ~(CF | OF)) | cf | of * OF;
                setArith(f);
                return (int) res;
            }
            case 4: case 6: // the shifts leave their flags lazy (OP_SHL, OP_SHR, OP_SAR)
                res = (x << count) & m;
                lazy(OP_SHL, (int) x, count, (int) res, size);
                return (int) res;
            case 5:
                res = x >>> count;
                lazy(OP_SHR, (int) x, count, (int) res, size);
                return (int) res;
            default: {
                res = (signExtended(v, size) >> count) & m;
                lazy(OP_SAR, (int) x, count, (int) res, size);
                return (int) res;
            }
        }
    }

    /** SHLD/SHRD: shifts {@code dst} by {@code count} (masked to 5 bits), filling from {@code src}. */
    final int doubleShift(boolean left, int dst, int src, int count, int size) {
        count &= 31;
        if (count == 0) return dst;
        int bits = 16 << (size - 1);
        long res;
        int cf;
        if (size == 1) {
            long w = left ? ((long) (dst & 0xffff) << 32) | ((long) (src & 0xffff) << 16) | (dst & 0xffff)
                    : ((long) (dst & 0xffff)) | ((long) (src & 0xffff) << 16) | ((long) (dst & 0xffff) << 32);
            if (left) {
                long s = w << count;
                res = (s >>> 32) & 0xffff;
                cf = (int) (s >>> 48) & 1;
            } else {
                res = (w >>> count) & 0xffff;
                cf = (int) (w >>> (count - 1)) & 1;
            }
        } else {
            long d = dst & 0xffffffffL, s = src & 0xffffffffL;
            if (left) {
                long w = (d << 32) | s;
                res = (w << count) >>> 32;
                cf = (int) (d >>> (32 - count)) & 1;
            } else {
                long w = (s << 32) | d;
                res = (w >>> count) & 0xffffffffL;
                cf = (int) (d >>> (count - 1)) & 1;
            }
        }
        int of = (int) (((res ^ dst) >>> (bits - 1)) & 1);
        setArith(szp((int) res, size) | cf | of * OF);
        return (int) res;
    }

    /** MUL/IMUL with one operand (F6/F7 /4 /5). */
    final void mul1(int src, int size, boolean signed) {
        if (size == 0) {
            int a = r[EAX] & 0xff;
            int res = signed ? (byte) a * (byte) src : a * (src & 0xff);
            setReg16(EAX, res);
            boolean ov = signed ? res != (byte) res : (res & 0xff00) != 0;
            setArith(szp(res, 0) | (ov ? CF | OF : 0));
        } else if (size == 1) {
            int a = r[EAX] & 0xffff;
            int res = signed ? (short) a * (short) src : a * (src & 0xffff);
            setReg16(EAX, res);
            setReg16(EDX, res >> 16);
            boolean ov = signed ? res != (short) res : (res & 0xffff0000) != 0;
            setArith(szp(res, 1) | (ov ? CF | OF : 0));
        } else {
            long res = signed ? (long) r[EAX] * src : (r[EAX] & 0xffffffffL) * (src & 0xffffffffL);
            r[EAX] = (int) res;
            r[EDX] = (int) (res >>> 32);
            boolean ov = signed ? res != (int) res : (res >>> 32) != 0;
            setArith(szp((int) res, 2) | (ov ? CF | OF : 0));
        }
    }

    /** IMUL with two or three operands; returns the truncated product. */
    final int imul(int a, int b, int size) {
        if (size == 1) {
            int res = (short) a * (short) b;
            setArith(szp(res, 1) | (res != (short) res ? CF | OF : 0));
            return res;
        }
        long res = (long) a * b;
        setArith(szp((int) res, 2) | (res != (int) res ? CF | OF : 0));
        return (int) res;
    }

    /** DIV/IDIV (F6/F7 /6 /7); raises #DE on division by zero or overflow. */
    final void div(int src, int size, boolean signed) {
        if (size == 0) {
            int a = r[EAX] & 0xffff;
            int d = signed ? (byte) src : src & 0xff;
            if (d == 0) throw raise(0);
            int q = signed ? (short) a / d : a / d;
            int rem = signed ? (short) a % d : a % d;
            if (signed ? q != (byte) q : q > 0xff) throw raise(0);
            setReg16(EAX, (q & 0xff) | ((rem & 0xff) << 8));
        } else if (size == 1) {
            int a = (r[EDX] << 16) | (r[EAX] & 0xffff);
            int d = signed ? (short) src : src & 0xffff;
            if (d == 0) throw raise(0);
            long q = signed ? (long) a / d : (a & 0xffffffffL) / d;
            long rem = signed ? (long) a % d : (a & 0xffffffffL) % d;
            if (signed ? q != (short) q : q > 0xffff) throw raise(0);
            setReg16(EAX, (int) q);
            setReg16(EDX, (int) rem);
        } else {
            long a = ((long) r[EDX] << 32) | (r[EAX] & 0xffffffffL);
            if (src == 0) throw raise(0);
            long q, rem;
            if (signed) {
                if (a == Long.MIN_VALUE && src == -1) throw raise(0);
                q = a / src;
                rem = a % src;
                if (q != (int) q) throw raise(0);
            } else {
                long d = src & 0xffffffffL;
                q = Long.divideUnsigned(a, d);
                rem = Long.remainderUnsigned(a, d);
                if ((q >>> 32) != 0) throw raise(0);
            }
            r[EAX] = (int) q;
            r[EDX] = (int) rem;
        }
    }

    /** BSF/BSR: returns the index, or -1 when the source is zero (ZF set, destination kept). */
    final int bitScan(int v, int size, boolean reverse) {
        v &= MASK[size];
        int f = getEflags() & ARITH & ~ZF;
        if (v == 0) {
            setArith(f | ZF);
            return -1;
        }
        setArith(f);
        return reverse ? 31 - Integer.numberOfLeadingZeros(v) : Integer.numberOfTrailingZeros(v);
    }

    final void daa() {
        int al = r[EAX] & 0xff;
        boolean cf = cf(), af = af();
        int oldAl = al;
        boolean ncf = false;
        if ((al & 0xf) > 9 || af) {
            al += 6;
            af = true;
        } else af = false;
        if (oldAl > 0x99 || cf) {
            al += 0x60;
            ncf = true;
        }
        setReg8(EAX, al);
        setArith(szp(al, 0) | (ncf ? CF : 0) | (af ? AF : 0));
    }

    final void das() {
        int al = r[EAX] & 0xff;
        boolean cf = cf(), af = af();
        int oldAl = al;
        boolean ncf = false;
        if ((al & 0xf) > 9 || af) {
            ncf = cf || al < 6;
            al -= 6;
            af = true;
        } else af = false;
        if (oldAl > 0x99 || cf) {
            al -= 0x60;
            ncf = true;
        }
        setReg8(EAX, al);
        setArith(szp(al, 0) | (ncf ? CF : 0) | (af ? AF : 0));
    }

    final void aaa(boolean sub) {
        int ax = r[EAX] & 0xffff;
        int f = getEflags() & ARITH & ~(CF | AF);
        if ((ax & 0xf) > 9 || af()) {
            ax = sub ? (ax - 6) & 0xffff : (ax + 0x106) & 0xffff;
            if (sub) ax = ((ax & 0xff) | ((((ax >> 8) - 1) & 0xff) << 8));
            f |= CF | AF;
        }
        setReg16(EAX, ax & 0xff0f);
        setArith(f);
    }

    final void aam(int base) {
        if (base == 0) throw raise(0);
        int al = r[EAX] & 0xff;
        int v = ((al / base) << 8) | (al % base);
        setReg16(EAX, v);
        setArith(szp(v, 0));
    }

    final void aad(int base) {
        int ax = r[EAX];
        int al = ((ax & 0xff) + ((ax >> 8) & 0xff) * base) & 0xff;
        setReg16(EAX, al);
        setArith(szp(al, 0));
    }
}
