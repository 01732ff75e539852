package org.machina.api.memory;

import java.util.BitSet;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Page-granular dirty logging of a RAM block, optionally limited to address ranges (live
 * migration of part of memory, display framebuffers). Logging costs nothing while stopped.
 */
@ProviderType
public interface DirtyLog {
    /** Starts logging writes to {@code [offset, offset + length)} of the block; ranges add up. */
    void start(long offset, long length);

    /** Starts logging the whole block. */
    default void startAll(long blockSize) {
        start(0, blockSize);
    }

    /** Stops logging and forgets dirty pages. */
    void stop();

    boolean isLogging();

    /** Returns the dirty pages (bit i = page i of the block) and clears them atomically. */
    BitSet collectAndClear();
}
