package org.machina.cpu.x86;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;

/** Runs a busy loop and prints instructions per second (informational, never asserted). */
class SpeedProbe {
    @Test
    void loopRunsToCompletion() throws Exception {
        assumeTrue(Asm.available("nasm"), "nasm is needed (apt-get install nasm)");
        FakeMachine m = new FakeMachine(8 << 20);
        m.load(0x100000, Asm.flat("BITS 32\norg 0x100000\nmov ecx, 3000000\nxor eax, eax\n"
                + "l: add eax, ecx\nmov [0x5000], eax\nxor eax, [0x5000]\ndec ecx\njnz l\nhlt\n"));
        X86Cpu cpu = new X86Cpu(m, "pentium3");
        FakeMachine.flat32(cpu, 0x100000, 0x80000);
        long t0 = System.nanoTime();
        cpu.run(Long.MAX_VALUE);
        long dt = System.nanoTime() - t0;
        assertEquals(0, cpu.r[X86State.ECX]);
        assertEquals(15_000_003, cpu.instructionsRetired());
        System.out.printf("x86 interpreter: %d instructions in %d ms (%.1f MIPS)%n", cpu.instructionsRetired(),
                dt / 1_000_000, cpu.instructionsRetired() * 1e3 / dt);
    }
}
