package org.machina.api.bus.usb;

/** How a transfer ended. A short transfer is {@link #OK} with fewer bytes than asked for. */
public enum UsbStatus {
    /** Data moved (possibly short: see {@link UsbTransfer#actual()}). */
    OK,
    /** The endpoint answered STALL: a control request it does not support, or a halted endpoint. */
    STALL,
    /** The transaction failed (no response, babble, CRC): the controller reports a transaction error. */
    ERROR,
    /** The controller took the transfer back before the device completed it. */
    CANCELLED
}
