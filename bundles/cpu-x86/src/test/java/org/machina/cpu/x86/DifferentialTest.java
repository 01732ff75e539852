package org.machina.cpu.x86;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.machina.api.cpu.Cpu;
import org.junit.jupiter.api.Test;

/**
 * Differential test against the host CPU: the same generated instruction sequences run natively
 * as a static i386 ELF and in the interpreter; registers and EFLAGS must agree, except the flags
 * the SDM calls undefined for the instruction. Some cases fault on purpose (see
 * {@link DifferentialFaults}): a memory operand or the stack on a read-only or not-present page;
 * there the state left behind, the error code's P and W bits and CR2 must agree. Count and seed:
 * {@code -Dx86.difftest.count=N -Dx86.difftest.seed=S}.
 *
 * <p>Hosts whose kernel does not run i386 code (Linux with {@code ia32_emulation} off, where the
 * 32-bit user code segment is not present either) get the same harness as a 64-bit program: with
 * 32-bit and smaller operands, 64-bit mode computes the same results and flags as 32-bit mode for
 * every instruction generated here except the BCD adjustments and 16-bit addressing, which do not
 * exist in 64-bit mode; those two kinds are not generated then, and the run says so (nor are
 * the faulting PUSHAD, POPAD and ENTER cases, whose stack operations differ there).
 */
class DifferentialTest {
    private static final int CF = 1, PF = 4, AF = 0x10, ZF = 0x40, SF = 0x80, OF = 0x800;
    private static final int ALL = CF | PF | AF | ZF | SF | OF;
    private static final int[] EDGE = {0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000,
        0xffffffff, 0xfffffffe, 0x12345678, 0x80000001, 0x0f0f0f0f};

    /**
     * {@code fault}: one of {@link DifferentialFaults}' cases, with {@code setup} run before the
     * instruction; {@code uncompared}: bits of the result fields (as in {@link #RECORD}) not compared.
     */
    record Case(String insn, int[] regs, int flags, int undefinedFlags, boolean string, String setup, boolean fault,
            int uncompared) {
        Case(String insn, int[] regs, int flags, int undefinedFlags, boolean string) {
            this(insn, regs, flags, undefinedFlags, string, "", false, 0);
        }
    }

    /** Bytes of results per case: EAX EBX ECX EDX ESI EDI EFLAGS mem ESP fault CR2 EBP. */
    private static final int RECORD = 48;
    private DifferentialFaults faults;

    private final Random rnd = new Random(Long.getLong("x86.difftest.seed", 1234L));
    /** The native reference runs in 64-bit mode: no instructions that are invalid there. */
    private boolean native64;

    private int val() {
        switch (rnd.nextInt(4)) {
            case 0: return EDGE[rnd.nextInt(EDGE.length)];
            case 1: return rnd.nextInt(256);
            case 2: return EDGE[rnd.nextInt(EDGE.length)] ^ (1 << rnd.nextInt(32));
            default: return rnd.nextInt();
        }
    }

    private Case c(String insn, int undefined) {
        int[] regs = new int[7];
        for (int i = 0; i < 7; i++) regs[i] = val();
        int flags = 0x202 & ~0x200 | (rnd.nextInt() & ALL) | 2;
        return new Case(insn, regs, flags, undefined, false);
    }

    private static final String[] R32 = {"eax", "ebx", "ecx", "edx", "esi", "edi"};
    private static final String[] R16 = {"ax", "bx", "cx", "dx", "si", "di"};
    private static final String[] R8 = {"al", "bl", "cl", "dl", "ah", "bh", "ch", "dh"};
    private static final String[] ALU = {"add", "or", "adc", "sbb", "and", "sub", "xor", "cmp", "test"};
    private static final String[] SH = {"rol", "ror", "rcl", "rcr", "shl", "shr", "sar"};
    private static final String[] CC = {"o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge",
        "le", "g"};

