package org.machina.cpu.x86.fpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Differential test against the host's x87: {@code src/test/native/x87gen.c} is compiled with gcc,
 * runs each case natively (FNINIT; FLDCW; FLD B; FLD A; instruction; FNSAVE) and prints inputs and
 * results; each case is replayed through {@link X87} and compared bit-exactly (status word bits the
 * SDM calls undefined for the instruction are masked). {@code -Dx87.difftest.count=N
 * -Dx87.difftest.seed=S} choose the run; skipped when gcc or an x86-64 host is missing.
 */
class X87DifferentialTest {
    private static final int MEM = 0x100, B_AT = 0x120, A_AT = 0x140, CW_AT = 0x160;
    private static int transInexact;

    @Test
    void matchesHostX87() throws Exception {
        Assumptions.assumeTrue("amd64".equals(System.getProperty("os.arch")) || "x86_64".equals(System.getProperty("os.arch")),
                "x87 differential test needs an x86-64 host, this is " + System.getProperty("os.arch"));
        Path gen = compileGenerator();
        long seed = Long.getLong("x87.difftest.seed", 1);
        int count = Integer.getInteger("x87.difftest.count", 30000);
        List<String> lines = run(gen, seed, count);
        transInexact = 0;
        assertEquals(count, lines.size(), "generator output lines");
        Map<String, int[]> stats = new TreeMap<>();
        List<String> failures = new ArrayList<>();
        for (String line : lines) {
            String[] f = line.split(" ");
            String why = check(f);
            int[] s = stats.computeIfAbsent(f[0], k -> new int[2]);
            s[0]++;
            if (why == null) s[1]++;
            else if (failures.size() < 40) failures.add(line + "\n    -> " + why);
        }
        StringBuilder sb = new StringBuilder("x87 differential test, seed " + seed + ", " + count + " cases\n");
        int pass = 0;
        for (var e : stats.entrySet()) {
            sb.append(String.format("  %-9s %6d/%6d%n", e.getKey(), e.getValue()[1], e.getValue()[0]));
            pass += e.getValue()[1];
        }
        sb.append("  (transcendental results not bit-identical but within 2^-60: ").append(transInexact).append(")\n");
        System.out.println(sb);
        failures.forEach(System.out::println);
        assertEquals(count, pass, "cases matching the host x87 (first mismatches printed above)");
    }

