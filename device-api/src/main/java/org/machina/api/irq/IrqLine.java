package org.machina.api.irq;

import org.osgi.annotation.versioning.ProviderType;

/**
 * An interrupt request line from a device to an interrupt controller input (or to a CPU pin).
 * Lines are owned by the runtime, so they survive a hot-swap of either end.
 */
@ProviderType
public interface IrqLine {
    /** Drives the line to {@code level}. */
    void set(boolean level);

    default void raise() {
        set(true);
    }

    default void lower() {
        set(false);
    }

    /** Raises and lowers the line (an edge for edge-triggered inputs). */
    default void pulse() {
        set(true);
        set(false);
    }

    /** The level last driven. */
    boolean level();

    /** A line that goes nowhere (an unconnected pin). */
    IrqLine NONE = new IrqLine() {
        @Override
        public void set(boolean level) {
        }

        @Override
        public boolean level() {
            return false;
        }
    };
}
