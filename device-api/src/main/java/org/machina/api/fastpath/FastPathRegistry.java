package org.machina.api.fastpath;

import org.machina.api.memory.Mapping;
import org.osgi.annotation.versioning.ProviderType;

/** Attaches fast-path handlers to mapped device regions. */
@ProviderType
public interface FastPathRegistry {
    /** Serves reads of {@code mapping}'s region through {@code handler} first. */
    void attach(Mapping mapping, FastPathHandler handler);

    void detach(Mapping mapping);
}
