package org.machina.devices.usb.video;

import java.io.ByteArrayOutputStream;
import org.machina.api.bus.usb.UsbDescriptors;
import org.machina.api.bus.usb.UsbEndpointType;

/**
 * The descriptors of the camera (UVC 1.1 sections 3.6-3.9 and the Uncompressed Payload 1.1
 * specification): an interface association of a VideoControl interface (camera terminal 1,
 * processing unit 2 with brightness and contrast, output terminal 3) and a VideoStreaming
 * interface with isochronous alternate settings or one bulk IN endpoint, and two formats: 1 uncompressed YUY2 and 2 MJPEG (the
 * Motion-JPEG Payload 1.1 specification), each with its frame sizes.
 */
final class UvcDescriptors {
    static final int CS_INTERFACE = 0x24;
    static final int CAMERA_TERMINAL = 1;
    static final int PROCESSING_UNIT = 2;
    static final int OUTPUT_TERMINAL = 3;
    static final int EP_IN = 1;
    static final int MAX_PACKET = 512;
    /** YUY2 GUID 32595559-0000-0010-8000-00AA00389B71 in descriptor byte order. */
    static final byte[] YUY2 = {0x59, 0x55, 0x59, 0x32, 0x00, 0x00, 0x10, 0x00, (byte) 0x80, 0x00, 0x00, (byte) 0xAA,
        0x00, 0x38, (byte) 0x9B, 0x71};

    /** One frame size with its intervals (100 ns units), the first the default. */
    record FrameSize(int width, int height, int[] intervals) {
        int bytes() {
            return width * height * 2;
        }
    }

    static final FrameSize[] SIZES = {
        new FrameSize(160, 120, new int[] {333_333, 666_666, 1_000_000}),
        new FrameSize(320, 240, new int[] {333_333, 666_666, 1_000_000}),
        new FrameSize(640, 480, new int[] {333_333, 666_666, 1_000_000}),
    };
    /** MJPEG adds 1280x720 (too much for uncompressed frames over one bulk endpoint). */
    static final FrameSize[] MJPEG_SIZES = {
        SIZES[0], SIZES[1], SIZES[2],
        new FrameSize(1280, 720, new int[] {333_333, 666_666, 1_000_000}),
    };
    static final int FORMAT_YUYV = 1;
    static final int FORMAT_MJPEG = 2;

    /** The frame sizes of format index 1 (YUYV) or 2 (MJPEG). */
    static FrameSize[] sizes(int format) {
        return format == FORMAT_MJPEG ? MJPEG_SIZES : SIZES;
    }

    private UvcDescriptors() {
    }

    static byte[] device() {
        return device(false);
    }

    /**
     * The device descriptor: miscellaneous class, common class, interface association (the IAD
     * device class triple); USB 2.0 with a 64-byte endpoint 0 at high speed, USB 3.0 with a
     * 512-byte one (bMaxPacketSize0 9, an exponent) at SuperSpeed.
     */
    static byte[] device(boolean superSpeed) {
        return superSpeed ? UsbDescriptors.device(0x0300, 0xEF0201, 9, 0x1209, 0x0003, 0x0100, 1, 2, 0, 1)
                : UsbDescriptors.device(0x0200, 0xEF0201, 64, 0x1209, 0x0003, 0x0100, 1, 2, 0, 1);
    }

    /**
     * The SuperSpeed camera's BOS (USB 3.2 section 9.6.2): a USB 2.0 Extension capability (no
     * LPM) and a SuperSpeed USB Device capability (full, high and SuperSpeed; U1 and U2 exit
     * latencies 0, so the host does not enable link power management).
     */
    static byte[] bos() {
        byte[] usb2 = {7, 0x10, 0x02, 0, 0, 0, 0};
        byte[] ss = {10, 0x10, 0x03, 0, 0x0E, 0, 1, 0, 0, 0};
        byte[] header = {5, 0x0F, 0, 0, 2};
        put16(header, 2, header.length + usb2.length + ss.length);
        return concat(header, usb2, ss);
    }

