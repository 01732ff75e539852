package org.machina.cpu.x86;

import static java.lang.constant.ConstantDescs.CD_boolean;
import static java.lang.constant.ConstantDescs.CD_int;
import static java.lang.constant.ConstantDescs.CD_long;
import static java.lang.constant.ConstantDescs.CD_void;

import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.CodeBuilder;
import java.lang.classfile.Label;
import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.List;

/**
 * The translator: compiles a run of guest instructions in one code page into the bytecode of a
 * hidden class (collectable with its CPU), with everything the decode knows folded in:
 * operand and address sizes, the ModRM form, displacements, immediates, branch targets,
 * segment choices. The generated code calls the same primitives the interpreter uses
 * (segment checks, TLB-backed memory accesses, lazy flags, the stack helpers) in the same
 * order, so faults, flags and memory effects are those of the interpreter, which stays the
 * reference; what goes away is fetching, decoding and dispatching each instruction.
 *
 * <p>A block ends after a control transfer (RET, an indirect JMP or CALL, a JMP or CALL whose
 * target is not ahead in its page), before an instruction the translator does not handle, at the
 * end of the page, or after {@link #MAX_INSTRUCTIONS} ({@link #MAX_HOT_INSTRUCTIONS} as hot code); it
 * goes on past a Jcc (the not-taken side) and at the target of a JMP or CALL ahead in the same
 * page. After every instruction that stores to memory it checks {@link CodeCache#blocksDropped}
 * and leaves early when a store changed translated code, so self-modifying code is seen by the
 * next instruction as in the interpreter. Before every instruction that can fault it records its
 * index in the block ({@code blockInsn}); the CPU takes EIP and the retired count from it when
 * a fault leaves the block, and ESP as the fault found it (no translated instruction changes
 * ESP before its last possible fault, but LEAVE, which records ESP itself), so the fault is
 * delivered with the state as it was before that instruction.
 *
 * <p>With {@code -accel tcg,region=N} a block translated again as hot code is a region (see
 * {@link #extend}): the runs of instructions at the targets it jumps to inside its page are
 * appended to it, and the instruction list is no longer one straight run. So every jump, and the
 * end of every run, goes to a list index or out of the block, and the retired count is the list
 * index plus {@code blockBias}, as for a block's own jumps.
 */
final class BlockCompiler {
    static final int MAX_INSTRUCTIONS = 48;
    /**
     * The most instructions of a block translated again as hot code, fewer when its bytecode
     * would be more than HotSpot compiles ({@link #MAX_CODE_LENGTH}). C2 compiles it, so a long
     * run costs compile time on the other core, not the CPU's; the run loop is entered once for
     * it instead of once every {@link #MAX_INSTRUCTIONS} (unrolled hash rounds, the decompressor's
     * runs of branches not taken). Boots to /init, three alternating pairs, 192 against 48: the
     * decompressor's phase took the machine thread 6.10, 5.78, 5.77 s against 6.76, 6.75, 6.36 s;
     * 96 and 384 did as well as 192 (docs/architecture.md, the nineteenth stop).
     */
    static final int MAX_HOT_INSTRUCTIONS = 192;
    /** The name of every translated block's hidden class, and of a block translated again as hot code. */
    static final String BLOCK_CODE = "org.machina.cpu.x86.TranslatedCode", HOT_CODE = "org.machina.cpu.x86.HotCode";
    /** The most bytes a block can span (each instruction at most 15 bytes). */
    static final int MAX_BYTES = MAX_INSTRUCTIONS * 15;

    private static final ClassDesc CD_CPU = ClassDesc.of("org.machina.cpu.x86.X86Cpu");
    private static final ClassDesc CD_MMU = ClassDesc.of("org.machina.cpu.x86.Mmu");
    /** {@code Mmu.hotRead8}..{@code hotRead32} and {@code hotWrite8}..{@code hotWrite32} (and {@code hotProbeUpdate}, whose last int is a size). */
    private static final MethodTypeDesc HOT_READ = MethodTypeDesc.of(CD_int, CD_MMU, CD_long.arrayType(), CD_int,
            CD_int), HOT_WRITE = MethodTypeDesc.of(CD_void, CD_MMU, CD_long.arrayType(), CD_int, CD_int, CD_int);
    private static final ClassDesc CD_CACHE = ClassDesc.of("org.machina.cpu.x86.CodeCache");
    private static final ClassDesc CD_CODE = ClassDesc.of("org.machina.cpu.x86.TranslatedBlock$BlockCode");
    private static final ClassDesc CD_INTS = CD_int.arrayType();
    private static final MethodTypeDesc I_I = MethodTypeDesc.of(CD_int, CD_int);
    private static final MethodTypeDesc I_II = MethodTypeDesc.of(CD_int, CD_int, CD_int);
    private static final MethodTypeDesc I_III = MethodTypeDesc.of(CD_int, CD_int, CD_int, CD_int);
    private static final MethodTypeDesc I_IIII = MethodTypeDesc.of(CD_int, CD_int, CD_int, CD_int, CD_int);
    private static final MethodTypeDesc V_II = MethodTypeDesc.of(CD_void, CD_int, CD_int);
    private static final MethodTypeDesc V_IIZ = MethodTypeDesc.of(CD_void, CD_int, CD_int, CD_boolean);
    private static final MethodTypeDesc V_ZI = MethodTypeDesc.of(CD_void, CD_boolean, CD_int);
    private static final MethodTypeDesc I_Z = MethodTypeDesc.of(CD_int, CD_boolean);
    private static final MethodTypeDesc V_I = MethodTypeDesc.of(CD_void, CD_int);
    private static final MethodTypeDesc I_ = MethodTypeDesc.of(CD_int);
    private static final MethodTypeDesc I_ZIIII = MethodTypeDesc.of(CD_int, CD_boolean, CD_int, CD_int, CD_int, CD_int);
    private static final MethodTypeDesc I_IIZ = MethodTypeDesc.of(CD_int, CD_int, CD_int, CD_boolean);

    // locals of the generated run(X86Cpu) method
    private static final int CPU = 1, REGS = 2, A = 3, LIN = 4, V = 5, B = 6, C = 7, T = 12, P = 13, Q = 14; // 8..11: FlagCode
    /**
     * Per segment register s: local {@code SEG_OK + s} holds what the block may do through it
     * without the interpreter's checks ({@link #SEG_READ}, {@link #SEG_WRITE}), local
     * {@code SEG_BASE + s} its base; {@code STACK_OK}: SS is a 4 GiB 32-bit stack.
     */
    private static final int SEG_OK = 15, SEG_BASE = 21, STACK_OK = 27;
    /**
     * The TLB hit path's locals ({@link Emitter#load}, {@link Emitter#store}): hot code's TLB
     * ({@code Mmu.inlineHot}, tags and raw addresses side by side) and the first entry of the load
     * bank, read at the block's entry; and M, a linear address of the stack.
     */
    private static final int HOT = 28, BANK = 30, M = 32;
    private static final int SEG_READ = 1, SEG_WRITE = 2;

    private final MethodHandles.Lookup lookup = MethodHandles.lookup();
    private final ClassFile classFile = ClassFile.of(ClassFile.ClassHierarchyResolverOption.of(
            ClassHierarchyResolver.ofClassLoading(BlockCompiler.class.getClassLoader())
                    .orElse(ClassHierarchyResolver.defaultResolver())));
    private final InsnDecoder decoder = new InsnDecoder();
    private final boolean hasCmov;
    /** The most instructions of a hot block's region ({@link #extend}; {@code -accel tcg,region=N}), 0 for none. */
    private final int region;
    /** Blocks compiled and instructions in them, for the statistics. */
    long blocksCompiled, instructionsCompiled;
    /**
     * Host time spent in {@link #compile}: decoding, generating the class and defining it (which
     * loads, verifies and links it), for the statistics. HotSpot's compilation of the block comes
     * later, on its compiler threads, and is not in it.
     */
    long translationNanos;

    BlockCompiler(boolean hasCmov, int region) {
        this.hasCmov = hasCmov;
        this.region = region;
    }

