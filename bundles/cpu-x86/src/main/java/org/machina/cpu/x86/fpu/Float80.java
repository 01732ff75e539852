package org.machina.cpu.x86.fpu;

import static org.machina.cpu.x86.fpu.FpEnv.*;

/**
 * Software 80-bit extended-precision arithmetic as the x87 computes it: a value is a 16-bit
 * sign/exponent word ({@code se}, sign in bit 15, exponent bias 16383) and a 64-bit significand
 * with an explicit integer bit. Results go to {@link FpEnv#se}/{@link FpEnv#m}, exceptions to
 * {@link FpEnv#flags}. Rounding honours precision control (24/53/64 bits, exponent range stays
 * extended) and all four rounding modes; masked responses follow the Intel SDM, unmasked
 * overflow/underflow deliver the result with the exponent biased by 24576.
 */
final class Float80 {
    static final long INT_BIT = 0x8000000000000000L;
    static final long QUIET = 0x4000000000000000L;
    static final int INDEF_SE = 0xFFFF;
    static final long INDEF_M = 0xC000000000000000L;
    static final int BIAS = 16383;
    static final int EXP_MAX = 0x7FFF;

    private Float80() { }

    static int exp(int se) { return se & 0x7FFF; }
    static boolean neg(int se) { return (se & 0x8000) != 0; }
    static boolean isZero(int se, long m) { return (se & 0x7FFF) == 0 && m == 0; }
    static boolean isDenormal(int se, long m) { return (se & 0x7FFF) == 0 && m != 0; }
    static boolean isInf(int se, long m) { return (se & 0x7FFF) == EXP_MAX && m == INT_BIT; }
    static boolean isNaN(int se, long m) { return (se & 0x7FFF) == EXP_MAX && m < 0 && (m << 1) != 0; }
    static boolean isSNaN(int se, long m) { return isNaN(se, m) && (m & QUIET) == 0; }
    /** Unnormals, pseudo-NaNs and pseudo-infinities: invalid operands since the 387. */
    static boolean isUnsupported(int se, long m) { return (se & 0x7FFF) != 0 && m >= 0; }

    static void indefinite(FpEnv env) {
        env.flags |= IE;
        env.result(INDEF_SE, INDEF_M);
    }

    /** Normalized exponent of a finite nonzero value (denormals get exponents below 1). */
    static int normExp(int se, long m) {
        int e = se & 0x7FFF;
        if (e == 0) e = 1;
        return e - Long.numberOfLeadingZeros(m);
    }

    static long normMant(long m) { return m << Long.numberOfLeadingZeros(m); }

    /**
     * Handles NaN and unsupported operands of a two-operand operation and flags denormals.
     * Returns true if the result is already decided.
     */
    static boolean specials2(FpEnv env, int ase, long am, int bse, long bm) {
        if (isUnsupported(ase, am) || isUnsupported(bse, bm)) { indefinite(env); return true; }
        boolean an = isNaN(ase, am), bn = isNaN(bse, bm);
        if (an || bn) {
            if ((an && (am & QUIET) == 0) || (bn && (bm & QUIET) == 0)) env.flags |= IE;
            boolean aq = an && (am & QUIET) != 0, bq = bn && (bm & QUIET) != 0;
            if (an && bn && aq != bq) env.result(aq ? ase : bse, aq ? am : bm);  // the QNaN wins over an SNaN
            else if (an && bn) {
                int c = Long.compareUnsigned(am | QUIET, bm | QUIET);
                if (c > 0 || (c == 0 && !neg(ase))) env.result(ase, am | QUIET);
                else env.result(bse, bm | QUIET);
            } else if (an) env.result(ase, am | QUIET);
            else env.result(bse, bm | QUIET);
            return true;
        }
        if (isDenormal(ase, am) || isDenormal(bse, bm)) env.flags |= DE; // suppressed later if IE/ZE
        return false;
    }

    static boolean specials1(FpEnv env, int se, long m) {
        if (isUnsupported(se, m)) { indefinite(env); return true; }
        if (isNaN(se, m)) {
            if ((m & QUIET) == 0) env.flags |= IE;
            env.result(se, m | QUIET);
            return true;
        }
        if (isDenormal(se, m)) env.flags |= DE;
        return false;
    }

