package org.machina.block;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Runs QEMU's image tools for the tests; skips a test when a tool is missing. */
final class Tools {
    record Result(int exit, String out) {
    }

    private Tools() {
    }

    static void need(String tool) {
        boolean found = false;
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            found |= Files.isExecutable(Path.of(dir, tool));
        }
        assumeTrue(found, tool + " is not installed (apt-get install qemu-utils); skipping");
    }

    static Result run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("timeout: " + List.of(cmd));
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    /** Runs a command that must succeed. */
    static String ok(String... cmd) throws IOException, InterruptedException {
        Result r = run(cmd);
        if (r.exit != 0) {
            throw new AssertionError(List.of(cmd) + " failed with " + r.exit + ": " + r.out);
        }
        return r.out;
    }

    /** qemu-io, output discarded. */
    static void qemuIo(Path image, String fmt, String command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("qemu-io", "-f", fmt, "-c", command, image.toString())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new AssertionError("qemu-io " + command + " failed");
        }
    }

    /** {@code qemu-img check} as JSON numbers: [exit, corruptions, leaks, check-errors]. */
    static long[] check(Path image) throws IOException, InterruptedException {
        Result r = run("qemu-img", "check", "--output=json", image.toString());
        return new long[] {r.exit, num(r.out, "corruptions"), num(r.out, "leaks"), num(r.out, "check-errors")};
    }

    private static long num(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\":\\s*(\\d+)").matcher(json);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    /** Converts any image to raw bytes with qemu-img (the reference reader). */
    static byte[] toRaw(Path image, Path dir) throws IOException, InterruptedException {
        Path raw = dir.resolve("ref-" + System.nanoTime() + ".raw");
        ok("qemu-img", "convert", "-O", "raw", image.toString(), raw.toString());
        byte[] b = Files.readAllBytes(raw);
        Files.delete(raw);
        return b;
    }
}