    /** One decoded instruction of a block. */
    private record Insn(int op, boolean op32, boolean addr32, int seg, boolean hasModrm, int mod, int reg, int rm,
                        int base, int index, int scale, int disp, int imm, int eip, int next) {
        int os() {
            return op32 ? 2 : 1;
        }

        boolean memory() {
            return hasModrm && mod != 3 && op != 0x8d;
        }

        /**
         * Ends the block: the next EIP is not the next instruction's. (Port I/O ends it only when
         * the access takes the normal path, see {@link Emitter#portIo}.)
         */
        boolean transfer() {
            return (op >= 0x70 && op <= 0x7f) || (op >= 0x180 && op <= 0x18f) || op == 0xc2 || op == 0xc3
                    || op == 0xe8 || op == 0xe9 || op == 0xeb || (op == 0xff && (reg == 2 || reg == 4));
        }

        /** MOVS, CMPS, STOS, LODS or SCAS (the decoder takes them without REP only). */
        static boolean string(int op) {
            return (op >= 0xa4 && op <= 0xa7) || (op >= 0xaa && op <= 0xaf);
        }

        boolean string() {
            return string(op);
        }

        /** IN or OUT (not the string forms). */
        boolean portIo() {
            return (op >= 0xe4 && op <= 0xe7) || (op >= 0xec && op <= 0xef);
        }

        /** A conditional jump (Jcc): the block goes on with the next instruction when it is not taken. */
        boolean conditional() {
            return (op >= 0x70 && op <= 0x7f) || (op >= 0x180 && op <= 0x18f);
        }

        /** Leaves the arithmetic flags as they were (moves, stack, SETcc, CMOVcc, NOT, ...). */
        boolean preservesFlags() {
            return switch (op) {
                case 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8d, 0x68, 0x6a, 0xc6, 0xc7, 0xc9, 0xfc, 0xfd,
                     0x1b6, 0x1b7, 0x1be, 0x1bf, 0xe4, 0xe5, 0xe6, 0xe7, 0xec, 0xed, 0xee, 0xef,
                     0xa4, 0xa5, 0xaa, 0xab, 0xac, 0xad -> true; // ... MOVS, STOS, LODS
                case 0xf6, 0xf7 -> reg == 2;
                case 0xfe, 0xff -> reg == 6;
                default -> (op >= 0x50 && op <= 0x5f) || (op >= 0x90 && op <= 0x99) || (op >= 0xb0 && op <= 0xbf)
                        || (op >= 0x140 && op <= 0x14f) || (op >= 0x190 && op <= 0x19f) || (op >= 0x1c8 && op <= 0x1cf);
            };
        }

        /**
         * Sets all six arithmetic flags from its operands, reading none: ADD, OR, AND, SUB, XOR,
         * CMP, TEST, NEG, and SHL/SHR/SAR by a constant other than 0.
         */
        boolean setsAllFlags() {
            return switch (op) {
                case 0x80, 0x81, 0x83 -> reg != 2 && reg != 3;
                case 0x84, 0x85, 0xa8, 0xa9 -> true;
                // TEST, NEG, and MUL and IMUL, which set all six from the product (Alu.mul1, imul)
                case 0xf6, 0xf7 -> reg == 0 || reg >= 3 && reg <= 5;
                case 0x69, 0x6b, 0x1af -> true;
                case 0xc0, 0xc1 -> reg >= 4 && (imm & 31) != 0;
                case 0xd0, 0xd1 -> reg >= 4;
                default -> op < 0x40 && (op & 7) <= 5 && (op >>> 3) != 2 && (op >>> 3) != 3;
            };
        }

        /**
         * ROL or ROR by a constant whose count (masked to 5 bits) is not 0: sets CF and OF (the
         * interpreter computes OF for every count), reads no flag and keeps the other four.
         */
        boolean rotatesByConstant() {
            return switch (op) {
                case 0xc0, 0xc1 -> reg <= 1 && (imm & 31) != 0;
                case 0xd0, 0xd1 -> reg <= 1;
                default -> false;
            };
        }

        boolean stack() {
            return (op >= 0x50 && op <= 0x5f) || op == 0x68 || op == 0x6a || op == 0xc2 || op == 0xc3 || op == 0xc9
                    || op == 0xe8 || (op == 0xff && (reg == 2 || reg == 6));
        }

        /** Whether it may raise an exception: memory and stack accesses, DIV/IDIV, port I/O, string instructions. */
        boolean mayFault() {
            return memory() || stack() || ((op == 0xf6 || op == 0xf7) && reg >= 6) || portIo() || string();
        }

        /** Whether it may store to memory (the self-modifying-code check follows it). */
        boolean stores() {
            if (stack() && op != 0xc3 && op != 0xc2 && !(op >= 0x58 && op <= 0x5f)) return true;
            if (string()) return op == 0xa4 || op == 0xa5 || op == 0xaa || op == 0xab; // MOVS, STOS
            if (!memory()) return false;
            return switch (op) {
                case 0x84, 0x85, 0x8a, 0x8b, 0x69, 0x6b, 0x1af, 0x1b6, 0x1b7, 0x1be, 0x1bf, 0x1bc, 0x1bd -> false;
                case 0xf6, 0xf7 -> reg == 2 || reg == 3;
                case 0xff -> reg <= 1;
                default -> !(op >= 0x140 && op <= 0x14f) && !(op < 0x40 && ((op & 7) == 2 || (op & 7) == 3))
                        && !(op < 0x40 && (op >>> 3) == 7) && !((op == 0x80 || op == 0x81 || op == 0x83) && reg == 7);
            };
        }
    }

    /**
     * Translates the instructions at {@code offset} of {@code page}; returns null when the first
     * one is not translated.
     */
    TranslatedBlock compile(byte[] page, int offset, int csBase, int eip, boolean code32) {
        return compile(page, offset, csBase, eip, code32, null);
    }

    /**
     * As {@link #compile(byte[], int, int, int, boolean)}, as hot code when {@code hotEntries} is
     * not null: a class named {@code HotCode}, which {@link JitDirectives} leaves to HotSpot's C2,
     * and a region (see {@link #extend}) that takes in the runs at the page offsets
     * {@code hotEntries} accepts (those the guest goes on to often).
     */
    synchronized TranslatedBlock compile(byte[] page, int offset, int csBase, int eip, boolean code32,
                                         java.util.function.IntPredicate hotEntries) {
        long t0 = System.nanoTime();
        try {
            return translate(page, offset, csBase, eip, code32, hotEntries);
        } finally {
            translationNanos += System.nanoTime() - t0;
        }
    }

    private TranslatedBlock translate(byte[] page, int offset, int csBase, int eip, boolean code32,
                                      java.util.function.IntPredicate hotEntries) {
        boolean hot = hotEntries != null;
        List<Insn> insns = new ArrayList<>();
        // the page offset after each instruction (its target's, after a JMP or CALL ahead)
        int[] ends = new int[MAX_HOT_INSTRUCTIONS];
        int off = offset, at = eip;
        int limit = hot ? MAX_HOT_INSTRUCTIONS : MAX_INSTRUCTIONS;
        while (insns.size() < limit && off < page.length) {
            Insn in = decodeAt(page, off, at, code32);
            if (in == null) break;
            insns.add(in);
            off += decoder.length;
            at = in.next();
            if (in.transfer() && !in.conditional()) {
                int skip = forward(in, off, page.length);
                if (skip < 0) {
                    ends[insns.size() - 1] = off;
                    break;
                }
                off += skip; // the block goes on at the target
                at = Emitter.target(in);
            }
            ends[insns.size() - 1] = off;
        }
        if (insns.isEmpty()) return null;
        int low = offset, high = off;
        boolean inlineTlb = INLINE_TLB.equals("on") || INLINE_TLB.equals(hot ? "hot" : "c1");
        byte[] bytes = null;
        if (insns.size() > MAX_INSTRUCTIONS) {
            // hot code's longer straight run, shortened until HotSpot compiles it (MAX_CODE_LENGTH)
            for (;;) {
                bytes = generate(insns, true, inlineTlb, TranslatedBlock.NO_ENTRIES, csBase + eip);
                if (codeLength(bytes) <= MAX_CODE_LENGTH || insns.size() <= MAX_INSTRUCTIONS) break;
                insns = new ArrayList<>(insns.subList(0, Math.max(MAX_INSTRUCTIONS, insns.size() * 3 / 4)));
                high = ends[insns.size() - 1];
            }
        }
        int[] entries = TranslatedBlock.NO_ENTRIES;
        if (hot && code32 && region > insns.size()) {
            // a region, as large as HotSpot still compiles: a method of more than 8000 bytes of
            // bytecode (HugeMethodLimit) would stay in the bytecode interpreter
            int straight = insns.size();
            for (int max = region; max > straight; max = straight + (max - straight) / 2) {
                List<Insn> candidate = new ArrayList<>(insns);
                int[] range = extend(page, offset, eip, candidate, max, hotEntries);
                if (candidate.size() == straight) break;
                int[] regionEntries = entries(candidate, offset, eip, hotEntries);
                byte[] regionBytes = generate(candidate, true, inlineTlb, regionEntries, csBase + eip);
                if (codeLength(regionBytes) <= MAX_CODE_LENGTH) {
                    insns = candidate;
                    bytes = regionBytes;
                    entries = regionEntries;
                    low = range[0];
                    high = Math.max(high, range[1]);
                    regionsCompiled++;
                    break;
                }
            }
        }
        if (bytes == null) bytes = generate(insns, hot, inlineTlb, entries, csBase + eip);
        if (DUMP != null) dump(bytes, csBase + eip);
        TranslatedBlock.BlockCode code;
        try {
            MethodHandles.Lookup hidden = lookup.defineHiddenClass(bytes, true);
            code = (TranslatedBlock.BlockCode) hidden.findConstructor(hidden.lookupClass(),
                    MethodType.methodType(void.class)).invoke();
        } catch (Throwable t) {
            throw new IllegalStateException("translation of " + Integer.toHexString(eip) + " failed", t);
        }
        int[] eips = new int[insns.size()];
        for (int i = 0; i < eips.length; i++) eips[i] = insns.get(i).eip();
        blocksCompiled++;
        instructionsCompiled += eips.length;
        TranslatedBlock b = new TranslatedBlock(code, csBase, eip, code32, offset, high - offset, low, eips, hot);
        b.entries = entries;
        return b;
    }

