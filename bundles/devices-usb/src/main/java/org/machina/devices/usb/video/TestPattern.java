package org.machina.devices.usb.video;

/**
 * The synthetic source: deterministic colour bars that scroll by one pixel a frame, the frame
 * number drawn in large digits at the top left (white on black), and the frame number in the
 * first 32 pixels' luma as a machine-readable stripe (bit 31 first: 235 for 1, 16 for 0), so a
 * test can check every frame. Brightness and contrast (the processing unit's controls) apply to
 * the bars.
 */
final class TestPattern implements VideoSource {
    /** Seven bars: white, yellow, cyan, green, magenta, red, blue (BT.601 limited-range Y, U, V). */
    private static final int[][] BARS = {
        {235, 128, 128}, {210, 16, 146}, {170, 166, 16}, {145, 54, 34}, {106, 202, 222}, {81, 90, 240}, {41, 240, 110}};
    /** 3x5 digit glyphs, one row per 3 bits. */
    private static final int[] DIGITS = {
        075557, 022222, 071747, 071717, 055711, 074717, 074757, 071111, 075757, 075717};
    static final int STRIPE_BITS = 32;
    static final int DIGIT_SCALE = 4;

    int brightness;          // -64..64, added to Y
    int contrast = 100;      // percent

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
        for (int i = 0; i < STRIPE_BITS && i < width; i++) {
            boolean bit = (n >>> (STRIPE_BITS - 1 - i) & 1) != 0;
            f[2 * i] = (byte) (bit ? 235 : 16);
            f[2 * i + 1] = (byte) 128;
        }
    }

    /** The frame number read back from a frame's stripe. */
    static long stripe(byte[] f) {
        long v = 0;
        for (int i = 0; i < STRIPE_BITS; i++) {
            v = v << 1 | ((f[2 * i] & 0xFF) > 128 ? 1 : 0);
        }
        return v;
    }

    private static void drawNumber(long n, int width, int height, byte[] f) {
        String s = Long.toString(n);
        int top = 2;
        for (int d = 0; d < s.length(); d++) {
            int glyph = DIGITS[s.charAt(d) - '0'];
            int left = 2 + d * 4 * DIGIT_SCALE;
            for (int gy = 0; gy < 5 * DIGIT_SCALE + 2; gy++) {
                for (int gx = 0; gx < 3 * DIGIT_SCALE + 2; gx++) {
                    int x = left + gx - 1;
                    int y = top + gy - 1 + 2;
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
