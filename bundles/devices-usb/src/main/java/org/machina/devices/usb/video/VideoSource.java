package org.machina.devices.usb.video;

/**
 * Where a camera's frames come from (private to this bundle for now). A source fills a frame of
 * the negotiated size in YUYV (4:2:2, two bytes a pixel: Y0 U Y1 V) for a frame number.
 */
interface VideoSource {
    /** Fills {@code frame} (width * height * 2 bytes) with frame number {@code n}. */
    void frame(long n, int width, int height, byte[] frame);
}