    /**
     * The instruction at {@code off} of {@code page}, EIP {@code at}, or null when the translator
     * does not handle it (or it would wrap inside a 16-bit code segment); its length is then
     * {@code decoder.length}.
     */
    private Insn decodeAt(byte[] page, int off, int at, boolean code32) {
        if (!decoder.decode(page, off, code32)) return null;
        InsnDecoder d = decoder;
        if (d.op >= 0x140 && d.op <= 0x14f && !hasCmov) return null;
        int len = d.length;
        if (!code32 && (at & 0xffff) + len > 0x10000) return null; // would wrap inside a 16-bit segment
        int next = code32 ? at + len : (at + len) & 0xffff;
        // a string instruction's segment is its source's override (-1: DS), see Emitter#string
        int seg = d.hasModrm && d.mod != 3 ? d.segment() : Insn.string(d.op) ? d.segOvr : -1;
        return new Insn(d.op, d.op32, d.addr32, seg, d.hasModrm, d.mod,
                d.reg, d.rm, d.base, d.index, d.scale, d.disp, d.imm, at, next);
    }

    /**
     * The instructions of a region, other than its first, it can be entered at: those at the
     * start of a block the guest runs often ({@code hotEntries}: the loop heads and join points its
     * runs were appended at, among others). The region's code is then installed for them too, so
     * the run loop, when the region left at its budget or through a branch the guest seldom
     * takes, comes back into it, not into their separate (C1-compiled) blocks.
     */
    private static int[] entries(List<Insn> region, int offset, int eip,
                                 java.util.function.IntPredicate hotEntries) {
        return java.util.stream.IntStream.range(1, region.size())
                .filter(i -> hotEntries.test(offset + (region.get(i).eip() - eip))).toArray();
    }

    /**
     * The class of a block at linear address {@code linear}: its constructor and its {@code run}
     * method. Its name ends in the address ({@code HotCode_c1000e40}), so profiles that name JIT
     * code (perf with {@code jcmd Compiler.perfmap}, JFR, {@code -XX:+PrintCompilation}) name the
     * guest code too.
     */
    private byte[] generate(List<Insn> insns, boolean hot, boolean inlineTlb, int[] entries, int linear) {
        return classFile.build(ClassDesc.of(String.format("%s_%08x", hot ? HOT_CODE : BLOCK_CODE, linear)), cb -> {
            cb.withFlags(ClassFile.ACC_FINAL | ClassFile.ACC_SUPER);
            cb.withSuperclass(CD_CODE);
            cb.withMethodBody("<init>", MethodTypeDesc.of(CD_void), ClassFile.ACC_PUBLIC, c -> {
                c.aload(0);
                c.invokespecial(CD_CODE, "<init>", MethodTypeDesc.of(CD_void));
                c.return_();
            });
            cb.withMethodBody("run", MethodTypeDesc.of(CD_int, CD_CPU), ClassFile.ACC_PUBLIC,
                    c -> new Emitter(c, inlineTlb).block(insns, entries));
        });
    }

    /** HotSpot compiles no method with more bytecode than this ({@code -XX:HugeMethodLimit}'s default, 8000). */
    static final int MAX_CODE_LENGTH = 7999;

    /** The length of the bytecode of the {@code run} method of class file {@code bytes}. */
    private int codeLength(byte[] bytes) {
        for (var m : classFile.parse(bytes).methods()) {
            if (m.methodName().equalsString("run")) {
                return m.findAttribute(java.lang.classfile.Attributes.code()).orElseThrow().codeLength();
            }
        }
        throw new IllegalStateException("no run method");
    }

    /** Hot blocks translated as regions of more than their straight run (statistics). */
    long regionsCompiled;

    /**
     * Makes the straight block {@code insns} (from {@code offset} of {@code page}, EIP
     * {@code eip}, 32-bit code) a region: the runs of instructions at the targets it leaves for
     * inside the same page (a Jcc's taken side, a JMP's target, where it stops for its length)
     * are appended to it, and theirs in turn, up to {@code max} instructions in all. A jump to an
     * instruction of the region is then a JVM jump, so a guest loop made of several blocks, with
     * branches inside, is one JVM method C2 compiles as a whole, and runs without returning to the
     * run loop (a jump back checks the budget, as in a block). Returns the lowest page offset of
     * its bytes and the end of the highest.
     */
    private int[] extend(byte[] page, int offset, int eip, List<Insn> insns, int max,
                         java.util.function.IntPredicate hotEntries) {
        java.util.Set<Integer> inside = new java.util.HashSet<>();
        java.util.ArrayDeque<Integer> targets = new java.util.ArrayDeque<>();
        for (Insn in : insns) {
            inside.add(in.eip());
            exits(in, targets);
        }
        Insn last = insns.get(insns.size() - 1);
        if (!last.transfer()) targets.add(last.next());
        int low = offset, high = offset;
        while (!targets.isEmpty() && insns.size() < max) {
            int at = targets.poll();
            int off = offset + (at - eip);
            if (off < 0 || off >= page.length || !hotEntries.test(off)) continue;
            while (off >= 0 && off < page.length && insns.size() < max && !inside.contains(at)) {
                Insn in = decodeAt(page, off, at, true);
                if (in == null) break;
                insns.add(in);
                inside.add(at);
                low = Math.min(low, off);
                high = Math.max(high, off + decoder.length);
                off += decoder.length;
                at = in.next();
                if (in.transfer() && !in.conditional()) {
                    int skip = forward(in, off, page.length);
                    if (skip < 0) {
                        exits(in, targets);
                        break;
                    }
                    off += skip;
                    at = Emitter.target(in);
                } else {
                    exits(in, targets);
                }
            }
        }
        return new int[] {low, high};
    }

    /** Adds where instruction {@code in} may jump to within its code segment (a Jcc's or a JMP's constant target). */
    private static void exits(Insn in, java.util.ArrayDeque<Integer> targets) {
        if (in.conditional() || in.op() == 0xe9 || in.op() == 0xeb) targets.add(Emitter.target(in));
    }

    /**
     * For a JMP or CALL with a constant target: how many bytes from {@code off}, the page offset
     * of the next instruction, its target lies ahead in the same page (0: the next instruction),
     * so the block goes on there; -1 for any other transfer or target. Ahead only, so the block's
     * bytes stay one range from its first instruction to the end of its last (what a store must
     * overlap to drop it: the bytes skipped are in it too, which drops it more often, never less).
     */
    private static int forward(Insn in, int off, int pageLength) {
        if (in.op() != 0xe9 && in.op() != 0xeb && in.op() != 0xe8) return -1;
        int delta = Emitter.target(in) - in.next(); // a 16-bit target below EIP (wrapped) is negative
        return delta >= 0 && delta < pageLength - off ? delta : -1;
    }

    /**
     * A folder that receives every translated block as a class file named after its linear
     * address (system property {@code machina.x86.dumpBlocks}), for reading with {@code javap -c};
     * null when off.
     */
    private static final String DUMP = System.getProperty("machina.x86.dumpBlocks");

