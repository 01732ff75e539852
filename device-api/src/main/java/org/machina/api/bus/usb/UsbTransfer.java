package org.machina.api.bus.usb;

import org.osgi.annotation.versioning.ProviderType;

/**
 * One transfer the host controller hands a device: a control transfer on endpoint 0 (SETUP plus
 * an optional data stage), or one bulk, interrupt or isochronous transfer on another endpoint.
 * The controller owns the guest memory: for OUT the data is already in {@link #buffer()}; for IN
 * the device fills {@link #buffer()} from offset 0 and reports how many bytes it put there.
 *
 * <p>The device calls {@link #complete} exactly once, at once (inside
 * {@link UsbDevice#handle}) or later on the machine thread (an interrupt endpoint with nothing to
 * report keeps the transfer, as a real device NAKs, until it has data). Until then the controller
 * sends no further transfer to that endpoint. A transfer the controller takes back
 * ({@link UsbDevice#cancel}) must not be completed afterwards; {@link #done()} tells.
 */
@ProviderType
public interface UsbTransfer {
    /** Endpoint number 0..15. */
    int endpoint();

    /** Direction: true for IN (device to host). For control transfers, the data stage's direction. */
    boolean in();

    UsbEndpointType type();

    /** The SETUP packet of a control transfer; null for other types. */
    UsbSetup setup();

    /**
     * The data: OUT data to consume, or room for IN data; its length is the most the transfer
     * moves (for control transfers, the data stage's length, which may be less than wLength).
     */
    byte[] buffer();

    /**
     * For isochronous transfers, the (micro)frame the transfer is scheduled for in the bus's
     * frame counter (USB 2.0 section 5.12); 0 for other types.
     */
    default long frame() {
        return 0;
    }

    /**
     * Ends the transfer. {@code actual} is how many bytes were moved (IN: how many of
     * {@link #buffer()} are valid; fewer than its length is a short packet). Calling it a second
     * time, or after the controller cancelled the transfer, is ignored.
     */
    void complete(UsbStatus status, int actual);

    /** Whether the transfer has been completed or cancelled. */
    boolean done();
}