    private String r(int size) {
        return size == 0 ? R8[rnd.nextInt(8)] : size == 1 ? R16[rnd.nextInt(6)] : R32[rnd.nextInt(6)];
    }

    private Case generate() {
        int size = rnd.nextInt(3);
        int k = rnd.nextInt(27);
        switch (k) {
            case 0: case 1: case 2: {
                String op = ALU[rnd.nextInt(ALU.length)];
                boolean logic = op.equals("and") || op.equals("or") || op.equals("xor") || op.equals("test");
                String src = rnd.nextBoolean() ? r(size) : Integer.toString(val() & Alu.MASK[size]);
                return c(op + " " + r(size) + ", " + src, logic ? AF : 0);
            }
            case 3: {
                String[] ops = {"inc", "dec", "neg", "not"};
                return c(ops[rnd.nextInt(4)] + " " + r(size), 0);
            }
            case 4: case 5: case 6: {
                String op = SH[rnd.nextInt(SH.length)];
                int count = rnd.nextInt(3) == 0 ? rnd.nextInt(3) : rnd.nextInt(40);
                Case base = c(op + " " + r(size) + ", " + (rnd.nextBoolean() ? "cl" : Integer.toString(count & 0xff)), 0);
                int cnt;
                if (base.insn.endsWith("cl")) {
                    base.regs[2] = (base.regs[2] & ~0xff) | count;
                    if (base.insn.contains(" cl,") || base.insn.contains(" ch,") || base.insn.contains(" cx,")
                            || base.insn.contains(" ecx,")) {
                        return c("nop", 0);
                    }
                }
                cnt = count & 31;
                int bits = 8 << size;
                int undef = AF;
                boolean rot = op.startsWith("ro") || op.startsWith("rc");
                if (cnt != 1) undef |= OF;
                if (!rot && cnt > bits) undef |= CF;
                if (rot && cnt != 0) undef &= ~AF;
                return new Case(base.insn, base.regs, base.flags, cnt == 0 ? 0 : undef, false);
            }
            case 7: {
                String op = rnd.nextBoolean() ? "mul" : "imul";
                return c(op + " " + r(size), SF | ZF | AF | PF);
            }
            case 8: {
                int s = 1 + rnd.nextInt(2);
                if (rnd.nextBoolean()) return c("imul " + r(s) + ", " + r(s), SF | ZF | AF | PF);
                return c("imul " + r(s) + ", " + r(s) + ", " + (val() & Alu.MASK[s]), SF | ZF | AF | PF);
            }
            case 9: return divCase(size);
            case 10: {
                int s = 1 + rnd.nextInt(2);
                return c((rnd.nextBoolean() ? "bsf " : "bsr ") + r(s) + ", " + r(s), CF | OF | SF | AF | PF);
            }
            case 11: {
                int s = 1 + rnd.nextInt(2);
                String[] ops = {"bt", "bts", "btr", "btc"};
                String src = rnd.nextBoolean() ? r(s) : Integer.toString(rnd.nextInt(256));
                return c(ops[rnd.nextInt(4)] + " " + r(s) + ", " + src, OF | SF | AF | PF);
            }
            case 12: {
                int s = 1 + rnd.nextInt(2);
                int count = rnd.nextInt(s == 1 ? 17 : 32);
                String d = r(s), src = r(s);
                Case base = c((rnd.nextBoolean() ? "shld " : "shrd ") + d + ", " + src + ", " + count, 0);
                int undef = count == 0 ? 0 : AF | (count != 1 ? OF : 0) | (s == 1 && count > 16 ? CF : 0);
                return new Case(base.insn, base.regs, base.flags, undef, false);
            }
            case 13: return c("cmpxchg " + r(size) + ", " + r(size), 0);
            case 14: return c("xadd " + r(size) + ", " + r(size), 0);
            case 15: {
                String[] ops = {"bswap " + r(2), "cbw", "cwde", "cwd", "cdq", "movzx " + r(2) + ", " + r(0),
                    "movsx " + r(2) + ", " + r(1), "movsx " + r(1) + ", " + r(0), "xchg " + r(size) + ", " + r(size),
                    "lea " + r(2) + ", [" + r(2) + "+" + r(2) + "*4+" + rnd.nextInt(1000) + "]", "lahf", "sahf",
                    "cmc", "clc", "stc", "salc_skip"};
                String op = ops[rnd.nextInt(ops.length - 1)];
                return c(op, 0);
            }
            case 16: return c("set" + CC[rnd.nextInt(16)] + " " + r(0), 0);
            case 17: {
                int s = 1 + rnd.nextInt(2);
                return c("cmov" + CC[rnd.nextInt(16)] + " " + r(s) + ", " + r(s), 0);
            }
            case 18: {
                if (native64) return c("nop", 0);
                String[] ops = {"daa", "das", "aaa", "aas", "aam", "aad", "aam 7", "aad 3"};
                int i = rnd.nextInt(ops.length);
                int undef = i < 2 ? OF : i < 4 ? OF | SF | ZF | PF : OF | AF | CF;
                return c(ops[i], undef);
            }
            case 19: return stringCase();
            case 20: {
                String[] ops = {"j" + CC[rnd.nextInt(16)], "loop", "loope", "loopne", "jecxz"};
                String op = ops[rnd.nextInt(ops.length)];
                // the label skips exactly one INC in both modes (INC EAX is one byte in 32-bit code, two in 64-bit)
                Case base = c(op + (op.startsWith("j") && !op.equals("jecxz") ? " short" : "") + " .skip\n  inc eax\n.skip:\n  inc eax", 0);
                if (rnd.nextBoolean()) base.regs[2] = rnd.nextInt(3);
                return base;
            }
            case 22: case 23: return memCase(size);
            case 25: case 26: return faultCase();
            case 24: {
                if (native64) return c("nop", 0);
                String[] modes = {"bx+si", "bx+di", "si", "di", "bx"}; // EBP holds the harness's result pointer
                return c("lea " + r(rnd.nextInt(2) + 1) + ", [" + modes[rnd.nextInt(modes.length)] + (rnd.nextBoolean() ? "+" : "-")
                        + rnd.nextInt(300) + "]", 0);
            }
            default: {
                String op = ALU[rnd.nextInt(4)];
                return c(op + " " + r(size) + ", " + r(size), 0);
            }
        }
    }