    /**
     * Where memory operands probe the TLB inline ({@link Emitter#load}) rather than call
     * {@code read8}..{@code write32} (system property {@code machina.x86.inlineTlb}): {@code hot}
     * (the default: hot code alone, which C2 compiles), {@code on} (every block), {@code c1}
     * (blocks for C1 alone) or {@code off}. In C1's code it does not pay: C1 compiles the
     * memory-segment access to a chain of checks, and the bigger blocks cost C1 more than they save
     * (docs/architecture.md, "The inline TLB hit path"). The translator's surefire run uses
     * {@code on}, so the tests cover both kinds of block.
     */
    private static final String INLINE_TLB = System.getProperty("machina.x86.inlineTlb", "hot");

    private static void dump(byte[] bytes, int linear) {
        try {
            java.nio.file.Path dir = java.nio.file.Path.of(DUMP);
            java.nio.file.Files.createDirectories(dir);
            java.nio.file.Files.write(dir.resolve(String.format("block-%08x.class", linear)), bytes);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot dump a translated block to " + DUMP, e);
        }
    }

    /** Emits the body of one block's run method. */
    private static final class Emitter {
        private final CodeBuilder c;
        private final FlagCode flags;
        /** Whether the block jumps inside itself (its retired count is then kept in {@code blockBias}). */
        private boolean jumps;
        /** Whether the instruction being emitted has its flags overwritten before anything can see them ({@link #flagsDead}). */
        private boolean flagsDead;
        /** Whether memory accesses probe the TLB inline ({@link #load}, {@link #store}). */
        private final boolean inlineTlb;

        Emitter(CodeBuilder c, boolean inlineTlb) {
            this.c = c;
            this.flags = new FlagCode(c);
            this.inlineTlb = inlineTlb;
        }

        /**
         * The block: its instructions in order, Jcc and JMP to an instruction of the block as JVM
         * jumps (a loop in the guest is a loop in the JVM), everything else leaving the block.
         * Jumps back check the burst's budget ({@code blockBudget}) so a loop returns to the CPU's
         * run loop, which takes interrupts and deadlines, as often as a chain of blocks would.
         * The count of instructions retired so far is {@code blockBias} plus the index of the
         * current instruction: each taken jump adds the distance it skips.
         */
        void block(List<Insn> insns, int[] entries) {
            int n = insns.size();
            this.insns = insns;
            index = new java.util.HashMap<>();
            for (int i = 0; i < n; i++) index.putIfAbsent(insns.get(i).eip(), i);
            int[] inside = new int[n];
            labels = new Label[n];
            for (int i = 0; i < n; i++) {
                Insn in = insns.get(i);
                inside[i] = -1;
                boolean jmp = in.op() == 0xe9 || in.op() == 0xeb;
                if ((jmp || in.op() == 0xe8) && i + 1 < n && insns.get(i + 1).eip() == target(in)) {
                    inside[i] = FOLLOWED; // translate went on at its target (forward)
                    continue;
                }
                if (!in.transfer() && !straightOn(i)) label(indexOf(in.next())); // a region's run ends
                if (!in.conditional() && !jmp) continue;
                inside[i] = indexOf(target(in));
                label(inside[i]);
                if (in.conditional() && !straightOn(i)) label(indexOf(in.next()));
            }
            c.aload(CPU);
            c.getfield(CD_CPU, "r", CD_INTS);
            c.astore(REGS);
            for (int t : new int[] {A, LIN, V, B, C, T, P, Q}) {
                c.iconst_0();
                c.istore(t);
            }
            for (int k : entries) label(k);
            flags.init();
            segments(insns);
            if (inlineTlb && insns.stream().anyMatch(in -> in.memory() || in.stack())) {
                cpu();
                c.invokevirtual(CD_CPU, "inlineHot", MethodTypeDesc.of(CD_long.arrayType()));
                c.astore(HOT);
                cpu();
                c.invokevirtual(CD_CPU, "inlineBank", I_);
                c.istore(BANK);
            }
            if (entries.length > 0) enter(entries);
            for (int i = 0; i < n; i++) {
                Insn in = insns.get(i);
                if (labels[i] != null) {
                    c.labelBinding(labels[i]);
                    flags.forget();
                }
                if (in.mayFault()) {
                    int at = i;
                    if (in.op() == 0xc9) { // LEAVE changes ESP before its pop may fault
                        c.aload(CPU);
                        reg(X86State.ESP);
                        c.putfield(CD_CPU, "startEsp", CD_int);
                        at |= X86Cpu.KEEP_START_ESP;
                    }
                    c.aload(CPU);
                    c.loadConstant(at);
                    c.putfield(CD_CPU, "blockInsn", CD_int);
                }
                if (inside[i] == FOLLOWED) { // JMP or CALL to the next instruction of the list
                    if (in.op() == 0xe8) {
                        push(in.op32(), () -> c.loadConstant(in.next()));
                        leaveIfDropped(insns.get(i + 1).eip(), i + 1);
                    }
                    continue;
                }
                if (in.conditional()) {
                    Label notTaken = c.newLabel();
                    flags.jumpIf((in.op() & 15) ^ 1, notTaken);
                    jump(i, inside[i], target(in));
                    c.labelBinding(notTaken);
                } else if ((in.op() == 0xe9 || in.op() == 0xeb) && inside[i] >= 0) {
                    jump(i, inside[i], target(in));
                    continue;
                } else if (in.transfer()) {
                    transfer(in, i + 1);
                    continue;
                } else if (in.portIo()) { // leaves the flags alone
                    portIo(in, i, goesOn(i));
                } else {
                    flags.begin();
                    flagsDead = flagsDead(insns, i);
                    insn(in);
                    flags.end(in.preservesFlags());
                    if (in.stores() && goesOn(i)) leaveIfDropped(in.next(), i + 1);
                }
                if (!straightOn(i)) jump(i, indexOf(in.next()), in.next()); // the end of a run
            }
        }

        /**
         * A region's entries: by EIP, to instruction {@code k} of {@code entries}, with
         * {@code blockBias} -k, so the count retired is the instructions run from there.
         */
        private void enter(int[] entries) {
            Label first = c.newLabel();
            List<java.lang.classfile.instruction.SwitchCase> cases = new ArrayList<>();
            Label[] stubs = new Label[entries.length];
            for (int e = 0; e < entries.length; e++) {
                stubs[e] = c.newLabel();
                cases.add(java.lang.classfile.instruction.SwitchCase.of(insns.get(entries[e]).eip(), stubs[e]));
            }
            cases.sort(java.util.Comparator.comparingInt(java.lang.classfile.instruction.SwitchCase::caseValue));
            c.aload(CPU);
            c.getfield(CD_CPU, "eip", CD_int);
            c.lookupswitch(first, cases);
            for (int e = 0; e < entries.length; e++) {
                c.labelBinding(stubs[e]);
                c.aload(CPU);
                c.loadConstant(-entries[e]);
                c.putfield(CD_CPU, "blockBias", CD_int);
                c.goto_(labels[entries[e]]);
            }
            c.labelBinding(first);
        }

        /** The block's instructions, their indexes by EIP, and the labels of those jumped to. */
        private List<Insn> insns;
        private java.util.Map<Integer, Integer> index;
        private Label[] labels;

        /** The index of the instruction at {@code eip} in the block, or -1. */
        private int indexOf(int eip) {
            Integer k = index.get(eip);
            return k == null ? -1 : k;
        }

        /** Whether instruction {@code i}'s successor is the next of the list (so it runs on without a jump). */
        private boolean straightOn(int i) {
            return i + 1 < insns.size() && insns.get(i + 1).eip() == insns.get(i).next();
        }

        /** Whether the block goes on after instruction {@code i} (when it does not jump). */
        private boolean goesOn(int i) {
            return straightOn(i) || indexOf(insns.get(i).next()) >= 0;
        }

        private void label(int k) {
            if (k < 0) return;
            if (labels[k] == null) labels[k] = c.newLabel();
            jumps = true;
        }

