package org.machina.cpu.x86.fpu;

import static org.machina.cpu.x86.fpu.FpEnv.*;
import static org.machina.cpu.x86.fpu.Float80.*;

/**
 * F2XM1, FYL2X, FYL2XP1, FPTAN, FPATAN, FSIN, FCOS, FSINCOS (and the FXTRACT dispatch).
 * <p>Accuracy: these are evaluated in IEEE double precision (java.lang.StrictMath) from the
 * operands rounded to 53 bits, so results carry about 53 correct bits instead of the ~64 of
 * real x87 hardware; special operands (NaN, infinities, zeros, out-of-range arguments with C2)
 * follow the SDM. Precision control does not apply, as on the hardware. Trigonometric arguments
 * are reduced with the exact pi of StrictMath, not the 66-bit pi of the x87, so for large |x| the
 * results differ from a real x87 by more than the 53-bit accuracy.
 */
final class Transcendental {
    private Transcendental() { }

    private static final double LN2 = 0.6931471805599453;

    /** x - 1, computed exactly in extended precision (x in [0.5, 2]), as a double. */
    private static double minusOne(FpEnv env, int se, long m) {
        int flags = env.flags, pc = env.pc, rc = env.rc;
        env.pc = 64;
        env.rc = RC_NEAREST;
        add(env, se, m, 0x3FFF, INT_BIT, true);
        double d = toDouble(env.se, env.m);
        env.flags = flags; env.pc = pc; env.rc = rc;
        return d;
    }

    /** The part of x lost by rounding it to the double hi: x - hi, exact in extended precision. */
    private static double lowPart(FpEnv env, int se, long m, double hi) {
        int flags = env.flags, pc = env.pc, rc = env.rc;
        Convert.fromReal(env, Double.doubleToRawLongBits(hi), 11, 52);
        int hse = env.se;
        long hm = env.m;
        env.pc = 64;
        env.rc = RC_NEAREST;
        add(env, se, m, hse, hm, true);
        double d = toDouble(env.se, env.m);
        env.flags = flags; env.pc = pc; env.rc = rc;
        return d;
    }

    static double toDouble(int se, long m) {
        if (isZero(se, m)) return neg(se) ? -0.0 : 0.0;
        if (isInf(se, m)) return neg(se) ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        int e = normExp(se, m);
        long mm = normMant(m);
        // round to 53 bits by nearest
        long top = mm >>> 11;
        if (((mm >>> 10) & 1) != 0) top++;
        double v = Math.scalb((double) top, e - BIAS - 52);
        return neg(se) ? -v : v;
    }

    /** Packs a double result, rounding it to the precision control, and flags PE when inexact. */
    static void fromDouble(FpEnv env, double d, boolean exact) {
        if (Double.isNaN(d)) { indefinite(env); return; }
        Convert.fromReal(env, Double.doubleToRawLongBits(d), 11, 52);
        int se = env.se;
        long m = env.m;
        // the hardware ignores precision control for transcendentals: always 64 bits
        if (!isZero(se, m) && !isInf(se, m)) roundPack(env, neg(se), normExp(se, m), normMant(m), 0, 64, 1, 0x7FFE, 24576, true);
        if (!exact) env.flags |= PE;
        env.flags &= ~DE;
    }

