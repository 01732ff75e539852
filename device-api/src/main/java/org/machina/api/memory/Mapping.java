package org.machina.api.memory;

import org.osgi.annotation.versioning.ProviderType;

/** A region mapped into an address space; {@link #unmap()} removes it again. */
@ProviderType
public interface Mapping extends AutoCloseable {
    long base();

    MemoryRegion region();

    int priority();

    void unmap();

    @Override
    default void close() {
        unmap();
    }
}
