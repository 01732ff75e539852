package org.machina.cpu.x86;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import org.machina.api.memory.RamBlock;

/**
 * Decoded code, per physical RAM page. A {@link Page} holds a copy of the page's bytes (what
 * instruction fetch reads) and, per byte offset, the packed decode of the instruction starting
 * there: prefixes and opcode (see {@link Interpreter#step}) and the form of its ModRM bytes
 * (see {@link Decoder#decodeModrm}). Pages are found through a two-way set-associative table:
 * the set is the page number plus a per-block offset (so the low pages of RAM and of the BIOS
 * ROM do not collide), and a miss replaces the way used less recently.
 * A lookup happens only when instruction fetch moves to another page; evicted pages are
 * reused, so steady-state execution allocates nothing.
 *
 * <p>Invalidation follows the {@link RamBlock} contract: a page is marked as code before its
 * bytes are copied, and a write to a marked page (by a device's DMA, a debugger, the host)
 * clears the mark and bumps {@link RamBlock#codeGeneration()}; {@link #sync} then asks the block
 * which pages those writes covered ({@link RamBlock#codePagesWrittenSince}) and drops just those
 * of them that are cached, so the cost follows what was written (a full scan only when the block
 * cannot tell). This CPU's own stores into a cached code page go through {@link #written}
 * instead: the written bytes are copied into the page and only the decodes of instructions that
 * could cover them are forgotten, so the page stays cached and a page that mixes code and data
 * does not thrash. The CPU calls {@link #sync} after its slow-path writes and port writes (a
 * device may have written code), when instruction fetch moves to another page and every few
 * hundred instructions, so every write is seen by the next instruction fetched.
 */
final class CodeCache {
    /** Sets of the table; with two ways it holds 4096 pages (16 MiB of code). */
    static final int SETS = 2048;
    private static final int MAX_BLOCKS = 8;

    /** One physical page of code. */
    static final class Page {
        RamBlock ram;
        long offset;
        /** A copy of the page, refreshed whenever the page is (re)created. */
        final byte[] bytes = new byte[RamBlock.PAGE_SIZE];
        /**
         * Packed decode of the instruction starting at each offset, 0 when not decoded yet: the
         * prefixes and opcode in the low half, its ModRM/SIB/displacement form in the high half
         * (see {@link Interpreter#step} and {@link Decoder#decodeModrm}).
         */
        final long[] headers = new long[RamBlock.PAGE_SIZE];
        /** Stores patched into the page since instruction fetch last entered it. */
        int storesSinceFetch;
        /** Translated blocks by entry offset (null until code runs here with the translator on). */
        TranslatedBlock[] blocks;
        /** Per entry offset: how often the interpreter started an instruction there. */
        char[] heat;
        /** The blocks of {@link #blocks}, for finding those a store overlaps. */
        final java.util.ArrayList<TranslatedBlock> translated = new java.util.ArrayList<>();

        /** Drops every translation of the page; returns whether there was one. */
        boolean forgetBlocks() {
            boolean had = !translated.isEmpty();
            for (int i = 0; i < translated.size(); i++) translated.get(i).dropped = true;
            blocks = null;
            heat = null;
            translated.clear();
            return had;
        }

        /** Drops the translations made from bytes in {@code [from, from + length)}; returns whether any. */
        boolean forgetBlocks(int from, int length) {
            boolean dropped = false;
            for (int i = translated.size() - 1; i >= 0; i--) {
                TranslatedBlock b = translated.get(i);
                if (b.overlaps(from, length)) {
                    translated.remove(i);
                    b.dropped = true;
                    if (blocks[b.offset()] == b) blocks[b.offset()] = null;
                    dropped = true;
                }
            }
            return dropped;
        }
    }

    /**
     * Set when translated code was dropped (a store or DMA changed its bytes, or its page left the
     * cache): a running block checks it after each of its stores and returns, so the next
     * instruction is fetched anew. The CPU clears it before it runs a block.
     */
    boolean blocksDropped;

    /** Times translated code was dropped since construction (statistics; each dropped block is marked, see {@link TranslatedBlock#dropped}). */
    long drops;

    /** Notes that {@code any} translated code was dropped. */
    private void dropped(boolean any) {
        if (any) {
            blocksDropped = true;
            drops++;
        }
    }

    /** Whether a RAM block's code pages were written since {@link #sync} last looked (sync is then due). */
    boolean writtenSinceSync() {
        for (int k = 0; k < blockCount; k++) {
            if (blocks[k].codeGeneration() != seen[k]) return true;
        }
        return false;
    }

    /**
     * Stores into a cached page that is not being executed, after which it is taken for data and
     * dropped: its stores then take the fast path until code runs from it again.
     */
    static final int STORES_BEFORE_DROP = 32;

    /** Set s holds ways {@code 2s} and {@code 2s + 1}. */
    private final Page[] table = new Page[SETS * 2];
    /** Per set, the way that was used last (the other one is replaced on a miss). */
    private final byte[] lastWay = new byte[SETS];
    private final RamBlock[] blocks = new RamBlock[MAX_BLOCKS];
    private final long[] seen = new long[MAX_BLOCKS];
    private int blockCount;
    /** Pages created (copied and decoded afresh) since construction. */
    long pagesDecoded;
    /** Pages dropped because their RAM was written. */
    long pagesInvalidated;

