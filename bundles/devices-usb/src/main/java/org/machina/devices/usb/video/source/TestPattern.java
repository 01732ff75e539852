package org.machina.devices.usb.video.source;

import org.machina.api.video.VideoSource;

/**
 * The synthetic source ({@code source=pattern}): deterministic colour bars that scroll by one pixel
 * a frame, the frame number drawn in large digits below the stripe (white on black), and the
 * frame number as a machine-readable stripe in the first 8 rows: {@value #STRIPE_BITS} cells of
 * {@value #CELL} pixels, bit 31 first, luma 235 for 1 and 16 for 0. The cells are as tall as a
 * JPEG block and as wide as half a 4:2:2 MCU so that the number survives JPEG compression, and a
 * program in the guest reads it from the luma of the cells' middle pixels in row 4. Brightness
 * and contrast (the camera's processing unit) apply to the bars only.
 */
public final class TestPattern implements VideoSource {
    /** Seven bars: white, yellow, cyan, green, magenta, red, blue (BT.601 limited-range Y, U, V). */
    private static final int[][] BARS = {
        {235, 128, 128}, {210, 16, 146}, {170, 166, 16}, {145, 54, 34}, {106, 202, 222}, {81, 90, 240}, {41, 240, 110}};
    /** 3x5 digit glyphs, one row per 3 bits. */
    private static final int[] DIGITS = {
        075557, 022222, 071747, 071717, 055711, 074717, 074757, 071111, 075757, 075717};
    public static final int STRIPE_BITS = 32;
    /** Width in pixels of one stripe cell; the stripe is 8 rows tall. */
    public static final int CELL = 4;
    public static final int STRIPE_ROWS = 8;
    /** The row whose cell middles carry the bits. */
    public static final int STRIPE_READ_ROW = 4;
    static final int DIGIT_SCALE = 4;
    static final int DIGIT_TOP = STRIPE_ROWS + 2;

    private int brightness;
    private int contrast = 100;

    @Override
    public void adjust(int brightness, int contrast) {
        this.brightness = brightness;
        this.contrast = contrast;
    }

    @Override
    public void frame(long n, int width, int height, byte[] f) {
        int shift = (int) (n % width);
        for (int y = 0; y < height; y++) {
            int row = y * width * 2;
            for (int x = 0; x < width; x += 2) {
                int[] c = BARS[((x + shift) % width) * BARS.length / width];
                int luma = clamp((c[0] - 16) * contrast / 100 + 16 + brightness);
                f[row + 2 * x] = (byte) luma;
                f[row + 2 * x + 1] = (byte) c[1];
                f[row + 2 * x + 2] = (byte) luma;
                f[row + 2 * x + 3] = (byte) c[2];
            }
        }
        drawNumber(n, width, height, f);
        for (int y = 0; y < STRIPE_ROWS && y < height; y++) {
            for (int i = 0; i < STRIPE_BITS * CELL && i < width; i++) {
                boolean bit = (n >>> (STRIPE_BITS - 1 - i / CELL) & 1) != 0;
                int at = (y * width + i) * 2;
                f[at] = (byte) (bit ? 235 : 16);
                f[at + 1] = (byte) 128;
            }
        }
    }

    /** The frame number read back from the stripe of a YUYV frame {@code width} pixels wide. */
    public static long stripe(byte[] yuyv, int width) {
        return stripe(x -> yuyv[(STRIPE_READ_ROW * width + x) * 2] & 0xFF);
    }

    /** The frame number from the luma of row {@value #STRIPE_READ_ROW} (any decoded picture). */
    public static long stripe(java.util.function.IntUnaryOperator lumaOfRow4) {
        long v = 0;
        for (int i = 0; i < STRIPE_BITS; i++) {
            v = v << 1 | (lumaOfRow4.applyAsInt(i * CELL + CELL / 2) > 128 ? 1 : 0);
        }
        return v;
    }

    private static void drawNumber(long n, int width, int height, byte[] f) {
        String s = Long.toString(n);
        for (int d = 0; d < s.length(); d++) {
            int glyph = DIGITS[s.charAt(d) - '0'];
            int left = 2 + d * 4 * DIGIT_SCALE;
            for (int gy = 0; gy < 5 * DIGIT_SCALE + 2; gy++) {
                for (int gx = 0; gx < 3 * DIGIT_SCALE + 2; gx++) {
                    int x = left + gx - 1;
                    int y = DIGIT_TOP + gy;
                    if (x < 0 || x >= width || y < 0 || y >= height) {
                        continue;
                    }
                    int cx = (gx - 1) / DIGIT_SCALE;
                    int cy = (gy - 1) / DIGIT_SCALE;
                    boolean on = gx >= 1 && gy >= 1 && cx < 3 && cy < 5 && (glyph >>> (3 * (4 - cy) + 2 - cx) & 1) != 0;
                    int at = (y * width + x) * 2;
                    f[at] = (byte) (on ? 235 : 16);
                    f[at + 1] = (byte) 128;
                }
            }
        }
    }

    private static int clamp(int v) {
        return Math.max(16, Math.min(235, v));
    }
}
