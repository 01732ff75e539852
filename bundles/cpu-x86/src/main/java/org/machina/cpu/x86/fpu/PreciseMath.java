package org.machina.cpu.x86.fpu;

import static org.machina.cpu.x86.fpu.Float80.*;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * High-precision (about 150-bit) evaluation of the x87 transcendental functions with BigDecimal
 * series, for finite arguments of moderate exponent; the result is then rounded once to 64 bits.
 * Results are therefore correctly rounded in almost all cases, where the x87 itself is only
 * within about one ulp, so the last bit can differ from real hardware. Trigonometric arguments
 * are reduced, like the x87 does, with a 66-bit pi (so results near multiples of pi match the
 * hardware rather than the true value).
 */
final class PreciseMath {
    private PreciseMath() { }

    static final MathContext MC = new MathContext(50, RoundingMode.HALF_EVEN);
    private static final BigDecimal PI = new BigDecimal(
            "3.14159265358979323846264338327950288419716939937510582097494459230781640628620899862803482534211706798");
    private static final BigDecimal LN2 = new BigDecimal(
            "0.69314718055994530941723212145817656807550013436025525412068000949339362196969471560586332699641868754");
    private static final BigDecimal HALF_PI = PI.divide(BigDecimal.valueOf(2));
    /** The 66-bit pi the x87 reduces trigonometric arguments with (what makes FSIN(pi) = 2^-64-ish). */
    private static final BigDecimal HALF_PI66 = new BigDecimal(new BigInteger("3243F6A8885A308D3", 16))
            .divide(new BigDecimal(BigInteger.ONE.shiftLeft(65)));
    private static final BigDecimal EPS = new BigDecimal("1e-55");

    /** Whether a finite nonzero value is in the range this class evaluates. */
    static boolean inRange(int se, long m) {
        if (isZero(se, m) || (se & 0x7FFF) == 0x7FFF || isUnsupported(se, m)) return false;
        int e = normExp(se, m) - BIAS;
        return e > -4000 && e < 4000;
    }

    static BigDecimal toBig(int se, long m) {
        int e = normExp(se, m) - BIAS - 63;
        BigDecimal v = new BigDecimal(new BigInteger(Long.toUnsignedString(normMant(m))));
        v = e >= 0 ? v.multiply(new BigDecimal(BigInteger.ONE.shiftLeft(e)))
                   : v.divide(new BigDecimal(BigInteger.ONE.shiftLeft(-e)));   // exact: terminating
        return neg(se) ? v.negate() : v;
    }

    /** Rounds a BigDecimal into env with 64-bit precision and the context's rounding mode. */
    static void fromBig(FpEnv env, BigDecimal v) {
        int sig = v.signum();
        if (sig == 0) { env.result(0, 0); return; }
        BigDecimal a = v.abs();
        int e2 = (int) Math.floor((a.precision() - a.scale() - 1) * 3.321928094887362); // ~log2
        // scale so that the integer part has about 130 bits
        int shift = 130 - e2;
        BigDecimal scaled = shift >= 0 ? a.multiply(new BigDecimal(BigInteger.ONE.shiftLeft(shift)))
                                       : a.divide(new BigDecimal(BigInteger.ONE.shiftLeft(-shift)), MC);
        BigInteger ip = scaled.toBigInteger();
        boolean sticky = scaled.compareTo(new BigDecimal(ip)) != 0;
        int bl = ip.bitLength();
        // keep the top 128 bits
        BigInteger top = ip.shiftRight(bl - 128);
        if (ip.getLowestSetBit() < bl - 128) sticky = true;
        long hi = top.shiftRight(64).longValue(), lo = top.longValue();
        if (sticky) lo |= 1;
        // value = top * 2^(bl-128) / 2^shift ; top's bit 127 has weight 2^(bl-1-shift)
        int e = bl - 1 - shift + BIAS;
        int pc = env.pc;
        env.pc = 64;
        roundPack(env, sig < 0, e, hi, lo, 64, 1, 0x7FFE, 24576, true);
        env.pc = pc;
        env.flags |= FpEnv.PE;
    }

    /** k * pi / 4, for the exact results of FPATAN on zeros and infinities. */
    static BigDecimal piQuarters(long k) {
        return PI.multiply(BigDecimal.valueOf(k)).divide(BigDecimal.valueOf(4));
    }

