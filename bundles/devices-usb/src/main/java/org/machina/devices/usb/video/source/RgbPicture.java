package org.machina.devices.usb.video.source;

import java.awt.image.BufferedImage;

/**
 * A decoded picture as 0xRRGGBB pixels, converted to the camera's YUYV at any size: nearest
 * neighbour scaling, BT.601 limited-range conversion (Y 16..235, U and V 16..240), U and V of
 * each pixel pair averaged. What the still-image and MJPEG-file sources show.
 */
record RgbPicture(int width, int height, int[] rgb) {
    RgbPicture {
        if (width < 1 || height < 1 || rgb.length != width * height) {
            throw new IllegalArgumentException("a picture of " + width + "x" + height + " needs that many pixels");
        }
    }

    static RgbPicture of(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        return new RgbPicture(w, h, image.getRGB(0, 0, w, h, null, 0, w));
    }

    /** Fills {@code yuyv} with this picture scaled to {@code outWidth} x {@code outHeight}. */
    void toYuyv(int outWidth, int outHeight, byte[] yuyv) {
        for (int y = 0; y < outHeight; y++) {
            int row = (int) ((long) y * height / outHeight) * width;
            for (int x = 0; x + 1 < outWidth; x += 2) {
                int p0 = rgb[row + (int) ((long) x * width / outWidth)];
                int p1 = rgb[row + (int) ((long) (x + 1) * width / outWidth)];
                int r = ((p0 >> 16 & 0xFF) + (p1 >> 16 & 0xFF)) / 2;
                int g = ((p0 >> 8 & 0xFF) + (p1 >> 8 & 0xFF)) / 2;
                int b = ((p0 & 0xFF) + (p1 & 0xFF)) / 2;
                int at = (y * outWidth + x) * 2;
                yuyv[at] = (byte) luma(p0);
                yuyv[at + 1] = (byte) (((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128);
                yuyv[at + 2] = (byte) luma(p1);
                yuyv[at + 3] = (byte) (((112 * r - 94 * g - 18 * b + 128) >> 8) + 128);
            }
        }
    }

    private static int luma(int p) {
        return ((66 * (p >> 16 & 0xFF) + 129 * (p >> 8 & 0xFF) + 25 * (p & 0xFF) + 128) >> 8) + 16;
    }
}