    /** Rounds and packs into the extended format with the context's precision. */
    static void roundPack(FpEnv env, boolean sign, int e, long m, long lo) {
        roundPack(env, sign, e, m, lo, env.pc, 1, 0x7FFE, 24576, true);
    }

    /**
     * Rounds the value {@code (m + lo/2^64) * 2^(e - 16383 - 63)} ({@code m} normalized) to
     * {@code p} significand bits within the normal exponent range [eMin, eMax] (extended biased
     * exponents); denormalizes below eMin. The result is in env.se/env.m using the extended
     * exponent (exponent field 0 for denormals when eMin is 1; callers of narrower formats
     * re-encode). {@code wrap} is the unmasked OE/UE exponent adjustment (0: no result).
     */
    static void roundPack(FpEnv env, boolean sign, int e, long m, long lo, int p, int eMin, int eMax,
                          int wrap, boolean registerDest) {
        int s = sign ? 0x8000 : 0;
        if (m == 0 && lo == 0) { env.result(s, 0); return; }
        if (m >= 0) { // normalize across 128 bits
            if (m == 0) { m = lo; lo = 0; e -= 64; }
            int z = Long.numberOfLeadingZeros(m);
            if (z > 0) { m = (m << z) | (lo >>> (64 - z)); lo <<= z; e -= z; }
        }
        if (e < eMin) {
            boolean tiny = e < eMin - 1 || !carries(env.rc, sign, m, lo, p);
            if ((env.masks & UE) == 0 && !registerDest && tiny) {
                env.flags |= UE; // unmasked underflow on a store: nothing is written, no PE
                return;
            }
            if ((env.masks & UE) == 0 && registerDest && e + wrap < eMin) {
                env.flags |= UE | PE; // beyond the reach of the exponent wrap: a true zero
                env.roundedUp = false;
                env.result(s, 0);
                return;
            }
            if ((env.masks & UE) == 0 && registerDest) {
                if (tiny) {
                    env.flags |= UE;
                    e += wrap;
                }
            } else {
                int shift = eMin - e;
                if (shift >= 128) { lo = 1; m = 0; }
                else if (shift >= 64) {
                    long st = (lo != 0 || (shift > 64 && (m << (128 - shift)) != 0)) ? 1 : 0;
                    lo = (shift == 64 ? m : m >>> (shift - 64)) | st;
                    m = 0;
                } else {
                    long st = (lo << (64 - shift)) != 0 ? 1 : 0;
                    lo = (lo >>> shift) | (m << (64 - shift)) | st;
                    m >>>= shift;
                }
                e = eMin;
                boolean inexact = roundBits(env, sign, m, lo, p);
                if (inexact && tiny) env.flags |= UE;
                // exponent field 0 marks a denormal; a carry into the integer bit makes the smallest normal
                env.se = s | (env.m < 0 ? eMin : 0);
                return;
            }
        }
        roundBits(env, sign, m, lo, p);
        if (env.m == 0) { env.m = INT_BIT; e++; } // carry out of the significand
        if (e > eMax) {
            if ((env.masks & OE) == 0 && !registerDest) {
                env.flags = (env.flags & ~PE) | OE; // unmasked overflow on a store: nothing is written
                return;
            }
            if ((env.masks & OE) == 0 && registerDest && e - wrap > eMax) {
                env.flags |= OE | PE; // beyond the reach of the exponent wrap: infinity, whatever RC says
                env.roundedUp = true;
                env.result(s | 0x7FFF, INT_BIT);
                return;
            }
            if ((env.masks & OE) == 0 && registerDest) {
                env.flags |= OE;
                e -= wrap;
            } else {
                env.flags |= OE | PE;
                boolean toInf = switch (env.rc) {
                    case RC_NEAREST -> true;
                    case RC_DOWN -> sign;
                    case RC_UP -> !sign;
                    default -> false;
                };
                if (toInf) { env.result(s | 0x7FFF, INT_BIT); env.roundedUp = true; }
                else { env.result(s | eMax, p == 64 ? -1L : -1L << (64 - p)); env.roundedUp = false; }
                return;
            }
        }
        env.se = s | e;
    }

