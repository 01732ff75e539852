package org.machina.devices.usb.xhci;

/**
 * One 16-byte Transfer Request Block (xHCI 1.2 section 6.4): a 64-bit parameter, a status dword
 * and a control dword, read from guest memory at {@code address}.
 */
record Trb(long address, long parameter, int status, int control) {
    // TRB types (xHCI table 6-91)
    static final int NORMAL = 1;
    static final int SETUP = 2;
    static final int DATA = 3;
    static final int STATUS = 4;
    static final int ISOCH = 5;
    static final int LINK = 6;
    static final int EVENT_DATA = 7;
    static final int NOOP = 8;
    static final int ENABLE_SLOT = 9;
    static final int DISABLE_SLOT = 10;
    static final int ADDRESS_DEVICE = 11;
    static final int CONFIGURE_ENDPOINT = 12;
    static final int EVALUATE_CONTEXT = 13;
    static final int RESET_ENDPOINT = 14;
    static final int STOP_ENDPOINT = 15;
    static final int SET_TR_DEQUEUE = 16;
    static final int RESET_DEVICE = 17;
    static final int GET_PORT_BANDWIDTH = 21;
    static final int NOOP_COMMAND = 23;
    static final int TRANSFER_EVENT = 32;
    static final int COMMAND_COMPLETION = 33;
    static final int PORT_STATUS_CHANGE = 34;
    static final int HOST_CONTROLLER_EVENT = 37;
    /** NEC vendor command: get firmware revision, and its completion event. */
    static final int NEC_GET_FW = 49;
    static final int NEC_COMMAND_COMPLETION = 48;

    // completion codes (xHCI table 6-90)
    static final int SUCCESS = 1;
    static final int DATA_BUFFER_ERROR = 2;
    static final int BANDWIDTH_ERROR = 3;
    static final int TRANSACTION_ERROR = 4;
    static final int TRB_ERROR = 5;
    static final int STALL_ERROR = 6;
    static final int NO_SLOTS = 9;
    static final int SLOT_NOT_ENABLED = 11;
    static final int ENDPOINT_NOT_ENABLED = 12;
    static final int SHORT_PACKET = 13;
    static final int RING_UNDERRUN = 14;
    static final int RING_OVERRUN = 15;
    static final int PARAMETER_ERROR = 17;
    static final int CONTEXT_STATE_ERROR = 19;
    static final int EVENT_RING_FULL = 21;
    static final int MISSED_SERVICE_ERROR = 23;
    static final int STOPPED = 26;
    static final int STOPPED_LENGTH_INVALID = 27;

    // control dword flags
    static final int CYCLE = 1;
    static final int TOGGLE_CYCLE = 1 << 1;     // Link TRB
    static final int ENT = 1 << 1;
    static final int ISP = 1 << 2;
    static final int CHAIN = 1 << 4;
    static final int IOC = 1 << 5;
    static final int IDT = 1 << 6;
    static final int BSR = 1 << 9;              // Address Device: block SET_ADDRESS
    static final int DC = 1 << 9;               // Configure Endpoint: deconfigure
    static final int DIR_IN = 1 << 16;          // Data/Status Stage TRB direction
    static final int BEI = 1 << 9;              // Normal/Isoch TRB: Block Event Interrupt
    static final int SIA = 1 << 31;             // Isoch TRB: Start Isoch ASAP

    int type() {
        return control >>> 10 & 0x3F;
    }

    boolean cycle() {
        return (control & CYCLE) != 0;
    }

    boolean has(int flag) {
        return (control & flag) != 0;
    }

    /** TRB Transfer Length of Normal, Data, Isoch TRBs (17 bits). */
    int length() {
        return status & 0x1FFFF;
    }

    /** Frame ID of an Isoch TRB (bits 30:20): the 1 ms frame, modulo 2048, the TD is for when SIA is clear. */
    int frameId() {
        return control >>> 20 & 0x7FF;
    }

    /** Slot ID field of command TRBs (bits 31:24 of the control dword). */
    int slotId() {
        return control >>> 24;
    }

    static String typeName(int type) {
        return switch (type) {
            case NORMAL -> "Normal";
            case SETUP -> "Setup Stage";
            case DATA -> "Data Stage";
            case STATUS -> "Status Stage";
            case ISOCH -> "Isoch";
            case LINK -> "Link";
            case EVENT_DATA -> "Event Data";
            case NOOP -> "No Op";
            default -> "type " + type;
        };
    }
}
