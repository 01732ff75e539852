package org.machina.cpu.x86;

import java.util.Locale;

/**
 * How the CPU executes guest code: {@code tcg} translates hot code to JVM
 * bytecode ({@link BlockCompiler}) and interprets the rest (the default); {@code interp}
 * interprets everything. {@code threshold} is how often an instruction start is interpreted before a block
 * is translated there (1 translates everything at once).
 *
 * @param translate  whether the translator is on
 * @param threshold  1..{@link #MAX_THRESHOLD}
 * @param background whether blocks are translated on a thread of their own ({@code background=on}):
 *                   the CPU interprets a block's instructions until its translation is ready,
 *                   instead of pausing the guest, and its clock, for the translation. Off by
 *                   default until measured again in a guest (see docs/architecture.md)
 * @param lockstep   whether every translated block is checked against the interpreter
 *                   ({@code lockstep=on}, see {@link Lockstep}): slow, for finding translator bugs
 * @param hot        after how many runs from the jump cache a block is translated again as hot
 *                   code, which HotSpot may compile with C2 ({@code hot=N}; 0: never; see
 *                   {@link JitDirectives})
 * @param region     the most instructions of a hot block made a region ({@code region=N}, see
 *                   {@link BlockCompiler}): the code at the targets it jumps to inside its page
 *                   taken in, so loops of several blocks run without the run loop; 0 (the
 *                   default): no regions, they made boots slower (docs/architecture.md)
 */
public record Accel(boolean translate, int threshold, boolean background, boolean lockstep, int hot, int region) {
    /**
     * The default threshold, chosen by boots to /init (docs/architecture.md): a start interpreted
     * 3000 times before its block is translated (1500 was measured again on 2026-12-05: less CPU
     * on the machine thread, more for C1, no gain in wall time, slower on two busy cores).
     * Translating costs the CPU's thread the class's generation, loading and verification, then
     * runs in the JVM's bytecode interpreter until C1 has compiled it twice: code that runs only
     * some thousand times is cheaper interpreted.
     * Against 16 (the first choice), the machine thread's CPU fell from 29.6 to 21.5-22.1 s and
     * C1's from 21.2 to 6.3 s.
     */
    public static final int DEFAULT_THRESHOLD = 3000;
    /**
     * The default {@code hot}, chosen by boots to /init on a quiet machine (docs/architecture.md):
     * about 180 blocks get there (87 % of the boot's instructions are in its 64 hottest blocks),
     * few enough for C2's 50-250 ms a block; at 5000 C2's time outweighed the gain.
     */
    public static final int DEFAULT_HOT = 20_000;
    /** The highest {@code thresh} (a start's count is a 16-bit number). */
    public static final int MAX_THRESHOLD = 10_000;
    public static final Accel TCG = new Accel(true, DEFAULT_THRESHOLD, false);
    public static final Accel INTERPRETER = new Accel(false, DEFAULT_THRESHOLD, false);

    /** Translating on the CPU's thread, as soon as a start reaches {@code threshold} (tests compare at exact points). */
    public Accel(boolean translate, int threshold) {
        this(translate, threshold, false);
    }

    public Accel(boolean translate, int threshold, boolean background) {
        this(translate, threshold, background, false);
    }

    public Accel(boolean translate, int threshold, boolean background, boolean lockstep) {
        this(translate, threshold, background, lockstep, DEFAULT_HOT);
    }

    public Accel(boolean translate, int threshold, boolean background, boolean lockstep, int hot) {
        this(translate, threshold, background, lockstep, hot, 0);
    }

    /** The most instructions a region may have ({@code region=N}). */
    public static final int MAX_REGION = 1024;

    public Accel {
        if (threshold < 1 || threshold > MAX_THRESHOLD) {
            throw new IllegalArgumentException("translation threshold must be 1.." + MAX_THRESHOLD + ", not " + threshold);
        }
        if (hot < 0) {
            throw new IllegalArgumentException("hot must be 0 (never) or a number of runs, not " + hot);
        }
        if (region < 0 || region > MAX_REGION) {
            throw new IllegalArgumentException("region must be 0 (none) or at most " + MAX_REGION + " instructions, not "
                    + region);
        }
    }

    /**
     * Parses {@code tcg}, {@code interp} or {@code tcg,thresh=N,background=on|off,lockstep=on|off,hot=N,region=N} (QEMU's
     * -accel spelling for the first); fails naming what it does not know.
     */
    public static Accel parse(String spec) {
        String[] parts = spec.trim().split(",");
        String kind = parts[0].toLowerCase(Locale.ROOT);
        if (!kind.equals("tcg") && !kind.equals("interp")) {
            throw new IllegalArgumentException("unknown accelerator '" + parts[0] + "': use tcg (translator) or interp");
        }
        int threshold = DEFAULT_THRESHOLD, hot = DEFAULT_HOT, region = 0;
        boolean background = false, lockstep = false;
        for (int i = 1; i < parts.length; i++) {
            String p = parts[i];
            if (p.equals("background=on") || p.equals("background=off")) {
                background = p.endsWith("on");
            } else if (p.equals("lockstep=on") || p.equals("lockstep=off")) {
                lockstep = p.endsWith("on");
            } else if (p.startsWith("thresh=")) {
                threshold = number("thresh", p.substring(7));
            } else if (p.startsWith("hot=")) {
                hot = number("hot", p.substring(4));
            } else if (p.startsWith("region=")) {
                region = number("region", p.substring(7));
            } else {
                throw new IllegalArgumentException("unknown -accel property '" + p
                        + "' (known: thresh=N, background=on|off, lockstep=on|off, hot=N, region=N)");
            }
        }
        return new Accel(kind.equals("tcg"), threshold, background && kind.equals("tcg"), lockstep && kind.equals("tcg"), hot,
                region);
    }

    private static int number(String property, String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(property + " must be a number, not '" + value + "'");
        }
    }

    /**
     * From the system property {@code machina.accel} (see {@link #parse}); {@link #TCG} when
     * unset: the whole LinuxGuestIT passes under it in 234 s against about 600 s interpreted, and
     * lockstep found no difference over 4.5 G instructions of a Linux boot (docs/architecture.md).
     */
    static Accel fromSystemProperties() {
        String v = System.getProperty("machina.accel");
        return v == null || v.isBlank() ? TCG : parse(v);
    }
}
