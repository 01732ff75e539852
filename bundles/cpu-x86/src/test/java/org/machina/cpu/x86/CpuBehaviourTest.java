package org.machina.cpu.x86;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.machina.api.cpu.Cpu;
import org.machina.api.cpu.CpuDebug;

/** Interrupts, halting, faults, system instructions and the debug view, on small nasm programs. */
class CpuBehaviourTest {
    private FakeMachine m = new FakeMachine(8 << 20);

    /** Assembles 32-bit code at 0x100000 and returns a CPU in flat ring-0 protected mode. */
    private X86Cpu flat(String code) throws Exception {
        return m.flatCpu("pentium3", code);
    }

    private void gate(X86Cpu cpu, int vec, int handler) {
        cpu.idtBase = 0x2000;
        cpu.idtLimit = 0x7ff;
        m.write32(0x2000 + vec * 8, (8 << 16) | (handler & 0xffff));
        m.write32(0x2004 + vec * 8, (handler & 0xffff0000) | 0x8e00);
    }

    @Test
    void externalInterruptWakesHaltAndIsAcknowledged() throws Exception {
        X86Cpu cpu = flat("sti\nhlt\nmov eax, 5\nhlt\nhandler: mov ebx, 7\nhlt");
        gate(cpu, 0x30, 0x100000 + 8);
        m.nextVector = 0x30;
        assertEquals(Cpu.ExitReason.HALTED, cpu.run(Long.MAX_VALUE));
        assertFalse(cpu.isStuck(), "IF=1: an interrupt can still wake the CPU");
        cpu.intr().raise();
        cpu.run(Long.MAX_VALUE);
        assertEquals(1, m.acks);
        assertEquals(7, cpu.r[X86State.EBX]);
        assertTrue(cpu.isStuck(), "the interrupt gate cleared IF and the handler halted");
    }

    @Test
    void stiShadowDelaysTheInterruptByOneInstruction() throws Exception {
        X86Cpu cpu = flat("sti\nmov ecx, 1\nmov ecx, 2\nhlt\nhandler: mov ebx, ecx\ncli\nhlt");
        gate(cpu, 0x30, 0x100000 + 1 + 5 + 5 + 1);
        m.nextVector = 0x30;
        cpu.intr().raise();
        cpu.run(Long.MAX_VALUE);
        assertEquals(1, cpu.r[X86State.EBX], "one instruction after STI runs before the interrupt");
        assertTrue(cpu.isStuck());
    }

    @Test
    void repMovsTakesAnInterruptBetweenIterationsAndResumes() throws Exception {
        // STI's shadow covers REP MOVSD, which starts; the pending interrupt is taken between two of its iterations
        X86Cpu cpu = flat("sti\nrep movsd\nhlt\nhandler: mov [0x5000], ecx\nmov [0x5004], esi\nmov [0x5008], edi\n"
                + "mov eax, [esp]\nmov [0x500c], eax\nhlt\niret");
        gate(cpu, 0x30, 0x100000 + 1 + 2 + 1);
        int count = 0x10000, src = 0x200000, dst = 0x400000;
        for (int i = 0; i < count; i++) m.write32(src + i * 4L, i * 0x9e3779b9);
        cpu.r[X86State.ECX] = count;
        cpu.r[X86State.ESI] = src;
        cpu.r[X86State.EDI] = dst;
        m.nextVector = 0x30;
        cpu.intr().raise();
        assertEquals(Cpu.ExitReason.HALTED, cpu.run(Long.MAX_VALUE));
        int ecx = m.read32(0x5000);
        assertEquals(0x100001, m.read32(0x500c), "the interrupted REP MOVSD restarts at its prefix");
        assertTrue(ecx > 0 && ecx < count, "interrupted between iterations, ECX " + Integer.toHexString(ecx));
        assertEquals(src + (count - ecx) * 4, m.read32(0x5004), "ESI of the iterations done");
        assertEquals(dst + (count - ecx) * 4, m.read32(0x5008), "EDI of the iterations done");
        cpu.intr().lower();
        cpu.halted = false; // on to the handler's IRET
        assertEquals(Cpu.ExitReason.HALTED, cpu.run(Long.MAX_VALUE));
        assertEquals(0x100004, cpu.eip, "IRET resumed the copy, which ran to its end (past HLT)");
        assertEquals(0, cpu.r[X86State.ECX]);
        assertEquals(dst + count * 4, cpu.r[X86State.EDI]);
        for (int i = 0; i < count; i++) assertEquals(i * 0x9e3779b9, m.read32(dst + i * 4L), "dword " + i);
    }

    @Test
    void repStosStopsAtTheDeadlineAndResumes() throws Exception {
        X86Cpu cpu = flat("rep stosd\nhlt");
        int count = 0x40000;
        cpu.r[X86State.ECX] = count;
        cpu.r[X86State.EDI] = 0x200000;
        cpu.r[X86State.EAX] = 0x5a5a5a5a;
        m.tick = 1; // one nanosecond per clock read
        assertEquals(Cpu.ExitReason.DEADLINE, cpu.run(100));
        int ecx = cpu.r[X86State.ECX];
        assertEquals(0x100000, cpu.eip, "stopped inside REP STOSD");
        assertTrue(ecx > 0 && ecx < count, "ECX " + Integer.toHexString(ecx));
        assertEquals(0x200000 + (count - ecx) * 4, cpu.r[X86State.EDI]);
        assertEquals(Cpu.ExitReason.HALTED, cpu.run(Long.MAX_VALUE));
        assertEquals(0, cpu.r[X86State.ECX]);
        assertEquals(0x5a5a5a5a, m.read32(0x200000 + (count - 1) * 4L));
    }

