package org.machina.cpu.x86;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.machina.api.cpu.Cpu;

/** The PC sampler (system property {@code machina.x86.samplePc}) against a guest loop of known addresses. */
class PcSamplerTest {
    private static final int ORIGIN = 0x100000;

    @Test
    void samplesFallOnTheInstructionsTheGuestRunsInTimeOrder(@TempDir Path dir) throws Exception {
        assumeTrue(Asm.available("nasm"), "nasm is needed (apt-get install nasm)");
        FakeMachine m = new FakeMachine(8 << 20);
        // 6 bytes of MOV, then the loop: DEC ECX at ORIGIN + 6 (1 byte), JNZ at ORIGIN + 7
        m.load(ORIGIN, Asm.flat("BITS 32\norg " + ORIGIN + "\nmov ecx, 20000000\nl: dec ecx\njnz l\nhlt\n"));
        X86Cpu cpu = new X86Cpu(m, "pentium3", Accel.INTERPRETER);
        FakeMachine.flat32(cpu, ORIGIN, 0x80000);
        Path file = dir.resolve("pc");
        Thread sampler = PcSampler.start(cpu, file, 50_000);
        assertEquals(Cpu.ExitReason.HALTED, cpu.run(Long.MAX_VALUE));
        sampler.interrupt();
        sampler.join(10_000);
        assertTrue(!sampler.isAlive(), "the sampler ends when interrupted");

        List<String> lines = Files.readAllLines(file);
        assertTrue(lines.size() >= 10, "samples: " + lines.size());
        long last = Long.MIN_VALUE;
        int inLoop = 0;
        for (String line : lines) {
            String[] f = line.split(" ");
            long nanos = Long.parseLong(f[0]);
            int linear = Integer.parseUnsignedInt(f[1], 16);
            assertTrue(nanos >= last, "time order: " + line);
            last = nanos;
            assertTrue(linear >= ORIGIN && linear <= ORIGIN + 10, "inside the program: " + line);
            if (linear == ORIGIN + 6 || linear == ORIGIN + 7) inLoop++;
        }
        assertTrue(inLoop * 2 > lines.size(), inLoop + " of " + lines.size() + " samples in the loop");
    }

    @Test
    void theSystemPropertyStartsItAndABadIntervalIsRefused(@TempDir Path dir) throws Exception {
        FakeMachine m = new FakeMachine(1 << 20);
        X86Cpu cpu = new X86Cpu(m, "pentium3", Accel.INTERPRETER);
        assertEquals(null, PcSampler.startIfAsked(cpu), "off without the property");
        Path file = dir.resolve("pc");
        System.setProperty("machina.x86.samplePc", file.toString());
        try {
            System.setProperty("machina.x86.samplePcMicros", "0");
            assertTrue(assertThrows(IllegalArgumentException.class, () -> PcSampler.startIfAsked(cpu)).getMessage()
                    .contains("samplePcMicros"));
            System.setProperty("machina.x86.samplePcMicros", "20");
            Thread t = PcSampler.startIfAsked(cpu);
            Thread.sleep(100);
            t.interrupt();
            t.join(10_000);
            assertTrue(Files.readAllLines(file).size() > 0, "samples written");
        } finally {
            System.clearProperty("machina.x86.samplePc");
            System.clearProperty("machina.x86.samplePcMicros");
        }
    }
}
