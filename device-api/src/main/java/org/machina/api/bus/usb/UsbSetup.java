package org.machina.api.bus.usb;

/**
 * The 8-byte SETUP packet of a control transfer (USB 2.0 section 9.3).
 *
 * @param requestType bmRequestType: bit 7 direction (1 = device to host), bits 6:5 type
 *                    (0 standard, 1 class, 2 vendor), bits 4:0 recipient (0 device, 1 interface,
 *                    2 endpoint, 3 other)
 * @param request bRequest
 * @param value wValue
 * @param index wIndex
 * @param length wLength: the most bytes the data stage moves
 */
public record UsbSetup(int requestType, int request, int value, int index, int length) {
    public static final int DIR_IN = 0x80;
    public static final int TYPE_STANDARD = 0x00;
    public static final int TYPE_CLASS = 0x20;
    public static final int TYPE_VENDOR = 0x40;
    public static final int RECIPIENT_DEVICE = 0;
    public static final int RECIPIENT_INTERFACE = 1;
    public static final int RECIPIENT_ENDPOINT = 2;

    // standard requests (USB 2.0 table 9-4)
    public static final int GET_STATUS = 0;
    public static final int CLEAR_FEATURE = 1;
    public static final int SET_FEATURE = 3;
    public static final int SET_ADDRESS = 5;
    public static final int GET_DESCRIPTOR = 6;
    public static final int SET_DESCRIPTOR = 7;
    public static final int GET_CONFIGURATION = 8;
    public static final int SET_CONFIGURATION = 9;
    public static final int GET_INTERFACE = 10;
    public static final int SET_INTERFACE = 11;
    public static final int SYNCH_FRAME = 12;

    public UsbSetup {
        if ((requestType | request) >>> 8 != 0 || (value | index | length) >>> 16 != 0) {
            throw new IllegalArgumentException("setup fields out of range: " + requestType + "/" + request + "/" + value
                    + "/" + index + "/" + length);
        }
    }

    /** Decodes the packet from its little-endian 64-bit form (as an xHCI Setup Stage TRB holds it). */
    public static UsbSetup of(long packet) {
        return new UsbSetup((int) packet & 0xFF, (int) (packet >>> 8) & 0xFF, (int) (packet >>> 16) & 0xFFFF,
                (int) (packet >>> 32) & 0xFFFF, (int) (packet >>> 48) & 0xFFFF);
    }

    /** The packet as a little-endian 64-bit value. */
    public long packet() {
        return requestType | (long) request << 8 | (long) value << 16 | (long) index << 32 | (long) length << 48;
    }

    /** Whether the data stage goes from the device to the host. */
    public boolean in() {
        return (requestType & DIR_IN) != 0;
    }

    /** bits 6:5 of bmRequestType, unshifted ({@link #TYPE_STANDARD}, {@link #TYPE_CLASS}, {@link #TYPE_VENDOR}). */
    public int type() {
        return requestType & 0x60;
    }

    /** bits 4:0 of bmRequestType. */
    public int recipient() {
        return requestType & 0x1F;
    }
}
