package org.machina.api.bus.usb;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Builders for the standard descriptors of USB 2.0 section 9.6, as the bytes a device returns to
 * GET_DESCRIPTOR. Multi-byte fields are little-endian. A configuration is built with
 * {@link #configuration} from its interface, endpoint and class-specific descriptors; its
 * wTotalLength and bNumInterfaces are filled in.
 */
public final class UsbDescriptors {
    public static final int DEVICE = 1;
    public static final int CONFIGURATION = 2;
    public static final int STRING = 3;
    public static final int INTERFACE = 4;
    public static final int ENDPOINT = 5;
    public static final int DEVICE_QUALIFIER = 6;
    public static final int OTHER_SPEED_CONFIGURATION = 7;
    public static final int INTERFACE_ASSOCIATION = 11;

    private UsbDescriptors() {
    }

    /**
     * A device descriptor (18 bytes).
     *
     * @param bcdUsb USB release in BCD (0x0200 for USB 2.0)
     * @param deviceClass bDeviceClass, bDeviceSubClass, bDeviceProtocol as 0xCCSSPP (0 = per interface)
     * @param maxPacket0 endpoint 0's max packet size (64 at high speed)
     * @param strings indexes of the manufacturer, product and serial number strings (0 = none)
     */
    public static byte[] device(int bcdUsb, int deviceClass, int maxPacket0, int vendor, int product, int bcdDevice,
            int manufacturer, int productString, int serial, int configurations) {
        return new byte[] {18, DEVICE, (byte) bcdUsb, (byte) (bcdUsb >> 8), (byte) (deviceClass >> 16),
                (byte) (deviceClass >> 8), (byte) deviceClass, (byte) maxPacket0, (byte) vendor, (byte) (vendor >> 8),
                (byte) product, (byte) (product >> 8), (byte) bcdDevice, (byte) (bcdDevice >> 8), (byte) manufacturer,
                (byte) productString, (byte) serial, (byte) configurations};
    }

    /** The device qualifier (10 bytes) a high-speed capable device returns: what it would be at the other speed. */
    public static byte[] deviceQualifier(byte[] device) {
        return new byte[] {10, DEVICE_QUALIFIER, device[2], device[3], device[4], device[5], device[6], device[7],
                device[17], 0};
    }

    /**
     * A configuration descriptor followed by {@code parts} (interfaces, endpoints, class-specific
     * descriptors, in order); bNumInterfaces counts the interface descriptors with alternate
     * setting 0.
     *
     * @param attributes bmAttributes (bit 7 must be set; 0x40 self-powered, 0x20 remote wakeup)
     * @param maxPower bMaxPower in 2 mA units
     */
    public static byte[] configuration(int value, int stringIndex, int attributes, int maxPower, byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int interfaces = 0;
        for (byte[] p : parts) {
            if (p.length >= 4 && p[1] == INTERFACE && p[3] == 0) {
                interfaces++;
            }
        }
        int total = 9;
        for (byte[] p : parts) {
            total += p.length;
        }
        out.writeBytes(new byte[] {9, CONFIGURATION, (byte) total, (byte) (total >> 8), (byte) interfaces, (byte) value,
                (byte) stringIndex, (byte) (attributes | 0x80), (byte) maxPower});
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** An interface descriptor (9 bytes); {@code interfaceClass} is class, subclass, protocol as 0xCCSSPP. */
    public static byte[] iface(int number, int alternate, int endpoints, int interfaceClass, int stringIndex) {
        return new byte[] {9, INTERFACE, (byte) number, (byte) alternate, (byte) endpoints, (byte) (interfaceClass >> 16),
                (byte) (interfaceClass >> 8), (byte) interfaceClass, (byte) stringIndex};
    }

    /**
     * An endpoint descriptor (7 bytes).
     *
     * @param address bEndpointAddress: number, plus 0x80 for IN
     * @param type the transfer type
     * @param maxPacket wMaxPacketSize (for high-bandwidth high-speed endpoints with the extra
     *                  transactions in bits 12:11)
     * @param interval bInterval
     */
    public static byte[] endpoint(int address, UsbEndpointType type, int maxPacket, int interval) {
        return new byte[] {7, ENDPOINT, (byte) address, (byte) type.ordinal(), (byte) maxPacket, (byte) (maxPacket >> 8),
                (byte) interval};
    }

    /** String descriptor 0: the supported language ids (here US English, 0x0409). */
    public static byte[] languages() {
        return new byte[] {4, STRING, 0x09, 0x04};
    }

    /** A string descriptor in UTF-16LE (at most 126 characters are kept). */
    public static byte[] string(String s) {
        byte[] text = s.getBytes(StandardCharsets.UTF_16LE);
        int n = Math.min(text.length, 252);
        byte[] d = new byte[2 + n];
        d[0] = (byte) d.length;
        d[1] = STRING;
        System.arraycopy(text, 0, d, 2, n);
        return d;
    }
}