    private Case divCase(int size) {
        boolean signed = rnd.nextBoolean();
        for (int attempt = 0; ; attempt++) {
            Case base = c((signed ? "idiv " : "div ") + (size == 0 ? "bl" : size == 1 ? "bx" : "ebx"), ALL);
            int[] g = base.regs;
            long divisor = size == 0 ? (signed ? (byte) g[1] : g[1] & 0xff) : size == 1 ? (signed ? (short) g[1] : g[1] & 0xffff)
                    : (signed ? g[1] : g[1] & 0xffffffffL);
            if (divisor == 0) continue;
            if (attempt > 20) g[3] = 0;
            java.math.BigInteger dividend;
            if (size == 0) {
                dividend = java.math.BigInteger.valueOf(signed ? (short) g[0] : g[0] & 0xffff);
            } else if (size == 1) {
                int v = (g[3] << 16) | (g[0] & 0xffff);
                dividend = java.math.BigInteger.valueOf(signed ? v : v & 0xffffffffL);
            } else {
                long v = ((long) g[3] << 32) | (g[0] & 0xffffffffL);
                dividend = signed ? java.math.BigInteger.valueOf(v)
                        : new java.math.BigInteger(Long.toUnsignedString(v));
            }
            java.math.BigInteger q = dividend.divide(java.math.BigInteger.valueOf(divisor));
            int bits = 8 << size;
            boolean fits = signed ? q.bitLength() < bits : q.signum() >= 0 && q.bitLength() <= bits;
            if (fits) return base;
        }
    }