    /**
     * The decoded page for {@code offset} (page-aligned) of {@code ram}, creating it when absent.
     * Returns {@code null} when this CPU tracks too many RAM blocks to cache the page.
     * Sets {@link #newlyMarked} when the page was not marked as code before, so the caller
     * drops its write translations for it (writes must reach {@link RamBlock#markDirty}).
     */
    Page page(RamBlock ram, long offset) {
        int b = track(ram);
        if (b < 0) return null;
        int set = (int) ((offset >>> 12) + b * 0x2e5L) & (SETS - 1);
        for (int w = 0; w < 2; w++) {
            Page p = table[2 * set + w];
            if (p != null && p.ram == ram && p.offset == offset) {
                lastWay[set] = (byte) w;
                newlyMarked = false;
                p.storesSinceFetch = 0;
                return p;
            }
        }
        int w = 1 - lastWay[set];
        lastWay[set] = (byte) w;
        Page p = table[2 * set + w];
        if (p == null) p = table[2 * set + w] = new Page();
        dropped(p.forgetBlocks());
        newlyMarked = !ram.isCodePage(offset);
        if (newlyMarked) ram.markCodePage(offset); // before the copy: a racing write bumps the generation
        p.ram = ram;
        p.offset = offset;
        p.storesSinceFetch = 0;
        MemorySegment.copy(ram.segment(), ValueLayout.JAVA_BYTE, offset, p.bytes, 0, RamBlock.PAGE_SIZE);
        java.util.Arrays.fill(p.headers, 0);
        pagesDecoded++;
        return p;
    }

    /** Whether the last {@link #page} call marked a page that was not code before. */
    boolean newlyMarked;

    private int track(RamBlock ram) {
        for (int k = 0; k < blockCount; k++) {
            if (blocks[k] == ram) return k;
        }
        if (blockCount == MAX_BLOCKS) return -1;
        blocks[blockCount] = ram;
        seen[blockCount] = ram.codeGeneration();
        return blockCount++;
    }

    /** Page offsets {@link #sync} asks a block for. */
    private final long[] writtenPages = new long[64];
    /** Bytes of cached pages patched in place by this CPU's own stores. */
    long bytesPatched;

    /**
     * Drops the pages that were written since the last call. Returns whether any page was
     * dropped (the caller then forgets its current fetch page).
     */
    boolean sync() {
        boolean dropped = false;
        for (int k = 0; k < blockCount; k++) {
            RamBlock ram = blocks[k];
            long g = ram.codeGeneration();
            if (g == seen[k]) continue;
            int n = ram.codePagesWrittenSince(seen[k], writtenPages);
            seen[k] = g;
            if (n < 0) {
                for (Page p : table) {
                    if (p != null && p.ram == ram) dropped |= dropIfWritten(p);
                }
            } else {
                for (int i = 0; i < n; i++) {
                    Page p = find(k, writtenPages[i]);
                    if (p != null) dropped |= dropIfWritten(p);
                }
            }
        }
        return dropped;
    }

    private boolean dropIfWritten(Page p) {
        if (p.ram.isCodePage(p.offset)) return false; // written, then decoded again since
        p.ram = null; // keeps the arrays for reuse
        dropped(p.forgetBlocks());
        pagesInvalidated++;
        return true;
    }

    /** The cached page for {@code offset} (page-aligned) of tracked block {@code k}, or null. */
    private Page find(int k, long offset) {
        int set = (int) ((offset >>> 12) + k * 0x2e5L) & (SETS - 1);
        for (int w = 0; w < 2; w++) {
            Page p = table[2 * set + w];
            if (p != null && p.ram == blocks[k] && p.offset == offset) return p;
        }
        return null;
    }

    /**
     * This CPU stored {@code length} bytes (within one page) at {@code offset} of {@code ram},
     * into a page that was marked as code when the store began, and the block's generation was
     * {@code generationBefore}. If the page is cached, the bytes are copied into it, the decodes
     * of the instructions that may cover them (those starting up to 15 bytes before) are
     * forgotten and the page is marked as code again, so it stays cached; the generation bump of
     * this store alone is then taken as seen. The next instruction fetched sees the new bytes.
     * A page that is not {@code executing} and takes more than {@link #STORES_BEFORE_DROP}
     * stores before fetch enters it again is dropped instead (mostly data: its stores go fast,
     * at the price of one decode when code runs from it again).
     */
    void written(RamBlock ram, long offset, int length, long generationBefore, Page executing) {
        int k = indexOf(ram);
        if (k < 0) return;
        long pageOffset = offset & ~(RamBlock.PAGE_SIZE - 1L);
        Page p = find(k, pageOffset);
        if (p == null) return; // not cached: nothing to fix, the page stays unmarked
        if (p != executing && ++p.storesSinceFetch > STORES_BEFORE_DROP) {
            p.ram = null; // unmarked by the store: later stores take the fast path
            dropped(p.forgetBlocks());
            pagesInvalidated++;
            absorb(k, ram, generationBefore);
            return;
        }
        int o = (int) (offset - pageOffset);
        MemorySegment.copy(ram.segment(), ValueLayout.JAVA_BYTE, offset, p.bytes, o, length);
        java.util.Arrays.fill(p.headers, Math.max(0, o - 15), o + length, 0);
        dropped(p.forgetBlocks(o, length));
        ram.markCodePage(pageOffset);
        bytesPatched += length;
        absorb(k, ram, generationBefore);
    }

    /** Takes the generation bump of this CPU's own store as seen, if it was the only change. */
    private void absorb(int k, RamBlock ram, long generationBefore) {
        if (seen[k] == generationBefore && ram.codeGeneration() == generationBefore + 1) {
            seen[k] = generationBefore + 1;
        }
    }

    private int indexOf(RamBlock ram) {
        for (int k = 0; k < blockCount; k++) {
            if (blocks[k] == ram) return k;
        }
        return -1;
    }

    /** Forgets every page (machine reset). */
    void clear() {
        for (Page p : table) {
            if (p != null) {
                p.ram = null;
                dropped(p.forgetBlocks());
            }
        }
    }
}
