package org.machina.devices.usb.xhci;

import org.machina.api.bus.usb.UsbEndpointType;
import org.machina.api.bus.usb.UsbSetup;
import org.machina.api.bus.usb.UsbStatus;
import org.machina.api.bus.usb.UsbTransfer;

/** A transfer the controller hands a device; remembers how it ended and whom to tell. */
final class XhciTransfer implements UsbTransfer {
    private final int endpoint;
    private final boolean in;
    private final UsbEndpointType type;
    private final UsbSetup setup;
    private final byte[] buffer;
    private final long frame;
    UsbStatus status;
    int actual;
    private boolean done;
    /** Runs when the device completes the transfer after {@code handle} returned (asynchronously). */
    Runnable onLateCompletion;

    XhciTransfer(int endpoint, boolean in, UsbEndpointType type, UsbSetup setup, byte[] buffer, long frame) {
        this.endpoint = endpoint;
        this.in = in;
        this.type = type;
        this.setup = setup;
        this.buffer = buffer;
        this.frame = frame;
    }

    @Override
    public int endpoint() {
        return endpoint;
    }

    @Override
    public boolean in() {
        return in;
    }

    @Override
    public UsbEndpointType type() {
        return type;
    }

    @Override
    public UsbSetup setup() {
        return setup;
    }

    @Override
    public byte[] buffer() {
        return buffer;
    }

    @Override
    public long frame() {
        return frame;
    }

    @Override
    public void complete(UsbStatus how, int moved) {
        if (done) {
            return;
        }
        done = true;
        status = how == null ? UsbStatus.ERROR : how;
        actual = Math.max(0, Math.min(moved, buffer.length));
        if (onLateCompletion != null) {
            onLateCompletion.run();
        }
    }

    /** The controller takes the transfer back. */
    void cancel() {
        if (!done) {
            done = true;
            status = UsbStatus.CANCELLED;
            actual = 0;
        }
    }

    @Override
    public boolean done() {
        return done;
    }
}
