package org.machina.api.bus.usb;

import org.machina.api.device.DeviceContext;
import org.osgi.annotation.versioning.ProviderType;

/**
 * A USB host controller's root ports, as device bundles see them. The controller registers it as
 * {@code ID.0} (QEMU's bus name for controller {@code ID}); the first controller of the machine
 * also registers it as {@value #DEFAULT}, which devices use when no {@code bus=} is given.
 */
@ProviderType
public interface UsbBus {
    /** The bus name of the machine's first USB controller. */
    String DEFAULT = "usb";

    /**
     * Attaches {@code device} at root port {@code port} (1-based; -1 for the first free port that
     * can carry the device's speed) and reports the connection to the guest (hot-plug while the
     * machine runs). The attachment is released with {@code owner}: when the device is removed
     * or swapped, the port is detached even if the device does not call {@link UsbPort#detach()}.
     * Fails naming the port when it is taken, out of range, or cannot carry the device's speed.
     */
    UsbPort attach(DeviceContext owner, UsbDevice device, int port);

    /** The number of user-visible ports ({@code port=1..ports()}). */
    int ports();
}
