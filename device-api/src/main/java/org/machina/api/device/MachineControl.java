package org.machina.api.device;

import org.osgi.annotation.versioning.ProviderType;

/** Machine-wide requests a device or CPU may make (reset lines, power off, test exit). */
@ProviderType
public interface MachineControl {
    /** Resets the whole machine (or ends the run when the machine was started with no-reboot). */
    void requestReset(String reason);

    /** Powers the machine off; the run ends with {@code exitStatus}. */
    void requestShutdown(String reason, int exitStatus);

    /** Pauses the machine (debugger stop, guest panic with -no-shutdown, ...). */
    void requestPause(String reason);
}