    /**
     * REP MOVS and REP STOS run whole pages at once when the TLB maps them (Strings.bulk); each
     * case here must leave memory, ECX, ESI and EDI exactly as an element-by-element reference
     * does: copies that repeat a pattern (destination one byte after the source), that overlap
     * backwards, misaligned elements crossing pages, fills of every size and pattern.
     */
    @Test
    void repMovsAndStosMatchAnElementByElementReference() throws Exception {
        record Case(String insn, int size, int esi, int edi, int ecx, int eax) {
        }
        Case[] cases = {
            new Case("rep movsb", 0, 0x200000, 0x200001, 5000, 0),
            new Case("rep movsd", 2, 0x200003, 0x230ffe, 3000, 0),
            new Case("rep movsw", 1, 0x240002, 0x240000, 4000, 0),
            new Case("rep movsd", 2, 0x250000, 0x250006, 2100, 0),
            new Case("rep movsb", 0, 0x260010, 0x270ff0, 9000, 0),
            new Case("rep stosw", 1, 0, 0x280fff, 5001, 0x1234),
            new Case("rep stosb", 0, 0, 0x290123, 7000, 0xa5),
            new Case("rep stosd", 2, 0, 0x2a0ffd, 3000, 0),
            new Case("rep stosd", 2, 0, 0x2b0004, 3000, 0xdeadbeef),
        };
        for (Case k : cases) {
            X86Cpu cpu = flat(k.insn() + "\nhlt");
            byte[] mem = new byte[0x100000]; // the reference: 0x200000..0x2fffff
            java.util.Random rnd = new java.util.Random(k.edi());
            rnd.nextBytes(mem);
            m.load(0x200000, mem);
            int bytes = 1 << k.size(), src = k.esi(), dst = k.edi();
            for (int e = 0; e < k.ecx(); e++, dst += bytes, src += bytes) {
                for (int i = 0; i < bytes; i++) {
                    mem[dst - 0x200000 + i] = k.insn().contains("movs") ? mem[src - 0x200000 + i] : (byte) (k.eax() >>> (8 * i));
                }
            }
            cpu.r[X86State.ECX] = k.ecx();
            cpu.r[X86State.ESI] = k.esi();
            cpu.r[X86State.EDI] = k.edi();
            cpu.r[X86State.EAX] = k.eax();
            assertEquals(Cpu.ExitReason.HALTED, cpu.run(Long.MAX_VALUE), k.toString());
            assertEquals(0, cpu.r[X86State.ECX], k.toString());
            assertEquals(k.edi() + k.ecx() * bytes, cpu.r[X86State.EDI], k + ": EDI");
            if (k.insn().contains("movs")) assertEquals(k.esi() + k.ecx() * bytes, cpu.r[X86State.ESI], k + ": ESI");
            int differs = java.util.Arrays.mismatch(m.bytes(0x200000, mem.length), mem);
            assertEquals(-1, differs, k + ": the first byte that differs from the reference, at 0x200000 +");
        }
    }

    @Test
    void haltWithInterruptsDisabledIsStuck() throws Exception {
        X86Cpu cpu = flat("cli\nhlt");
        assertEquals(Cpu.ExitReason.HALTED, cpu.run(Long.MAX_VALUE));
        assertTrue(cpu.isStuck());
        cpu.nmi().raise();
        assertFalse(cpu.isStuck(), "a pending NMI wakes the CPU");
    }

    @Test
    void tripleFaultRequestsReset() throws Exception {
        X86Cpu cpu = flat("xor ecx, ecx\ndiv ecx");
        cpu.idtLimit = 0; // every delivery faults: #DE -> #GP -> #DF -> shutdown
        assertEquals(Cpu.ExitReason.SHUTDOWN, cpu.run(Long.MAX_VALUE));
        assertEquals(1, m.resets.size());
        assertTrue(m.resets.get(0).contains("triple fault"));
    }

    @Test
    void operandEndingPastTheSegmentLimitRaisesGp() throws Exception {
        // ES: byte-granular data segment, base 0, limit 0xFFF; a dword at 0xFFC fits, one at 0xFFD does not
        X86Cpu cpu = flat("mov ax, 0x18\nmov es, ax\nmov ebx, [es:0xffc]\nfault: mov edx, [es:0xffd]\nhlt\n"
                + "times 0x40-($-$$) db 0x90\nhandler: mov eax, [esp+4]\nmov ecx, [esp]\nhlt");
        m.write32(0x1018, 0x00000fff);
        m.write32(0x101c, 0x00409200);
        m.write32(0xffc, 0x11223344);
        cpu.r[X86State.EDX] = 0x5a5a;
        gate(cpu, 13, 0x100040);
        assertEquals(Cpu.ExitReason.HALTED, cpu.run(Long.MAX_VALUE));
        assertEquals(0x11223344, cpu.r[X86State.EBX], "the last dword inside the limit is readable");
        assertEquals(0x100000 + 4 + 2 + 7, cpu.r[X86State.EAX], "#GP is a fault on the straddling read");
        assertEquals(0, cpu.r[X86State.ECX], "error code 0");
        assertEquals(0x5a5a, cpu.r[X86State.EDX], "the faulting read does not complete");
    }

