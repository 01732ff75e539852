package org.machina.cpu.x86;

/**
 * A run of guest instructions in one code page compiled to JVM bytecode by
 * {@link BlockCompiler}. It is valid for the code-segment base and EIP it was translated at
 * and the code segment's default size; {@link #offset} and {@link #bytes} say which bytes of
 * its page it was made from, so a store into them drops it. A dropped block is marked so
 * ({@link #dropped}): whoever still holds it (the jump cache of {@link Mmu#block}) sees that
 * without asking its page.
 */
final class TranslatedBlock {
    /** Marks an entry the translator cannot start a block at (the interpreter runs it). */
    static final TranslatedBlock NONE = new TranslatedBlock(BlockCode.of(cpu -> 0), 0, 0, false, 0, 0, new int[0], false);
    /** Marks an entry whose translation runs on the translator thread (the interpreter runs it meanwhile). */
    static final TranslatedBlock PENDING = new TranslatedBlock(BlockCode.of(cpu -> 0), 0, 0, false, 0, 0, new int[0], false);

    /**
     * The compiled instructions: runs them and returns how many completed. A class, not an
     * interface: the run loop's call of {@link #run} sees a class per block, and such a
     * megamorphic call goes through the vtable, one load and a jump, where an interface call
     * searches the receiver's itable (perf showed those stubs at 5-6 % of the machine thread
     * while Linux boots).
     */
    abstract static class BlockCode {
        /**
         * Runs the block on {@code cpu}; returns the number of instructions retired, having set
         * EIP past the last. A fault propagates with {@code blockInsn} (and for LEAVE
         * {@code startEsp}) of the faulting instruction set (see {@link BlockCompiler}).
         */
        abstract int run(X86Cpu cpu);

        /** Code that is a function of the CPU (the markers above, and tests). */
        static BlockCode of(java.util.function.ToIntFunction<X86Cpu> run) {
            return new BlockCode() {
                @Override
                int run(X86Cpu cpu) {
                    return run.applyAsInt(cpu);
                }
            };
        }
    }

    private final BlockCode code;
    private final int csBase, eip, offset, bytes, low;
    private final boolean code32, hot;
    private final int[] eips;
    /**
     * Set once the block left its page (its bytes were written, its page left the code cache, or
     * another translation took its entry): it must not run again. Only the CPU's thread sets it.
     */
    boolean dropped;
    /**
     * Its entry in the jump cache of {@link Mmu#block} (a block has one linear address, so one
     * entry): the CPL and the TLB stamp it was entered at, and the runs from it since. Only the
     * CPU's thread uses them.
     */
    int jumpCpl;
    long jumpStamp;
    int jumpRuns;

    /**
     * @param code    the compiled instructions
     * @param csBase  CS base at translation
     * @param eip     EIP of the first instruction
     * @param code32  whether CS was a 32-bit code segment
     * @param offset  page offset of the first instruction
     * @param bytes   length of the instructions in bytes
     * @param eips    EIP of each instruction, in order
     * @param hot     whether it was translated again as hot code (see {@link Mmu#block})
     */
    TranslatedBlock(BlockCode code, int csBase, int eip, boolean code32, int offset, int bytes, int[] eips, boolean hot) {
        this(code, csBase, eip, code32, offset, bytes, offset, eips, hot);
    }

    /**
     * A block whose bytes begin before its first instruction, at page offset {@code low}: a region
     * ({@link BlockCompiler}) that jumps back into its page. {@code bytes} counts from {@code offset}
     * to the end of the highest instruction.
     */
    TranslatedBlock(BlockCode code, int csBase, int eip, boolean code32, int offset, int bytes, int low, int[] eips,
                    boolean hot) {
        this.code = code;
        this.low = low;
        this.csBase = csBase;
        this.eip = eip;
        this.code32 = code32;
        this.offset = offset;
        this.bytes = bytes;
        this.eips = eips;
        this.hot = hot;
    }

    BlockCode code() {
        return code;
    }

    int csBase() {
        return csBase;
    }

    int eip() {
        return eip;
    }

    boolean code32() {
        return code32;
    }

    int offset() {
        return offset;
    }

    int bytes() {
        return bytes;
    }

    int[] eips() {
        return eips;
    }

    boolean hot() {
        return hot;
    }

    /** Whether the block starts at {@code eip} of a code segment with base {@code csBase} and default size {@code code32}. */
    boolean startsAt(int csBase, int eip, boolean code32) {
        return this.eip == eip && this.csBase == csBase && this.code32 == code32;
    }

    /**
     * For a region ({@link BlockCompiler}): the indexes of the instructions its code can also be
     * entered at (its run method starts there when EIP is theirs); empty otherwise.
     */
    int[] entries = NO_ENTRIES;
    static final int[] NO_ENTRIES = new int[0];

    /**
     * The same code entered at instruction {@code index} of a region (one of {@link #entries}):
     * a block of its own for that EIP, with the region's bytes.
     */
    TranslatedBlock entry(int index) {
        int at = offset + (eips[index] - eip);
        return new TranslatedBlock(code, csBase, eips[index], code32, at, offset + bytes - at, low, eips, hot);
    }

    /** The page offset of its lowest byte: {@link #offset}, or below it for a region that jumps back. */
    int low() {
        return low;
    }

    boolean overlaps(int from, int length) {
        return from < offset + bytes && low < from + length;
    }
}
