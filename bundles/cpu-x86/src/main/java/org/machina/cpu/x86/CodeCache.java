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
 * bytes are copied, a write to a marked page (by this CPU through the slow path, by DMA, by a
 * debugger) clears the mark and bumps {@link RamBlock#codeGeneration()}, and {@link #sync}
 * drops every cached page of a block whose generation moved and whose mark is gone. The CPU
 * calls {@link #sync} after its own slow-path writes, when instruction fetch moves to another
 * page, and every few hundred instructions, so a DMA write is seen at the latest when the guest
 * jumps to the written page or a few hundred instructions later.
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
    }

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
                return p;
            }
        }
        int w = 1 - lastWay[set];
        lastWay[set] = (byte) w;
        Page p = table[2 * set + w];
        if (p == null) p = table[2 * set + w] = new Page();
        newlyMarked = !ram.isCodePage(offset);
        if (newlyMarked) ram.markCodePage(offset); // before the copy: a racing write bumps the generation
        p.ram = ram;
        p.offset = offset;
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
            seen[k] = g;
            for (int i = 0; i < table.length; i++) {
                Page p = table[i];
                if (p != null && p.ram == ram && !ram.isCodePage(p.offset)) {
                    p.ram = null; // keeps the arrays for reuse
                    pagesInvalidated++;
                    dropped = true;
                }
            }
        }
        return dropped;
    }

    /** Forgets every page (machine reset). */
    void clear() {
        for (Page p : table) {
            if (p != null) p.ram = null;
        }
    }
}
