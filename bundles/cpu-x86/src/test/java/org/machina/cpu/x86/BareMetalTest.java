package org.machina.cpu.x86;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.InputStream;

import org.junit.jupiter.api.Test;
import org.machina.api.cpu.Cpu;

/** Boots small nasm-assembled flat binaries from real mode through protected mode and paging. */
class BareMetalTest {
    static byte[] assemble(String resource) throws Exception {
        assumeTrue(Asm.available("nasm"), "nasm is needed to assemble the bare-metal tests (apt-get install nasm)");
        try (InputStream in = BareMetalTest.class.getResourceAsStream("/asm/" + resource)) {
            return Asm.flat(new String(in.readAllBytes()));
        }
    }

    static X86Cpu boot(FakeMachine m, byte[] code) {
        m.load(0x7c00, code);
        X86Cpu cpu = new X86Cpu(m, "pentium3");
        cpu.setSegmentReal(X86State.CS, 0);
        cpu.eip = 0x7c00;
        return cpu;
    }

    @Test
    void realToProtectedToPagingToRing3() throws Exception {
        FakeMachine m = new FakeMachine(16 << 20);
        X86Cpu cpu = boot(m, assemble("boot.asm"));
        assertEquals(Cpu.ExitReason.HALTED, cpu.run(Long.MAX_VALUE));
        assertEquals(0x11, m.read32(0x6018) & 0xff, "real-mode INT through the IVT");
        assertEquals(0x500000, m.read32(0x6000), "CR2 of the page fault");
        assertEquals(2, m.read32(0x6004), "#PF error code: supervisor write to a not-present page");
        assertEquals(0xdeadbeef, m.read32(0x500000), "the write completed after the handler mapped the page");
        assertEquals(0xdeadbeef, cpu.r[X86State.ESI]);
        assertEquals(0x400000 | 0x87 | 0x60, m.read32(0x20004), "accessed and dirty set in the 4 MiB PDE");
        assertEquals(1, m.read32(0x6008), "one #DE handled");
        assertEquals(0x1b, m.read32(0x600c), "INT 0x80 came from ring 3");
        assertEquals(0x23, m.read32(0x6010), "the user SS was saved on the kernel stack");
        assertEquals(0x80000 - 20, m.read32(0x6014), "the kernel stack came from TSS.ESP0");
        assertEquals(42, m.read32(0x601c));
        assertEquals(0, cpu.cpl);
        assertEquals(0, cpu.undefinedOpcodes());
    }

    @Test
    void realModeCodePaths() throws Exception {
        FakeMachine m = new FakeMachine(16 << 20);
        X86Cpu cpu = boot(m, assemble("real16.asm"));
        assertEquals(Cpu.ExitReason.HALTED, cpu.run(Long.MAX_VALUE));
        assertEquals("real mode!DEF", m.debugOut.toString());
        assertEquals(5050, m.read32(0x6000) & 0xffff, "LOOP sum");
        assertEquals(0x4321, m.read32(0x6002) & 0xffff, "far call into segment 0x2000");
        assertEquals(0x1234, m.read32(0x6004) & 0xffff, "32-bit operand in real mode");
        assertEquals(0xbeef, m.read32(0x6006) & 0xffff, "INT through the IVT");
        assertEquals(0, cpu.undefinedOpcodes());
    }
}