        /**
         * Whether the arithmetic flags instruction {@code i} sets are dead: a later instruction of
         * the block sets all six from its operands alone, and nothing between can read them,
         * fault (an exception would push EFLAGS), or leave the block. A rotate by a constant sets
         * only CF and OF: its flags are dead too when a later rotate by a constant sets those two
         * first (as in SHA-2's rounds, rotate after rotate). A rotate whose flags are dead is
         * emitted without them (its CF and OF would need the other four materialised).
         */
        private static boolean flagsDead(List<Insn> insns, int i) {
            boolean carryOverflowOnly = insns.get(i).rotatesByConstant();
            for (int j = i + 1; j < insns.size(); j++) {
                Insn x = insns.get(j);
                if (x.eip() != insns.get(j - 1).next()) return false; // another run of a region
                if (x.mayFault() || x.transfer() || x.portIo()) return false;
                if (x.setsAllFlags() || (carryOverflowOnly && x.rotatesByConstant())) return true;
                boolean readsFlags = (x.op() >= 0x140 && x.op() <= 0x14f) || (x.op() >= 0x190 && x.op() <= 0x19f);
                if (!x.preservesFlags() || readsFlags) return false;
            }
            return false;
        }

        /**
         * After a store that is not the block's last instruction: leaves the block for {@code eip}
         * when the store dropped translated code (this block's, perhaps), {@code count} retired.
         */
        private void leaveIfDropped(int eip, int count) {
            Label go = c.newLabel();
            c.aload(CPU);
            c.getfield(CD_CPU, "code", CD_CACHE);
            c.getfield(CD_CACHE, "blocksDropped", CD_boolean);
            c.ifeq(go);
            exit(eip, count);
            c.labelBinding(go);
        }

        /**
         * Reads, at the block's entry, the state of the segments its memory operands and stack
         * accesses use into locals. Nothing the translator compiles loads a segment register,
         * and a block is left before anything that does runs (an untranslated instruction, a
         * fault, an interrupt), so the segments stay as they were for the whole run: each access
         * then tests a local instead of the segment's limit and attributes. A segment with a
         * 4 GiB limit that is present, expand-up data is readable without checks at offsets up
         * to 0xFFFFFFFC (and writable when its W bit is set): flat segments and Linux's per-CPU
         * segment, which has a base.
         */
        private void segments(List<Insn> insns) {
            boolean[] used = new boolean[6];
            boolean stack = false;
            for (Insn in : insns) {
                if (in.memory()) used[in.seg()] = true;
                stack |= in.stack() && in.op32();
            }
            for (int s = 0; s < 6; s++) {
                if (!used[s]) continue;
                Label no = c.newLabel(), done = c.newLabel();
                segment("segLimit", s);
                c.iconst_m1();
                c.if_icmpne(no);
                segment("segAttr", s);
                c.loadConstant(Protection.OPEN_MASK);
                c.iand();
                c.loadConstant(Protection.OPEN_DATA);
                c.if_icmpne(no);
                segment("segAttr", s);
                c.iconst_2(); // W: SEG_WRITE
                c.iand();
                c.iconst_1(); // SEG_READ
                c.ior();
                c.goto_(done);
                c.labelBinding(no);
                c.iconst_0();
                c.labelBinding(done);
                c.istore(SEG_OK + s);
                segment("segBase", s);
                c.istore(SEG_BASE + s);
            }
            if (stack) {
                Label no = c.newLabel(), done = c.newLabel();
                segment("segLimit", X86State.SS);
                c.iconst_m1();
                c.if_icmpne(no);
                segment("segAttr", X86State.SS);
                c.loadConstant(0x409e);
                c.iand();
                c.loadConstant(0x4092);
                c.if_icmpne(no);
                c.iconst_1();
                c.goto_(done);
                c.labelBinding(no);
                c.iconst_0();
                c.labelBinding(done);
                c.istore(STACK_OK);
                if (!used[X86State.SS]) {
                    segment("segBase", X86State.SS);
                    c.istore(SEG_BASE + X86State.SS);
                }
            }
        }

        /**
         * The taken side of the jump at index {@code i} of the block: to instruction
         * {@code inside} of the block, or out of it when that is -1.
         */
        private void jump(int i, int inside, int target) {
            if (inside < 0) {
                exit(target, i + 1);
                return;
            }
            if (inside > i) { // forward: skips instructions, ends
                bias(i + 1 - inside);
                c.goto_(labels[inside]);
                return;
            }
            // back: retired so far, against the budget
            Label out = c.newLabel();
            retired(i + 1);
            c.istore(T);
            c.iload(T);
            c.aload(CPU);
            c.getfield(CD_CPU, "blockBudget", CD_int);
            c.if_icmpge(out);
            c.aload(CPU);
            c.iload(T);
            c.loadConstant(inside);
            c.isub();
            c.putfield(CD_CPU, "blockBias", CD_int);
            c.goto_(labels[inside]);
            c.labelBinding(out);
            c.aload(CPU);
            c.loadConstant(target);
            c.putfield(CD_CPU, "eip", CD_int);
            c.iload(T);
            c.ireturn();
        }

        /** Adds {@code delta} to {@code blockBias}. */
        private void bias(int delta) {
            c.aload(CPU);
            c.aload(CPU);
            c.getfield(CD_CPU, "blockBias", CD_int);
            c.loadConstant(delta);
            c.iadd();
            c.putfield(CD_CPU, "blockBias", CD_int);
        }

        /** Pushes the instructions retired by this run once the first {@code count} of the block's list are. */
        private void retired(int count) {
            c.loadConstant(count);
            if (jumps) {
                c.aload(CPU);
                c.getfield(CD_CPU, "blockBias", CD_int);
                c.iadd();
            }
        }

        private void exit(int eip, int count) {
            c.aload(CPU);
            c.loadConstant(eip);
            c.putfield(CD_CPU, "eip", CD_int);
            retired(count);
            c.ireturn();
        }

        /** Sets EIP from the int on the stack (masked to 16 bits for a 16-bit operand size) and returns. */
        private void exitTo(boolean op32, int count) {
            if (!op32) {
                c.loadConstant(0xffff);
                c.iand();
            }
            c.istore(V);
            c.aload(CPU);
            c.iload(V);
            c.putfield(CD_CPU, "eip", CD_int);
            retired(count);
            c.ireturn();
        }

        /** {@code inside} of a JMP or CALL whose target is the next instruction of the block's list. */
        private static final int FOLLOWED = -2;

        static int target(Insn in) {
            int t = in.next() + in.imm();
            return in.op32() ? t : t & 0xffff;
        }

        private void transfer(Insn in, int count) {
            switch (in.op()) {
                case 0xe9, 0xeb -> exit(target(in), count);
                case 0xe8 -> {
                    push(in.op32(), () -> c.loadConstant(in.next()));
                    exit(target(in), count);
                }
                case 0xc3 -> {
                    pop(in.op32());
                    exitTo(in.op32(), count);
                }
                case 0xc2 -> {
                    pop(in.op32());
                    c.istore(A);
                    cpu();
                    cpu();
                    c.invokevirtual(CD_CPU, "sp", I_);
                    c.loadConstant(in.imm());
                    c.iadd();
                    c.invokevirtual(CD_CPU, "setSp", V_I);
                    c.iload(A);
                    exitTo(in.op32(), count);
                }
                case 0xff -> { // CALL/JMP near indirect
                    readRm(in, in.os(), Access.READ);
                    c.istore(A);
                    if (in.reg() == 2) push(in.op32(), () -> c.loadConstant(in.next()));
                    c.iload(A);
                    exitTo(in.op32(), count);
                }
                default -> throw new IllegalStateException("not a transfer: " + Integer.toHexString(in.op()));
            }
        }

        /**
         * IN or OUT, instruction {@code i} of the block, through {@code X86Cpu.translatedIn}/{@code
         * translatedOut}: the interpreter's I/O permission check, then the fast path or the port
         * space, as the interpreter does. An access a fast-path handler served goes on with the
         * next instruction of the block (a handler raises no interrupt and changes no memory or
         * mapping); one that took the normal path leaves the block after it ({@code more}: there
         * are instructions after it; otherwise the block's own exit follows), so the run loop sees
         * what the device did before the next instruction, as before.
         */
        private void portIo(Insn in, int i, boolean more) {
            int op = in.op();
            int sizeCode = (op & 1) == 0 ? 0 : in.os();
            cpu();
            if (op <= 0xe7) {
                c.loadConstant(in.imm());
            } else {
                reg(X86State.EDX);
                c.loadConstant(0xffff);
                c.iand();
            }
            c.loadConstant(1 << sizeCode);
            if ((op & 2) == 0) { // IN: the value, with X86Cpu.LEAVE_BLOCK when not served
                c.invokevirtual(CD_CPU, "translatedIn", MethodTypeDesc.of(CD_long, CD_int, CD_int));
                c.dup2();
                c.l2i();
                writeReg(X86State.EAX, sizeCode);
                c.loadConstant(32);
                c.lushr();
                c.l2i();
            } else {
                readReg(X86State.EAX, sizeCode);
                c.invokevirtual(CD_CPU, "translatedOut", MethodTypeDesc.of(CD_boolean, CD_int, CD_int, CD_int));
            }
            if (!more) {
                c.pop();
                return;
            }
            Label served = c.newLabel();
            c.ifeq(served);
            exit(in.next(), i + 1);
            c.labelBinding(served);
        }