    /** Whether rounding (m,lo) to p bits carries out of 64 bits. */
    private static boolean carries(int rc, boolean sign, long m, long lo, int p) {
        long keepMask = p == 64 ? -1L : -1L << (64 - p);
        if ((m | ~keepMask) != -1L) return false;
        long rem = p == 64 ? 0 : m & ~keepMask;
        boolean inexact = rem != 0 || lo != 0;
        if (!inexact) return false;
        return switch (rc) {
            case RC_NEAREST -> p == 64 ? lo < 0 : (rem & (1L << (63 - p))) != 0;
            case RC_DOWN -> sign;
            case RC_UP -> !sign;
            default -> false;
        };
    }

    /** Rounds (m,lo) to p bits into env.m (0 on carry-out); sets PE and roundedUp. Returns inexact. */
    private static boolean roundBits(FpEnv env, boolean sign, long m, long lo, int p) {
        boolean inexact, gt, eq;
        long lsbBit;
        if (p == 64) {
            inexact = lo != 0;
            gt = Long.compareUnsigned(lo, INT_BIT) > 0;
            eq = lo == INT_BIT;
            lsbBit = 1;
        } else {
            int shift = 64 - p;
            long mask = (1L << shift) - 1;
            long rem = m & mask;
            long half = 1L << (shift - 1);
            inexact = rem != 0 || lo != 0;
            gt = rem > half || (rem == half && lo != 0);
            eq = rem == half && lo == 0;
            lsbBit = 1L << shift;
            m &= ~mask;
        }
        boolean inc = inexact && switch (env.rc) {
            case RC_NEAREST -> gt || (eq && (m & lsbBit) != 0);
            case RC_DOWN -> sign;
            case RC_UP -> !sign;
            default -> false;
        };
        if (inc) m += lsbBit;
        if (inexact) env.flags |= PE;
        env.roundedUp = inc;
        env.m = m;
        return inexact;
    }

    // ---------------------------------------------------------------- arithmetic

    static void add(FpEnv env, int ase, long am, int bse, long bm, boolean subtract) {
        if (specials2(env, ase, am, bse, bm)) return;
        if (subtract) bse ^= 0x8000;
        boolean sa = neg(ase), sb = neg(bse);
        boolean ai = isInf(ase, am), bi = isInf(bse, bm);
        if (ai || bi) {
            if (ai && bi && sa != sb) indefinite(env);
            else env.result(ai ? ase : bse, INT_BIT);
            return;
        }
        boolean az = isZero(ase, am), bz = isZero(bse, bm);
        if (az && bz) {
            boolean s = sa == sb ? sa : env.rc == RC_DOWN;
            env.result(s ? 0x8000 : 0, 0);
            return;
        }
        if (az) { roundPack(env, sb, normExp(bse, bm), normMant(bm), 0); return; }
        if (bz) { roundPack(env, sa, normExp(ase, am), normMant(am), 0); return; }
        int ea = normExp(ase, am), eb = normExp(bse, bm);
        long ma = normMant(am), mb = normMant(bm);
        if (ea < eb || (ea == eb && Long.compareUnsigned(ma, mb) < 0)) {
            int t = ea; ea = eb; eb = t;
            long tm = ma; ma = mb; mb = tm;
            boolean ts = sa; sa = sb; sb = ts;
        }
        int d = ea - eb;
        long bh, bl;
        if (d == 0) { bh = mb; bl = 0; }
        else if (d < 64) { bh = mb >>> d; bl = mb << (64 - d); }
        else if (d < 128) { bh = 0; bl = (d == 64 ? mb : mb >>> (d - 64)) | ((d > 64 && (mb << (128 - d)) != 0) ? 1 : 0); }
        else { bh = 0; bl = 1; }
        if (sa == sb) {
            long rl = bl;
            long rh = ma + bh;
            boolean carry = Long.compareUnsigned(rh, ma) < 0;
            if (carry) {
                rl = (rl >>> 1) | (rh << 63) | (rl & 1);
                rh = (rh >>> 1) | INT_BIT;
                ea++;
            }
            roundPack(env, sa, ea, rh, rl);
        } else {
            long rl = -bl;
            long rh = ma - bh - (bl != 0 ? 1 : 0);
            if (rh == 0 && rl == 0) { env.result(env.rc == RC_DOWN ? 0x8000 : 0, 0); return; }
            roundPack(env, sa, ea, rh, rl);
        }
    }

