package org.machina.cpu.x86;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs nasm (and ld) for tests; absent tools make tests skip through {@link #available}. */
final class Asm {
    private Asm() {
    }

    static boolean available(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) return true;
        }
        return false;
    }

    static void run(Path dir, List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(cmd + " failed: " + new String(out));
        }
    }

    /** Assembles {@code source} as a flat binary. */
    static byte[] flat(String source, String... defines) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("x86asm");
        try {
            Files.writeString(dir.resolve("t.asm"), source);
            List<String> cmd = new java.util.ArrayList<>(List.of("nasm", "-f", "bin", "-o", "t.bin", "t.asm"));
            for (String d : defines) cmd.add("-D" + d);
            run(dir, cmd);
            return Files.readAllBytes(dir.resolve("t.bin"));
        } finally {
            deleteTree(dir);
        }
    }

    /** Removes a test's scratch directory and everything in it. */
    static void deleteTree(Path dir) throws IOException {
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
