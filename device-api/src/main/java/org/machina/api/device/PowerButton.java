package org.machina.api.device;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * The guest side of the machine's power button, registered by the device that implements it
 * (an ACPI PM function raising PWRBTN_STS and an SCI). The runtime calls {@link #press} on the
 * machine thread when the user presses the button ({@code system_powerdown},
 * {@code machina shutdown}).
 */
@ConsumerType
public interface PowerButton {
    /**
     * Presses the button. Returns whether the press reached a guest that listens for it (for
     * ACPI: the OS has enabled the power button event); when it returns false, the runtime
     * powers the machine off at once, as for a machine without a power button.
     */
    boolean press();
}