    /** Memory-operand forms: the operand is the dword at buf+160 (EDI), compared after the instruction. */
    private Case memCase(int size) {
        String[][] regs = {{"al", "bl", "cl", "dl", "ah", "bh", "ch", "dh"}, {"ax", "bx", "cx", "dx"},
            {"eax", "ebx", "ecx", "edx"}};
        java.util.function.IntFunction<String> reg = sz -> regs[sz][rnd.nextInt(regs[sz].length)];
        String kw = size == 0 ? "byte" : size == 1 ? "word" : "dword";
        String m = kw + " [edi]";
        int undef = 0;
        String insn;
        switch (rnd.nextInt(6)) {
            case 0: {
                String op = ALU[rnd.nextInt(ALU.length)];
                boolean logic = op.equals("and") || op.equals("or") || op.equals("xor") || op.equals("test");
                undef = logic ? AF : 0;
                insn = rnd.nextBoolean() ? op + " " + m + ", " + reg.apply(size) : op.equals("test") ? "test " + m + ", " + reg.apply(size)
                        : op + " " + reg.apply(size) + ", " + m;
                break;
            }
            case 1: {
                String[] ops = {"inc", "dec", "neg", "not"};
                insn = ops[rnd.nextInt(4)] + " " + m;
                break;
            }
            case 2: {
                String op = SH[rnd.nextInt(SH.length)];
                int cnt = rnd.nextInt(2) == 0 ? 1 : 1 + rnd.nextInt(31);
                insn = op + " " + m + ", " + cnt;
                boolean rot = op.startsWith("ro") || op.startsWith("rc");
                undef = (rot ? 0 : AF) | (cnt != 1 ? OF : 0) | (!rot && cnt > (8 << size) ? CF : 0);
                break;
            }
            case 3: insn = "xadd " + m + ", " + reg.apply(size); break;
            case 4: insn = "cmpxchg " + m + ", " + reg.apply(size); break;
            default: insn = size == 0 ? "movzx eax, " + m : "mov " + reg.apply(size) + ", " + m; break;
        }
        Case base = c(insn, undef);
        base.regs[4] = 96;
        base.regs[5] = 160;
        return new Case(insn, base.regs, base.flags & ~0x400, undef, true);
    }

    private Case faultCase() {
        DifferentialFaults.Fault f = faults.next();
        Case base = c(f.insn(), f.undefinedFlags());
        base.regs[2] = f.ecx();
        base.regs[4] = 0x100;
        base.regs[5] = f.edi();
        return new Case(f.insn(), base.regs, base.flags, f.undefinedFlags(), false, f.setup(), true, f.uncompared());
    }

    private Case stringCase() {
        String[] ops = {"movsb", "movsw", "movsd", "stosb", "stosd", "lodsb", "lodsd", "cmpsb", "cmpsd", "scasb",
            "scasw"};
        String op = ops[rnd.nextInt(ops.length)];
        String prefix = switch (rnd.nextInt(3)) {
            case 0 -> "";
            case 1 -> op.startsWith("cmps") || op.startsWith("scas") ? "repe " : "rep ";
            default -> op.startsWith("cmps") || op.startsWith("scas") ? "repne " : "rep ";
        };
        int[] regs = new int[7];
        for (int i = 0; i < 7; i++) regs[i] = val();
        regs[2] = rnd.nextInt(9);
        boolean df = rnd.nextInt(4) == 0;
        regs[4] = 96 + rnd.nextInt(16); // esi offset into buf
        regs[5] = 160 + rnd.nextInt(16); // edi offset into buf
        int flags = (rnd.nextInt() & ALL) | 2 | (df ? 0x400 : 0);
        return new Case(prefix + op, regs, flags, 0, true);
    }

