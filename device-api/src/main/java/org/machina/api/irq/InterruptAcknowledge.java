package org.machina.api.irq;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * What a CPU calls when it accepts an external interrupt (the INTA cycle): the interrupt
 * controller answers with the vector. On a PC the 8259A pair implements it.
 */
@ConsumerType
public interface InterruptAcknowledge {
    /** Returns the vector of the highest-priority pending interrupt (a spurious vector if none). */
    int acknowledge();
}