    static void mul(FpEnv env, int ase, long am, int bse, long bm) {
        if (specials2(env, ase, am, bse, bm)) return;
        int s = (ase ^ bse) & 0x8000;
        boolean ai = isInf(ase, am), bi = isInf(bse, bm), az = isZero(ase, am), bz = isZero(bse, bm);
        if (ai || bi) {
            if (az || bz) indefinite(env);
            else env.result(s | 0x7FFF, INT_BIT);
            return;
        }
        if (az || bz) { env.result(s, 0); return; }
        int ea = normExp(ase, am), eb = normExp(bse, bm);
        long ma = normMant(am), mb = normMant(bm);
        long hi = Math.unsignedMultiplyHigh(ma, mb), lo = ma * mb;
        int e = ea + eb - BIAS + 1;
        roundPack(env, s != 0, e, hi, lo);
    }

    static void div(FpEnv env, int ase, long am, int bse, long bm) {
        if (specials2(env, ase, am, bse, bm)) return;
        int s = (ase ^ bse) & 0x8000;
        boolean ai = isInf(ase, am), bi = isInf(bse, bm), az = isZero(ase, am), bz = isZero(bse, bm);
        if (ai || bi) {
            if (ai && bi) indefinite(env);
            else if (ai) env.result(s | 0x7FFF, INT_BIT);
            else env.result(s, 0);
            return;
        }
        if (bz) {
            if (az) { indefinite(env); return; }
            env.flags |= ZE;
            env.result(s | 0x7FFF, INT_BIT);
            return;
        }
        if (az) { env.result(s, 0); return; }
        int ea = normExp(ase, am), eb = normExp(bse, bm);
        long ma = normMant(am), mb = normMant(bm);
        long r = ma, qh = 0, ql = 0;
        boolean top = false;
        for (int i = 0; i < 66; i++) { // 66 quotient bits: 64 + guard, the first may be 0
            boolean bit = top || Long.compareUnsigned(r, mb) >= 0;
            if (bit) r -= mb;
            qh = (qh << 1) | (ql >>> 63);
            ql = (ql << 1) | (bit ? 1 : 0);
            top = r < 0;
            r <<= 1;
        }
        // align: bit 127 of (qh:ql) has weight 2^0
        qh = (qh << 62) | (ql >>> 2);
        ql = ql << 62;
        if (r != 0 || top) ql |= 1;
        int e = ea - eb + BIAS;
        roundPack(env, s != 0, e, qh, ql);
    }

    static void sqrt(FpEnv env, int se, long m) {
        if (specials1(env, se, m)) return;
        if (isZero(se, m)) { env.result(se, 0); return; }
        if (neg(se)) { indefinite(env); return; }
        if (isInf(se, m)) { env.result(se, m); return; }
        int e = normExp(se, m);
        long mm = normMant(m);
        int t = e - BIAS - 63;           // value = mm * 2^t
        int sh = ((t & 1) == 0) ? 64 : 63;
        long nh = sh == 64 ? mm : mm >>> 1, nl = sh == 64 ? 0 : mm << 63;
        // digit-by-digit square root of the 128-bit radicand nh:nl; remainder in remHi:remLo (< 2^66)
        long root = 0, remHi = 0, remLo = 0;
        for (int i = 0; i < 64; i++) {
            int pos = 126 - 2 * i;
            long two = pos >= 64 ? (nh >>> (pos - 64)) & 3 : (nl >>> pos) & 3;
            remHi = (remHi << 2) | (remLo >>> 62);
            remLo = (remLo << 2) | two;
            long tHi = root >>> 62, tLo = (root << 2) | 1;
            if (remHi > tHi || (remHi == tHi && Long.compareUnsigned(remLo, tLo) >= 0)) {
                remHi = remHi - tHi - (Long.compareUnsigned(remLo, tLo) < 0 ? 1 : 0);
                remLo -= tLo;
                root = (root << 1) | 1;
            } else {
                root <<= 1;
            }
        }
        long lo = 0;
        if (remHi != 0 || remLo != 0) {
            lo = 1;
            if (remHi != 0 || Long.compareUnsigned(remLo, root) > 0) lo |= INT_BIT; // sqrt >= root + 1/2
        }
        int half = (t - sh) / 2;
        roundPack(env, false, half + BIAS + 63, root, lo);
    }