    /**
     * The isochronous alternate settings 1..N of VideoStreaming interface 1: wMaxPacketSize as the
     * descriptor holds it (bits 10:0 the packet size, bits 12:11 the additional transactions per
     * microframe, USB 2.0 section 9.6.6), in increasing bandwidth. Alternate setting 0 has no
     * endpoint and uses no bandwidth.
     */
    static final int[] ISO_MAX_PACKET = {128, 256, 512, 1024, 1 << 11 | 768, 1 << 11 | 1024, 2 << 11 | 896,
        2 << 11 | 1024};

    /**
     * SuperSpeed: the bytes per service interval (wBytesPerInterval of the endpoint companion,
     * USB 3.2 section 9.6.7) of isochronous alternate settings 1..N, each one service interval a
     * 1 ms frame (bInterval 4: 2^3 bus intervals of 125 us), 1024-byte packets in bursts of
     * bMaxBurst + 1 ({@link #ssBurst}) and Mult + 1 bursts ({@link #ssMult}) an interval. 640x480
     * YUYV at 30 fps (18.4 KB a millisecond) then crosses in one packet train a millisecond
     * instead of one packet every 125 us at high speed: an eighth of the transfers and of the
     * host's completions.
     */
    static final int[] SS_ISO_BYTES = {1024, 2048, 4096, 8192, 16384, 24576, 32768, 49152};
    /** SuperSpeed isochronous endpoints: one service interval every 2^(4-1) bus intervals (1 ms). */
    static final int SS_ISO_INTERVAL = 4;
    static final int SS_MAX_PACKET = 1024;

    /** bMaxBurst of SuperSpeed alternate setting {@code alt}: packets a burst - 1 (at most 15). */
    static int ssBurst(int alt) {
        int packets = SS_ISO_BYTES[alt - 1] / SS_MAX_PACKET;
        return Math.min(16, packets) - 1;
    }

    /** Mult of SuperSpeed alternate setting {@code alt}: bursts an interval - 1 (at most 2). */
    static int ssMult(int alt) {
        int packets = SS_ISO_BYTES[alt - 1] / SS_MAX_PACKET;
        return (packets + 15) / 16 - 1;
    }

    /** The bytes alternate setting {@code alt} (1..N) moves per service interval at the given speed. */
    static int isoBytes(int alt, boolean superSpeed) {
        if (!superSpeed) {
            return isoBytes(alt);
        }
        return alt < 1 || alt > SS_ISO_BYTES.length ? 0 : SS_ISO_BYTES[alt - 1];
    }

    /** The bytes alternate setting {@code alt} (1..N) moves per microframe; 0 for alternate setting 0 or none. */
    static int isoBytes(int alt) {
        if (alt < 1 || alt > ISO_MAX_PACKET.length) {
            return 0;
        }
        int w = ISO_MAX_PACKET[alt - 1];
        return (w & 0x7FF) * ((w >> 11 & 3) + 1);
    }

    /** The smallest alternate setting that moves {@code bytes} per microframe, the largest if none does. */
    static int isoAlternateFor(int bytes) {
        return isoAlternateFor(bytes, false);
    }

    /** The smallest alternate setting that moves {@code bytes} per service interval at the given speed. */
    static int isoAlternateFor(int bytes, boolean superSpeed) {
        for (int alt = 1; alt <= ISO_MAX_PACKET.length; alt++) {
            if (isoBytes(alt, superSpeed) >= bytes) {
                return alt;
            }
        }
        return ISO_MAX_PACKET.length;
    }

    static byte[] configuration() {
        return configuration(false);
    }

    /**
     * The configuration: with {@code iso} VideoStreaming interface 1 has alternate setting 0
     * without endpoints and alternate settings 1..N with an isochronous IN endpoint (asynchronous,
     * one service interval a microframe) of increasing size ({@link #ISO_MAX_PACKET}); without it
     * one alternate setting with a bulk IN endpoint.
     */
    static byte[] configuration(boolean iso) {
        return configuration(iso, false);
    }

