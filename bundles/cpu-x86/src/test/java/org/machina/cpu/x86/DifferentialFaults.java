package org.machina.cpu.x86;

import java.util.Random;

/**
 * The faulting cases of {@link DifferentialTest}: instructions whose memory operand (or stack)
 * lies on, or straddles into, a read-only or a not-present page, so that they fault. A five-page
 * region {@code fregion} holds, from its start: a writable page, a read-only page, a writable
 * page, a not-present page and a writable page. Natively the pages are set up with mprotect and
 * a SIGSEGV handler (on an alternate stack) records the page fault's error code and address from
 * the signal context and resumes after the instruction; the interpreter runs the same code with
 * paging on (CR0.WP, the same two pages read-only and not present) and a #PF handler doing the
 * same. The state left behind is compared: registers, EFLAGS, ESP, a checksum of the writable and
 * read-only pages, whether it faulted with which P and W bits in the error code, and CR2.
 */
final class DifferentialFaults {
    static final int RO = 0x1000, NP = 0x3000, TOP = 0x4000;

    private final Random rnd;
    private final boolean native64;

    DifferentialFaults(Random rnd, boolean native64) {
        this.rnd = rnd;
        this.native64 = native64;
    }

    private static final String[] ALU = {"add", "or", "adc", "sbb", "and", "sub", "xor"};
    private static final String[] SH = {"rol", "ror", "rcl", "rcr", "shl", "shr", "sar"};
    private static final String[][] REGS = {{"al", "bl", "cl", "dl", "ah", "bh", "ch", "dh"}, {"ax", "bx", "cx", "dx"},
        {"eax", "ebx", "ecx", "edx"}};

    /**
     * One faulting case: {@code insn} with EDI (an offset into the region, made absolute by the
     * harness) at the operand and ECX as given; {@code setup} runs after the registers are loaded;
     * {@code uncompared} has a bit per result field (DifferentialTest's record) left out.
     */
    record Fault(String insn, String setup, int undefinedFlags, int edi, int ecx, int uncompared) {
        Fault(String insn, String setup, int undefinedFlags, int edi, int ecx) {
            this(insn, setup, undefinedFlags, edi, ecx, 0);
        }
    }

    /**
     * The result fields a faulting POPAD leaves as the SDM says (vol. 3 6.5: a fault restores the
     * state before the instruction) but the host CPU does not: an Intel Xeon has loaded EDI, ESI
     * and EBP from the stack when the pop of EBX faults (ESP, EBX..EAX and EFLAGS are unchanged).
     * Machina follows the SDM; a restarted POPAD reloads them anyway.
     */
    static final int POPAD_LOADED_EARLY = 1 << 4 | 1 << 5 | 1 << 11;

    /** The operand offset: on the read-only or not-present page, or straddling into it from below. */
    private int target(int bytes) {
        int page = rnd.nextBoolean() ? RO : NP;
        if (bytes == 1 || rnd.nextBoolean()) return page + rnd.nextInt(64);
        return page - 1 - rnd.nextInt(bytes - 1);
    }

