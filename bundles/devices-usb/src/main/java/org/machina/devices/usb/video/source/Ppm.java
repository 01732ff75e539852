package org.machina.devices.usb.video.source;

import java.io.IOException;

/**
 * Netpbm binary pixmaps and greymaps ({@code P6} and {@code P5}, maxval 1..65535; 16-bit samples
 * big-endian, scaled to 8 bits), as {@code ffmpeg -i in.png out.ppm} or {@code pnmtoppm} write
 * them: the one still-image format javax.imageio does not read.
 */
final class Ppm {
    private Ppm() {
    }

    static boolean is(byte[] data) {
        return data.length >= 3 && data[0] == 'P' && (data[1] == '6' || data[1] == '5')
                && Character.isWhitespace(data[2]);
    }

    static RgbPicture read(byte[] data, String where) throws IOException {
        int[] at = {2};
        boolean grey = data[1] == '5';
        int w = number(data, at, where, "width");
        int h = number(data, at, where, "height");
        int max = number(data, at, where, "maxval");
        at[0]++;                                           // the single whitespace before the samples
        if (w < 1 || h < 1 || w > 16384 || h > 16384 || max < 1 || max > 65535) {
            throw new IOException(where + ": a PPM of " + w + "x" + h + " with maxval " + max
                    + " (width and height 1..16384, maxval 1..65535)");
        }
        int bytes = max > 255 ? 2 : 1;
        int channels = grey ? 1 : 3;
        if ((long) w * h * channels * bytes > data.length - at[0]) {
            throw new IOException(where + ": the PPM's " + w + "x" + h + " samples are cut short");
        }
        int[] rgb = new int[w * h];
        int p = at[0];
        for (int i = 0; i < rgb.length; i++) {
            int[] c = new int[3];
            for (int k = 0; k < channels; k++) {
                int v = bytes == 2 ? (data[p] & 0xFF) << 8 | data[p + 1] & 0xFF : data[p] & 0xFF;
                p += bytes;
                c[k] = Math.min(255, v * 255 / max);
            }
            if (grey) {
                c[1] = c[0];
                c[2] = c[0];
            }
            rgb[i] = c[0] << 16 | c[1] << 8 | c[2];
        }
        return new RgbPicture(w, h, rgb);
    }

    /** The next decimal header field, skipping whitespace and # comments. */
    private static int number(byte[] d, int[] at, String where, String what) throws IOException {
        int p = at[0];
        while (p < d.length && (Character.isWhitespace(d[p]) || d[p] == '#')) {
            if (d[p] == '#') {
                while (p < d.length && d[p] != '\n') {
                    p++;
                }
            } else {
                p++;
            }
        }
        long v = 0;
        int start = p;
        while (p < d.length && d[p] >= '0' && d[p] <= '9' && p - start < 9) {
            v = v * 10 + d[p] - '0';
            p++;
        }
        if (p == start) {
            throw new IOException(where + ": the PPM header has no " + what);
        }
        at[0] = p;
        return (int) v;
    }
}
