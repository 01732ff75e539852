package org.machina.api.bus.usb;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * What a USB device gives the host controller. All calls come on the machine thread. The device
 * answers every standard request of USB 2.0 chapter 9 itself, including SET_ADDRESS (the
 * controller sends it, for xHCI during the Address Device command) and SET_CONFIGURATION.
 */
@ConsumerType
public interface UsbDevice {
    /** The speed the device signals at; the controller picks a root port that can carry it. */
    UsbSpeed speed();

    /**
     * A bus reset on its port: back to the Default state (address 0, unconfigured, endpoints
     * other than 0 idle, transfers in flight dropped without completion).
     */
    void busReset();

    /**
     * Handles one transfer; completes it now or later ({@link UsbTransfer#complete}). Must not
     * throw for anything the guest sends: unsupported requests complete with
     * {@link UsbStatus#STALL}.
     */
    void handle(UsbTransfer transfer);

    /**
     * Takes back a transfer the device has not completed (the driver stopped the endpoint or
     * the device is being detached). After this the device forgets it.
     */
    default void cancel(UsbTransfer transfer) {
    }
}
