package org.machina.api.bus.usb;

/** Endpoint transfer types, in the order of the bmAttributes field of an endpoint descriptor. */
public enum UsbEndpointType {
    CONTROL, ISOCHRONOUS, BULK, INTERRUPT;

    /** The type named by bits 1:0 of an endpoint descriptor's bmAttributes. */
    public static UsbEndpointType ofAttributes(int bmAttributes) {
        return values()[bmAttributes & 3];
    }
}
