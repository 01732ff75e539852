package org.machina.api.bus.usb;

/** Signalling speeds (USB 2.0 section 4.2.1, USB 3.x section 3.1). */
public enum UsbSpeed {
    /** 1.5 Mb/s. */
    LOW,
    /** 12 Mb/s. */
    FULL,
    /** 480 Mb/s. */
    HIGH,
    /** 5 Gb/s (SuperSpeed; needs a USB 3 root port). */
    SUPER
}
