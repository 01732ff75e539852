package org.machina.devices.usb.video.mjpeg;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A baseline sequential JPEG encoder (ITU-T T.81, process 1: 8-bit samples, DCT, Huffman coding)
 * for YUYV frames, written from the specification: the 4:2:2 frame becomes three components, Y
 * sampled 2x1 and Cb, Cr 1x1, so an MCU is 16x8 pixels (two Y blocks, one Cb, one Cr, section
 * A.2.3); each 8x8 block is level-shifted, transformed by the forward DCT of section A.3.3
 * (computed with the Arai-Agui-Nakajima factorisation: 5 multiplications per 8 points, its output
 * scale folded into the quantisation divisors), quantised with the Annex K.1/K.2 tables scaled for
 * a quality, and coded in zig-zag order with
 * the Annex K.3-K.6 Huffman tables (DC differences, AC run/size symbols, ZRL and EOB; F.1.2).
 * The output is an interchange-format JFIF file: SOI, APP0 JFIF, an optional COM, DQT, SOF0, DHT,
 * SOS, the entropy-coded segment (0xFF bytes stuffed with 0x00, padded with 1 bits), EOI.
 *
 * <p>The YUYV input is BT.601 limited range (the UVC uncompressed format); JFIF is full range, so
 * Y is stretched from 16..235 and Cb, Cr from 16..240 to 0..255. One encoder is used by one
 * thread at a time (it reuses its buffers).
 */
public final class JpegEncoder {
    /** The AAN output of frequency k is the DCT coefficient times 2 AAN[k] (per dimension). */
    static final double[] AAN = new double[8];
    /** Limited-range sample to full range, level-shifted (minus 128): Y (16..235) and Cb/Cr (16..240). */
    private static final double[] LUMA = new double[256];
    private static final double[] CHROMA = new double[256];

    static {
        for (int v = 0; v < 256; v++) {
            LUMA[v] = fullRange(v, 16, 219) - 128;
            CHROMA[v] = fullRange(v, 16, 224) - 128;
        }
        AAN[0] = 1;
        for (int k = 1; k < 8; k++) {
            AAN[k] = Math.sqrt(2) * Math.cos(k * Math.PI / 16);
        }
    }

    private final int[] lumaQuant;
    private final int[] chromaQuant;
    /** 1 / (quantiser * AAN scale) per natural index: multiply an AAN output to get the quantised value. */
    private final double[] lumaFactor;
    private final double[] chromaFactor;
    private final HuffmanCode dcLuma = new HuffmanCode(JpegTables.DC_LUMA_BITS, JpegTables.DC_LUMA_VALUES);
    private final HuffmanCode acLuma = new HuffmanCode(JpegTables.AC_LUMA_BITS, JpegTables.AC_LUMA_VALUES);
    private final HuffmanCode dcChroma = new HuffmanCode(JpegTables.DC_CHROMA_BITS, JpegTables.DC_CHROMA_VALUES);
    private final HuffmanCode acChroma = new HuffmanCode(JpegTables.AC_CHROMA_BITS, JpegTables.AC_CHROMA_VALUES);
    /** The DHT segment (marker included) of the four Annex K tables every frame of this encoder uses. */
    private static final byte[] STANDARD_DHT = standardDht();

    /**
     * A DHT segment (marker included) defining the typical tables of ITU-T T.81 Annex K.3 as
     * tables 0 (luminance) and 1 (chrominance), DC and AC: what an MJPEG frame that leaves them
     * out (as many webcams' frames do) is to be decoded with.
     */
    public static byte[] standardHuffmanTables() {
        return STANDARD_DHT.clone();
    }