    /** Compare: -1 less, 0 equal, 1 greater, 2 unordered. quiet: QNaN does not raise IE. */
    static int compare(FpEnv env, int ase, long am, int bse, long bm, boolean quiet) {
        if (isUnsupported(ase, am) || isUnsupported(bse, bm)) { env.flags |= IE; return 2; }
        boolean an = isNaN(ase, am), bn = isNaN(bse, bm);
        if (an || bn) {
            if (!quiet || (an && (am & QUIET) == 0) || (bn && (bm & QUIET) == 0)) env.flags |= IE;
            return 2;
        }
        if (isDenormal(ase, am) || isDenormal(bse, bm)) env.flags |= DE;
        boolean az = isZero(ase, am), bz = isZero(bse, bm);
        if (az && bz) return 0;
        boolean sa = neg(ase) && !az, sb = neg(bse) && !bz;
        if (sa != sb) return sa ? -1 : 1;
        int c;
        if (az) c = -1;
        else if (bz) c = 1;
        else {
            int ea = normExp(ase, am), eb = normExp(bse, bm);
            c = ea != eb ? Integer.compare(ea, eb) : Long.compareUnsigned(normMant(am), normMant(bm));
            if (isInf(ase, am) && isInf(bse, bm)) c = 0;
        }
        return sa ? -c : c;
    }

    /**
     * Rounds a finite nonzero value to an integer magnitude by the context's rounding mode.
     * Returns the unsigned magnitude; sets env.flags PE and env.roundedUp. Values >= 2^64 must
     * be filtered by the caller (exponent >= BIAS+64).
     */
    static long roundToIntMagnitude(FpEnv env, int se, long m) {
        boolean sign = neg(se);
        int e = normExp(se, m);
        long mm = normMant(m);
        int frac = BIAS + 63 - e;   // number of fraction bits in mm
        if (frac <= 0) { env.roundedUp = false; return mm << -frac; }
        long ip, fh; // fh: fraction as 64-bit fixed point, sticky in bit 0
        if (frac >= 64) {
            ip = 0;
            if (frac == 64) fh = mm;
            else if (frac < 128) fh = (mm >>> (frac - 64)) | ((mm << (128 - frac)) != 0 ? 1 : 0);
            else fh = 1;
        } else {
            ip = mm >>> frac;
            fh = mm << (64 - frac);
        }
        boolean inexact = fh != 0;
        boolean inc = inexact && switch (env.rc) {
            case RC_NEAREST -> Long.compareUnsigned(fh, INT_BIT) > 0 || (fh == INT_BIT && (ip & 1) != 0);
            case RC_DOWN -> sign;
            case RC_UP -> !sign;
            default -> false;
        };
        if (inexact) env.flags |= PE;
        env.roundedUp = inc;
        return inc ? ip + 1 : ip;
    }

    /** Packs an unsigned integer magnitude exactly. */
    static void fromMagnitude(FpEnv env, boolean sign, long mag) {
        if (mag == 0) { env.result(sign ? 0x8000 : 0, 0); return; }
        int z = Long.numberOfLeadingZeros(mag);
        env.result((sign ? 0x8000 : 0) | (BIAS + 63 - z), mag << z);
    }

    static void roundInt(FpEnv env, int se, long m) {
        if (specials1(env, se, m)) return;
        int e = se & 0x7FFF;
        if (isZero(se, m) || e == EXP_MAX || e >= BIAS + 63) { env.result(se, m); return; }
        long mag = roundToIntMagnitude(env, se, m);
        fromMagnitude(env, neg(se), mag);
    }