    /**
     * One source for the three builds: a flat binary at 0x100000 for the interpreter, a static
     * i386 ELF with {@code -DNATIVE}, and a static x86-64 ELF with {@code -DNATIVE -DNATIVE64}
     * (flags go through PUSHFQ/POPFQ there; everything else keeps its 32-bit operands).
     */
    private String source(List<Case> cases) {
        StringBuilder s = new StringBuilder();
        s.append("%ifdef NATIVE64\nBITS 64\n%define PUSHF pushfq\n%define POPF popfq\n%define STK qword\n"
                + "%else\nBITS 32\n%define PUSHF pushfd\n%define POPF popfd\n%define STK dword\n%endif\n");
        s.append("%ifdef NATIVE\nglobal _start\nsection .text\n%else\norg 0x100000\n%endif\n_start:\n");
        s.append("  mov ebp, results\n");
        s.append("%ifdef NATIVE\n").append(DifferentialFaults.nativeSetup()).append("%else\n")
                .append(DifferentialFaults.emulatorSetup()).append("%endif\n");
        int n = 0;
        for (Case c : cases) {
            s.append("case").append(n++).append(":\n  mov esp, stack_top\n");
            String[] regs = {"eax", "ebx", "ecx", "edx", "esi", "edi"};
            for (int i = 0; i < 6; i++) s.append("  mov ").append(regs[i]).append(", ").append(c.regs[i]).append('\n');
            if (c.fault) {
                faultCaseSource(s, c, n - 1);
                continue;
            }
            if (c.string) s.append("  add esi, buf\n  add edi, buf\n");
            s.append("  push STK ").append(c.flags).append("\n  POPF\n");
            s.append("  ").append(c.insn).append('\n');
            s.append("  PUSHF\n");
            if (c.string) s.append("  sub esi, buf\n  sub edi, buf\n");
            for (int i = 0; i < 6; i++) s.append("  mov [ebp+").append(i * 4).append("], ").append(regs[i]).append('\n');
            s.append("  pop STK [ebp+24]\n"); // a qword in 64-bit mode: [ebp+28] is written next
            if (c.string) s.append("  mov eax, [buf+160]\n  mov [ebp+28], eax\n");
            else s.append("  mov dword [ebp+28], 0\n");
            s.append("  add ebp, ").append(RECORD).append('\n');
        }
        int bytes = cases.size() * RECORD;
        s.append("%ifdef NATIVE64\n  mov eax, 1\n  mov edi, 1\n  mov esi, results\n  mov edx, ").append(bytes)
                .append("\n  syscall\n  mov eax, 60\n  xor edi, edi\n  syscall\n");
        s.append("%elifdef NATIVE\n  mov eax, 4\n  mov ebx, 1\n  mov ecx, results\n  mov edx, ").append(bytes)
                .append("\n  int 0x80\n  mov eax, 1\n  xor ebx, ebx\n  int 0x80\n%else\n  hlt\n%endif\n");
        s.append(DifferentialFaults.checksum());
        s.append("%ifdef NATIVE\n").append(DifferentialFaults.nativeHandler()).append("section .data align=4096\n%else\n")
                .append(DifferentialFaults.emulatorHandler()).append("%endif\n");
        // the fault region on pages of its own, and buf after it (never code): the data's last bytes
        s.append("align 4096\n").append(DifferentialFaults.region());
        s.append("buf:\n%assign i 0\n%rep 256\n  db (i*37+11) & 0xff\n%assign i i+1\n%endrep\n");
        s.append("%ifdef NATIVE\n").append(DifferentialFaults.nativeData()).append("section .bss\nresults: resb ").append(bytes)
                .append("\n  resb 4096\nstack_top:\n  resb 65536\naltstack:\n  resb 65536\n"
                        + "fresume: resd 1\nfault_info: resd 1\nfault_addr: resd 1\nfesp: resd 1\nfebp: resd 1\nfsaved_ebp: resd 1\n"
                        + "%else\nresults equ 0x800000\nstack_top equ 0x700000\nfresume equ 0x7ff000\nfault_info equ 0x7ff004\n"
                        + "fault_addr equ 0x7ff008\nfesp equ 0x7ff00c\nfebp equ 0x7ff010\nfsaved_ebp equ 0x7ff014\n%endif\n");
        return s.toString();
    }

