package org.machina.cpu.x86;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.machina.api.cpu.Cpu;

/**
 * A C program compiled by gcc -m32 -O2 (jump tables, 64-bit arithmetic through libgcc, bit
 * builtins, recursion, function pointers) runs natively and in the interpreter; the output of
 * both must be identical.
 */
class CompiledProgramTest {
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"-O0", "-O1", "-O2", "-Os", "-O3"})
    void gccCompiledProgramMatchesNativeRun(String opt) throws Exception {
        assumeTrue(Asm.available("gcc") && Asm.available("objcopy") && Asm.available("nm"),
                "gcc (with gcc-multilib), objcopy and nm are needed");
        Path dir = Files.createTempDirectory("x86prog");
        try (InputStream in = getClass().getResourceAsStream("/c/prog.c")) {
            Files.write(dir.resolve("prog.c"), in.readAllBytes());
        }
        try {
            Asm.run(dir, List.of("gcc", "-m32", "-O2", "-march=i686", "-DNATIVE", "-static", "-o", "native", "prog.c"));
        } catch (java.io.IOException e) {
            assumeTrue(false, "gcc -m32 cannot build static i386 programs here (install gcc-multilib): " + e.getMessage());
        }
        Process p = new ProcessBuilder(dir.resolve("native").toString()).start();
        String expected = new String(p.getInputStream().readAllBytes());
        assumeTrue(p.waitFor() == 0, "the host cannot run i386 binaries");

        Asm.run(dir, List.of("gcc", "-m32", opt, "-march=i686", "-mno-sse", "-ffreestanding", "-fno-pic", "-fno-pie",
                "-fno-stack-protector", "-fno-asynchronous-unwind-tables", "-nostdlib", "-static", "-no-pie", "-Wl,-N",
                "-Wl,--build-id=none", "-Wl,-Ttext=0x100000", "-Wl,-e,_start", "-o", "flat.elf", "prog.c", "-lgcc"));
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
    }
}
