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

    private static Boolean runsI386;

    /**
     * Whether this kernel runs i386 processes (Linux booted with ia32_emulation off does not); probed
     * once with a three-instruction program.
     */
    static synchronized boolean hostRunsI386() throws IOException, InterruptedException {
        if (runsI386 == null) {
            Path dir = Files.createTempDirectory("x86probe");
            try {
                Files.writeString(dir.resolve("probe.asm"),
                        "BITS 32\nglobal _start\n_start:\n  mov eax, 1\n  xor ebx, ebx\n  int 0x80\n");
                run(dir, List.of("nasm", "-f", "elf32", "-o", "probe.o", "probe.asm"));
                run(dir, List.of("ld", "-m", "elf_i386", "-o", "probe", "probe.o"));
                Process p;
                try {
                    p = new ProcessBuilder(dir.resolve("probe").toString()).redirectErrorStream(true).start();
                } catch (IOException e) {
                    return runsI386 = false; // exec format error
                }
                p.getInputStream().readAllBytes();
                runsI386 = p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
            } finally {
                deleteTree(dir);
            }
        }
        return runsI386;
    }

    /** Removes a test's scratch directory and everything in it. */
    static void deleteTree(Path dir) throws IOException {
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