    private static byte[] standardDht() {
        int[][] bits = {JpegTables.DC_LUMA_BITS, JpegTables.AC_LUMA_BITS, JpegTables.DC_CHROMA_BITS, JpegTables.AC_CHROMA_BITS};
        int[][] values = {JpegTables.DC_LUMA_VALUES, JpegTables.AC_LUMA_VALUES, JpegTables.DC_CHROMA_VALUES,
                JpegTables.AC_CHROMA_VALUES};
        int[] classAndId = {0x00, 0x10, 0x01, 0x11};
        int length = 2;
        for (int[] v : values) {
            length += 17 + v.length;
        }
        java.io.ByteArrayOutputStream o = new java.io.ByteArrayOutputStream(length + 2);
        o.write(0xFF);
        o.write(0xC4);
        o.write(length >> 8);
        o.write(length);
        for (int i = 0; i < 4; i++) {
            o.write(classAndId[i]);
            for (int b : bits[i]) {
                o.write(b);
            }
            for (int v : values[i]) {
                o.write(v);
            }
        }
        return o.toByteArray();
    }
    private final double[] block = new double[64];
    private final int[] coef = new int[64];
    private byte[] out = new byte[64 * 1024];
    private int pos;
    private long bitBuffer;
    private int bitCount;

    /** An encoder with the Annex K tables scaled for {@code quality} 1..100 (50 = the tables as printed). */
    public JpegEncoder(int quality) {
        int q = Math.max(1, Math.min(100, quality));
        int scale = q < 50 ? 5000 / q : 200 - 2 * q;
        lumaQuant = scaled(JpegTables.LUMA_QUANT, scale);
        chromaQuant = scaled(JpegTables.CHROMA_QUANT, scale);
        lumaFactor = factors(lumaQuant);
        chromaFactor = factors(chromaQuant);
    }

    private static double[] factors(int[] quant) {
        double[] f = new double[64];
        for (int v = 0; v < 8; v++) {
            for (int u = 0; u < 8; u++) {
                f[v * 8 + u] = 1 / (quant[v * 8 + u] * AAN[u] * AAN[v] * 8);
            }
        }
        return f;
    }

    private static int[] scaled(int[] table, int percent) {
        int[] t = new int[64];
        for (int i = 0; i < 64; i++) {
            t[i] = Math.max(1, Math.min(255, (table[i] * percent + 50) / 100));
        }
        return t;
    }

    /**
     * Encodes a YUYV frame ({@code width} even, {@code width * height * 2} bytes) as a JFIF file,
     * with {@code comment} (ASCII, may be null) in a COM segment.
     */
    public byte[] encode(byte[] yuyv, int width, int height, String comment) {
        if (width <= 0 || height <= 0 || width % 2 != 0 || width > 65535 || height > 65535
                || yuyv.length < width * height * 2) {
            throw new IllegalArgumentException("bad YUYV frame " + width + "x" + height + " in " + yuyv.length + " bytes");
        }
        pos = 0;
        bitBuffer = 0;
        bitCount = 0;
        headers(width, height, comment);
        int[] predictor = new int[3];
        for (int my = 0; my < height; my += 8) {
            for (int mx = 0; mx < width; mx += 16) {
                for (int half = 0; half < 2; half++) {
                    lumaBlock(yuyv, width, height, mx + 8 * half, my);
                    predictor[0] = codeBlock(lumaFactor, dcLuma, acLuma, predictor[0]);
                }
                chromaBlock(yuyv, width, height, mx, my, 1);
                predictor[1] = codeBlock(chromaFactor, dcChroma, acChroma, predictor[1]);
                chromaBlock(yuyv, width, height, mx, my, 3);
                predictor[2] = codeBlock(chromaFactor, dcChroma, acChroma, predictor[2]);
            }
        }
        if (bitCount > 0) {
            bits(0x7F, 7);                                    // pad the last byte with 1 bits (F.1.2.3)
        }
        marker(0xD9);
        return Arrays.copyOf(out, pos);
    }

