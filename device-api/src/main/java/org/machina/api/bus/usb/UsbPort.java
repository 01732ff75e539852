package org.machina.api.bus.usb;

import org.osgi.annotation.versioning.ProviderType;

/** The root port a {@link UsbDevice} is attached to, as the controller gives it to the device. */
@ProviderType
public interface UsbPort {
    /** The port number the user sees ({@code port=N}), 1-based. */
    int number();

    /** Whether the device is still attached (false after {@link #detach()} or the controller's removal). */
    boolean attached();

    /**
     * Unplugs the device: the controller reports the disconnect to the guest and cancels the
     * device's transfers. Calling it twice is harmless.
     */
    void detach();
}
