package org.machina.cpu.x86;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import org.machina.api.memory.RamBlock;

/**
 * Decoded code, per physical RAM page. A {@link Page} holds a copy of the page's bytes (what
 * instruction fetch reads) and, per byte offset, the packed prefix/opcode decode of the
 * instruction starting there (see {@link Interpreter#step}). Pages are found through a
 * direct-mapped table indexed by physical page number, so a lookup is one array load and a tag
 * compare; an evicted page is reused, so steady-state execution allocates nothing.
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
    /** Number of pages the table holds (2048 pages of 4 KiB: 8 MiB of hot code). */
    static final int SIZE = 2048;
    private static final int MAX_BLOCKS = 8;

    /** One physical page of code. */
    static final class Page {
        RamBlock ram;
        long offset;
        /** A copy of the page, refreshed whenever the page is (re)created. */
        final byte[] bytes = new byte[RamBlock.PAGE_SIZE];
        /** Packed decode of the instruction starting at each offset; 0 when not decoded yet. */
        final int[] headers = new int[RamBlock.PAGE_SIZE];
    }

    private final Page[] table = new Page[SIZE];
    private final RamBlock[] blocks = new RamBlock[MAX_BLOCKS];
    private final long[] seen = new long[MAX_BLOCKS];
    private int blockCount;
    /** Pages created since construction (a measure of decode work, shown by tests and benchmarks). */
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
        int i = (int) (offset >>> 12) & (SIZE - 1);
        Page p = table[i];
        if (p != null && p.ram == ram && p.offset == offset) return p;
        int b = track(ram);
        if (b < 0) return null;
        newlyMarked = !ram.isCodePage(offset);
        if (newlyMarked) ram.markCodePage(offset); // before the copy: a racing write bumps the generation
        if (p == null) p = table[i] = new Page();
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
            for (int i = 0; i < SIZE; i++) {
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