    private void lumaBlock(byte[] f, int width, int height, int x0, int y0) {
        boolean inside = x0 + 8 <= width;
        for (int y = 0; y < 8; y++) {
            int row = Math.min(y0 + y, height - 1) * width;
            if (inside) {
                int at = (row + x0) * 2;
                for (int x = 0; x < 8; x++) {
                    block[y * 8 + x] = LUMA[f[at + 2 * x] & 0xFF];
                }
            } else {
                for (int x = 0; x < 8; x++) {
                    block[y * 8 + x] = LUMA[f[(row + Math.min(x0 + x, width - 1)) * 2] & 0xFF];
                }
            }
        }
    }

    /** Cb ({@code offset} 1) or Cr (3) of the 16x8 pixels at (x0, y0): one sample per pixel pair. */
    private void chromaBlock(byte[] f, int width, int height, int x0, int y0, int offset) {
        for (int y = 0; y < 8; y++) {
            int row = Math.min(y0 + y, height - 1) * width;
            for (int x = 0; x < 8; x++) {
                int pair = Math.min(x0 + 2 * x, width - 2);
                block[y * 8 + x] = CHROMA[f[(row + pair) * 2 + offset] & 0xFF];
            }
        }
    }

    private static double fullRange(int v, int low, int span) {
        double s = (v - low) * 255.0 / span;
        return s < 0 ? 0 : s > 255 ? 255 : s;
    }

    /** FDCT, quantisation and Huffman coding of {@link #block}; returns the block's DC (the next predictor). */
    private int codeBlock(double[] factor, HuffmanCode dc, HuffmanCode ac, int predictor) {
        fdct(block);
        for (int i = 0; i < 64; i++) {
            coef[i] = (int) Math.round(block[i] * factor[i]);
        }
        int dcValue = coef[0];
        int diff = dcValue - predictor;
        int size = category(diff);
        bits(dc.code[size], dc.length[size]);
        bits(additional(diff, size), size);
        int run = 0;
        for (int k = 1; k < 64; k++) {
            int v = coef[JpegTables.ZIGZAG[k]];
            if (v == 0) {
                run++;
                continue;
            }
            while (run > 15) {
                bits(ac.code[0xF0], ac.length[0xF0]);         // ZRL: sixteen zeros
                run -= 16;
            }
            int s = category(v);
            int symbol = run << 4 | s;
            bits(ac.code[symbol], ac.length[symbol]);
            bits(additional(v, s), s);
            run = 0;
        }
        if (run > 0) {
            bits(ac.code[0x00], ac.length[0x00]);             // EOB
        }
        return dcValue;
    }

    /**
     * The 2-D forward DCT of an 8x8 block in place, rows then columns, by the Arai-Agui-Nakajima
     * flow graph: output (v, u) is 8 AAN[u] AAN[v] times the T.81 A.3.3 coefficient F(u, v).
     */
    static void fdct(double[] b) {
        for (int i = 0; i < 8; i++) {
            fdct8(b, i * 8, 1);
        }
        for (int i = 0; i < 8; i++) {
            fdct8(b, i, 8);
        }
    }

    private static void fdct8(double[] b, int at, int step) {
        double d0 = b[at];
        double d1 = b[at + step];
        double d2 = b[at + 2 * step];
        double d3 = b[at + 3 * step];
        double d4 = b[at + 4 * step];
        double d5 = b[at + 5 * step];
        double d6 = b[at + 6 * step];
        double d7 = b[at + 7 * step];
        double s07 = d0 + d7;
        double s16 = d1 + d6;
        double s25 = d2 + d5;
        double s34 = d3 + d4;
        double m07 = d0 - d7;
        double m16 = d1 - d6;
        double m25 = d2 - d5;
        double m34 = d3 - d4;
        // even half: a 4-point DCT of the sums
        double e0 = s07 + s34;
        double e3 = s07 - s34;
        double e1 = s16 + s25;
        double e2 = s16 - s25;
        b[at] = e0 + e1;
        b[at + 4 * step] = e0 - e1;
        double r = (e2 + e3) * 0.7071067811865476;          // cos(4 pi / 16)
        b[at + 2 * step] = e3 + r;
        b[at + 6 * step] = e3 - r;
        // odd half: the differences through the rotation network
        double o0 = m34 + m25;
        double o1 = m25 + m16;
        double o2 = m16 + m07;
        double z5 = (o0 - o2) * 0.38268343236508984;        // cos(6 pi / 16)
        double z2 = 0.5411961001461971 * o0 + z5;           // cos(2 pi/16) - cos(6 pi/16)
        double z4 = 1.3065629648763766 * o2 + z5;           // cos(2 pi/16) + cos(6 pi/16)
        double z3 = o1 * 0.7071067811865476;
        double z11 = m07 + z3;
        double z13 = m07 - z3;
        b[at + 5 * step] = z13 + z2;
        b[at + 3 * step] = z13 - z2;
        b[at + step] = z11 + z4;
        b[at + 7 * step] = z11 - z4;
    }