    Fault next() {
        int size = rnd.nextInt(3), bytes = 1 << size;
        String kw = size == 0 ? "byte" : size == 1 ? "word" : "dword";
        String m = kw + " [edi]";
        String reg = REGS[size][rnd.nextInt(REGS[size].length)];
        int wide = 1 + rnd.nextInt(2); // 16 or 32 bits
        String wkw = wide == 1 ? "word" : "dword";
        String wreg = REGS[wide][rnd.nextInt(4)];
        int af = 0x10, of = 0x800, sf = 0x80, pf = 4;
        switch (rnd.nextInt(native64 ? 12 : 15)) {
            case 0: {
                String op = ALU[rnd.nextInt(ALU.length)];
                boolean logic = op.equals("and") || op.equals("or") || op.equals("xor");
                String src = rnd.nextBoolean() ? reg : Integer.toString(rnd.nextInt(256));
                return new Fault(op + " " + m + ", " + src, "", logic ? af : 0, target(bytes), rnd.nextInt());
            }
            case 1: {
                String[] ops = {"inc", "dec", "neg", "not"};
                return new Fault(ops[rnd.nextInt(4)] + " " + m, "", 0, target(bytes), rnd.nextInt());
            }
            case 2: {
                String op = SH[rnd.nextInt(SH.length)];
                int cnt = 1 + rnd.nextInt(7);
                boolean byCl = rnd.nextBoolean();
                boolean rot = op.startsWith("ro") || op.startsWith("rc");
                int undef = (rot ? 0 : af) | (cnt != 1 ? of : 0);
                return new Fault(op + " " + m + ", " + (byCl ? "cl" : Integer.toString(cnt)), "", undef, target(bytes),
                        cnt);
            }
            case 3: return new Fault("xadd " + m + ", " + reg, "", 0, target(bytes), rnd.nextInt());
            case 4: return new Fault("cmpxchg " + m + ", " + reg, "", 0, target(bytes), rnd.nextInt());
            case 5: return new Fault("xchg " + m + ", " + reg, "", 0, target(bytes), rnd.nextInt());
            case 6: {
                String[] ops = {"bts", "btr", "btc"};
                return new Fault(ops[rnd.nextInt(3)] + " " + wkw + " [edi], " + rnd.nextInt(8 << wide), "",
                        of | sf | af | pf, target(2 << wide), rnd.nextInt());
            }
            case 7: return new Fault("mov " + m + ", " + reg, "", 0, target(bytes), rnd.nextInt());
            case 8: {
                int cnt = 1 + rnd.nextInt(15);
                int undef = af | (cnt != 1 ? of : 0);
                return new Fault((rnd.nextBoolean() ? "shld " : "shrd ") + wkw + " [edi], " + wreg + ", " + cnt, "",
                        undef, target(2 << wide), rnd.nextInt());
            }
            case 9: {
                String[] ops = {"movsb", "movsw", "movsd", "stosb", "stosw", "stosd"};
                String op = ops[rnd.nextInt(ops.length)];
                int w = op.endsWith("b") ? 1 : op.endsWith("w") ? 2 : 4;
                if (rnd.nextBoolean()) { // REP: the iterations before the faulting element are done
                    int page = rnd.nextBoolean() ? RO : NP;
                    return new Fault("rep " + op, "", 0, page - w * (1 + rnd.nextInt(6)), 1 + rnd.nextInt(12));
                }
                return new Fault(op, "", 0, target(w), rnd.nextInt());
            }
            case 10: return new Fault("set" + (rnd.nextBoolean() ? "c" : "nc") + " byte [edi]", "", 0, target(1),
                    rnd.nextInt());
            case 11: return new Fault("cmpxchg8b [edi]", "", 0, target(8), rnd.nextInt());
            case 12: // PUSHAD from the top writable page down into the not-present one (5 pushes fit)
                return new Fault("pushad", "mov esp, fregion+" + (TOP + 20), 0, 0, rnd.nextInt());
            case 13: // POPAD from the writable page below the not-present one (4 pops fit)
                return new Fault("popad", "mov esp, fregion+" + (NP - 16), 0, 0, rnd.nextInt(), POPAD_LOADED_EARLY);
            default: { // ENTER: its pushes or its final ESP reach the not-present page
                int level = rnd.nextInt(4);
                int alloc = 4 * rnd.nextInt(6);
                return new Fault("enter " + alloc + ", " + level, "mov esp, fregion+" + (TOP + 20)
                        + "\n  mov ebp, fregion+0x800", 0, 0, rnd.nextInt());
            }
        }
    }

    /**
     * Checksum of the region without the not-present page, the top 64 bytes of the page below it
     * and the bottom 64 bytes of the page above it (where the interpreter's exception frame goes).
     */
    static String checksum() {
        return "fchecksum:\n  xor eax, eax\n  mov esi, fregion\n.l:\n  cmp esi, fregion+" + (NP - 64)
                + "\n  jne .s\n  add esi, 0x1080\n.s:\n  add eax, [esi]\n  rol eax, 3\n  add esi, 4\n"
                + "  cmp esi, fregion+0x5000\n  jb .l\n  ret\n";
    }

    /** Native set-up: alternate signal stack, the SIGSEGV handler, the read-only and not-present pages. */
    static String nativeSetup() {
        return "%ifdef NATIVE64\n"
                + "  mov eax, 131\n  mov edi, altstack_t\n  xor esi, esi\n  syscall\n"
                + "  mov eax, 13\n  mov edi, 11\n  mov esi, sigact\n  xor edx, edx\n  mov r10d, 8\n  syscall\n"
                + "  mov eax, 10\n  mov edi, fregion+" + RO + "\n  mov esi, 0x1000\n  mov edx, 1\n  syscall\n"
                + "  mov eax, 10\n  mov edi, fregion+" + NP + "\n  mov esi, 0x1000\n  xor edx, edx\n  syscall\n"
                + "%else\n"
                + "  mov eax, 186\n  mov ebx, altstack_t\n  xor ecx, ecx\n  int 0x80\n"
                + "  mov eax, 174\n  mov ebx, 11\n  mov ecx, sigact\n  xor edx, edx\n  mov esi, 8\n  int 0x80\n"
                + "  mov eax, 125\n  mov ebx, fregion+" + RO + "\n  mov ecx, 0x1000\n  mov edx, 1\n  int 0x80\n"
                + "  mov eax, 125\n  mov ebx, fregion+" + NP + "\n  mov ecx, 0x1000\n  xor edx, edx\n  int 0x80\n"
                + "%endif\n"
                + "  mov eax, [fregion+" + RO + "]\n"; // the read-only page present: a write to it reports P=1
    }

