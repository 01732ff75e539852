package org.machina.cpu.x86;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.machina.api.cpu.Cpu;

/**
 * C programs compiled by gcc -m32 (jump tables, 64-bit arithmetic through libgcc, bit builtins,
 * recursion, function pointers; x87 floating point) run natively and in the interpreter; the
 * output of both must be identical. On a host whose kernel runs no i386 code, the integer program's
 * reference is the same source built for the host's x86-64 ABI (it prints only fixed-width integer
 * results, so both ABIs print the same); the x87 program has no such reference and is skipped.
 */
class CompiledProgramTest {
    @ParameterizedTest
    @CsvSource({"prog.c,-O0", "prog.c,-O1", "prog.c,-O2", "prog.c,-Os", "prog.c,-O3", "fp.c,-O0", "fp.c,-O2"})
    void gccCompiledProgramMatchesNativeRun(String program, String opt) throws Exception {
        assumeTrue(Asm.available("gcc") && Asm.available("objcopy") && Asm.available("nm") && Asm.available("nasm"),
                "gcc (with gcc-multilib), objcopy, nm and nasm (for the i386 probe) are needed");
        Path dir = Files.createTempDirectory("x86prog");
        try {
            try (InputStream in = getClass().getResourceAsStream("/c/" + program)) {
                Files.write(dir.resolve("prog.c"), in.readAllBytes());
            }
            List<String> common = List.of("-m32", "-march=i686", "-mfpmath=387", "-fno-math-errno");
            String expected;
            if (Asm.hostRunsI386()) {
                // same optimization level on both sides: x87 results depend on where gcc spills to memory
                List<String> nativeCmd = new ArrayList<>(List.of("gcc", opt, "-mno-sse", "-ffreestanding", "-fno-pic",
                        "-fno-pie", "-fno-stack-protector", "-DNATIVE", "-static", "-no-pie", "-o", "native", "prog.c"));
                nativeCmd.addAll(1, common);
                try {
                    Asm.run(dir, nativeCmd);
                } catch (java.io.IOException e) {
                    assumeTrue(false, "gcc -m32 cannot build static i386 programs here (install gcc-multilib): " + e.getMessage());
                }
                expected = runNative(dir.resolve("native"));
            } else {
                assumeTrue(program.equals("prog.c"), "the host runs no i386 code and " + program
                        + "'s x87 results have no x86-64 reference");
                Asm.run(dir, List.of("gcc", opt, "-DNATIVE", "-static", "-o", "native64", "prog.c"));
                expected = runNative(dir.resolve("native64"));
            }

            List<String> flatCmd = new ArrayList<>(List.of("gcc", opt, "-mno-sse", "-ffreestanding", "-fno-pic", "-fno-pie",
                    "-fno-stack-protector", "-fno-asynchronous-unwind-tables", "-nostdlib", "-static", "-no-pie", "-Wl,-N",
                    "-Wl,--build-id=none", "-Wl,-Ttext=0x100000", "-Wl,-e,_start", "-o", "flat.elf", "prog.c", "-lgcc"));
            flatCmd.addAll(1, common);
            Asm.run(dir, flatCmd);
            Asm.run(dir, List.of("objcopy", "-O", "binary", "-R", ".comment", "-R", ".note.gnu.property", "flat.elf",
                    "flat.bin"));
            Process nm = new ProcessBuilder("nm", dir.resolve("flat.elf").toString()).start();
            int start = -1;
            for (String line : new String(nm.getInputStream().readAllBytes()).split("\n")) {
                if (line.endsWith(" _start")) start = (int) Long.parseLong(line.substring(0, 8), 16);
            }
            nm.waitFor();

            FakeMachine m = new FakeMachine(8 << 20);
            m.load(0x100000, Files.readAllBytes(dir.resolve("flat.bin")));
            X86Cpu cpu = new X86Cpu(m, "pentium3");
            FakeMachine.flat32(cpu, start, 0x80000);
            assertEquals(Cpu.ExitReason.HALTED, cpu.run(Long.MAX_VALUE));
            assertEquals(expected, m.debugOut.toString());
            assertEquals(0, cpu.undefinedOpcodes());
        } finally {
            Asm.deleteTree(dir);
        }
    }

    /** The standard output of a native program, which must exit with status 0. */
    private static String runNative(Path exe) throws Exception {
        Process p = new ProcessBuilder(exe.toString()).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), exe.getFileName() + " exit status");
        return out;
    }
}