    @Test
    void undefinedOpcodeRaisesUdThroughTheIdt() throws Exception {
        X86Cpu cpu = flat("db 0xd6\nhlt\nhandler: mov eax, [esp]\nhlt");
        gate(cpu, 6, 0x100002);
        assertEquals(Cpu.ExitReason.HALTED, cpu.run(Long.MAX_VALUE));
        assertEquals(0x100000, cpu.r[X86State.EAX], "#UD is a fault: the saved EIP is the opcode");
        assertEquals(1, cpu.undefinedOpcodes());
    }

    @Test
    void cpuidReportsGenuineIntelPentium3() throws Exception {
        X86Cpu cpu = flat("xor eax, eax\ncpuid\nmov [0x5000], ebx\nmov [0x5004], edx\nmov [0x5008], ecx\n"
                + "mov eax, 1\ncpuid\nhlt");
        cpu.run(Long.MAX_VALUE);
        byte[] v = new byte[12];
        m.memory().read(0x5000, v, 0, 12);
        assertEquals("GenuineIntel", new String(v));
        assertEquals(0x673, cpu.r[X86State.EAX]);
        assertTrue((cpu.r[X86State.EDX] & (1 << 15)) != 0, "CMOV");
        assertEquals(0, cpu.r[X86State.EDX] & (1 << 6), "no PAE advertised");
    }

    @Test
    void rdtscFollowsTheVirtualClock() throws Exception {
        X86Cpu cpu = flat("rdtsc\nhlt");
        m.now = 5_000_000_123L;
        cpu.run(Long.MAX_VALUE);
        long tsc = (cpu.r[X86State.EAX] & 0xffffffffL) | ((long) cpu.r[X86State.EDX] << 32);
        assertEquals(5_000_000_123L, tsc);
    }

    @Test
    void sysenterAndSysexit() throws Exception {
        X86Cpu cpu = flat("mov ecx, 0x174\nmov eax, 8\nxor edx, edx\nwrmsr\nmov ecx, 0x175\nmov eax, 0x9000\nwrmsr\n"
                + "mov ecx, 0x176\nmov eax, kern\nwrmsr\nmov ecx, 0x7000\nmov edx, user\nsysexit\n"
                + "user: mov esi, esp\nsysenter\nkern: mov edi, esp\nhlt");
        cpu.run(Long.MAX_VALUE);
        assertEquals(0x7000, cpu.r[X86State.ESI]);
        assertEquals(0x9000, cpu.r[X86State.EDI]);
        assertEquals(8, cpu.segSel[X86State.CS]);
        assertEquals(0, cpu.cpl);
    }

    @Test
    void unknownMsrRaisesGp() throws Exception {
        X86Cpu cpu = flat("mov ecx, 0x1b\nrdmsr\nhlt\nhandler: mov eax, 0x55\nhlt");
        gate(cpu, 13, 0x100000 + 5 + 2 + 1);
        cpu.run(Long.MAX_VALUE);
        assertEquals(0x55, cpu.r[X86State.EAX]);
    }

    @Test
    void ioGoesToThePortSpace() throws Exception {
        X86Cpu cpu = flat("mov al, 'h'\nout 0xe9, al\nmov dx, 0xe9\nmov al, 'i'\nout dx, al\nin al, dx\nhlt");
        cpu.run(Long.MAX_VALUE);
        assertEquals("hi", m.debugOut.toString());
        assertEquals(0xff, cpu.r[X86State.EAX] & 0xff);
    }

    @Test
    void debugViewBreakpointsStepsAndRegisters() throws Exception {
        X86Cpu cpu = flat("mov eax, 1\nmov eax, 2\nmov eax, 3\nhlt");
        CpuDebug d = cpu.debug();
        assertEquals(List.of("eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "eip", "eflags", "cs", "ss", "ds",
                "es", "fs", "gs"), d.registers().stream().map(CpuDebug.RegisterInfo::name).toList().subList(0, 16));
        d.addBreakpoint(0x10000a);
        assertEquals(Cpu.ExitReason.DEBUG, cpu.run(Long.MAX_VALUE));
        assertEquals(CpuDebug.StopEvent.Kind.BREAKPOINT, d.lastStop().kind());
        assertEquals(2, d.readRegister(0));
        assertEquals(0x10000a, d.readRegister(8));
        d.singleStep();
        assertEquals(Cpu.ExitReason.DEBUG, cpu.run(Long.MAX_VALUE));
        assertEquals(CpuDebug.StopEvent.Kind.STEP, d.lastStop().kind());
        assertEquals(3, d.readRegister(0));
        d.writeRegister(1, 0x1234);
        assertEquals(0x1234, cpu.r[X86State.ECX]);
        byte[] b = new byte[1];
        assertEquals(1, d.readVirtual(0x10000f, b, 0, 1));
        assertEquals((byte) 0xf4, b[0]);
        assertThrows(IllegalArgumentException.class, () -> d.readRegister(99));
    }

    @Test
    void watchpointStopsAfterTheWrite() throws Exception {
        X86Cpu cpu = flat("mov dword [0x5000], 1\nmov dword [0x6000], 2\nhlt");
        cpu.debug().addWatchpoint(0x6000, 4, CpuDebug.WatchKind.WRITE);
        assertEquals(Cpu.ExitReason.DEBUG, cpu.run(Long.MAX_VALUE));
        assertEquals(CpuDebug.StopEvent.Kind.WATCHPOINT, cpu.debug().lastStop().kind());
        assertEquals(0x6000, cpu.debug().lastStop().dataAddress());
        assertEquals(2, m.read32(0x6000));
    }