    /**
     * The configuration at high speed or SuperSpeed: at SuperSpeed every endpoint is followed by
     * its SuperSpeed Endpoint Companion (USB 3.2 section 9.6.7), the isochronous ones with 1024-byte
     * packets, one service interval a millisecond and {@link #SS_ISO_BYTES} an interval, the bulk
     * one with 1024-byte packets in bursts of 16.
     */
    static byte[] configuration(boolean iso, boolean superSpeed) {
        byte[] vcBody = concat(cameraTerminal(), processingUnit(), outputTerminal());
        byte[] vcHeader = {13, CS_INTERFACE, 0x01, 0x10, 0x01, 0, 0, 0x00, 0x6C, (byte) 0xDC, 0x02, 1, 1};
        int vcTotal = vcHeader.length + vcBody.length;
        vcHeader[5] = (byte) vcTotal;
        vcHeader[6] = (byte) (vcTotal >> 8);                 // dwClockFrequency 48 MHz above
        byte[] frames = new byte[0];
        for (int i = 0; i < SIZES.length; i++) {
            frames = concat(frames, frame(0x05, i + 1, SIZES[i]));            // VS_FRAME_UNCOMPRESSED
        }
        byte[] mjpegFrames = new byte[0];
        for (int i = 0; i < MJPEG_SIZES.length; i++) {
            mjpegFrames = concat(mjpegFrames, frame(0x07, i + 1, MJPEG_SIZES[i]));  // VS_FRAME_MJPEG
        }
        // VS_FORMAT_MJPEG: index 2, its frames, bmFlags 0 (variable size), default frame 1, aspect 0:0,
        // not interlaced, no copy protection
        byte[] mjpeg = {11, CS_INTERFACE, 0x06, FORMAT_MJPEG, (byte) MJPEG_SIZES.length, 0, 1, 0, 0, 0, 0};
        byte[] format = new byte[27];
        format[0] = 27;
        format[1] = CS_INTERFACE;
        format[2] = 0x04;                                    // VS_FORMAT_UNCOMPRESSED
        format[3] = 1;                                       // bFormatIndex
        format[4] = (byte) SIZES.length;
        System.arraycopy(YUY2, 0, format, 5, 16);
        format[21] = 16;                                     // bits per pixel
        format[22] = 1;                                      // default frame index
        byte[] color = {6, CS_INTERFACE, 0x0D, 1, 1, 4};    // BT.709 primaries, BT.709 transfer, SMPTE 170M matrix
        byte[] vsBody = concat(format, frames, color, mjpeg, mjpegFrames, color);
        // VS_INPUT_HEADER: two formats, bControlSize 1 and one bmaControls byte per format
        byte[] vsHeader = {15, CS_INTERFACE, 0x01, 2, 0, 0, (byte) (0x80 | EP_IN), 0, OUTPUT_TERMINAL, 0, 0, 0, 1, 0, 0};
        int vsTotal = vsHeader.length + vsBody.length;
        vsHeader[4] = (byte) vsTotal;
        vsHeader[5] = (byte) (vsTotal >> 8);
        byte[] iad = {8, UsbDescriptors.INTERFACE_ASSOCIATION, 0, 2, 0x0E, 0x03, 0x00, 2};
        byte[] vc0 = UsbDescriptors.iface(0, 0, 0, 0x0E0100, 2);
        if (!iso) {
            byte[] bulk = superSpeed
                    ? concat(UsbDescriptors.endpoint(0x80 | EP_IN, UsbEndpointType.BULK, SS_MAX_PACKET, 0),
                            companion(15, 0, 0))
                    : UsbDescriptors.endpoint(0x80 | EP_IN, UsbEndpointType.BULK, MAX_PACKET, 0);
            return UsbDescriptors.configuration(1, 0, 0x80, superSpeed ? 112 : 250, iad, vc0, vcHeader, vcBody,
                    UsbDescriptors.iface(1, 0, 1, 0x0E0200, 0), vsHeader, vsBody, bulk);
        }
        byte[] alternates = new byte[0];
        for (int alt = 1; alt <= ISO_MAX_PACKET.length; alt++) {
            byte[] ep = superSpeed
                    ? UsbDescriptors.endpoint(0x80 | EP_IN, UsbEndpointType.ISOCHRONOUS, SS_MAX_PACKET, SS_ISO_INTERVAL)
                    : UsbDescriptors.endpoint(0x80 | EP_IN, UsbEndpointType.ISOCHRONOUS, ISO_MAX_PACKET[alt - 1], 1);
            ep[3] |= 0x04;                                   // bmAttributes 3:2 synchronization: asynchronous
            if (superSpeed) {
                ep = concat(ep, companion(ssBurst(alt), ssMult(alt), SS_ISO_BYTES[alt - 1]));
            }
            alternates = concat(alternates, UsbDescriptors.iface(1, alt, 1, 0x0E0200, 0), ep);
        }
        if (superSpeed) {                                    // bMaxPower in 8 mA units at SuperSpeed: 896 mA
            return UsbDescriptors.configuration(1, 0, 0x80, 112, iad, vc0, vcHeader, vcBody,
                    UsbDescriptors.iface(1, 0, 0, 0x0E0200, 0), vsHeader, vsBody, alternates);
        }
        return UsbDescriptors.configuration(1, 0, 0x80, 250, iad, vc0, vcHeader, vcBody,
                UsbDescriptors.iface(1, 0, 0, 0x0E0200, 0), vsHeader, vsBody, alternates);
    }

