package org.machina.devices.usb.xhci;

import java.util.List;

/** An enabled endpoint of a slot: its transfer ring position and state (xHCI 1.2 section 6.2.3). */
final class Endpoint {
    static final int DISABLED = 0;
    static final int RUNNING = 1;
    static final int HALTED = 2;
    static final int STOPPED = 3;
    static final int ERROR = 4;

    // endpoint context EP Type (xHCI table 6-9)
    static final int ISOCH_OUT = 1;
    static final int BULK_OUT = 2;
    static final int INTERRUPT_OUT = 3;
    static final int CONTROL = 4;
    static final int ISOCH_IN = 5;
    static final int BULK_IN = 6;
    static final int INTERRUPT_IN = 7;

    /** Device Context Index: 1 for endpoint 0, 2n + (IN ? 1 : 0) for endpoint n. */
    final int dci;
    int state;
    int type;
    long dequeue;
    boolean cycle;
    /** The transfer the device holds, and the TRBs of its TD. */
    XhciTransfer inflight;
    List<Trb> inflightTrbs;
    long inflightNext;
    boolean inflightNextCycle;
    /** Isochronous: the service interval in microframes (2^Interval of the endpoint context, 1..2^15). */
    int interval = 1;
    /** Isochronous: the earliest microframe of the next TD started with SIA (the next ESIT). */
    long nextFrame;
    /** Isochronous: the first TRB of the TD waiting for its microframe, and that microframe (-1: none). */
    long scheduledTrb = -1;
    long scheduledFrame;
    /** Isochronous: a TD ran since the ring was last found empty (a dry ring then gets a Ring Overrun/Underrun event). */
    boolean isochActive;
    /** Periodic bandwidth ({@link Bandwidth}): the microframes of the 1 ms schedule it takes, and its byte times in each. */
    int bwMask;
    int bwCost;

    Endpoint(int dci) {
        this.dci = dci;
    }

    int number() {
        return dci / 2;
    }

    boolean isoch() {
        return type == ISOCH_IN || type == ISOCH_OUT;
    }

    boolean in() {
        return type == CONTROL ? false : type >= ISOCH_IN;
    }
}
