package org.machina.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs the built full distribution's {@code machina} command as a user would: each call a child
 * process ({@code java -jar launcher.jar ARGS}) with {@code MACHINA_HOME} set to a test folder,
 * its output captured, bounded by a time-out so that a hung command fails the test.
 */
final class MachinaCli {
    static final long COMMAND_TIMEOUT_S = 90;

    record Result(int status, String out, String err) {
        @Override
        public String toString() {
            return "status " + status + "\n--- stdout:\n" + out + "\n--- stderr:\n" + err;
        }
    }

    private final Path home;
    private final Path launcher;

    MachinaCli(Path home) throws IOException {
        this.home = home;
        Path dist = Path.of(System.getProperty("machina.bundles")).getParent();
        try (Stream<Path> s = Files.list(dist.resolve("lib"))) {
            launcher = s.filter(p -> p.getFileName().toString().startsWith("launcher-")).findFirst().orElseThrow();
        }
    }

    Path launcher() {
        return launcher;
    }

    Result run(String... args) throws Exception {
        return runWithInput(null, args);
    }

    Result runWithInput(String input, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", GuestConsole.machineJvmOptions(), "-jar", launcher.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("MACHINA_HOME", home.toString());
        Path out = Files.createTempFile(home, "out", ".txt");
        Path err = Files.createTempFile(home, "err", ".txt");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        try (var stdin = p.getOutputStream()) {
            if (input != null) {
                stdin.write(input.getBytes(StandardCharsets.UTF_8));
            }
        }
        if (!p.waitFor(COMMAND_TIMEOUT_S, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("machina " + String.join(" ", args) + " did not end within " + COMMAND_TIMEOUT_S
                    + " s; stderr:\n" + Files.readString(err));
        }
        Result r = new Result(p.exitValue(), Files.readString(out), Files.readString(err));
        Files.delete(out);
        Files.delete(err);
        return r;
    }

    /** Runs a command that must succeed (exit status 0). */
    Result ok(String... args) throws Exception {
        Result r = run(args);
        assertEquals(0, r.status(), () -> "machina " + String.join(" ", args) + ": " + r);
        return r;
    }

    /** Runs a command that must fail with this exit status and a {@code machina: } message. */
    Result fails(int status, String... args) throws Exception {
        Result r = run(args);
        assertEquals(status, r.status(), () -> "machina " + String.join(" ", args) + ": " + r);
        assertTrue(r.err().contains("machina: "), () -> "an error message: " + r);
        return r;
    }

    /** Kills the daemons a failed test left behind (those whose pid file names a live daemon). */
    void killLeftoverDaemons() throws IOException {
        Path instances = home.resolve("instances");
        if (!Files.isDirectory(instances)) {
            return;
        }
        try (Stream<Path> s = Files.list(instances)) {
            for (Path dir : s.toList()) {
                Path pid = dir.resolve("pid");
                if (Files.exists(pid)) {
                    try {
                        ProcessHandle.of(Long.parseLong(Files.readString(pid).trim())).ifPresent(p -> {
                            if (p.info().commandLine().orElse("").contains("daemon")) {
                                p.destroyForcibly();
                            }
                        });
                    } catch (NumberFormatException e) {
                        // nothing to kill
                    }
                }
            }
        }
    }
}
