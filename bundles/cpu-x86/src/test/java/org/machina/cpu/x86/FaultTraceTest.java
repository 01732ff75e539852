package org.machina.cpu.x86;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * Faults leave no trace (SDM vol. 3 6.5): every instruction that writes memory (and the ones that
 * write several places) runs at ring 3 with its memory destination on a read-only or a
 * not-present page, often straddling from a writable page into it; the #PF must come with
 * registers, EFLAGS and memory as before the instruction, the faulting EIP and ESP in the frame,
 * and the error code and CR2 of the first inaccessible byte written.
 *
 * <p>Linear layout (identity mapped, user pages): 0x2FF000 writable, 0x300000 read-only,
 * 0x301000 not present, 0x302000 writable.
 */
class FaultTraceTest {
    private static final int RW = 0x2ff000, RO = 0x300000, NP = 0x301000, RW2 = 0x302000;
    private static final int CODE = 0x100000, STRIDE = 0x40, HANDLER = 0x180000, ESP0 = 0x90000;
    /** User, write, protection violation / not present. */
    private static final int ERR_RO = 7, ERR_NP = 6;

    /** One instruction: its source, the registers it starts with ({@code null}: the defaults), and the #PF it must raise. */
    record Case(String insn, int err, int cr2, int[] regs) {
    }

    private final List<Case> cases = new ArrayList<>();

    private void add(String insn, int err, int cr2, int... regOverrides) {
        int[] regs = {0x80000001, 3, 0x01020304, RO + 0x10, 0x2ff800, RW2 + 0x800, RW + 0x10, RO + 0x10};
        for (int i = 0; i < regOverrides.length; i += 2) regs[regOverrides[i]] = regOverrides[i + 1];
        cases.add(new Case(insn, err, cr2, regs));
    }

    private static final int EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESP = 4, EBP = 5, ESI = 6, EDI = 7;

