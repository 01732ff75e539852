package org.machina.devices.usb.video.source;

import java.util.List;
import org.machina.devices.usb.video.v4l2.CaptureDevice.PixelFormat;
import org.machina.devices.usb.video.v4l2.FrameSizes;
import org.machina.devices.usb.video.v4l2.V4l2Abi;

/**
 * Which of a capture device's formats and sizes feeds a camera frame of a given size: YUYV or
 * MJPEG (the formats the source converts), each at its {@link FrameSizes#fit fitting} size; a
 * size that covers the camera's frame beats one that does not, then one the device lists at
 * {@link #FAST_ENOUGH} frames a second or more (or lists no rate for) beats a slower one (a USB 2
 * webcam's YUYV at 1280x720 gives 10 a second, its MJPEG 30), then the smaller size (less to
 * copy and scale), then YUYV (no decoding).
 */
record CapturePlan(int fourcc, FrameSizes.Size size, boolean fast) {
    static final double FAST_ENOUGH = 25;

    CapturePlan(int fourcc, FrameSizes.Size size) {
        this(fourcc, size, true);
    }

    static boolean usable(PixelFormat f) {
        return f.fourcc() == V4l2Abi.PIX_FMT_YUYV || f.fourcc() == V4l2Abi.PIX_FMT_MJPEG
                || f.fourcc() == V4l2Abi.PIX_FMT_JPEG;
    }

    /** The plan for a {@code width} x {@code height} camera frame, or null if no usable format has a size. */
    static CapturePlan choose(List<PixelFormat> formats, int width, int height) {
        CapturePlan best = null;
        for (PixelFormat f : formats) {
            if (!usable(f)) {
                continue;
            }
            FrameSizes.Size s = f.sizes().fit(width, height);
            if (s == null) {
                continue;
            }
            CapturePlan p = new CapturePlan(f.fourcc(), s, f.fastest().getOrDefault(s, FAST_ENOUGH) >= FAST_ENOUGH);
            if (best == null || p.better(best, width, height)) {
                best = p;
            }
        }
        return best;
    }

    private boolean better(CapturePlan o, int w, int h) {
        boolean covers = size.width() >= w && size.height() >= h;
        boolean oCovers = o.size.width() >= w && o.size.height() >= h;
        if (covers != oCovers) {
            return covers;
        }
        if (fast != o.fast) {
            return fast;
        }
        long area = (long) size.width() * size.height();
        long oArea = (long) o.size.width() * o.size.height();
        if (area != oArea) {
            return covers ? area < oArea : area > oArea;
        }
        return fourcc == V4l2Abi.PIX_FMT_YUYV && o.fourcc != V4l2Abi.PIX_FMT_YUYV;
    }
}