    /** op: 0 F2XM1, 1 FYL2X, 2 FPTAN, 3 FPATAN, 4 FXTRACT, 9 FYL2XP1, 11 FSINCOS, 14 FSIN, 15 FCOS. */
    static void execute(X87 fpu, FpEnv env, int op) {
        if (op == 4) { fpu.fxtract(); return; }
        boolean two = op == 1 || op == 3 || op == 9;
        if (fpu.isEmpty(0) || (two && fpu.isEmpty(1))) {
            if (!fpu.transcendentalUnderflow()) {
                if (two) { fpu.transcendentalSet(1, env.se, env.m); fpu.transcendentalPop(); }
                else {
                    fpu.transcendentalSet(0, env.se, env.m);
                    if ((op == 2 || op == 11) && !fpu.slotBelowTopFull()) fpu.transcendentalPush(env.se, env.m);
                }
            }
            fpu.transcendentalFinish(false);
            return;
        }
        int xse = fpu.seOf(0);
        long xm = fpu.mOf(0);
        if (two) {
            int yse = fpu.seOf(1);
            long ym = fpu.mOf(1);
            boolean precise = PreciseMath.inRange(xse, xm) && PreciseMath.inRange(yse, ym)
                    && (op == 3 || (op == 1 && !neg(xse)) || (op == 9 && Transcendental.toDouble(xse, xm) > -1));
            if (!specials2(env, xse, xm, yse, ym) && precise) {
                java.math.BigDecimal bx = PreciseMath.toBig(xse, xm), by = PreciseMath.toBig(yse, ym);
                java.math.BigDecimal r = switch (op) {
                    case 3 -> PreciseMath.atan2(by, bx);
                    case 1 -> by.multiply(PreciseMath.log2(xse, xm), PreciseMath.MC);
                    default -> by.multiply(PreciseMath.log2p1(bx), PreciseMath.MC);
                };
                if (r.signum() == 0) env.result(yse & 0x8000, 0); else PreciseMath.fromBig(env, r);
            } else if ((env.flags & IE) == 0 && !isNaN(xse, xm) && !isNaN(yse, ym) && !isUnsupported(xse, xm) && !isUnsupported(yse, ym)) {
                double x = toDouble(xse, xm), y = toDouble(yse, ym);
                double r;
                if (op == 3) r = StrictMath.atan2(y, x);
                else {
                    if (op == 1 && x < 0 || op == 9 && x < -1) { indefinite(env); r = 0; }
                    else {
                        double l;
                        if (op == 9) l = StrictMath.log1p(x) / LN2;
                        else if (x >= 0.5 && x <= 2) l = StrictMath.log1p(minusOne(env, xse, xm)) / LN2; // keeps bits near 1
                        else l = StrictMath.log(x) / LN2;
                        if (op == 1 && x == 0 && y != 0 && !isInf(yse, ym)) env.flags |= ZE;
                        r = y * l;
                    }
                }
                boolean symbolic = isZero(xse, xm) || isZero(yse, ym) || isInf(xse, xm) || isInf(yse, ym);
                if (op == 3 && symbolic && r != 0) PreciseMath.fromBig(env, PreciseMath.piQuarters(Math.round(r / (Math.PI / 4))));
                else if ((env.flags & IE) == 0) fromDouble(env, r, r == 0 || Double.isInfinite(r));
            }
            if (!env.blocked()) { fpu.transcendentalSet(1, env.se, env.m); fpu.transcendentalPop(); }
            fpu.transcendentalFinish(true);
            return;
        }
        boolean pushes = op == 2 || op == 11;
        if (pushes && fpu.slotBelowTopFull()) {
            env.flags |= IE | SF;
            env.roundedUp = true;
            if ((fpu.controlWord() & IE) != 0) { fpu.transcendentalSet(0, INDEF_SE, INDEF_M); fpu.transcendentalPush(INDEF_SE, INDEF_M); }
            fpu.transcendentalFinish(false);
            return;
        }
        if (specials1(env, xse, xm)) {
            if (!env.blocked()) {
                fpu.transcendentalSet(0, env.se, env.m);
                if (pushes) fpu.transcendentalPush(env.se, env.m);
            }
            fpu.setC2(false);
            fpu.transcendentalFinish(false);
            return;
        }
        boolean trig = op != 0;
        if (trig && isInf(xse, xm)) {
            indefinite(env);
            if (!env.blocked()) { fpu.transcendentalSet(0, env.se, env.m); if (pushes) fpu.transcendentalPush(env.se, env.m); }
            fpu.setC2(false);
            fpu.transcendentalFinish(false);
            return;
        }
        if (trig && (xse & 0x7FFF) >= BIAS + 63) { fpu.setC2(true); fpu.transcendentalFinish(false); return; }
        double x = toDouble(xse, xm);
        boolean zero = isZero(xse, xm);
        double sin = 0, cos = 1;
        java.math.BigDecimal[] sc = null;
        if (trig && !zero && PreciseMath.inRange(xse, xm)) sc = PreciseMath.sinCos(PreciseMath.toBig(xse, xm));
        else if (trig && !zero) {
            // first-order correction for the bits of x beyond double: sin(x+d) = sin x + d cos x
            double d = lowPart(env, xse, xm, x);
            double s0 = StrictMath.sin(x), c0 = StrictMath.cos(x);
            sin = s0 + d * c0;
            cos = c0 - d * s0;
        }
        int rse; long rm;
        switch (op) {
            case 0 -> {
                if (zero) { env.result(xse, xm); }
                else if (isInf(xse, xm)) { if (neg(xse)) env.result(0xBFFF, INT_BIT); else env.result(xse, xm); }
                else if (PreciseMath.inRange(xse, xm)) PreciseMath.fromBig(env, PreciseMath.twoXm1(PreciseMath.toBig(xse, xm)));
                else fromDouble(env, StrictMath.expm1(x * 0.6931471805599453), false);
                fpu.transcendentalSet(0, env.se, env.m);
            }
            case 2 -> { // FPTAN
                if (zero) env.result(xse, xm);
                else if (sc != null) PreciseMath.fromBig(env, sc[0].divide(sc[1], PreciseMath.MC));
                else fromDouble(env, sin / cos, false);
                fpu.transcendentalSet(0, env.se, env.m);
                fpu.transcendentalPush(0x3FFF, INT_BIT);
            }
            case 11 -> { // FSINCOS: ST0 = sin, push cos
                if (zero) env.result(xse, xm); else if (sc != null) PreciseMath.fromBig(env, sc[0]); else fromDouble(env, sin, false);
                rse = env.se; rm = env.m;
                int f = env.flags; boolean up = env.roundedUp;
                if (zero) env.result(0x3FFF, INT_BIT); else if (sc != null) PreciseMath.fromBig(env, sc[1]); else fromDouble(env, cos, false);
                env.flags |= f; env.roundedUp |= up;
                fpu.transcendentalSet(0, rse, rm);
                fpu.transcendentalPush(env.se, env.m);
            }
            case 14 -> { if (zero) env.result(xse, xm); else if (sc != null) PreciseMath.fromBig(env, sc[0]); else fromDouble(env, sin, false); fpu.transcendentalSet(0, env.se, env.m); }
            case 15 -> { if (zero) env.result(0x3FFF, INT_BIT); else if (sc != null) PreciseMath.fromBig(env, sc[1]); else fromDouble(env, cos, false); fpu.transcendentalSet(0, env.se, env.m); }
            default -> throw new IllegalStateException("not a transcendental op " + op);
        }
        fpu.setC2(false);
        fpu.transcendentalFinish(true);
    }
}