    /** FSCALE: a * 2^trunc(b). */
    static void scale(FpEnv env, int ase, long am, int bse, long bm) {
        if (specials2(env, ase, am, bse, bm)) return;
        boolean ai = isInf(ase, am), bi = isInf(bse, bm), az = isZero(ase, am);
        if (bi) {
            if (neg(bse)) {
                if (ai) indefinite(env); else env.result(ase & 0x8000, 0);
            } else {
                if (az) indefinite(env); else env.result((ase & 0x8000) | 0x7FFF, INT_BIT);
            }
            return;
        }
        if (ai || az) { env.result(ase, am); return; }
        int n;
        if (isZero(bse, bm)) n = 0;
        else {
            int eb = normExp(bse, bm);
            if (eb < BIAS) n = 0;
            else if (eb > BIAS + 30) n = neg(bse) ? -0x10000 : 0x10000;
            else {
                n = (int) (normMant(bm) >>> (BIAS + 63 - eb));
                if (neg(bse)) n = -n;
            }
        }
        n = Math.max(-0x10000, Math.min(0x10000, n));
        roundPack(env, neg(ase), normExp(ase, am) + n, normMant(am), 0, 64, 1, 0x7FFE, 24576, true);
    }

    /**
     * FPREM (round=false) and FPREM1 (round=true) of a by b. Result in env; returns the status
     * bits C0|C1|C2|C3 in x87 positions (0x100, 0x200, 0x400, 0x4000); -1 if env holds a special result.
     */
    static int remainder(FpEnv env, int ase, long am, int bse, long bm, boolean round) {
        if (specials2(env, ase, am, bse, bm)) return 0;
        if (isInf(ase, am) || isZero(bse, bm)) { indefinite(env); return 0; }
        if (isInf(bse, bm) || isZero(ase, am)) {
            if (isDenormal(ase, am)) { roundPack(env, neg(ase), normExp(ase, am), normMant(am), 0, 64, 1, 0x7FFE, 24576, true); return 0; }
            env.result(ase, am);
            return 0;
        }
        int ea = normExp(ase, am), eb = normExp(bse, bm);
        long ma = normMant(am), mb = normMant(bm);
        int d = ea - eb;
        boolean sign = neg(ase);
        if (d < 0) {
            if (round && (d == -1) && Long.compareUnsigned(ma, mb) > 0) {
                // |b|/2 < |a| < |b|: the quotient rounds to +-1 and the (exact) result is a -+ b
                int pc = env.pc;
                env.pc = 64;
                add(env, ase, am, bse, bm, neg(ase) == neg(bse));
                env.pc = pc;
                return 0x200;
            }
            roundPack(env, sign, ea, ma, 0, 64, 1, 0x7FFE, 24576, true);
            return 0;
        }
        boolean partial = d >= 64;
        int steps = partial ? 32 + ((d - 32) & 31) : d;
        int ebEff = ea - steps;
        long r = ma, q = 0;
        boolean top = false;
        for (int i = 0; i <= steps; i++) {
            if (i > 0) { top = r < 0; r <<= 1; }
            q <<= 1;
            if (top || Long.compareUnsigned(r, mb) >= 0) { r -= mb; q |= 1; }
        }
        if (round && !partial) {
            // compare 2r with mb
            int c = (r < 0) ? 1 : Long.compareUnsigned(r << 1, mb);
            if (c > 0 || (c == 0 && (q & 1) != 0)) { r = mb - r; q++; sign = !sign; }
        }
        int cc = partial ? 0x400 : 0;
        if (!partial) {
            if ((q & 4) != 0) cc |= 0x100;
            if ((q & 2) != 0) cc |= 0x4000;
            if ((q & 1) != 0) cc |= 0x200;
        }
        if (r == 0) { env.result(neg(ase) ? 0x8000 : 0, 0); return cc; }
        roundPack(env, sign, ebEff, r, 0, 64, 1, 0x7FFE, 24576, true);
        return cc;
    }
}