    @Test
    void unknownModelIsRefusedWithTheList() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new X86Cpu(m, "pentium9"));
        assertTrue(e.getMessage().contains("pentium3"));
    }

    @Test
    void deadlineIsHonoured() throws Exception {
        X86Cpu cpu = flat("jmp $");
        m.now = 100;
        assertEquals(Cpu.ExitReason.DEADLINE, cpu.run(50));
        cpu.requestExit();
        assertEquals(Cpu.ExitReason.EXIT_REQUESTED, cpu.run(Long.MAX_VALUE));
    }

    @Test
    void virtual8086RoundTrip() throws Exception {
        X86Cpu cpu = flat("push dword 0\npush dword 0\npush dword 0x50\npush dword 0x60\npush dword 0\n"
                + "push dword 0x7000\npush dword 0x23002\npush dword 0\npush dword 0x9000\niret\n"
                + "times 0x100-($-$$) nop\nint30: mov esi, [esp+4]\nmov edi, [esp+8]\nmov ebp, [esp+20]\nmov ecx, ds\n"
                + "push dword 0x10\npop ds\nmov [0x5000], esp\nmov [0x5004], ecx\niret\n"
                + "times 0x200-($-$$) nop\ngp: mov ecx, [esp+4]\npush dword 0x10\npop ds\nmov [0x5008], ecx\nhlt");
        // TSS at 0x3000 with SS0:ESP0 = 0x10:0x60000
        cpu.trBase = 0x3000;
        cpu.trLimit = 0x67;
        cpu.trAttr = 0x8b;
        m.write32(0x3004, 0x60000);
        m.write32(0x3008, 0x10);
        m.write32(0x3064, 0x680000); // I/O map base beyond the limit
        int int30 = 0x100100;
        gate(cpu, 0x30, int30);
        m.write32(0x2004 + 0x30 * 8, m.read32(0x2004 + 0x30 * 8) | 0x6000); // DPL 3
        gate(cpu, 13, 0x100200);
        m.load(0x9000, new byte[] {(byte) 0xb8, 0x34, 0x12, (byte) 0xcd, 0x30, (byte) 0xf4});
        assertEquals(Cpu.ExitReason.HALTED, cpu.run(Long.MAX_VALUE));
        assertEquals(0x1234, cpu.r[X86State.EAX] & 0xffff, "16-bit code ran in V86 mode");
        assertEquals(0, cpu.r[X86State.ESI], "saved CS of the V86 task");
        assertTrue((cpu.r[X86State.EDI] & 0x20000) != 0, "saved EFLAGS has VM");
        assertEquals(0x60, cpu.r[X86State.EBP], "ES saved on the ring-0 stack");
        assertEquals(0x60000 - 36, m.read32(0x5000), "ring-0 stack from TSS.ESP0 with 9 dwords pushed");
        assertEquals(0, m.read32(0x5004) & 0xffff, "DS is null in the handler");
        assertEquals(0x9005, m.read32(0x5008) & 0xffff, "HLT in V86 mode raised #GP after IRET back to V86");
    }

    @Test
    void taskSwitchByFarCallAndNestedIret() throws Exception {
        X86Cpu cpu = flat("mov ax, 0x18\nltr ax\nmov eax, 1\ncall 0x20:0\nmov ecx, 5\nhlt\n"
                + "times 0x40-($-$$) nop\ntask2: mov eax, 99\niret\n");
        cpu.gdtLimit = 0x27;
        m.write32(0x1018, 0x30000067);
        m.write32(0x101c, 0x00008900);
        m.write32(0x1020, 0x31000067);
        m.write32(0x1024, 0x00008900);
        m.write32(0x3100 + 0x20, 0x100040); // EIP
        m.write32(0x3100 + 0x24, 2); // EFLAGS
        m.write32(0x3100 + 0x38, 0x50000); // ESP
        for (int off = 0x48; off <= 0x5c; off += 4) m.write32(0x3100 + off, off == 0x4c ? 8 : 0x10);
        assertEquals(Cpu.ExitReason.HALTED, cpu.run(Long.MAX_VALUE));
        assertEquals(1, cpu.r[X86State.EAX], "task 1's registers came back from its TSS");
        assertEquals(5, cpu.r[X86State.ECX], "execution resumed after the far CALL");
        assertEquals(99, m.read32(0x3100 + 0x28), "task 2 saved its EAX when it returned");
        assertEquals(0x18, m.read32(0x3100) & 0xffff, "back link to the calling task");
        assertEquals(0x18, cpu.trSel);
        assertEquals(0, cpu.getEflags() & X86State.NT);
        assertEquals(0x8b00, m.read32(0x101c) & 0xff00, "task 1 busy again");
        assertEquals(0x8900, m.read32(0x1024) & 0xff00, "task 2 no longer busy");
        assertTrue((cpu.cr0 & Mmu.CR0_TS) != 0, "CR0.TS set by the task switch");
    }

    @Test
    void stateSurvivesSaveAndLoadIntoANewCpu() throws Exception {
        X86Cpu cpu = flat("mov eax, 0x11223344\nmov cr3, eax\nstd\nstc\nhlt\nmov ebx, 7\nhlt");
        cpu.run(Long.MAX_VALUE);
        X86CpuState saved = cpu.saveState();
        X86Cpu other = new X86Cpu(m, "pentium3");
        other.loadState(saved);
        assertEquals(0x11223344, other.r[X86State.EAX]);
        assertEquals(0x11223344, other.cr3);
        assertEquals(cpu.getEflags(), other.getEflags());
        assertTrue((other.getEflags() & (X86State.DF | X86State.CF)) == (X86State.DF | X86State.CF));
        assertEquals(0xc09b, other.segAttr[X86State.CS]);
        other.halted = false;
        assertEquals(Cpu.ExitReason.HALTED, other.run(Long.MAX_VALUE));
        assertEquals(7, other.r[X86State.EBX], "the restored CPU continues where the first one stopped");
    }

    @Test
    void hardwareInstructionBreakpointFaultsOnceAndResumesWithRf() throws Exception {
        X86Cpu cpu = flat("mov eax, 0x100100\nmov dr0, eax\nmov eax, 1\nmov dr7, eax\njmp 0x100100\n"
                + "times 0x100-($-$$) nop\ninc ebx\nhlt\n"
                + "times 0x200-($-$$) nop\ninc ecx\nmov edx, dr6\niret");
        gate(cpu, 1, 0x100200);
        assertEquals(Cpu.ExitReason.HALTED, cpu.run(Long.MAX_VALUE));
        assertEquals(1, cpu.r[X86State.ECX], "#DB taken once");
        assertEquals(1, cpu.r[X86State.EBX], "the instruction ran after IRET with RF");
        assertEquals(1, cpu.r[X86State.EDX] & 0xf, "DR6.B0");
    }

    @Test
    void idivOverflowRaisesDivideError() throws Exception {
        X86Cpu cpu = flat("mov eax, 0x80000000\ncdq\nmov ecx, -1\nidiv ecx\nhlt\n"
                + "times 0x100-($-$$) nop\nmov ebx, [esp]\nhlt");
        gate(cpu, 0, 0x100100);
        cpu.run(Long.MAX_VALUE);
        assertEquals(0x100000 + 5 + 1 + 5, cpu.r[X86State.EBX], "#DE points at the IDIV");
        assertEquals(0x80000000, cpu.r[X86State.EAX], "operands unchanged");
    }

    @Test
    void segmentLoadChecks() throws Exception {
        X86Cpu cpu = flat("mov ax, 0x8\nmov ss, ax\nhlt\n"
                + "times 0x100-($-$$) nop\nmov ebx, [esp]\nmov ecx, [esp+4]\nhlt");
        gate(cpu, 13, 0x100100);
        cpu.run(Long.MAX_VALUE);
        assertEquals(8, cpu.r[X86State.EBX], "#GP error code is the selector of a code segment loaded into SS");
        assertEquals(0x100004, cpu.r[X86State.ECX]);
        X86Cpu cpu2 = flat("mov ax, 0x18\nmov ds, ax\nhlt\n"
                + "times 0x100-($-$$) nop\nmov ebx, [esp]\nmov ecx, 11\nhlt");
        cpu2.gdtLimit = 0x1f;
        m.write32(0x1018, 0x0000ffff);
        m.write32(0x101c, 0x00cf1200); // data segment, not present
        gate(cpu2, 11, 0x100100);
        cpu2.run(Long.MAX_VALUE);
        assertEquals(11, cpu2.r[X86State.ECX], "#NP for a not-present data segment");
        assertEquals(0x18, cpu2.r[X86State.EBX]);
    }

    @Test
    void ioPermissionBitmapAtRing3() throws Exception {
        X86Cpu cpu = flat("push dword 0x23\npush dword 0x7000\npush dword 2\npush dword 0x1b\npush dword user\niret\n"
                + "user: mov al, 'x'\nout 0xe9, al\nout 0x80, al\nhlt\n"
                + "times 0x100-($-$$) nop\nmov ebx, [esp+8]\nhlt");
        cpu.gdtLimit = 0x27;
        m.write32(0x1018, 0x0000ffff);
        m.write32(0x101c, 0x00cffa00);
        m.write32(0x1020, 0x0000ffff);
        m.write32(0x1024, 0x00cff200);
        cpu.trBase = 0x3000;
        cpu.trLimit = 0x68 + 0x20;
        cpu.trAttr = 0x8b;
        m.write32(0x3004, 0x60000);
        m.write32(0x3008, 0x10);
        m.write32(0x3064, 0x68 << 16);
        for (int i = 0; i < 0x20; i++) m.memory().write(0x3068 + i, 1, 0xff);
        m.memory().write(0x3068 + (0xe9 >> 3), 1, 0xff & ~(1 << (0xe9 & 7))); // allow 0xe9 only
        gate(cpu, 13, 0x100100);
        assertEquals(Cpu.ExitReason.HALTED, cpu.run(Long.MAX_VALUE));
        assertEquals("x", m.debugOut.toString(), "port 0xe9 allowed by the bitmap");
        assertEquals(0x1b, cpu.r[X86State.EBX], "OUT 0x80 from ring 3 raised #GP");
    }

    @Test
    void callGateToRing0WithParameterAndFarReturnToRing3() throws Exception {
        X86Cpu cpu = flat("push dword 0x23\npush dword 0x7000\npush dword 2\npush dword 0x1b\npush dword user\niret\n"
                + "user: push dword 0x1234\ncall 0x2b:0\nmov edi, eax\nmov ebp, esp\nhlt\n"
                + "times 0x100-($-$$) nop\nkfunc: mov eax, [esp+8]\nmov ebx, [esp+4]\nmov edx, [esp+16]\nretf 4\n"
                + "times 0x200-($-$$) nop\nmov esi, [esp+8]\nhlt");
        cpu.gdtLimit = 0x2f;
        m.write32(0x1018, 0x0000ffff);
        m.write32(0x101c, 0x00cffa00);
        m.write32(0x1020, 0x0000ffff);
        m.write32(0x1024, 0x00cff200);
        m.write32(0x1028, (8 << 16) | 0x0100); // call gate -> 0x08:0x00100100, 1 parameter, DPL 3
        m.write32(0x102c, 0x0010ec01);
        cpu.trBase = 0x3000;
        cpu.trLimit = 0x67;
        cpu.trAttr = 0x8b;
        m.write32(0x3004, 0x60000);
        m.write32(0x3008, 0x10);
        gate(cpu, 13, 0x100200);
        assertEquals(Cpu.ExitReason.HALTED, cpu.run(Long.MAX_VALUE));
        assertEquals(0x1234, cpu.r[X86State.EAX], "the parameter was copied to the ring-0 stack");
        assertEquals(0x1b, cpu.r[X86State.EBX], "caller CS on the inner stack");
        assertEquals(0x23, cpu.r[X86State.EDX], "caller SS on the inner stack");
        assertEquals(0x1234, cpu.r[X86State.EDI], "back in ring 3 after RETF 4");
        assertEquals(0x7000, cpu.r[X86State.EBP], "RETF 4 also released the parameter on the user stack");
        assertEquals(0x1b, cpu.r[X86State.ESI], "HLT at ring 3 raised #GP");
    }

    @Test
    void segmentLimitAndNullSegmentRaiseGp() throws Exception {
        X86Cpu cpu = flat("mov ax, 0x18\nmov es, ax\nmov al, [es:0xfff]\nmov ebx, [es:0x1000]\nhlt\n"
                + "times 0x100-($-$$) nop\ntest edi, edi\njnz second\nmov edi, 1\nmov ecx, [esp+4]\nxor eax, eax\n"
                + "mov ds, ax\nmov edx, 1\nmov edx, [0]\nhlt\nsecond: mov esi, 0x5a\nhlt");
        cpu.gdtLimit = 0x1f;
        m.write32(0x1018, 0x00000fff); // data segment base 0, limit 0xfff, byte granular
        m.write32(0x101c, 0x00409200);
        gate(cpu, 13, 0x100100);
        cpu.run(Long.MAX_VALUE);
        assertEquals(0x100000 + 4 + 2 + 6, cpu.r[X86State.ECX], "#GP at the access beyond the limit");
        assertEquals(1, cpu.r[X86State.EDX], "the access through a null DS faulted too");
        assertEquals(0x5a, cpu.r[X86State.ESI]);
    }

    @Test
    void hardwareDataBreakpointTrapsAfterTheWrite() throws Exception {
        X86Cpu cpu = flat("mov eax, 0x5000\nmov dr1, eax\nmov eax, (1 << 2) | (1 << 20) | (3 << 22)\nmov dr7, eax\n"
                + "mov dword [0x4000], 1\nmov dword [0x5002], 2\nafter: mov ecx, 9\nhlt\n"
                + "times 0x100-($-$$) nop\ninc ebx\nmov edx, dr6\nmov esi, [esp]\nmov edi, after\niret");
        gate(cpu, 1, 0x100100);
        assertEquals(Cpu.ExitReason.HALTED, cpu.run(Long.MAX_VALUE));
        assertEquals(1, cpu.r[X86State.EBX], "one #DB");
        assertEquals(2, cpu.r[X86State.EDX] & 0xf, "DR6.B1");
        assertEquals(cpu.r[X86State.EDI], cpu.r[X86State.ESI], "a trap: the saved EIP is the next instruction");
        assertEquals(9, cpu.r[X86State.ECX]);
        assertEquals(2, m.read32(0x5002) & 0xffff, "the write completed");
    }

    @Test
    void model486RejectsP6Instructions() throws Exception {
        assumeTrue(Asm.available("nasm"), "nasm is needed (apt-get install nasm)");
        m.load(0x100000, Asm.flat("BITS 32\norg 0x100000\ncmove eax, ebx\nhlt\n"));
        X86Cpu cpu = new X86Cpu(m, "486");
        FakeMachine.flat32(cpu, 0x100000, 0x80000);
        cpu.idtLimit = 0; // #UD cannot be delivered: shutdown shows it was raised
        assertEquals(Cpu.ExitReason.SHUTDOWN, cpu.run(Long.MAX_VALUE));
        assertEquals(1, cpu.undefinedOpcodes());
    }

    @Test
    void globalPagesSurviveCr3LoadsButNotInvlpg() throws Exception {
        globalPagesAcrossCr3Loads(0);
    }

    @Test
    void nonGlobalTranslationsFilledPastTheCr3FlushListAreFlushedToo() throws Exception {
        // a CR3 load clears the entries filled since the last flush (Mmu.nonGlobalFilled, 4,096
        // of them); 5,000 fills first (a load and INVLPG each) make it scan all entries instead
        globalPagesAcrossCr3Loads(5000);
    }

    /** Global and non-global translations across a CR3 load and INVLPG, after {@code fills} other fills. */
    private void globalPagesAcrossCr3Loads(int fills) throws Exception {
        String before = fills == 0 ? "" : "mov ecx, " + fills + "\nxor esi, esi\n"
                + "fill: mov eax, [esi]\ninvlpg [esi]\nadd esi, 0x1000\nand esi, 0x1fffff\ndec ecx\njnz fill\n";
        X86Cpu cpu = flat(before + "mov eax, [0x300000]\nmov ebx, [0x302000]\n"
                + "mov dword [0x21000 + 0x300*4], 0x301103\nmov dword [0x21000 + 0x302*4], 0x303003\n"
                + "mov ecx, cr3\nmov cr3, ecx\nmov ecx, [0x300000]\nmov edx, [0x302000]\n"
                + "invlpg [0x300000]\nmov esi, [0x300000]\nhlt");
        m.write32(0x20000, 0x21000 | 3);
        for (int i = 0; i < 1024; i++) m.write32(0x21000 + i * 4, (i << 12) | 3);
        m.write32(0x21000 + 0x300 * 4, 0x300000 | 0x103); // global
        m.write32(0x300000, 0x11111111);
        m.write32(0x301000, 0x22222222);
        m.write32(0x302000, 0x33333333);
        m.write32(0x303000, 0x44444444);
        cpu.cr3 = 0x20000;
        cpu.cr4 = Mmu.CR4_PGE;
        cpu.cr0 |= Mmu.CR0_PG;
        assertEquals(Cpu.ExitReason.HALTED, cpu.run(Long.MAX_VALUE));
        assertEquals(0x11111111, cpu.r[X86State.EAX]);
        assertEquals(0x33333333, cpu.r[X86State.EBX]);
        assertEquals(0x11111111, cpu.r[X86State.ECX], "the global translation survived the CR3 load");
        assertEquals(0x44444444, cpu.r[X86State.EDX], "the non-global one was flushed");
        assertEquals(0x22222222, cpu.r[X86State.ESI], "INVLPG drops global translations too");
    }

    @Test
    void iretFaultingOnTheOuterStackSegmentIsTakenAtRing0() throws Exception {
        X86Cpu cpu = flat("push dword 0x0b\npush dword 0x7000\npush dword 2\npush dword 0x1b\npush dword 0x100000\n"
                + "mov esi, esp\niret\ntimes 0x100-($-$$) nop\nmov ecx, [esp]\nmov ebx, [esp+8]\nmov edx, esp\nhlt");
        cpu.gdtLimit = 0x1f;
        m.write32(0x1018, 0x0000ffff);
        m.write32(0x101c, 0x00cffa00); // ring-3 code
        gate(cpu, 13, 0x100100);
        assertEquals(Cpu.ExitReason.HALTED, cpu.run(Long.MAX_VALUE));
        assertEquals(0, cpu.cpl);
        assertEquals(0x08, cpu.r[X86State.ECX], "#GP(selector) for a code segment as the new SS");
        assertEquals(0x08, cpu.r[X86State.EBX], "the fault belongs to ring 0: CS was rolled back");
        assertEquals(cpu.r[X86State.ESI] - 16, cpu.r[X86State.EDX], "delivered on the same ring-0 stack (EFLAGS, CS, EIP, error)");
    }

    @Test
    void interruptFromRing3PushesItsFrameOntoASupervisorOnlyStack() throws Exception {
        X86Cpu cpu = flat("push dword 0x23\npush dword 0x7000\npush dword 2\npush dword 0x1b\npush dword user\niret\n"
                + "user: int 0x80\nhlt\n"
                + "times 0x100-($-$$) nop\nmov ebx, [esp+4]\nmov ecx, [esp+16]\nmov edx, esp\nhlt");
        cpu.gdtLimit = 0x27;
        m.write32(0x1018, 0x0000ffff);
        m.write32(0x101c, 0x00cffa00);
        m.write32(0x1020, 0x0000ffff);
        m.write32(0x1024, 0x00cff200);
        cpu.trBase = 0x3000;
        cpu.trLimit = 0x67;
        cpu.trAttr = 0x8b;
        m.write32(0x3004, 0x60000); // ESP0 on a page user code may not touch
        m.write32(0x3008, 0x10);
        gate(cpu, 0x80, 0x100100);
        m.write32(0x2004 + 0x80 * 8, (0x100100 & 0xffff0000) | 0xee00); // DPL 3 interrupt gate
        m.write32(0x20000, 0x21000 | 7);
        for (int i = 0; i < 1024; i++) m.write32(0x21000 + i * 4, (i << 12) | 7);
        m.write32(0x21000 + 0x5f * 4, 0x5f000 | 3); // supervisor-only stack page
        cpu.cr3 = 0x20000;
        cpu.cr0 |= Mmu.CR0_PG;
        assertEquals(Cpu.ExitReason.HALTED, cpu.run(Long.MAX_VALUE));
        assertEquals(0, cpu.cpl, "the handler runs at ring 0");
        assertEquals(0x1b, cpu.r[X86State.EBX], "user CS saved on the ring-0 stack");
        assertEquals(0x23, cpu.r[X86State.ECX], "user SS saved on the ring-0 stack");
        assertEquals(0x60000 - 20, cpu.r[X86State.EDX], "frame of five dwords on the TSS stack");
    }

    @Test
    void anInstructionStraddlingTheCsLimitFaultsEvenWhenItsDecodeIsCached() throws Exception {
        // MOV EAX, [EBX + 0x10] (3 bytes) runs once with a 4 GiB CS, so its decode is cached; with
        // the CS limit on its second byte it must raise #GP(0) on its first byte, not run
        X86Cpu cpu = flat("mov eax, [ebx + 0x10]\nhlt\ntimes 0x10 - ($ - $$) db 0x90\n"
                + "handler: mov ecx, [esp + 4]\nmov edx, [esp]\nhlt");
        gate(cpu, 13, 0x100010);
        m.write32(0x3010, 0x1234);
        cpu.r[X86State.EBX] = 0x3000;
        cpu.run(Long.MAX_VALUE);
        assertEquals(0x1234, cpu.r[X86State.EAX]);
        cpu.r[X86State.EAX] = 0;
        cpu.r[X86State.EDX] = -1;
        cpu.segLimit[X86State.CS] = 0x100001;
        cpu.eip = 0x100000;
        cpu.halted = false;
        cpu.run(Long.MAX_VALUE);
        assertEquals(0, cpu.r[X86State.EAX], "the straddling instruction did not run");
        assertEquals(0x100000, cpu.r[X86State.ECX], "#GP reported on its first byte");
        assertEquals(0, cpu.r[X86State.EDX], "error code 0");
    }

    @Test
    void leaPastTheDataSegmentLimitIsNoFault() throws Exception {
        X86Cpu cpu = flat("lea eax, [ebx + ecx*4 + 0x10]\nhlt");
        cpu.segLimit[X86State.DS] = 0xffff;
        cpu.r[X86State.EBX] = 0x100000;
        cpu.r[X86State.ECX] = 0x100;
        assertEquals(Cpu.ExitReason.HALTED, cpu.run(Long.MAX_VALUE));
        assertEquals(0x100410, cpu.r[X86State.EAX]);
    }

    /**
     * From ring 3, {@code event} ("int 0x80" or the exception of "ud2") goes to a ring-0 handler
     * whose TSS stack is SS0:ESP0; the #SS it raises is delivered through a conforming code
     * segment (no stack switch) to a handler that stops at a breakpoint with the error code in
     * ECX and the faulting EIP in EDX.
     */
    private X86Cpu innerStackFault(String event, int ss0, int esp0) throws Exception {
        X86Cpu cpu = flat("push dword 0x23\npush dword 0x7000\npush dword 2\npush dword 0x1b\npush dword user\niret\n"
                + "user: " + event + "\nhlt\ntimes 0x100-($-$$) nop\nmov ecx, [esp]\nmov edx, [esp+4]\nnop\nhlt");
        cpu.gdtLimit = 0x3f;
        m.write32(0x1018, 0x0000ffff);
        m.write32(0x101c, 0x00cffa00); // 0x18 ring-3 code
        m.write32(0x1020, 0x0000ffff);
        m.write32(0x1024, 0x00cff200); // 0x20 ring-3 data
        m.write32(0x1028, 0x0000ffff);
        m.write32(0x102c, 0x00cf1200); // 0x28 ring-0 data, not present
        m.write32(0x1030, 0x00000fff);
        m.write32(0x1034, 0x00409200); // 0x30 ring-0 data, limit 0xfff
        m.write32(0x1038, 0x0000ffff);
        m.write32(0x103c, 0x00cf9e00); // 0x38 conforming ring-0 code
        cpu.trBase = 0x3000;
        cpu.trLimit = 0x67;
        cpu.trAttr = 0x8b;
        m.write32(0x3004, esp0);
        m.write32(0x3008, ss0);
        gate(cpu, 0x80, 0x100200);
        m.write32(0x2004 + 0x80 * 8, (0x100200 & 0xffff0000) | 0xee00); // DPL 3
        gate(cpu, 6, 0x100200);
        gate(cpu, 12, 0x100100);
        m.write32(0x2000 + 12 * 8, (0x38 << 16) | 0x0100);
        cpu.debug().addBreakpoint(0x100100 + 3 + 4);
        assertEquals(Cpu.ExitReason.DEBUG, cpu.run(Long.MAX_VALUE));
        assertEquals(0x100011, cpu.r[X86State.EDX], "#SS is a fault on the event's instruction (at user:)");
        return cpu;
    }

    @Test
    void notPresentInnerStackDuringDeliveryRaisesSsWithItsSelector() throws Exception {
        assertEquals(0x28, innerStackFault("int 0x80", 0x28, 0x1000).r[X86State.ECX], "INT n: #SS(new SS), EXT clear");
        m = new FakeMachine(8 << 20);
        assertEquals(0x29, innerStackFault("ud2", 0x28, 0x1000).r[X86State.ECX], "an exception: #SS(new SS) with EXT");
    }

    @Test
    void innerStackWithoutRoomForTheFrameRaisesSsWithItsSelector() throws Exception {
        assertEquals(0x30, innerStackFault("int 0x80", 0x30, 8).r[X86State.ECX], "INT n: #SS(new SS), EXT clear");
        m = new FakeMachine(8 << 20);
        assertEquals(0x31, innerStackFault("ud2", 0x30, 8).r[X86State.ECX], "an exception: #SS(new SS) with EXT");
    }
}
