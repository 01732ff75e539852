package org.machina.cpu.x86;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;
import org.machina.api.cpu.Cpu;

/**
 * The per-physical-page decode cache ({@link CodeCache}): code is decoded once, and every way
 * of writing code (the CPU itself, through another linear alias, a device or the host between
 * runs) is seen by the next fetch.
 */
class CodeCacheTest {
    private final FakeMachine m = new FakeMachine(8 << 20);

    private X86Cpu flat(int origin, String code) throws Exception {
        assumeTrue(Asm.available("nasm"), "nasm is needed (apt-get install nasm)");
        m.load(origin, Asm.flat("BITS 32\norg " + origin + "\n" + code + "\n"));
        X86Cpu cpu = new X86Cpu(m, "pentium3");
        FakeMachine.flat32(cpu, origin, 0x80000);
        return cpu;
    }

    @Test
    void aLoopIsDecodedOnceAndRunsFromTheCache() throws Exception {
        X86Cpu cpu = flat(0x100000, "mov ecx, 1000\nxor eax, eax\nl: add eax, ecx\ndec ecx\njnz l\nhlt");
        assertEquals(Cpu.ExitReason.HALTED, cpu.run(Long.MAX_VALUE));
        assertEquals(500500, cpu.r[X86State.EAX]);
        assertEquals(1, cpu.code.pagesDecoded, "one code page, decoded once");
        assertEquals(0, cpu.code.pagesInvalidated);
    }

    @Test
    void twoPagesInTheSameSetStayCachedWhileCodeCallsBackAndForth() throws Exception {
        // 0x100000 and 0x900000 are 8 MiB apart: the same set of the table, one way each
        FakeMachine big = new FakeMachine(16 << 20);
        assumeTrue(Asm.available("nasm"), "nasm is needed (apt-get install nasm)");
        big.load(0x100000, Asm.flat("BITS 32\norg 0x100000\nmov ecx, 1000\nxor eax, eax\n"
                + "l: mov edx, 0x900000\ncall edx\ndec ecx\njnz l\nhlt\n"));
        big.load(0x900000, Asm.flat("BITS 32\norg 0x900000\ninc eax\nret\n"));
        X86Cpu cpu = new X86Cpu(big, "pentium3");
        FakeMachine.flat32(cpu, 0x100000, 0x80000);
        assertEquals(Cpu.ExitReason.HALTED, cpu.run(Long.MAX_VALUE));
        assertEquals(1000, cpu.r[X86State.EAX]);
        assertEquals(2, cpu.code.pagesDecoded, "each of the two pages is decoded once, not on every call");
    }

    @Test
    void codeThatPatchesItsOwnImmediateAndOpcodeRunsTheNewBytes() throws Exception {
        // each pass adds the patched immediate, then toggles the ADD into a SUB and back
        X86Cpu cpu = flat(0x100000, """
                mov ecx, 4
                xor ebx, ebx
                l: mov eax, 0
                op: add ebx, eax
                inc dword [l + 1]
                xor byte [op], 0x01 ^ 0x29
                dec ecx
                jnz l
                hlt""");
        assertEquals(Cpu.ExitReason.HALTED, cpu.run(Long.MAX_VALUE));
        assertEquals(0 - 1 + 2 - 3, cpu.r[X86State.EBX], "every pass ran the bytes written by the one before");
        assertTrue(m.codeWrites >= 8, "the writes reached the code page's invalidation: " + m.codeWrites);
        assertEquals(1, cpu.code.pagesDecoded, "the page is patched in place, not decoded again");
        assertEquals(0, cpu.code.pagesInvalidated);
        assertTrue(cpu.code.bytesPatched >= 8, "bytes patched: " + cpu.code.bytesPatched);
    }

    @Test
    void aStoreIntoTheNextInstructionIsSeenByIt() throws Exception {
        // SDM vol. 3 "Self-Modifying Code": on P6-family CPUs a store into the instruction stream
        // just ahead of EIP is seen by the very next instruction
        X86Cpu cpu = flat(0x100000, """
                mov ecx, 3
                xor ebx, ebx
                l: mov byte [next + 1], cl
                next: mov eax, 0x55
                add ebx, eax
                dec ecx
                jnz l
                hlt""");
        assertEquals(Cpu.ExitReason.HALTED, cpu.run(Long.MAX_VALUE));
        assertEquals(3 + 2 + 1, cpu.r[X86State.EBX]);
    }

    @Test
    void aPageOfCodeAndDataDoesNotThrash() throws Exception {
        // a counter in the code's own page, written 10000 times: the page stays decoded
        X86Cpu cpu = flat(0x100000, """
                mov ecx, 10000
                l: inc dword [v]
                dec ecx
                jnz l
                mov eax, [v]
                hlt
                v: dd 0""");
        assertEquals(Cpu.ExitReason.HALTED, cpu.run(Long.MAX_VALUE));
        assertEquals(10000, cpu.r[X86State.EAX]);
        assertEquals(1, cpu.code.pagesDecoded, "decoded once, not once per write");
        assertEquals(0, cpu.code.pagesInvalidated);
    }

