package org.machina.cpu.x86.fpu;

import static org.machina.cpu.x86.fpu.FpEnv.*;
import static org.machina.cpu.x86.fpu.Float80.*;

/**
 * Conversions between the extended format and the memory formats of the x87: single and double
 * reals (exactly rounded with the context's rounding mode), 16/32/64-bit integers and 18-digit
 * packed BCD. Loads write env.se/env.m; stores return the memory image.
 */
final class Convert {
    private Convert() { }

    /** FLD m32real / m64real: exact widening; SNaN raises IE and is quieted, denormal raises DE. */
    static void fromReal(FpEnv env, long bits, int expBits, int fracBits) {
        int bias = (1 << (expBits - 1)) - 1;
        boolean sign = (bits >>> (expBits + fracBits)) != 0 && ((bits >>> (expBits + fracBits)) & 1) != 0;
        int s = sign ? 0x8000 : 0;
        int e = (int) ((bits >>> fracBits) & ((1 << expBits) - 1));
        long f = bits & ((1L << fracBits) - 1);
        if (e == (1 << expBits) - 1) {
            if (f == 0) { env.result(s | 0x7FFF, INT_BIT); return; }
            long m = INT_BIT | (f << (63 - fracBits));
            if ((m & QUIET) == 0) { env.flags |= IE; m |= QUIET; }
            env.result(s | 0x7FFF, m);
            return;
        }
        if (e == 0) {
            if (f == 0) { env.result(s, 0); return; }
            env.flags |= DE;
            int z = Long.numberOfLeadingZeros(f);
            // value = f * 2^(1 - bias - fracBits)
            env.result(s | (1 - bias - fracBits + BIAS + 63 - z), f << z);
            return;
        }
        env.result(s | (e - bias + BIAS), INT_BIT | (f << (63 - fracBits)));
    }

    /** FST m32real / m64real. Returns the image; env.flags tells IE/OE/UE/PE. */
    static long toReal(FpEnv env, int se, long m, int expBits, int fracBits) {
        int bias = (1 << (expBits - 1)) - 1;
        long signBit = neg(se) ? 1L << (expBits + fracBits) : 0;
        long expAll = ((1L << expBits) - 1) << fracBits;
        if (isUnsupported(se, m)) { env.flags |= IE; return indefReal(expBits, fracBits); }
        if (isNaN(se, m)) {
            if ((m & QUIET) == 0) env.flags |= IE;
            return signBit | expAll | (((m | QUIET) << 1) >>> (64 - fracBits));
        }
        if (isInf(se, m)) return signBit | expAll;
        if (isZero(se, m)) return signBit;
        int eMin = BIAS - bias + 1, eMax = BIAS + bias;
        roundPack(env, neg(se), normExp(se, m), normMant(m), 0, fracBits + 1, eMin, eMax, 0, false);
        int re = env.se & 0x7FFF;
        long rm = env.m;
        if (re == 0x7FFF) return signBit | expAll;                  // overflow to infinity
        if (re == 0) return signBit | (rm >>> (63 - fracBits));     // denormal
        if (rm == 0) return signBit;
        long biased = re - BIAS + bias;
        return signBit | (biased << fracBits) | ((rm << 1) >>> (64 - fracBits));
    }

    static long indefReal(int expBits, int fracBits) {
        return (1L << (expBits + fracBits)) | (((1L << expBits) - 1) << fracBits) | (1L << (fracBits - 1));
    }

    static void fromInt(FpEnv env, long v) {
        fromMagnitude(env, v < 0, v < 0 ? -v : v);
    }

    /** FIST/FISTP: rounds by RC; out of range, NaN or infinity raise IE and give the integer indefinite. */
    static long toInt(FpEnv env, int se, long m, int bits) {
        long indef = 1L << (bits - 1);
        if (isUnsupported(se, m) || isNaN(se, m) || isInf(se, m)) { env.flags |= IE; return indef; }
        if (isZero(se, m)) return 0;
        if ((se & 0x7FFF) >= BIAS + 64) { env.flags |= IE; return indef; }
        long mag = roundToIntMagnitude(env, se, m);
        boolean sign = neg(se);
        long limit = sign ? indef : indef - 1; // magnitudes allowed (unsigned)
        if (Long.compareUnsigned(mag, limit) > 0) { env.flags = (env.flags & ~PE) | IE; env.roundedUp = false; return indef; }
        return sign ? -mag : mag;
    }

    /** FBLD: 18 BCD digits in bytes 0..8, sign in bit 7 of byte 9. Invalid digits give undefined values; we decode them as is. */
    static void fromBcd(FpEnv env, long low8, int b8, int b9) {
        long v = 0;
        for (int i = 8; i >= 0; i--) {
            int b = i == 8 ? b8 : (int) (low8 >>> (8 * i)) & 0xFF;
            v = v * 100 + ((b >>> 4) & 0xF) * 10 + (b & 0xF);
        }
        fromMagnitude(env, (b9 & 0x80) != 0, v);
    }

    /** FBSTP: returns the 10 bytes (little-endian) of the packed BCD image. */
    static byte[] toBcd(FpEnv env, int se, long m, byte[] out) {
        boolean bad = isUnsupported(se, m) || isNaN(se, m) || isInf(se, m);
        long mag = 0;
        if (!bad && !isZero(se, m)) {
            if ((se & 0x7FFF) >= BIAS + 64) bad = true;
            else {
                mag = roundToIntMagnitude(env, se, m);
                if (Long.compareUnsigned(mag, 999_999_999_999_999_999L) > 0) bad = true;
            }
        }
        if (bad) {
            env.flags = (env.flags & ~PE) | IE;
            env.roundedUp = false;
            java.util.Arrays.fill(out, (byte) 0);
            out[7] = (byte) 0xC0; out[8] = (byte) 0xFF; out[9] = (byte) 0xFF;
            return out;
        }
        for (int i = 0; i < 9; i++) {
            int lo = (int) (mag % 10); mag /= 10;
            int hi = (int) (mag % 10); mag /= 10;
            out[i] = (byte) ((hi << 4) | lo);
        }
        out[9] = (byte) (neg(se) ? 0x80 : 0);
        return out;
    }
}