    /** sin and cos of x: returns {sin, cos}. */
    static BigDecimal[] sinCos(BigDecimal x) {
        BigDecimal k = x.divide(HALF_PI66, new MathContext(120)).setScale(0, RoundingMode.HALF_EVEN);
        BigDecimal r = x.subtract(k.multiply(HALF_PI66), new MathContext(120)).round(MC);
        BigDecimal r2 = r.multiply(r, MC);
        BigDecimal s = BigDecimal.ZERO, c = BigDecimal.ZERO;
        BigDecimal ts = r, tc = BigDecimal.ONE;
        for (int n = 1; ts.abs().compareTo(EPS) > 0 || tc.abs().compareTo(EPS) > 0; n += 2) {
            s = s.add(ts, MC);
            c = c.add(tc, MC);
            ts = ts.multiply(r2, MC).divide(BigDecimal.valueOf(-(long) (n + 1) * (n + 2)), MC);
            tc = tc.multiply(r2, MC).divide(BigDecimal.valueOf(-(long) n * (n + 1)), MC);
            if (n > 400) break;
        }
        int q = k.remainder(BigDecimal.valueOf(4)).intValue();
        if (q < 0) q += 4;
        return switch (q) {
            case 0 -> new BigDecimal[] {s, c};
            case 1 -> new BigDecimal[] {c, s.negate()};
            case 2 -> new BigDecimal[] {s.negate(), c.negate()};
            default -> new BigDecimal[] {c.negate(), s};
        };
    }

    /** e^y - 1 for |y| below about 1. */
    static BigDecimal expm1(BigDecimal y) {
        BigDecimal sum = BigDecimal.ZERO, t = y;
        for (int n = 2; t.abs().compareTo(EPS.multiply(sum.abs().max(EPS))) > 0 && n < 300; n++) {
            sum = sum.add(t, MC);
            t = t.multiply(y, MC).divide(BigDecimal.valueOf(n), MC);
        }
        return sum.add(t, MC);
    }

    /** 2^x - 1 (F2XM1). */
    static BigDecimal twoXm1(BigDecimal x) { return expm1(x.multiply(LN2, MC)); }

    /** ln(1 + d) for d > -1 via 2 atanh(d / (2 + d)). */
    static BigDecimal log1p(BigDecimal d) {
        BigDecimal t = d.divide(d.add(BigDecimal.valueOf(2)), MC);
        return atanhSeries(t).multiply(BigDecimal.valueOf(2));
    }

    private static BigDecimal atanhSeries(BigDecimal t) {
        BigDecimal t2 = t.multiply(t, MC), p = t, sum = BigDecimal.ZERO;
        for (int k = 1; k < 2000; k += 2) {
            BigDecimal term = p.divide(BigDecimal.valueOf(k), MC);
            sum = sum.add(term, MC);
            if (term.abs().compareTo(EPS.multiply(sum.abs().max(EPS))) <= 0) break;
            p = p.multiply(t2, MC);
        }
        return sum;
    }

    /** log2 of the positive finite value se/m. */
    static BigDecimal log2(int se, long m) {
        int e = normExp(se, m) - BIAS;
        long mm = normMant(m);
        // mantissa M in [1,2); use M/2 in [0.5,1) when M > 1.5 to keep ln(M) small
        BigDecimal mBig = toBig(BIAS, mm);
        if (mBig.compareTo(new BigDecimal("1.5")) > 0) { mBig = mBig.divide(BigDecimal.valueOf(2)); e++; }
        BigDecimal ln = log1p(mBig.subtract(BigDecimal.ONE));
        return ln.divide(LN2, MC).add(BigDecimal.valueOf(e), MC);
    }

    static BigDecimal log2p1(BigDecimal x) { return log1p(x).divide(LN2, MC); }

    /** atan2(y, x) for finite nonzero y and x. */
    static BigDecimal atan2(BigDecimal y, BigDecimal x) {
        BigDecimal ay = y.abs(), ax = x.abs();
        boolean swap = ay.compareTo(ax) > 0;
        BigDecimal z = swap ? ax.divide(ay, MC) : ay.divide(ax, MC);
        // halve the argument twice: atan z = 2 atan(z / (1 + sqrt(1 + z^2)))
        int doublings = 0;
        while (z.compareTo(new BigDecimal("0.05")) > 0 && doublings < 6) {
            z = z.divide(BigDecimal.ONE.add(BigDecimal.ONE.add(z.multiply(z, MC)).sqrt(MC)), MC);
            doublings++;
        }
        BigDecimal z2 = z.multiply(z, MC), p = z, a = BigDecimal.ZERO;
        for (int k = 1; k < 500; k += 2) {
            BigDecimal term = p.divide(BigDecimal.valueOf(((k >> 1) & 1) == 0 ? k : -k), MC);
            a = a.add(term, MC);
            if (term.abs().compareTo(EPS.multiply(a.abs().max(EPS))) <= 0) break;
            p = p.multiply(z2, MC);
        }
        a = a.multiply(BigDecimal.valueOf(1L << doublings));
        if (swap) a = HALF_PI.subtract(a, MC);
        if (x.signum() < 0) a = PI.subtract(a, MC);
        return y.signum() < 0 ? a.negate() : a;
    }
}