    @Test
    void dmaIntoCodeDuringAnOutIsSeenByTheNextInstruction() throws Exception {
        // OUT 0x80 makes a "device" add 1 to the immediate of the next instruction through the
        // address space (what a DMA transfer does); the CPU must not run the cached bytes
        X86Cpu cpu = flat(0x100000, """
                mov eax, 2
                l: out 0x80, al
                mov ebx, 0x11
                dec eax
                jnz l
                hlt""");
        int imm = 0x100000 + 5 + 2 + 1;
        m.onOut = port -> m.memory().write(imm, 4, m.read32(imm) + 1);
        assertEquals(Cpu.ExitReason.HALTED, cpu.run(Long.MAX_VALUE));
        assertEquals(0x13, cpu.r[X86State.EBX], "the second pass ran the bytes the second DMA wrote");
    }

    @Test
    void aRemapByAnOutIsSeenByTheVeryNextAccess() throws Exception {
        // the window at 0x700000 shows RAM 0x700000, then (after OUT 0x80 remaps it) RAM 0x200000
        X86Cpu cpu = flat(0x100000, """
                mov eax, [0x700000]
                out 0x80, al
                mov ebx, [0x700000]
                hlt""");
        m.write32(0x700000, 0x1111);
        m.write32(0x200000, 0x2222);
        m.onOut = port -> m.remapWindow(0x200000);
        assertEquals(Cpu.ExitReason.HALTED, cpu.run(Long.MAX_VALUE));
        assertEquals(0x1111, cpu.r[X86State.EAX]);
        assertEquals(0x2222, cpu.r[X86State.EBX], "the access right after the OUT saw the new map");
    }

    @Test
    void codeRemappedByAnOutRunsFromTheNewMapAtOnce() throws Exception {
        // the code calls into the window, remaps it, and calls the same address again
        X86Cpu cpu = flat(0x100000, """
                mov edx, 0x700000
                call edx
                mov ebx, eax
                out 0x80, al
                call edx
                hlt""");
        m.load(0x700000, new byte[] {(byte) 0xb8, 1, 0, 0, 0, (byte) 0xc3}); // mov eax, 1; ret
        m.load(0x200000, new byte[] {(byte) 0xb8, 2, 0, 0, 0, (byte) 0xc3}); // mov eax, 2; ret
        m.onOut = port -> m.remapWindow(0x200000);
        assertEquals(Cpu.ExitReason.HALTED, cpu.run(Long.MAX_VALUE));
        assertEquals(1, cpu.r[X86State.EBX]);
        assertEquals(2, cpu.r[X86State.EAX], "the call after the OUT ran the newly mapped page");
    }


    @Test
    void generatedCodeRunsAndCanBeRegenerated() throws Exception {
        // the stores to 0x102000 happen while it is a data page (direct write translations);
        // once it holds code, those translations must be gone or the second store is missed
        X86Cpu cpu = flat(0x100000, """
                mov byte [0x102000], 0xb8
                mov dword [0x102001], 5
                mov byte [0x102005], 0xc3
                mov edx, 0x102000
                call edx
                mov ebx, eax
                mov dword [0x102001], 7
                call edx
                add ebx, eax
                hlt""");
        assertEquals(Cpu.ExitReason.HALTED, cpu.run(Long.MAX_VALUE));
        assertEquals(5 + 7, cpu.r[X86State.EBX]);
    }

    @Test
    void anInstructionAcrossAPageBoundaryIsPatchedOnBothPages() throws Exception {
        // "mov eax, imm32" starts 2 bytes before the page end: its immediate spans both pages
        X86Cpu cpu = flat(0x100ff0, """
                mov ecx, 3
                xor ebx, ebx
                jmp l
                times (0x100ffe - 0x100ff0) - ($ - $$) db 0x90
                l: mov eax, 0x01010101
                add ebx, eax
                add dword [l + 1], 0x01010101
                dec ecx
                jnz l
                hlt""");
        assertEquals(Cpu.ExitReason.HALTED, cpu.run(Long.MAX_VALUE));
        assertEquals(0x01010101 + 0x02020202 + 0x03030303, cpu.r[X86State.EBX]);
    }

