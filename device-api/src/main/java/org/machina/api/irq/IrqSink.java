package org.machina.api.irq;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * The input side of interrupt lines: an interrupt controller (or CPU) implements it and
 * registers it under a name such as {@code "isa"}; devices then ask for {@code ("isa", 4)}.
 */
@ConsumerType
public interface IrqSink {
    /** Number of inputs. */
    int inputs();

    /** Input {@code index} changed to {@code level}. */
    void setInput(int index, boolean level);
}