    /** A faulting case: operands in the fault region, [fresume] after the instruction, the full record. */
    private static void faultCaseSource(StringBuilder s, Case c, int n) {
        s.append("  add esi, fregion\n  add edi, fregion\n");
        s.append("  push STK ").append(c.flags).append("\n  POPF\n");
        s.append("  mov dword [fresume], resume").append(n).append("\n  mov [fsaved_ebp], ebp\n");
        if (!c.setup.isEmpty()) s.append("  ").append(c.setup).append('\n');
        s.append("  ").append(c.insn).append("\nresume").append(n).append(":\n");
        s.append("  mov [fesp], esp\n  mov [febp], ebp\n  mov ebp, [fsaved_ebp]\n  mov esp, stack_top\n  PUSHF\n");
        s.append("  sub esi, fregion\n  sub edi, fregion\n");
        String[] regs = {"eax", "ebx", "ecx", "edx", "esi", "edi"};
        for (int i = 0; i < 6; i++) s.append("  mov [ebp+").append(i * 4).append("], ").append(regs[i]).append('\n');
        s.append("  pop STK [ebp+24]\n  call fchecksum\n  mov [ebp+28], eax\n");
        // ESP and EBP relative to where the set-up put them (the region), else to their harness values
        s.append("  mov eax, [fesp]\n  sub eax, ").append(c.setup.contains("mov esp") ? "fregion" : "stack_top")
                .append("\n  mov [ebp+32], eax\n");
        s.append("  mov eax, [fault_info]\n  mov [ebp+36], eax\n  mov eax, [fault_addr]\n  mov [ebp+40], eax\n");
        s.append("  mov eax, [febp]\n  sub eax, ").append(c.setup.contains("mov ebp") ? "fregion" : "[fsaved_ebp]")
                .append("\n  mov [ebp+44], eax\n");
        s.append("  mov dword [fault_info], 0\n  mov dword [fault_addr], 0\n  add ebp, ").append(RECORD).append('\n');
    }

