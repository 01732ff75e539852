package org.machina.api.memory;

import java.lang.foreign.MemorySegment;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Off-heap, page-aligned guest memory. The segment belongs to the runtime and lives as long as
 * the machine; devices and CPUs may read and write it directly (that is what makes RAM fast).
 * Writers that bypass the address space (DMA, CPUs with a cached translation) call
 * {@link #markDirty} so dirty logging and translated-code invalidation see the write.
 */
@ProviderType
public interface RamBlock {
    /** Page size used for dirty tracking. */
    int PAGE_SIZE = 4096;

    String name();

    long size();

    MemorySegment segment();

    /** Records a write of {@code length} bytes at {@code offset} into this block. */
    void markDirty(long offset, long length);

    /** The block's dirty log. */
    DirtyLog dirtyLog();

    /**
     * A counter bumped by every {@link #markDirty} of a page holding code: CPUs compare it
     * to know whether their decoded-instruction caches for the block may be stale.
     */
    long codeGeneration();

    /** Marks a page as holding decoded code, so writes to it bump {@link #codeGeneration()}. */
    void markCodePage(long offset);

    /** Whether a write to the page at {@code offset} must be reported to code caches. */
    boolean isCodePage(long offset);

    /**
     * Which code pages were written after {@link #codeGeneration()} was {@code since}: stores
     * into {@code pages} the offsets of the pages of the range each later {@link #markDirty}
     * that bumped the generation covered, and returns how many, or -1 when that is not known
     * (the writes are too far back, or {@code pages} is too small); then every cached page of
     * the block must be checked with {@link #isCodePage}. Lets a code cache invalidate in
     * proportion to what was written.
     */
    default int codePagesWrittenSince(long since, long[] pages) {
        return -1;
    }

    /**
     * Whether the block's memory stays allocated until the machine thread has ended (the
     * machine's own RAM; not a block a device owns and frees when it is unplugged). A CPU running
     * on the machine thread may then keep raw native addresses into it (its TLB) instead of the
     * segment, skipping the segment's liveness and bounds checks on every access.
     *
     * @since 1.4
     */
    default boolean outlivesMachineThread() {
        return false;
    }
}
