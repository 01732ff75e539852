package org.machina.api.board;

import org.osgi.annotation.versioning.ConsumerType;

/** A built board: what happens at reset (after every device has been reset). */
@ConsumerType
public interface Board {
    /** Loads firmware or a kernel and sets the CPU's entry state. Called at start and on every reset. */
    void reset();
}
