package org.machina.devices.usb.video.source;

import java.io.IOException;

/**
 * The picture format of a YUV4MPEG2 stream, from its header line ({@code YUV4MPEG2 W.. H.. C..}):
 * colour spaces 420jpeg, 420mpeg2, 420paldv, 420 (the default), 422, 444 and mono, 8 bits;
 * frame rate, interlacing and aspect ratio are ignored. Converts one frame's planes to YUYV at
 * any size by nearest neighbour.
 */
final class Y4mFormat {
    enum Chroma { C420, C422, C444, MONO }

    final int width;
    final int height;
    final Chroma chroma;
    final int chromaWidth;
    final int chromaHeight;
    /** Bytes of one frame's planes (after its FRAME line). */
    final int frameBytes;

    private Y4mFormat(int width, int height, Chroma chroma) {
        this.width = width;
        this.height = height;
        this.chroma = chroma;
        this.chromaWidth = chroma == Chroma.C444 ? width : (width + 1) / 2;
        this.chromaHeight = chroma == Chroma.C420 ? (height + 1) / 2 : height;
        this.frameBytes = width * height + (chroma == Chroma.MONO ? 0 : 2 * chromaWidth * chromaHeight);
    }

    /** The planar format of {@code width} x {@code height} pictures with {@code chroma} (a capture source's own frames). */
    static Y4mFormat of(int width, int height, Chroma chroma) {
        return new Y4mFormat(width, height, chroma);
    }

    /** Parses the stream header line (without its newline); {@code where} names the stream in errors. */
    static Y4mFormat parse(String header, String where) throws IOException {
        if (!header.startsWith("YUV4MPEG2 ")) {
            throw new IOException(where + ": not a YUV4MPEG2 stream (no 'YUV4MPEG2 ' signature)");
        }
        int w = 0;
        int h = 0;
        Chroma c = Chroma.C420;
        for (String p : header.substring(10).trim().split(" +")) {
            if (p.isEmpty()) {
                continue;
            }
            String v = p.substring(1);
            switch (p.charAt(0)) {
                case 'W' -> w = parse(v, where, "width");
                case 'H' -> h = parse(v, where, "height");
                case 'C' -> c = switch (v) {
                    case "420jpeg", "420mpeg2", "420paldv", "420" -> Chroma.C420;
                    case "422" -> Chroma.C422;
                    case "444" -> Chroma.C444;
                    case "mono" -> Chroma.MONO;
                    default -> throw new IOException(where + ": colour space C" + v
                            + " not supported (420jpeg, 420mpeg2, 420paldv, 420, 422, 444, mono)");
                };
                default -> { }                          // F, I, A, X: not needed
            }
        }
        if (w <= 0 || h <= 0 || w > 8192 || h > 8192) {
            throw new IOException(where + ": bad or missing size W" + w + " H" + h);
        }
        return new Y4mFormat(w, h, c);
    }

    private static int parse(String v, String where, String what) throws IOException {
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IOException(where + ": bad " + what + " '" + v + "'");
        }
    }

    /** Converts one frame's {@code planes} to YUYV at {@code outWidth} x {@code outHeight}. */
    void toYuyv(byte[] planes, int outWidth, int outHeight, byte[] yuyv) {
        int uBase = width * height;
        int vBase = uBase + chromaWidth * chromaHeight;
        for (int y = 0; y < outHeight; y++) {
            int sy = (int) ((long) y * height / outHeight);
            int cy = chroma == Chroma.C420 ? sy / 2 : sy;
            int row = y * outWidth * 2;
            for (int x = 0; x < outWidth; x++) {
                int sx = (int) ((long) x * width / outWidth);
                yuyv[row + 2 * x] = planes[sy * width + sx];
                if ((x & 1) == 0) {
                    byte u = (byte) 128;
                    byte v = (byte) 128;
                    if (chroma != Chroma.MONO) {
                        int cx = chroma == Chroma.C444 ? sx : sx / 2;
                        u = planes[uBase + cy * chromaWidth + cx];
                        v = planes[vBase + cy * chromaWidth + cx];
                    }
                    yuyv[row + 2 * x + 1] = u;
                    if (x + 1 < outWidth) {
                        yuyv[row + 2 * x + 3] = v;
                    }
                }
            }
        }
    }

    /** Black (Y 16, U and V 128). */
    static void blank(byte[] yuyv) {
        for (int i = 0; i + 1 < yuyv.length; i += 2) {
            yuyv[i] = 16;
            yuyv[i + 1] = (byte) 128;
        }
    }
}