    /** SSSS: the number of bits of |v| (Tables F.1 and F.2). */
    static int category(int v) {
        return v == 0 ? 0 : 32 - Integer.numberOfLeadingZeros(Math.abs(v));
    }

    /** The additional bits of v: v itself if positive, else v - 1 in {@code size} bits (F.1.2.1). */
    private static int additional(int v, int size) {
        return (v < 0 ? v - 1 : v) & ((1 << size) - 1);
    }

    private void bits(int value, int count) {
        if (count == 0) {
            return;
        }
        bitBuffer = bitBuffer << count | (value & ((1L << count) - 1));
        bitCount += count;
        while (bitCount >= 8) {
            int b = (int) (bitBuffer >>> (bitCount - 8)) & 0xFF;
            bitCount -= 8;
            put(b);
            if (b == 0xFF) {
                put(0);                                       // byte stuffing (F.1.2.3)
            }
        }
    }

    private void headers(int width, int height, String comment) {
        marker(0xD8);
        marker(0xE0);
        put16(16);
        for (byte b : "JFIF\0".getBytes(StandardCharsets.US_ASCII)) {
            put(b);
        }
        put(1);
        put(1);                                               // version 1.01
        put(0);                                               // no units: aspect ratio 1:1
        put16(1);
        put16(1);
        put(0);
        put(0);                                               // no thumbnail
        if (comment != null && !comment.isEmpty()) {
            byte[] c = comment.getBytes(StandardCharsets.US_ASCII);
            marker(0xFE);
            put16(2 + c.length);
            for (byte b : c) {
                put(b);
            }
        }
        marker(0xDB);
        put16(2 + 2 * 65);
        put(0x00);
        for (int k = 0; k < 64; k++) {
            put(lumaQuant[JpegTables.ZIGZAG[k]]);
        }
        put(0x01);
        for (int k = 0; k < 64; k++) {
            put(chromaQuant[JpegTables.ZIGZAG[k]]);
        }
        marker(0xC0);
        put16(8 + 3 * 3);
        put(8);
        put16(height);
        put16(width);
        put(3);
        put(1);
        put(0x21);                                            // Y: H 2, V 1, table 0
        put(0);
        put(2);
        put(0x11);
        put(1);
        put(3);
        put(0x11);
        put(1);
        for (byte b : STANDARD_DHT) {
            put(b & 0xFF);
        }
        marker(0xDA);
        put16(6 + 2 * 3);
        put(3);
        put(1);
        put(0x00);
        put(2);
        put(0x11);
        put(3);
        put(0x11);
        put(0);                                               // Ss
        put(63);                                              // Se
        put(0);                                               // Ah, Al
    }

    private void marker(int code) {
        put(0xFF);
        put(code);
    }

    private void put16(int v) {
        put(v >> 8);
        put(v);
    }

    private void put(int b) {
        if (pos == out.length) {
            out = Arrays.copyOf(out, out.length * 2);
        }
        out[pos++] = (byte) b;
    }
}
