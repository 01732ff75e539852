package org.machina.devices.usb.xhci;

/** A device slot (xHCI 1.2 section 4.5): its port, output context and endpoints. */
final class Slot {
    static final int ENABLED = 0;
    static final int DEFAULT = 1;
    static final int ADDRESSED = 2;
    static final int CONFIGURED = 3;

    final int id;
    int state = ENABLED;
    /** The root port (xHCI numbering), 0 before Address Device. */
    int port;
    /** The output device context (from the DCBAA at Address Device). */
    long context;
    final Endpoint[] endpoints = new Endpoint[32];

    Slot(int id) {
        this.id = id;
    }
}
