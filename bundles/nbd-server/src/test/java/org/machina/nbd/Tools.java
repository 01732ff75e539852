package org.machina.nbd;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs external NBD/QEMU tools for the tests; skips a test when one is missing. */
public final class Tools {
    public record Result(int exit, String out) {
    }

    private Tools() {
    }

    public static void need(String... tools) {
        for (String tool : tools) {
            boolean found = false;
            for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
                found |= Files.isExecutable(Path.of(dir, tool));
            }
            assumeTrue(found, tool + " is not installed (apt-get install qemu-utils libnbd-bin); skipping");
        }
    }

    public static Result run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("timeout: " + List.of(cmd));
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    public static String ok(String... cmd) throws IOException, InterruptedException {
        Result r = run(cmd);
        if (r.exit != 0) {
            throw new AssertionError(List.of(cmd) + " failed with " + r.exit + ": " + r.out);
        }
        return r.out;
    }

    public static void qemuIo(Path image, String fmt, String command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("qemu-io", "-f", fmt, "-c", command, image.toString())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new AssertionError("qemu-io " + command + " failed");
        }
    }

    public static String sha256(Path f) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (var in = Files.newInputStream(f)) {
            byte[] b = new byte[1 << 20];
            for (int n; (n = in.read(b)) > 0; ) {
                md.update(b, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