        private void insn(Insn in) {
            int op = in.op(), os = in.os();
            if (op < 0x40) {
                alu(in, op >>> 3, op & 7, os);
                return;
            }
            if (op >= 0x40 && op <= 0x4f) {
                int r = op & 7;
                readReg(r, os);
                flags.incDec(op < 0x48, os, flagsDead);
                writeReg(r, os);
                return;
            }
            if (op >= 0x50 && op <= 0x57) {
                push(in.op32(), () -> reg(op & 7));
                return;
            }
            if (op >= 0x58 && op <= 0x5f) {
                pop(in.op32());
                writeReg(op & 7, os);
                return;
            }
            if (op >= 0xb0 && op <= 0xb7) {
                c.loadConstant(in.imm());
                writeReg(op & 7, 0);
                return;
            }
            if (op >= 0xb8 && op <= 0xbf) {
                c.loadConstant(in.imm());
                writeReg(op & 7, os);
                return;
            }
            if (op >= 0x140 && op <= 0x14f) { // CMOVcc: the source is read (and may fault) either way
                readRm(in, os, Access.READ);
                c.istore(A);
                Label skip = c.newLabel();
                flags.jumpIf((op & 15) ^ 1, skip);
                c.iload(A);
                writeReg(in.reg(), os);
                c.labelBinding(skip);
                return;
            }
            if (op >= 0x190 && op <= 0x19f) { // SETcc
                Access.WRITE.prepare(this, in, 0);
                flags.value(op & 15);
                writeRm(in, 0);
                return;
            }
            if (op >= 0x91 && op <= 0x97) { // XCHG eAX, r
                readReg(X86State.EAX, os);
                c.istore(A);
                readReg(op & 7, os);
                writeReg(X86State.EAX, os);
                c.iload(A);
                writeReg(op & 7, os);
                return;
            }
            if (op >= 0x1c8 && op <= 0x1cf) { // BSWAP
                reg(op & 7);
                c.invokestatic(ClassDesc.of("java.lang.Integer"), "reverseBytes", I_I);
                writeReg(op & 7, 2);
                return;
            }
            switch (op) {
                case 0xfc, 0xfd -> { // CLD, STD
                    cpu();
                    cpu();
                    c.getfield(CD_CPU, "eflags", CD_int);
                    c.loadConstant(X86State.DF);
                    if (op == 0xfc) {
                        c.iconst_m1();
                        c.ixor();
                        c.iand();
                    } else {
                        c.ior();
                    }
                    c.putfield(CD_CPU, "eflags", CD_int);
                }
                case 0xf5, 0xf8, 0xf9 -> { // CMC, CLC, STC
                    cpu();
                    cpu();
                    c.invokevirtual(CD_CPU, "getEflags", I_);
                    c.loadConstant(X86State.CF);
                    if (op == 0xf5) c.ixor();
                    else if (op == 0xf9) c.ior();
                    else {
                        c.iconst_m1();
                        c.ixor();
                        c.iand();
                    }
                    c.invokevirtual(CD_CPU, "setArith", V_I);
                }
                case 0x1a4, 0x1a5, 0x1ac, 0x1ad -> { // SHLD, SHRD
                    cpu();
                    c.loadConstant(op < 0x1a8 ? 1 : 0);
                    readRm(in, os, Access.RMW);
                    readReg(in.reg(), os);
                    if ((op & 1) == 0) c.loadConstant(in.imm());
                    else reg(X86State.ECX);
                    c.loadConstant(os);
                    c.invokevirtual(CD_CPU, "doubleShift", I_ZIIII);
                    writeRm(in, os);
                }
                case 0x1bc, 0x1bd -> { // BSF, BSR: the destination is left alone for a zero source
                    cpu();
                    readRm(in, os, Access.READ);
                    c.loadConstant(os);
                    c.loadConstant(op == 0x1bd ? 1 : 0);
                    c.invokevirtual(CD_CPU, "bitScan", I_IIZ);
                    c.istore(A);
                    Label skip = c.newLabel();
                    c.iload(A);
                    c.iflt(skip);
                    c.iload(A);
                    writeReg(in.reg(), os);
                    c.labelBinding(skip);
                }
                case 0x1b0, 0x1b1 -> { // CMPXCHG: the destination is always written
                    int size = op == 0x1b0 ? 0 : os;
                    readRm(in, size, Access.RMW);
                    c.istore(A); // d
                    readReg(X86State.EAX, size);
                    c.istore(B); // a
                    cpu();
                    c.loadConstant(7);
                    c.iload(B);
                    c.iload(A);
                    c.loadConstant(size);
                    c.invokevirtual(CD_CPU, "alu", I_IIII);
                    c.pop();
                    Label differ = c.newLabel(), done = c.newLabel();
                    c.iload(B);
                    c.iload(A);
                    c.ixor();
                    c.loadConstant(X86State.MASK[size]);
                    c.iand();
                    c.ifne(differ);
                    readReg(in.reg(), size);
                    writeRm(in, size);
                    c.goto_(done);
                    c.labelBinding(differ);
                    c.iload(A);
                    writeRm(in, size);
                    c.iload(A);
                    writeReg(X86State.EAX, size);
                    c.labelBinding(done);
                }
                case 0x1c0, 0x1c1 -> { // XADD
                    int size = op == 0x1c0 ? 0 : os;
                    readRm(in, size, Access.RMW);
                    c.istore(A); // d
                    readReg(in.reg(), size);
                    c.istore(B); // s
                    cpu();
                    c.loadConstant(0);
                    c.iload(A);
                    c.iload(B);
                    c.loadConstant(size);
                    c.invokevirtual(CD_CPU, "alu", I_IIII);
                    c.istore(C);
                    c.iload(A);
                    writeReg(in.reg(), size);
                    c.iload(C);
                    writeRm(in, size); // last: for XADD r, r with the same register the sum wins
                }
                case 0xa4, 0xa5, 0xa6, 0xa7, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf -> { // MOVS ... SCAS, no REP
                    // the interpreter's, with this instruction's sizes and source segment: its
                    // limit, write and paging checks, DF, and CMPS/SCAS's flags (the producer is
                    // then unknown); a block goes on through them (a string copy or compare loop
                    // is a loop of one block) instead of ending before each
                    cpu();
                    c.loadConstant(op);
                    c.loadConstant((in.op32() ? 1 : 0) | (in.addr32() ? 2 : 0) | ((in.seg() + 1) << 2));
                    c.invokevirtual(CD_CPU, "translatedString", V_II);
                }
                case 0x68, 0x6a -> push(in.op32(), () -> c.loadConstant(in.imm()));
                case 0x69, 0x6b -> {
                    boolean inline = flagsDead && os == 2; // the low 32 bits alone: CF and OF are dead
                    if (!inline) cpu();
                    readRm(in, os, Access.READ);
                    c.loadConstant(in.imm());
                    imul(inline, os);
                    writeReg(in.reg(), os);
                }
                case 0x1af -> {
                    boolean inline = flagsDead && os == 2;
                    if (!inline) cpu();
                    readReg(in.reg(), os);
                    readRm(in, os, Access.READ);
                    imul(inline, os);
                    writeReg(in.reg(), os);
                }
                case 0x80, 0x81, 0x83 -> group1(in, op == 0x80 ? 0 : os);
                case 0x84, 0x85 -> {
                    int size = op == 0x84 ? 0 : os;
                    readRm(in, size, Access.READ);
                    readReg(in.reg(), size);
                    flags.alu(4, size, false);
                }
                case 0x86, 0x87 -> {
                    int size = op == 0x86 ? 0 : os;
                    readRm(in, size, Access.RMW);
                    c.istore(A);
                    readReg(in.reg(), size);
                    writeRm(in, size);
                    c.iload(A);
                    writeReg(in.reg(), size);
                }
                case 0x88, 0x89 -> {
                    int size = op == 0x88 ? 0 : os;
                    Access.WRITE.prepare(this, in, size);
                    readReg(in.reg(), size);
                    writeRm(in, size);
                }
                case 0x8a, 0x8b -> {
                    int size = op == 0x8a ? 0 : os;
                    readRm(in, size, Access.READ);
                    writeReg(in.reg(), size);
                }
                case 0x8d -> {
                    offset(in);
                    writeReg(in.reg(), os);
                }
                case 0x90 -> { }
                case 0x98 -> {
                    if (in.op32()) {
                        reg(X86State.EAX);
                        c.i2s();
                        writeReg(X86State.EAX, 2);
                    } else {
                        reg(X86State.EAX);
                        c.i2b();
                        writeReg(X86State.EAX, 1);
                    }
                }
                case 0x99 -> {
                    reg(X86State.EAX);
                    if (in.op32()) {
                        c.loadConstant(31);
                        c.ishr();
                        writeReg(X86State.EDX, 2);
                    } else {
                        c.i2s();
                        c.loadConstant(15);
                        c.ishr();
                        writeReg(X86State.EDX, 1);
                    }
                }
                case 0xa8, 0xa9 -> {
                    int size = op == 0xa8 ? 0 : os;
                    readReg(X86State.EAX, size);
                    c.loadConstant(in.imm());
                    flags.alu(4, size, false);
                }
                case 0xc0, 0xc1, 0xd0, 0xd1, 0xd2, 0xd3 -> {
                    int size = (op & 1) == 0 ? 0 : os;
                    int count = op <= 0xc1 ? in.imm() & 31 : 1;
                    if (in.reg() >= 4 && op <= 0xd1 && count != 0) { // SHL/SAL, SHR, SAR by a constant: inline
                        readRm(in, size, Access.RMW);
                        flags.shift(in.reg(), count, size);
                        writeRm(in, size);
                        return;
                    }
                    if (in.reg() <= 1 && op <= 0xd1 && flagsDead) { // ROL, ROR by a constant, flags dead: inline
                        readRm(in, size, Access.RMW);
                        rotate(in.reg() == 0, count, size);
                        writeRm(in, size);
                        return;
                    }
                    int k = in.reg();
                    if (op >= 0xd2 && size == 2 && flagsDead && (k <= 1 || k == 4 || k == 5 || k == 7)) {
                        // by CL, 32 bits, flags dead: the JVM's shifts and rotates take the count modulo 32, as x86 does
                        readRm(in, size, Access.RMW);
                        reg(X86State.ECX);
                        switch (k) {
                            case 0, 1 -> c.invokestatic(ClassDesc.of("java.lang.Integer"), k == 0 ? "rotateLeft" : "rotateRight", I_II);
                            case 4 -> c.ishl();
                            case 5 -> c.iushr();
                            default -> c.ishr();
                        }
                        writeRm(in, size);
                        return;
                    }
                    cpu();
                    c.loadConstant(in.reg());
                    readRm(in, size, Access.RMW);
                    if (op <= 0xc1) c.loadConstant(in.imm() & 31);
                    else if (op <= 0xd1) c.loadConstant(1);
                    else {
                        reg(X86State.ECX);
                        c.loadConstant(31);
                        c.iand();
                    }
                    c.loadConstant(size);
                    c.invokevirtual(CD_CPU, "shift", I_IIII);
                    writeRm(in, size);
                }
                case 0xc6, 0xc7 -> {
                    int size = op == 0xc6 ? 0 : os;
                    Access.WRITE.prepare(this, in, size);
                    c.loadConstant(in.imm());
                    writeRm(in, size);
                }
                case 0xc9 -> { // LEAVE
                    cpu();
                    reg(X86State.EBP);
                    c.invokevirtual(CD_CPU, "setSp", V_I);
                    pop(in.op32());
                    writeReg(X86State.EBP, os);
                }
                case 0xf6, 0xf7 -> group3(in, op == 0xf6 ? 0 : os);
                case 0xfe, 0xff -> {
                    int size = op == 0xfe ? 0 : os;
                    if (in.reg() == 6) {
                        readRm(in, size, Access.READ);
                        c.istore(A);
                        push(in.op32(), () -> c.iload(A));
                        return;
                    }
                    readRm(in, size, Access.RMW);
                    flags.incDec(in.reg() == 0, size, flagsDead);
                    writeRm(in, size);
                }
                case 0x1b6, 0x1b7, 0x1be, 0x1bf -> {
                    int size = (op & 1) == 0 ? 0 : 1;
                    readRm(in, size, Access.READ);
                    if (op == 0x1be) c.i2b();
                    if (op == 0x1bf) c.i2s();
                    writeReg(in.reg(), os);
                }
                default -> throw new IllegalStateException("not translated: " + Integer.toHexString(op));
            }
        }