    @Test
    void aWriteThroughAnotherLinearAliasOfThePageIsSeen() throws Exception {
        // 4 MiB pages: linear 0-4 MiB and 4-8 MiB both map physical 0-4 MiB; the code writes its
        // own immediate through the second alias, so only a physically keyed cache sees it
        X86Cpu cpu = flat(0x100000, """
                mov ecx, 3
                xor ebx, ebx
                l: mov eax, 10
                add ebx, eax
                inc dword [l + 1 + 0x400000]
                dec ecx
                jnz l
                hlt""");
        m.write32(0x10000, 0x83); // PDE 0: 4 MiB, present, writable, at 0
        m.write32(0x10004, 0x83); // PDE 1: the same 4 MiB again
        cpu.cr3 = 0x10000;
        cpu.cr4 |= Mmu.CR4_PSE;
        cpu.cr0 |= Mmu.CR0_PG;
        assertEquals(Cpu.ExitReason.HALTED, cpu.run(Long.MAX_VALUE));
        assertEquals(10 + 11 + 12, cpu.r[X86State.EBX]);
    }

    @Test
    void codeReplacedByTheHostBetweenRunsIsDecodedAfresh() throws Exception {
        X86Cpu cpu = flat(0x100000, "mov eax, 1\nhlt");
        cpu.run(Long.MAX_VALUE);
        assertEquals(1, cpu.r[X86State.EAX]);
        // what a device's DMA does: a write through the address space, then the CPU runs on
        m.memory().write(0x100001, 4, 2);
        cpu.eip = 0x100000;
        cpu.halted = false;
        cpu.run(Long.MAX_VALUE);
        assertEquals(2, cpu.r[X86State.EAX], "the CPU ran the rewritten instruction");
        assertEquals(2, cpu.code.pagesDecoded, "the page was decoded again after the write");
    }

    @Test
    void theSameBytesDecodeByTheCodeSegmentSize() throws Exception {
        // 66 B8 01 00 40 00 F4 F4: in a 32-bit segment "mov ax, 1; inc eax; add ah, dh; hlt",
        // in a 16-bit one "mov eax, 0x00400001; hlt"; the decode cached for one must not serve the other
        X86Cpu cpu = flat(0x100000, "db 0x66, 0xb8, 0x01, 0x00, 0x40, 0x00, 0xf4, 0xf4");
        cpu.r[X86State.EDX] = 0;
        cpu.run(Long.MAX_VALUE);
        assertEquals(2, cpu.r[X86State.EAX]);
        cpu.r[X86State.EAX] = 0;
        cpu.segBase[X86State.CS] = 0x100000;
        cpu.segLimit[X86State.CS] = 0xffff;
        cpu.segAttr[X86State.CS] = 0x009b;
        cpu.eip = 0;
        cpu.halted = false;
        cpu.run(Long.MAX_VALUE);
        assertEquals(0x00400001, cpu.r[X86State.EAX]);
        assertEquals(7, cpu.eip);
    }

    @Test
    void theA20GateWrapsDataAndCodeAtOneMiBFromTheNextAccess() throws Exception {
        X86Cpu cpu = flat(0x200000, "mov eax, [0x100800]\nmov edx, 0x130000\ncall edx\nhlt");
        m.write32(0x800, 1);
        m.write32(0x100800, 2);
        m.load(0x30000, new byte[] {(byte) 0xbb, 1, 0, 0, 0, (byte) 0xc3}); // mov ebx, 1; ret
        m.load(0x130000, new byte[] {(byte) 0xbb, 2, 0, 0, 0, (byte) 0xc3}); // mov ebx, 2; ret
        cpu.run(Long.MAX_VALUE);
        assertEquals(2, cpu.r[X86State.EAX]);
        assertEquals(2, cpu.r[X86State.EBX]);
        cpu.a20().lower(); // translations and the fetch page cached above are now wrong
        cpu.eip = 0x200000;
        cpu.halted = false;
        cpu.run(Long.MAX_VALUE);
        assertEquals(1, cpu.r[X86State.EAX], "the read wrapped to 0x800");
        assertEquals(1, cpu.r[X86State.EBX], "the call ran the code at 0x30000");
        cpu.a20().raise();
        cpu.eip = 0x200000;
        cpu.halted = false;
        cpu.run(Long.MAX_VALUE);
        assertEquals(2, cpu.r[X86State.EBX]);
    }

    @Test
    void aCodePageReusedForDataIsDroppedAfterAFewStores() throws Exception {
        // the routine at 0x102000 runs once, then its page is filled with data from another page
        // (a recycled page frame): after a few patched stores it is dropped, the rest go fast
        X86Cpu cpu = flat(0x100000, """
                mov byte [0x102000], 0xc3
                mov edx, 0x102000
                call edx
                mov edi, 0x102000
                mov ecx, 1024
                xor eax, eax
                rep stosd
                hlt""");
        assertEquals(Cpu.ExitReason.HALTED, cpu.run(Long.MAX_VALUE));
        assertEquals(1, cpu.code.pagesInvalidated, "dropped once");
        assertTrue(cpu.code.bytesPatched <= 4 * CodeCache.STORES_BEFORE_DROP, "patched: " + cpu.code.bytesPatched);
        assertEquals(0, m.read32(0x102ffc));
    }
}