    /**
     * The SIGSEGV handler: records (error code & 3) | 0x100 and the fault address relative to the
     * region (siginfo si_addr), and resumes at [fresume].
     */
    static String nativeHandler() {
        return "%ifdef NATIVE64\n"
                + "segv:\n  mov rax, [rsi+16]\n  sub eax, fregion\n  mov [fault_addr], eax\n"
                + "  mov rax, [rdx+40+19*8]\n  and eax, 3\n  or eax, 0x100\n  mov [fault_info], eax\n"
                + "  mov eax, [fresume]\n  mov [rdx+40+16*8], rax\n  ret\n"
                + "restorer:\n  mov eax, 15\n  syscall\n"
                + "%else\n"
                + "segv:\n  mov eax, [esp+8]\n  mov eax, [eax+12]\n  sub eax, fregion\n  mov [fault_addr], eax\n"
                + "  mov eax, [esp+12]\n  mov ecx, [eax+20+13*4]\n  and ecx, 3\n  or ecx, 0x100\n"
                + "  mov [fault_info], ecx\n  mov ecx, [fresume]\n  mov [eax+20+14*4], ecx\n  ret\n"
                + "restorer:\n  mov eax, 173\n  int 0x80\n"
                + "%endif\n";
    }

    /** Native data: sigaction (SA_SIGINFO | SA_ONSTACK | SA_RESTORER) and the alternate stack. */
    static String nativeData() {
        return "%ifdef NATIVE64\nalign 8\nsigact: dq segv, 0x0C000004, restorer, 0\n"
                + "altstack_t: dq altstack\n  dd 0, 0\n  dq 65536\n"
                + "%else\nalign 4\nsigact: dd segv, 0x0C000004, restorer, 0, 0\naltstack_t: dd altstack, 0, 65536\n%endif\n";
    }

    /**
     * Interpreter set-up (ring 0, flat): a GDT, an IDT whose #PF gate goes to {@code pf_handler},
     * identity paging of 16 MiB at 0xA00000 with the region's second page read-only and fourth
     * not present, CR0.PG and CR0.WP.
     */
    static String emulatorSetup() {
        return "  lgdt [fgdtr]\n"
                + "  mov eax, pf_handler\n  mov [0xA05000+14*8], ax\n  mov word [0xA05000+14*8+2], 8\n"
                + "  mov word [0xA05000+14*8+4], 0x8e00\n  shr eax, 16\n  mov [0xA05000+14*8+6], ax\n"
                + "  mov word [0xA05800], 0x7ff\n  mov dword [0xA05802], 0xA05000\n  lidt [0xA05800]\n"
                + "  mov edi, 0xA01000\n  mov eax, 3\n.pt:\n  mov [edi], eax\n  add edi, 4\n  add eax, 0x1000\n"
                + "  cmp edi, 0xA05000\n  jb .pt\n"
                + "  mov dword [0xA00000], 0xA01003\n  mov dword [0xA00004], 0xA02003\n"
                + "  mov dword [0xA00008], 0xA03003\n  mov dword [0xA0000C], 0xA04003\n"
                + "  mov eax, fregion+" + RO + "\n  shr eax, 12\n  and dword [0xA01000+eax*4], ~2\n"
                + "  mov eax, fregion+" + NP + "\n  shr eax, 12\n  mov dword [0xA01000+eax*4], 0\n"
                + "  mov eax, 0xA00000\n  mov cr3, eax\n  mov eax, cr0\n  or eax, 0x80010000\n  mov cr0, eax\n";
    }

    /** The interpreter's #PF handler (same stack, ring 0) and GDT: the same record as the signal handler. */
    static String emulatorHandler() {
        return "pf_handler:\n  pop dword [fault_info]\n  and dword [fault_info], 3\n  or dword [fault_info], 0x100\n"
                + "  push eax\n  mov eax, cr2\n  sub eax, fregion\n  mov [fault_addr], eax\n"
                + "  mov eax, [fresume]\n  mov [esp+4], eax\n  pop eax\n  iret\n"
                + "align 8\nfgdt: dq 0, 0x00cf9a000000ffff, 0x00cf92000000ffff\nfgdtr: dw 23\n  dd fgdt\n";
    }

    /** The region: five pages of a byte pattern. */
    static String region() {
        return "fregion:\n%assign i 0\n%rep 0x5000\n  db (i*53+7) & 0xff\n%assign i i+1\n%endrep\n";
    }
}