        /**
         * The two- and three-operand IMUL of the two ints on the stack (the CPU under them unless
         * {@code inline}): a JVM multiply when {@code inline} (32 bits, its flags dead: nothing can
         * see the CF and OF it sets), else the interpreter's helper, which sets the flags.
         */
        private void imul(boolean inline, int os) {
            if (inline) {
                c.imul();
                return;
            }
            c.loadConstant(os);
            c.invokevirtual(CD_CPU, "imul", I_III);
        }

        /** The eight ALU operations in their six encodings (op 0..7, form 0..5). */
        private void alu(Insn in, int aluOp, int form, int os) {
            boolean cmp = aluOp == 7;
            switch (form) {
                case 0, 1 -> {
                    int size = form == 0 ? 0 : os;
                    readRm(in, size, cmp ? Access.READ : Access.RMW);
                    readReg(in.reg(), size);
                    flags.alu(aluOp, size, !cmp);
                    if (!cmp) writeRm(in, size);
                }
                case 2, 3 -> {
                    int size = form == 2 ? 0 : os;
                    readReg(in.reg(), size);
                    readRm(in, size, Access.READ);
                    flags.alu(aluOp, size, !cmp);
                    if (!cmp) writeReg(in.reg(), size);
                }
                default -> {
                    int size = form == 4 ? 0 : os;
                    readReg(X86State.EAX, size);
                    c.loadConstant(in.imm());
                    flags.alu(aluOp, size, !cmp);
                    if (!cmp) writeReg(X86State.EAX, size);
                }
            }
        }

        private void group1(Insn in, int size) {
            boolean cmp = in.reg() == 7;
            readRm(in, size, cmp ? Access.READ : Access.RMW);
            c.loadConstant(in.imm());
            flags.alu(in.reg(), size, !cmp);
            if (!cmp) writeRm(in, size);
        }

        private void group3(Insn in, int size) {
            switch (in.reg()) {
                case 0, 1 -> {
                    readRm(in, size, Access.READ);
                    c.loadConstant(in.imm());
                    flags.alu(4, size, false);
                }
                case 2 -> {
                    readRm(in, size, Access.RMW);
                    c.iconst_m1();
                    c.ixor();
                    writeRm(in, size);
                }
                case 3 -> {
                    readRm(in, size, Access.RMW);
                    flags.neg(size);
                    writeRm(in, size);
                }
                default -> {
                    cpu();
                    readRm(in, size, Access.READ);
                    c.loadConstant(size);
                    if (in.reg() == 4 || in.reg() == 6) c.iconst_0();
                    else c.iconst_1();
                    c.invokevirtual(CD_CPU, in.reg() <= 5 ? "mul1" : "div", V_IIZ);
                }
            }
        }

        /** How a memory operand is checked before its access, as the interpreter checks it. */
        private enum Access {
            READ("operandForRead"), WRITE("operandForWrite"), RMW("operandForUpdate");

            private final String helper;

            Access(String helper) {
                this.helper = helper;
            }

            /**
             * Checks the memory operand and leaves its linear address in local LIN (nothing for a
             * register). An access through a segment {@link Emitter#segments} found open (writable
             * for a write or an update) at an offset at least 4 bytes below the top passes every
             * segment check of the interpreter's helper, and its linear address is base plus
             * offset: that test is inline. An update then needs its page writable before it is
             * read ({@link Mmu#probeUpdate}, a TLB hit inline). Anything else calls the
             * interpreter's helper.
             */
            void prepare(Emitter e, Insn in, int size) {
                if (!in.memory()) return;
                CodeBuilder c = e.c;
                e.offset(in);
                c.istore(LIN);
                Label slow = c.newLabel(), done = c.newLabel();
                c.iload(SEG_OK + in.seg());
                if (this != READ) {
                    c.loadConstant(SEG_WRITE);
                    c.iand();
                }
                c.ifeq(slow);
                c.iload(LIN);
                e.belowTop(slow);
                c.iload(SEG_BASE + in.seg());
                c.iload(LIN);
                c.iadd();
                c.istore(LIN);
                if (this == RMW) {
                    e.cpu();
                    if (e.inlineTlb) e.tlb();
                    c.iload(LIN);
                    c.loadConstant(1 << size);
                    if (e.inlineTlb) c.invokestatic(CD_MMU, "hotProbeUpdate", HOT_WRITE);
                    else c.invokevirtual(CD_CPU, "probeUpdate", V_II);
                }
                c.goto_(done);
                c.labelBinding(slow);
                e.cpu();
                c.loadConstant(in.seg());
                c.iload(LIN);
                c.loadConstant(size);
                c.invokevirtual(CD_CPU, helper, I_III);
                c.istore(LIN);
                c.labelBinding(done);
            }
        }

