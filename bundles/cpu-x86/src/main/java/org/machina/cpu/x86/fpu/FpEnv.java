package org.machina.cpu.x86.fpu;

/**
 * The arithmetic context of one x87 operation: rounding/precision inputs, accumulated exception
 * flags and the result register. Reused for every instruction, so arithmetic allocates nothing.
 */
final class FpEnv {
    static final int IE = 0x01, DE = 0x02, ZE = 0x04, OE = 0x08, UE = 0x10, PE = 0x20, SF = 0x40;
    static final int RC_NEAREST = 0, RC_DOWN = 1, RC_UP = 2, RC_ZERO = 3;

    /** Rounding control (RC_*). */
    int rc;
    /** Significand precision in bits: 24, 53 or 64. */
    int pc = 64;
    /** Exception mask bits of the control word (bit set = masked). */
    int masks = 0x3F;
    /** Exception flags raised by this operation. */
    int flags;
    /** Whether the last rounding incremented the magnitude (reported in C1). */
    boolean roundedUp;
    /** Result: sign and biased exponent (sign in bit 15). */
    int se;
    /** Result: 64-bit significand with explicit integer bit. */
    long m;

    void begin(int controlWord) {
        rc = (controlWord >>> 10) & 3;
        int p = (controlWord >>> 8) & 3;
        pc = p == 0 ? 24 : p == 2 ? 53 : 64;
        masks = controlWord & 0x3F;
        flags = 0;
        roundedUp = false;
    }

    void result(int se, long m) {
        this.se = se;
        this.m = m;
    }

    /** True if an unmasked IE, ZE or DE was raised: the destination must stay unchanged. */
    boolean blocked() {
        int f = (flags & (IE | ZE)) != 0 ? flags & ~DE : flags; // IE/ZE take precedence over DE
        return (f & ~masks & (IE | ZE | DE)) != 0;
    }
}