    /** Replays one case; returns null on a match or a description of the first difference. */
    static String check(String[] f) {
        String group = f[0];
        int op = Integer.parseInt(f[1], 16), modrm = Integer.parseInt(f[2], 16), cw = Integer.parseInt(f[3], 16);
        ArrayMemory mem = new ArrayMemory(0x200);
        X87 x = new X87();
        int mode = f[4].charAt(0) - '0';
        x.setEflagsForFcmov(Integer.parseInt(f[4].substring(1), 16));
        f = java.util.Arrays.copyOfRange(f, 1, f.length); // the remaining fields keep their original indexes
        mem.write16(CW_AT, cw);
        mem.writeExt(B_AT, f[5]);
        mem.writeExt(A_AT, f[4]);
        for (int i = 0; i < 16; i++) mem.write8(MEM + i, Integer.parseInt(f[6].substring(2 * i, 2 * i + 2), 16));
        x.execute(0xD9, 0x28, CW_AT, true, mem);
        if (mode == 2) for (int k = 0; k < 6; k++) x.execute(0xD9, 0xEE, 0, true, mem);  // FLDZ: fill the stack
        x.execute(0xDB, 0x28, B_AT, true, mem);
        x.execute(0xDB, 0x28, A_AT, true, mem);
        if (mode == 1) x.execute(0xDD, 0xC1, 0, true, mem);  // FFREE ST1
        if (mode == 3) x.execute(0xDD, 0xC0, 0, true, mem);  // FFREE ST0
        try {
            x.execute(op, modrm, MEM, true, mem);
        } catch (RuntimeException e) {
            return "threw " + e;
        }
        int wantSw = Integer.parseInt(f[7], 16), wantTw = Integer.parseInt(f[8], 16), wantFl = Integer.parseInt(f[9], 16);
        boolean trans = group.equals("trans");
        int swMask = switch (group) {
            case "trans" -> 0x3800 | 0x0400 | 0x45; // TOP, C2, IE/ZE/SF: results are approximated (see Transcendental)
            case "compare", "comi", "fxam" -> 0xFFFF;
            case "prem" -> (wantSw & 0x400) != 0 ? ~0x4300 & 0xFFFF : 0xFFFF;
            default -> ~0x4500 & 0xFFFF;
        };
        int sw = x.statusWord();
        if ((sw & swMask) != (wantSw & swMask)) return String.format("status word %04x, host %04x (mask %04x)", sw, wantSw, swMask);
        if (x.tagWord() != wantTw) return String.format("tag word %04x, host %04x", x.tagWord(), wantTw);
        if (group.equals("comi") && (x.lastComiFlags() != (wantFl & 0x45) || !x.comiExecuted()))
            return String.format("comi flags %02x, host %02x", x.lastComiFlags(), wantFl & 0x45);
        int topReg = (wantSw >>> 11) & 7;
        for (int i = 0; i < 3; i++) {
            if (((wantTw >>> (2 * ((topReg + i) & 7))) & 3) == 3) continue;
            byte[] st = x.readSt(i);
            String got = hexExt(st);
            if (!got.equals(f[10 + i])) {
                if (trans && close(got, f[10 + i])) transInexact++;
                else return "ST" + i + " " + got + ", host " + f[10 + i];
            }
        }
        StringBuilder m = new StringBuilder();
        for (int i = 0; i < 16; i++) m.append(String.format("%02x", mem.read8(MEM + i)));
        if (!m.toString().equals(f[13])) return "memory " + m + ", host " + f[13];
        return null;
    }

    /**
     * Transcendental results: within 2^-60 of the host relative to max(1, |result|), i.e. a few
     * ulps of the 64-bit significand (the x87 itself is only accurate to about one ulp).
     */
    static boolean close(String got, String want) {
        int gse = Integer.parseInt(got.substring(0, 4), 16), wse = Integer.parseInt(want.substring(0, 4), 16);
        long gm = Long.parseUnsignedLong(got.substring(4), 16), wm = Long.parseUnsignedLong(want.substring(4), 16);
        if (!PreciseMath.inRange(gse, gm) || !PreciseMath.inRange(wse, wm)) return false;
        java.math.BigDecimal g = PreciseMath.toBig(gse, gm), w = PreciseMath.toBig(wse, wm);
        java.math.BigDecimal tol = w.abs().max(java.math.BigDecimal.ONE)
                .divide(new java.math.BigDecimal(java.math.BigInteger.ONE.shiftLeft(60)));
        return g.subtract(w).abs().compareTo(tol) <= 0;
    }

    static String hexExt(byte[] st) {
        StringBuilder s = new StringBuilder();
        s.append(String.format("%02x%02x", st[9], st[8]));
        for (int k = 7; k >= 0; k--) s.append(String.format("%02x", st[k]));
        return s.toString();
    }

    private static Path compileGenerator() throws IOException, InterruptedException {
        Path src = Path.of("src/test/native/x87gen.c").toAbsolutePath();
        Assumptions.assumeTrue(Files.exists(src), "generator source missing: " + src);
        Path out = Path.of("target/x87gen").toAbsolutePath();
        Files.createDirectories(out.getParent());
        Process p;
        try {
            p = new ProcessBuilder("gcc", "-O1", "-o", out.toString(), src.toString()).redirectErrorStream(true).start();
        } catch (IOException e) {
            Assumptions.abort("gcc not found, x87 differential test skipped: " + e.getMessage());
            return null;
        }
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0, "gcc failed to build x87gen:\n" + log);
        return out;
    }

    private static List<String> run(Path gen, long seed, int count) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(gen.toString(), Long.toString(seed), Integer.toString(count)).start();
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII))) {
            for (String l; (l = r.readLine()) != null; ) lines.add(l);
        }
        assertTrue(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0, "x87gen failed");
        return lines;
    }
}