    private void allCases() {
        int t = RO + 0x10; // EBX: the destination on the read-only page
        String[] alu = {"add", "or", "adc", "sbb", "and", "sub", "xor"};
        for (String op : alu) {
            add(op + " [ebx], eax", ERR_RO, t);
            add(op + " byte [ebx], 0x81", ERR_RO, t);
            add(op + " word [ebx], 7", ERR_RO, t);
            add(op + " dword [ebx], 0x12345", ERR_RO, t);
            add(op + " [ebx], cl", ERR_NP, NP + 8, EBX, NP + 8);
        }
        for (String op : new String[] {"inc", "dec", "neg", "not"}) {
            add(op + " dword [ebx]", ERR_RO, t);
            add(op + " byte [ebx]", ERR_NP, NP, EBX, NP);
        }
        for (String op : new String[] {"rol", "ror", "rcl", "rcr", "shl", "shr", "sar"}) {
            add(op + " dword [ebx], 1", ERR_RO, t);
            add(op + " word [ebx], cl", ERR_RO, t);
            add(op + " byte [ebx], 5", ERR_NP, NP, EBX, NP);
        }
        add("shld [ebx], eax, 4", ERR_RO, t);
        add("shrd [ebx], eax, cl", ERR_RO, t);
        add("xadd [ebx], eax", ERR_RO, t);
        add("xadd byte [ebx], dl", ERR_NP, NP, EBX, NP);
        add("cmpxchg [ebx], ecx", ERR_RO, t); // the comparison fails: EAX would be loaded
        add("cmpxchg [ebx], ecx", ERR_RO, t, EAX, 0x11111111); // the comparison succeeds (RO page holds 0x11)
        add("cmpxchg8b [ebx]", ERR_RO, t);
        add("xchg [ebx], eax", ERR_RO, t);
        add("bts [ebx], eax", ERR_RO, t, EAX, 3);
        add("btr dword [ebx], 3", ERR_RO, t);
        add("btc word [ebx], cx", ERR_NP, NP, EBX, NP);
        add("arpl [ebx], dx", ERR_RO, t, EDX, 3);
        add("setnc byte [ebx]", ERR_RO, t);
        add("mov [ebx], eax", ERR_RO, t);
        // a dword straddling a writable and a read-only page: nothing of it is written
        add("add [ebx], eax", ERR_RO, RO, EBX, RO - 2);
        add("adc [ebx], eax", ERR_RO, RO, EBX, RO - 1);
        add("rcr dword [ebx], 1", ERR_RO, RO, EBX, RO - 3);
        add("xadd [ebx], eax", ERR_RO, RO, EBX, RO - 2);
        add("mov [ebx], eax", ERR_RO, RO, EBX, RO - 2);
        add("movsd", ERR_RO, RO, EDI, RO - 2);
        add("stosd", ERR_RO, RO, EDI, RO - 1);
        add("cmpxchg8b [ebx]", ERR_RO, RO, EBX, RO - 4);
        add("sgdt [ebx]", ERR_RO, RO, EBX, RO - 4);
        add("sidt [ebx]", ERR_RO, RO, EBX, RO - 3);
        add("fstp tword [ebx]", ERR_RO, RO, EBX, RO - 6);
        add("fbstp [ebx]", ERR_RO, RO, EBX, RO - 6);
        add("fnstenv [ebx]", ERR_RO, RO, EBX, RO - 12);
        add("fnsave [ebx]", ERR_RO, RO, EBX, RO - 50);
        add("fistp qword [ebx]", ERR_RO, RO, EBX, RO - 4);
        // the stack: ESP on the read-only page, or pushes running from a writable page into a not-present one
        add("push eax", ERR_RO, RO + 0xc, ESP, RO + 0x10);
        add("push dword [esi]", ERR_RO, RO + 0xc, ESP, RO + 0x10);
        add("pushfd", ERR_NP, NP + 0xffc, ESP, RW2);
        add("pushad", ERR_NP, NP + 0xffc, ESP, RW2 + 0x10);
        add("push ax", ERR_RO, RO, ESP, RO + 1);
        add("call near $+0x10", ERR_RO, RO + 0xc, ESP, RO + 0x10);
        add("call 0x1b:0x100000", ERR_NP, NP + 0xffc, ESP, RW2 + 4);
        add("enter 16, 0", ERR_NP, NP + 0xff4, ESP, RW2 + 8);
        add("enter 8, 3", ERR_NP, NP + 0xffc, ESP, RW2 + 8, EBP, RW + 0x100);
        add("enter 4, 2", ERR_NP, NP + 0xffc, ESP, RW2 + 4, EBP, RW + 0x100);
        add("popad", ERR_NP - 2, NP, ESP, RO + 0xff0);
        add("pop dword [ebx]", ERR_RO, t, ESP, RW + 0x800);
        add("pop eax", ERR_NP - 2, NP, ESP, NP);
        add("leave", ERR_NP - 2, NP, EBP, NP);
        add("ret", ERR_NP - 2, NP, ESP, NP);
        // loads and string steps whose source faults
        add("lodsd", ERR_NP - 2, NP, ESI, NP - 1);
        add("les eax, [ebx]", ERR_NP - 2, NP, EBX, NP - 4);
        add("div dword [ebx]", ERR_NP - 2, NP, EBX, NP);
        add("cmovc eax, [ebx]", ERR_NP - 2, NP, EBX, NP);
    }

    private static final int FLAGS = 0x202 | 0x1 | 0x4 | 0x80 | 0x800; // IF CF PF SF OF