    /** A SuperSpeed Endpoint Companion descriptor: bMaxBurst, bmAttributes (Mult for isochronous), wBytesPerInterval. */
    private static byte[] companion(int maxBurst, int mult, int bytesPerInterval) {
        byte[] d = {6, 0x30, (byte) maxBurst, (byte) mult, 0, 0};
        put16(d, 4, bytesPerInterval);
        return d;
    }

    private static byte[] cameraTerminal() {
        return new byte[] {18, CS_INTERFACE, 0x02, CAMERA_TERMINAL, 0x01, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0};
    }

    private static byte[] processingUnit() {
        // bControlSize 2, bmControls: brightness (bit 0), contrast (bit 1); iProcessing; bmVideoStandards
        return new byte[] {12, CS_INTERFACE, 0x05, PROCESSING_UNIT, CAMERA_TERMINAL, 0, 0, 2, 0x03, 0, 0, 0};
    }

    private static byte[] outputTerminal() {
        return new byte[] {9, CS_INTERFACE, 0x03, OUTPUT_TERMINAL, 0x01, 0x01, 0, PROCESSING_UNIT, 0};
    }

    private static byte[] frame(int subtype, int index, FrameSize s) {
        int n = s.intervals().length;
        byte[] d = new byte[26 + 4 * n];
        d[0] = (byte) d.length;
        d[1] = CS_INTERFACE;
        d[2] = (byte) subtype;
        d[3] = (byte) index;
        put16(d, 5, s.width());
        put16(d, 7, s.height());
        long maxRate = (long) s.bytes() * 8 * 10_000_000L / s.intervals()[0];
        long minRate = (long) s.bytes() * 8 * 10_000_000L / s.intervals()[n - 1];
        put32(d, 9, (int) minRate);
        put32(d, 13, (int) maxRate);
        put32(d, 17, s.bytes());
        put32(d, 21, s.intervals()[0]);
        d[25] = (byte) n;
        for (int i = 0; i < n; i++) {
            put32(d, 26 + 4 * i, s.intervals()[i]);
        }
        return d;
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    static void put16(byte[] d, int at, int v) {
        d[at] = (byte) v;
        d[at + 1] = (byte) (v >> 8);
    }

    static void put32(byte[] d, int at, int v) {
        put16(d, at, v);
        put16(d, at + 2, v >> 16);
    }
}
