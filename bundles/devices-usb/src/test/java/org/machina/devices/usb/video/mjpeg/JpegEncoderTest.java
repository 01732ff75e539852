package org.machina.devices.usb.video.mjpeg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Set;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import java.awt.image.Raster;
import org.junit.jupiter.api.Test;
import org.machina.devices.usb.video.source.TestPattern;

/** The encoder's output is decoded by the JDK's JPEG reader (javax.imageio) and compared with its input. */
public class JpegEncoderTest {

    /** The decoded Y, Cb, Cr samples (no colour conversion: readRaster gives the stored components). */
    public static Raster decode(byte[] jpeg) throws IOException {
        Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName("jpeg");
        ImageReader r = readers.next();
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(jpeg))) {
            r.setInput(in);
            return r.readRaster(0, null);
        } finally {
            r.dispose();
        }
    }

    @Test
    void theHuffmanTablesCodeEveryRunSizeSymbolOnce() {
        for (int[][] t : new int[][][] {
            {JpegTables.AC_LUMA_BITS, JpegTables.AC_LUMA_VALUES}, {JpegTables.AC_CHROMA_BITS, JpegTables.AC_CHROMA_VALUES}}) {
            Set<Integer> symbols = new HashSet<>();
            for (int v : t[1]) {
                assertTrue(symbols.add(v), "symbol " + Integer.toHexString(v) + " once");
            }
            Set<Integer> expected = new HashSet<>(Set.of(0x00, 0xF0));
            for (int run = 0; run < 16; run++) {
                for (int size = 1; size <= 10; size++) {
                    expected.add(run << 4 | size);
                }
            }
            assertEquals(expected, symbols, "EOB, ZRL and every run/size with size 1..10");
            int sum = 0;
            for (int b : t[0]) {
                sum += b;
            }
            assertEquals(162, sum, "BITS counts 162 codes");
        }
        HuffmanCode dc = new HuffmanCode(JpegTables.DC_LUMA_BITS, JpegTables.DC_LUMA_VALUES);
        assertEquals(2, dc.length[0], "K.3: category 0 is 00");
        assertEquals(0b00, dc.code[0]);
        assertEquals(9, dc.length[11], "K.3: category 11 is 111111110");
        assertEquals(0b111111110, dc.code[11]);
        HuffmanCode ac = new HuffmanCode(JpegTables.AC_LUMA_BITS, JpegTables.AC_LUMA_VALUES);
        assertEquals(4, ac.length[0x00], "K.5: EOB is 1010");
        assertEquals(0b1010, ac.code[0x00]);
        assertEquals(11, ac.length[0xF0], "K.5: ZRL is 11111111001");
        assertEquals(0b11111111001, ac.code[0xF0]);
        assertEquals(0, JpegTables.ZIGZAG[0]);
        assertEquals(1, JpegTables.ZIGZAG[1]);
        assertEquals(8, JpegTables.ZIGZAG[2]);
        assertEquals(16, JpegTables.ZIGZAG[3]);
        assertEquals(63, JpegTables.ZIGZAG[63]);
    }

    @Test
    void theFastDctEqualsTheDefinitionOfA33() {
        java.util.Random r = new java.util.Random(42);
        for (int round = 0; round < 20; round++) {
            double[] f = new double[64];
            for (int i = 0; i < 64; i++) {
                f[i] = r.nextInt(256) - 128;
            }
            double[] fast = f.clone();
            JpegEncoder.fdct(fast);
            for (int v = 0; v < 8; v++) {
                for (int u = 0; u < 8; u++) {
                    double sum = 0;                          // F(u,v) = 1/4 C(u) C(v) sum f(x,y) cos cos
                    for (int y = 0; y < 8; y++) {
                        for (int x = 0; x < 8; x++) {
                            sum += f[y * 8 + x] * Math.cos((2 * x + 1) * u * Math.PI / 16)
                                    * Math.cos((2 * y + 1) * v * Math.PI / 16);
                        }
                    }
                    double reference = sum / 4 * (u == 0 ? 1 / Math.sqrt(2) : 1) * (v == 0 ? 1 / Math.sqrt(2) : 1);
                    double scaled = fast[v * 8 + u] / (8 * JpegEncoder.AAN[u] * JpegEncoder.AAN[v]);
                    assertEquals(reference, scaled, 1e-9, "F(" + u + "," + v + ")");
                }
            }
        }
    }

    @Test
    void patternFramesDecodeCloseToTheSourceWithTheirNumber() throws IOException {
        JpegEncoder enc = new JpegEncoder(80);
        for (int[] size : new int[][] {{160, 120}, {640, 480}, {1280, 720}, {150, 100}}) {
            int w = size[0];
            int h = size[1];
            byte[] yuyv = new byte[w * h * 2];
            long n = 1234567L + w;
            new TestPattern().frame(n, w, h, yuyv);
            byte[] jpeg = enc.encode(yuyv, w, h, "machina frame " + n);
            assertEquals((byte) 0xFF, jpeg[0]);
            assertEquals((byte) 0xD8, jpeg[1], "SOI");
            assertEquals((byte) 0xD9, jpeg[jpeg.length - 1], "EOI");
            assertTrue(new String(jpeg, StandardCharsets.ISO_8859_1).contains("machina frame " + n), "COM segment");
            Raster r = decode(jpeg);
            assertEquals(w, r.getWidth());
            assertEquals(h, r.getHeight());
            assertEquals(3, r.getNumBands());
            double lumaError = 0;
            double chromaError = 0;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int at = (y * w + x) * 2;
                    double srcY = ((yuyv[at] & 0xFF) - 16) * 255.0 / 219;
                    lumaError += Math.abs(r.getSample(x, y, 0) - srcY);
                    int pair = (y * w + (x & ~1)) * 2;
                    double srcCb = ((yuyv[pair + 1] & 0xFF) - 16) * 255.0 / 224;
                    chromaError += Math.abs(r.getSample(x, y, 1) - srcCb);
                }
            }
            double meanY = lumaError / (w * h);
            double meanC = chromaError / (w * h);
            assertTrue(meanY < 4, w + "x" + h + ": mean luma error " + meanY);
            System.out.printf("JpegEncoderTest: %dx%d: %d bytes, mean error Y %.2f, Cb %.2f%n", w, h, jpeg.length, meanY, meanC);
            assertTrue(meanC < 8, w + "x" + h + ": mean Cb error " + meanC);
            long decoded = TestPattern.stripe(x -> r.getSample(x, TestPattern.STRIPE_READ_ROW, 0));
            assertEquals(n, decoded, w + "x" + h + ": the frame number survives compression");
        }
    }

    @Test
    void noiseAndFlatFramesStayValid() throws IOException {
        JpegEncoder enc = new JpegEncoder(100);
        int w = 64;
        int h = 32;
        byte[] noise = new byte[w * h * 2];
        long x = 0x9E3779B97F4A7C15L;
        for (int i = 0; i < noise.length; i++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            noise[i] = (byte) x;                             // includes values outside the limited range
        }
        Raster r = decode(enc.encode(noise, w, h, null));
        assertEquals(w, r.getWidth());
        byte[] flat = new byte[w * h * 2];
        java.util.Arrays.fill(flat, (byte) 235);
        Raster f = decode(new JpegEncoder(1).encode(flat, w, h, ""));
        assertTrue(Math.abs(f.getSample(10, 10, 0) - 255) <= 2, "white stays white: " + f.getSample(10, 10, 0));
    }
}
