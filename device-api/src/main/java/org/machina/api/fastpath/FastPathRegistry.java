package org.machina.api.fastpath;

import org.machina.api.memory.Mapping;
import org.osgi.annotation.versioning.ProviderType;

/** Attaches fast-path handlers to register ranges of mapped device regions. */
@ProviderType
public interface FastPathRegistry {
    /** A registry whose handlers are never called: every access takes the normal path. */
    FastPathRegistry NONE = (mapping, offset, length, handler) -> () -> { };

    /**
     * Serves accesses to {@code [offset, offset + length)} of {@code mapping}'s region
     * (a {@link org.machina.api.memory.MemoryRegion.Io}) through {@code handler} first: the CPU
     * calls it for accesses that lie wholly in the range, where the address space reaches this
     * mapping (not where a higher-priority mapping covers it). Fails with an
     * {@link IllegalArgumentException} when the range is empty, lies outside the region,
     * overlaps another attached range of the same region, the region is not device registers,
     * or the mapping is not mapped now in this machine. The attachment ends when the mapping is
     * unmapped or the device is released.
     */
    Attachment attach(Mapping mapping, long offset, long length, FastPathHandler handler);

    /** An attached handler; {@link #detach} stops calls to it (also done when the device goes). */
    @FunctionalInterface
    interface Attachment {
        void detach();
    }
}
