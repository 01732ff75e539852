package org.machina.devices.usb.video.v4l2;

import java.util.List;

/**
 * The frame sizes a device offers for one pixel format (VIDIOC_ENUM_FRAMESIZES): a list of
 * discrete sizes, or a stepwise (or continuous, step 1) range.
 */
public record FrameSizes(List<Size> discrete, Size min, Size max, Size step) {
    /** A width and height in pixels. */
    public record Size(int width, int height) {
        long area() {
            return (long) width * height;
        }

        boolean covers(int w, int h) {
            return width >= w && height >= h;
        }

        @Override
        public String toString() {
            return width + "x" + height;
        }
    }

    public static FrameSizes of(List<Size> sizes) {
        return new FrameSizes(List.copyOf(sizes), null, null, null);
    }

    public static FrameSizes range(Size min, Size max, Size step) {
        return new FrameSizes(List.of(), min, max,
                new Size(Math.max(1, step.width()), Math.max(1, step.height())));
    }

    /**
     * The size to capture for a camera frame of {@code w} x {@code h}: the smallest offered size
     * at least that large in both directions, or the largest offered one if none is (a range
     * rounds up to its step and is clamped to its bounds). Null if nothing is offered.
     */
    public Size fit(int w, int h) {
        if (min != null) {
            return new Size(step(w, min.width(), max.width(), step.width()),
                    step(h, min.height(), max.height(), step.height()));
        }
        Size best = null;
        for (Size s : discrete) {
            if (s.covers(w, h) && (best == null || !best.covers(w, h) || s.area() < best.area())) {
                best = s;
            } else if (!s.covers(w, h) && (best == null || !best.covers(w, h) && s.area() > best.area())) {
                best = s;
            }
        }
        return best;
    }

    private static int step(int want, int lo, int hi, int step) {
        long v = Math.max(lo, Math.min(hi, want));
        long k = (v - lo + step - 1) / step;
        v = lo + k * step;
        return (int) Math.min(v, hi);
    }

    @Override
    public String toString() {
        return min != null ? min + ".." + max + " step " + step : discrete.toString();
    }
}