    @Test
    void matchesHostCpu() throws Exception {
        assumeTrue(Asm.available("nasm") && Asm.available("ld"),
                "nasm and ld are needed to build the native i386 harness (apt-get install nasm binutils)");
        int count = Integer.getInteger("x86.difftest.count", 6000);
        Path dir = Files.createTempDirectory("x86diff");
        try {
            native64 = !Asm.hostRunsI386();
            faults = new DifferentialFaults(rnd, native64);
            List<Case> cases = new ArrayList<>();
            while (cases.size() < count) {
                Case c = generate();
                if (!c.insn.equals("nop")) cases.add(c);
            }
            String src = source(cases);
            Files.writeString(dir.resolve("t.asm"), src);
            if (native64) {
                Asm.run(dir, List.of("nasm", "-f", "elf64", "-DNATIVE", "-DNATIVE64", "-o", "t.o", "t.asm"));
                Asm.run(dir, List.of("ld", "-o", "t", "t.o"));
            } else {
                Asm.run(dir, List.of("nasm", "-f", "elf32", "-DNATIVE", "-o", "t.o", "t.asm"));
                Asm.run(dir, List.of("ld", "-m", "elf_i386", "-o", "t", "t.o"));
            }
            Process p = new ProcessBuilder(dir.resolve("t").toString()).start();
            byte[] nativeOut = p.getInputStream().readAllBytes();
            int rc = p.waitFor();
            assertEquals(0, rc, "native harness exit status");
            assertEquals(count * RECORD, nativeOut.length, "native harness output bytes");
            Asm.run(dir, List.of("nasm", "-f", "bin", "-o", "t.bin", "t.asm"));
            byte[] bin = Files.readAllBytes(dir.resolve("t.bin"));

            FakeMachine m = new FakeMachine(16 << 20);
            m.load(0x100000, bin);
            X86Cpu cpu = new X86Cpu(m, "pentium3");
            ByteBuffer nat = ByteBuffer.wrap(nativeOut).order(ByteOrder.LITTLE_ENDIAN);
            int failures = 0;
            StringBuilder report = new StringBuilder();
            // the second pass runs the same code from the CPU's decode cache (prefixes, opcodes, ModRM forms)
            long decodedFirstPass = 0;
            int data = 0x5000 + 256; // the fault region and buf, at the end of the binary
            byte[] dataInit = java.util.Arrays.copyOfRange(bin, bin.length - data, bin.length);
            for (int pass = 1; pass <= 2; pass++) {
                m.load(0x100000 + bin.length - data, dataInit);
                for (int i = 0; i < count * RECORD / 4; i++) m.write32(0x800000 + i * 4L, 0);
                FakeMachine.flat32(cpu, 0x100000, 0x700000);
                cpu.halted = false;
                assertEquals(Cpu.ExitReason.HALTED, cpu.run(Long.MAX_VALUE));
                if (pass == 1) decodedFirstPass = cpu.code.pagesDecoded;
                failures += compare(cases, nat, m, pass, report, failures);
            }
            assertEquals(decodedFirstPass, cpu.code.pagesDecoded, "the second pass ran from the decode cache");
            Accel accel = Accel.fromSystemProperties();
            long blocks = cpu.statistics().get("blocks-run");
            if (accel.translate() && accel.threshold() <= 2) {
                assertTrue(blocks > count / 2, "the cases ran translated: " + cpu.statistics());
            } else if (!accel.translate()) {
                assertEquals(0, blocks, "the interpreter ran every case");
            }
            System.out.printf("x86 differential test (%s): %d cases (%d faulting) run twice (decode, then cached), %d blocks run translated, %d mismatches, seed %d, native reference: %s%n",
                    accel, count, cases.stream().filter(Case::fault).count(), blocks, failures, Long.getLong("x86.difftest.seed", 1234L), native64
                            ? "x86-64 process (this kernel runs no i386 code; no BCD or 16-bit addressing cases)"
                            : "i386 process");
            assertEquals(0, failures, report.toString());
        } finally {
            Asm.deleteTree(dir);
        }
    }

    /** Compares the emulated results of one pass with the native ones; returns the mismatching cases. */
    private static int compare(List<Case> cases, ByteBuffer nat, FakeMachine m, int pass, StringBuilder report,
            int earlier) {
        String[] names = {"eax", "ebx", "ecx", "edx", "esi", "edi", "eflags", "mem", "esp", "fault (P, W)", "cr2", "ebp"};
        int failures = 0;
        for (int i = 0; i < cases.size(); i++) {
            Case c = cases.get(i);
            for (int j = 0; j < RECORD / 4; j++) {
                if ((c.uncompared >> j & 1) != 0) continue;
                int want = nat.getInt(i * RECORD + j * 4);
                int got = m.read32(0x800000 + i * RECORD + j * 4);
                if (j == 6) {
                    int mask = ~(c.undefinedFlags | 0x10000 | 0x200); // user mode cannot clear IF natively
                    want &= mask;
                    got &= mask;
                }
                if (want != got) {
                    if (earlier + failures++ < 40) {
                        report.append(String.format("pass %d case %d '%s'%s in=%s flags=%x: %s native %08x emulated %08x%n",
                                pass, i, c.insn, c.setup.isEmpty() ? "" : " (" + c.setup.replace("\n  ", "; ") + ")",
                                java.util.Arrays.toString(hex(c.regs)), c.flags, names[j], want, got));
                    }
                    break;
                }
            }
        }
        return failures;
    }

    private static String[] hex(int[] v) {
        String[] s = new String[v.length];
        for (int i = 0; i < v.length; i++) s[i] = Integer.toHexString(v[i]);
        return s;
    }
}