        /** Jumps to {@code slow} unless the offset on the stack is at most 0xFFFFFFFC (4 bytes fit below 4 GiB). */
        private void belowTop(Label slow) {
            c.loadConstant(Integer.MIN_VALUE);
            c.ixor();
            c.loadConstant(0x7ffffffc);
            c.if_icmpgt(slow);
        }

        /** Pushes the r/m operand's value: a register, or memory checked for {@code access}. */
        private void readRm(Insn in, int size, Access access) {
            if (!in.memory()) {
                readReg(in.rm(), size);
                return;
            }
            access.prepare(this, in, size);
            load(size, LIN);
        }

        private static final String[] READ = {"read8", "read16", "read32"}, WRITE = {"write8", "write16", "write32"};

        /**
         * Pushes the {@code size} (0, 1, 2: 8, 16, 32 bits) value at the linear address in local
         * {@code lin}: with the inline TLB, through {@code Mmu.hotRead8}..{@code hotRead32}, the hit
         * path of the load TLB in RAM with a raw address, which C2 inlines, and its slow path;
         * else through {@code read8}..{@code read32} (a page crossing, a miss, a device, or while
         * {@link Mmu#slowAccesses}, they take their own slow path).
         */
        private void load(int size, int lin) {
            cpu();
            if (inlineTlb) {
                tlb();
                c.iload(lin);
                c.invokestatic(CD_MMU, "hotRead" + (8 << size), HOT_READ);
            } else {
                c.iload(lin);
                c.invokevirtual(CD_CPU, READ[size], I_I);
            }
        }

        /** Stores local {@code v} at the linear address in local {@code lin}, as {@link #load} reads. */
        private void store(int size, int lin, int v) {
            cpu();
            if (inlineTlb) {
                tlb();
                c.iload(lin);
                c.iload(v);
                c.invokestatic(CD_MMU, "hotWrite" + (8 << size), HOT_WRITE);
            } else {
                c.iload(lin);
                c.iload(v);
                c.invokevirtual(CD_CPU, WRITE[size], V_II);
            }
        }

        /** Pushes hot code's TLB and the load bank, as read at the block's entry. */
        private void tlb() {
            c.aload(HOT);
            c.iload(BANK);
        }

        /** ROL ({@code left}) or ROR of the {@code size} operand on the stack by {@code count} (0..31), flags untouched. */
        private void rotate(boolean left, int count, int size) {
            if (size == 2) {
                if (count == 0) return;
                c.loadConstant(count);
                c.invokestatic(ClassDesc.of("java.lang.Integer"), left ? "rotateLeft" : "rotateRight", I_II);
                return;
            }
            int bits = 8 << size, n = count % bits, m = X86State.MASK[size];
            if (n == 0) return;
            int up = left ? n : bits - n;
            c.loadConstant(m);
            c.iand();
            c.istore(T);
            c.iload(T);
            c.loadConstant(up);
            c.ishl();
            c.iload(T);
            c.loadConstant(bits - up);
            c.iushr();
            c.ior();
            c.loadConstant(m);
            c.iand();
        }

        /** Writes the int on the stack to the r/m operand (memory: to LIN, already checked). */
        private void writeRm(Insn in, int size) {
            if (!in.memory()) {
                writeReg(in.rm(), size);
                return;
            }
            c.istore(V);
            store(size, LIN, V);
        }

        /** Pushes element {@code s} of the segment array {@code field} ({@code segBase}, ...). */
        private void segment(String field, int s) {
            c.aload(CPU);
            c.getfield(CD_CPU, field, CD_INTS);
            c.loadConstant(s);
            c.iaload();
        }

        /** Pushes the memory operand's offset in its segment. */
        private void offset(Insn in) {
            c.loadConstant(in.disp());
            if (in.base() >= 0) {
                reg(in.base());
                c.iadd();
            }
            if (in.index() >= 0) {
                reg(in.index());
                if (in.scale() != 0) {
                    c.loadConstant(in.scale());
                    c.ishl();
                }
                c.iadd();
            }
            if (!in.addr32()) {
                c.loadConstant(0xffff);
                c.iand();
            }
        }

        /**
         * Pushes a value. A 32-bit push on a 32-bit, expand-up stack segment with a 4 GiB limit
         * (Linux's, and any flat stack) is inline: with ESP at least 4 above the bottom nothing but
         * the store can fault, and ESP changes after it. Anything else calls the interpreter's.
         */
        private void push(boolean op32, Runnable value) {
            if (!op32) {
                cpu();
                c.iconst_0();
                value.run();
                c.invokevirtual(CD_CPU, "push", V_ZI);
                return;
            }
            value.run();
            c.istore(P);
            Label slow = c.newLabel(), done = c.newLabel();
            stackTop(slow, -4);
            stackSlot();
            store(2, M, P);
            setEsp(0);
            c.goto_(done);
            c.labelBinding(slow);
            cpu();
            c.iconst_1();
            c.iload(P);
            c.invokevirtual(CD_CPU, "push", V_ZI);
            c.labelBinding(done);
        }

        /** Pops a value onto the operand stack; inline for 32 bits on a 4 GiB stack as {@link #push}. */
        private void pop(boolean op32) {
            Label slow = c.newLabel(), done = c.newLabel();
            if (op32) {
                stackTop(slow, 0);
                stackSlot();
                load(2, M);
                setEsp(4);
                c.goto_(done);
            }
            c.labelBinding(slow);
            cpu();
            c.loadConstant(op32 ? 1 : 0);
            c.invokevirtual(CD_CPU, "pop", I_Z);
            c.labelBinding(done);
        }

        /**
         * Local Q := ESP + {@code delta}, the offset of the stack slot; jumps to {@code slow}
         * unless SS is a 32-bit, present, expand-up data segment with a 4 GiB limit and 4 bytes
         * fit at that offset.
         */
        private void stackTop(Label slow, int delta) {
            c.iload(STACK_OK);
            c.ifeq(slow);
            reg(X86State.ESP);
            if (delta != 0) {
                c.loadConstant(delta);
                c.iadd();
            }
            c.istore(Q);
            c.iload(Q);
            belowTop(slow);
        }

        /** Local M := the linear address of the stack slot at offset Q (for {@link #load}/{@link #store}). */
        private void stackSlot() {
            c.iload(SEG_BASE + X86State.SS);
            c.iload(Q);
            c.iadd();
            c.istore(M);
        }

        /** ESP := Q + {@code delta}. */
        private void setEsp(int delta) {
            c.aload(REGS);
            c.loadConstant(X86State.ESP);
            c.iload(Q);
            if (delta != 0) {
                c.loadConstant(delta);
                c.iadd();
            }
            c.iastore();
        }

        private void cpu() {
            c.aload(CPU);
        }

        /** Pushes the 32-bit register {@code i}. */
        private void reg(int i) {
            c.aload(REGS);
            c.loadConstant(i);
            c.iaload();
        }

        private void readReg(int i, int size) {
            switch (size) {
                case 2 -> reg(i);
                case 1 -> {
                    reg(i);
                    c.loadConstant(0xffff);
                    c.iand();
                }
                default -> {
                    cpu();
                    c.loadConstant(i);
                    c.invokevirtual(CD_CPU, "reg8", I_I);
                }
            }
        }

        /** Writes the int on the stack to register {@code i} at {@code size}. */
        private void writeReg(int i, int size) {
            c.istore(V);
            if (size == 2) {
                c.aload(REGS);
                c.loadConstant(i);
                c.iload(V);
                c.iastore();
                return;
            }
            cpu();
            c.loadConstant(i);
            c.iload(V);
            c.invokevirtual(CD_CPU, size == 1 ? "setReg16" : "setReg8", V_II);
        }
    }
}