    @Test
    void faultingMemoryWritesLeaveRegistersFlagsAndMemoryUnchanged() throws Exception {
        assumeTrue(Asm.available("nasm"), "nasm is needed (apt-get install nasm)");
        allCases();
        StringBuilder src = new StringBuilder("BITS 32\norg 0x100000\n");
        for (int i = 0; i < cases.size(); i++) {
            src.append("times ").append(i * STRIDE).append("-($-$$) db 0x90\n")
                    .append(cases.get(i).insn()).append("\nhlt\n");
        }
        byte[] code = Asm.flat(src.toString());
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < cases.size(); i++) {
            String why = run(code, i);
            if (why != null) failures.add(cases.get(i).insn() + ": " + why);
        }
        assertEquals(List.of(), failures, failures.size() + " of " + cases.size() + " instructions left a trace");
    }

    /** Runs case {@code i}; returns what differs from a fault without a trace, or null. */
    private String run(byte[] code, int i) {
        Case c = cases.get(i);
        FakeMachine m = new FakeMachine(8 << 20);
        m.load(CODE, code);
        for (int a = RW; a < RW2 + 0x1000; a += 4) m.write32(a, 0x11111111 * (1 + ((a >>> 12) & 3)) ^ a);
        m.write32(HANDLER, 0xfeebf4); // hlt; jmp $
        X86Cpu cpu = ring3(m);
        cpu.eip = CODE + i * STRIDE;
        System.arraycopy(c.regs(), 0, cpu.r, 0, 8);
        cpu.eflags = FLAGS;
        cpu.lfOp = X86State.OP_NONE;
        cpu.fpu.reset();
        byte[] before = new byte[RW2 + 0x1000 - RW];
        m.memory().read(RW, before, 0, before.length);
        cpu.run(Long.MAX_VALUE);
        if (cpu.eip != HANDLER + 1) {
            return "no #PF (EIP " + Integer.toHexString(cpu.eip) + ", CPL " + cpu.cpl + ")";
        }
        StringBuilder d = new StringBuilder();
        int frame = ESP0 - 24;
        expect(d, "error code", c.err(), m.read32(frame));
        expect(d, "CR2", c.cr2(), cpu.cr2);
        expect(d, "EIP", CODE + i * STRIDE, m.read32(frame + 4));
        expect(d, "EFLAGS", FLAGS, m.read32(frame + 12));
        expect(d, "ESP", c.regs()[ESP], m.read32(frame + 16));
        String[] names = {"EAX", "ECX", "EDX", "EBX", "ESP", "EBP", "ESI", "EDI"};
        for (int r = 0; r < 8; r++) {
            if (r != ESP) expect(d, names[r], c.regs()[r], cpu.r[r]);
        }
        byte[] after = new byte[before.length];
        m.memory().read(RW, after, 0, after.length);
        for (int k = 0; k < before.length; k++) {
            if (before[k] != after[k]) {
                d.append(" memory at ").append(Integer.toHexString(RW + k)).append(" written;");
                break;
            }
        }
        return d.isEmpty() ? null : d.toString();
    }

    private static void expect(StringBuilder d, String what, int want, int got) {
        if (want != got) {
            d.append(' ').append(what).append(' ').append(Integer.toHexString(got)).append(" (expected ")
                    .append(Integer.toHexString(want)).append(");");
        }
    }

    /**
     * A CPU at ring 3 with flat user segments, paging on (CR0.WP) over the layout above, a TSS
     * with the ring-0 stack at {@link #ESP0} and a #PF interrupt gate to {@link #HANDLER}.
     */
    private static X86Cpu ring3(FakeMachine m) {
        int gdt = 0x1000, idt = 0x2000, tss = 0x4000, pd = 0x10000, pt = 0x11000;
        m.write32(gdt + 0x08, 0x0000ffff);
        m.write32(gdt + 0x0c, 0x00cf9a00);
        m.write32(gdt + 0x10, 0x0000ffff);
        m.write32(gdt + 0x14, 0x00cf9200);
        m.write32(gdt + 0x18, 0x0000ffff);
        m.write32(gdt + 0x1c, 0x00cffa00);
        m.write32(gdt + 0x20, 0x0000ffff);
        m.write32(gdt + 0x24, 0x00cff200);
        m.write32(idt + 14 * 8, (0x08 << 16) | (HANDLER & 0xffff));
        m.write32(idt + 14 * 8 + 4, (HANDLER & 0xffff0000) | 0x8e00);
        m.write32(tss + 4, ESP0);
        m.write32(tss + 8, 0x10);
        m.write32(pd, pt | 7);
        m.write32(pd + 4, (pt + 0x1000) | 7);
        for (int p = 0; p < 2048; p++) m.write32(pt + p * 4, (p << 12) | 7);
        m.write32(pt + (RO >>> 12) * 4, RO | 5);
        m.write32(pt + (NP >>> 12) * 4, 0);
        X86Cpu cpu = new X86Cpu(m, "pentium3");
        FakeMachine.flat32(cpu, CODE, 0);
        cpu.gdtBase = gdt;
        cpu.gdtLimit = 0x27;
        cpu.idtBase = idt;
        cpu.idtLimit = 0x7ff;
        cpu.trBase = tss;
        cpu.trLimit = 0x67;
        cpu.trAttr = 0x8b;
        cpu.trSel = 0x28;
        cpu.cr3 = pd;
        cpu.cr0 |= Mmu.CR0_PG | Mmu.CR0_WP;
        for (int s = 0; s < 6; s++) {
            cpu.segSel[s] = s == X86State.CS ? 0x1b : 0x23;
            cpu.segAttr[s] = s == X86State.CS ? 0xc0fb : 0xc0f3;
        }
        cpu.cpl = 3;
        cpu.flushTlb();
        return cpu;
    }
}
