package org.machina.devices.usb.video.source;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.machina.api.video.VideoSource;
import org.machina.devices.usb.video.mjpeg.JpegEncoder;

/** {@code source=file} with MJPEG streams, single JPEGs and PNG/PPM stills. */
class PictureFileSourceTest {
    @TempDir
    Path dir;

    private static byte[] patternJpeg(long n, int w, int h) {
        byte[] yuyv = new byte[w * h * 2];
        new TestPattern().frame(n, w, h, yuyv);
        return new JpegEncoder(90).encode(yuyv, w, h, "frame " + n);
    }

    private VideoSource open(Path p) throws IOException {
        return new FileSourceFactory().open(Map.of("path", p.toString()));
    }

    @Test
    void anMjpegStreamPlaysItsPicturesInALoop() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int n = 0; n < 3; n++) {
            b.writeBytes(patternJpeg(n, 160, 120));
            if (n == 1) {
                b.writeBytes("\n".getBytes(StandardCharsets.US_ASCII));   // padding between pictures is skipped
            }
        }
        byte[] cut = patternJpeg(3, 160, 120);
        b.write(cut, 0, cut.length / 2);                     // a picture cut short at the end is dropped
        Path p = dir.resolve("clip.mjpeg");
        Files.write(p, b.toByteArray());
        try (VideoSource s = open(p)) {
            assertTrue(s instanceof MjpegFileSource);
            assertEquals(3, ((MjpegFileSource) s).pictures());
            byte[] f = new byte[160 * 120 * 2];
            for (long n = 0; n < 7; n++) {
                s.frame(n, 160, 120, f);
                assertEquals(n % 3, TestPattern.stripe(f, 160), "camera frame " + n + " is picture " + n % 3);
            }
            byte[] big = new byte[640 * 480 * 2];
            s.frame(1, 640, 480, big);                       // scaled 4x: the stripe's cells are 16 pixels wide
            assertEquals(1, TestPattern.stripe(x -> big[(4 * TestPattern.STRIPE_READ_ROW * 640 + 4 * x) * 2] & 0xFF));
        }
    }

    @Test
    void aSingleJpegIsAStill() throws IOException {
        Path p = dir.resolve("still.jpg");
        Files.write(p, patternJpeg(41, 320, 240));
        try (VideoSource s = open(p)) {
            byte[] a = new byte[320 * 240 * 2];
            byte[] b = new byte[320 * 240 * 2];
            s.frame(0, 320, 240, a);
            s.frame(99, 320, 240, b);
            assertArrayEquals(a, b, "every frame is the picture");
            assertEquals(41, TestPattern.stripe(a, 320));
        }
    }

    /** A 4x2 picture: red, green, blue, white on top, black and greys below. */
    private static final int[] RGB = {0xFF0000, 0x00FF00, 0x0000FF, 0xFFFFFF, 0x000000, 0x404040, 0x808080, 0xC0C0C0};

    @Test
    void pngAndPpmStillsGiveTheSameBt601Frame() throws IOException {
        BufferedImage img = new BufferedImage(4, 2, BufferedImage.TYPE_INT_RGB);
        img.setRGB(0, 0, 4, 2, RGB, 0, 4);
        Path png = dir.resolve("p.png");
        ImageIO.write(img, "png", png.toFile());
        ByteArrayOutputStream ppm = new ByteArrayOutputStream();
        ppm.writeBytes("P6\n# made by a test\n4 2\n255\n".getBytes(StandardCharsets.US_ASCII));
        for (int c : RGB) {
            ppm.write(c >> 16 & 0xFF);
            ppm.write(c >> 8 & 0xFF);
            ppm.write(c & 0xFF);
        }
        Path pnm = dir.resolve("p.ppm");
        Files.write(pnm, ppm.toByteArray());
        byte[] fromPng = new byte[4 * 2 * 2];
        byte[] fromPpm = new byte[4 * 2 * 2];
        try (VideoSource a = open(png); VideoSource b = open(pnm)) {
            a.frame(5, 4, 2, fromPng);
            b.frame(5, 4, 2, fromPpm);
        }
        assertArrayEquals(fromPng, fromPpm);
        // BT.601 limited range with 8-bit integer coefficients: red Y 82, green 144 (144.6 exactly), blue 41, white 235, black 16
        assertEquals(82, fromPng[0] & 0xFF, "red");
        assertEquals(144, fromPng[2] & 0xFF, "green");
        assertEquals(41, fromPng[4] & 0xFF, "blue");
        assertEquals(235, fromPng[6] & 0xFF, "white");
        assertEquals(16, fromPng[8] & 0xFF, "black");
        assertEquals(128, fromPng[9] & 0xFF, "no chroma in greys");
        assertEquals(128, fromPng[11] & 0xFF);
        byte[] scaled = new byte[8 * 4 * 2];
        try (VideoSource a = open(png)) {
            a.frame(0, 8, 4, scaled);
        }
        assertEquals(82, scaled[0] & 0xFF, "scaled 2x: pixel (0,0) is red");
        assertEquals(82, scaled[2] & 0xFF, "and (1,0)");
        assertEquals(16, scaled[(2 * 8) * 2] & 0xFF, "row 2 is the picture's second row: black");
    }

    @Test
    void filesThatAreNoPictureAreRefusedNamingTheFormats() throws IOException {
        Path junk = dir.resolve("junk.bin");
        Files.write(junk, "hello, this is text".getBytes(StandardCharsets.US_ASCII));
        IOException e = assertThrows(IOException.class, () -> open(junk));
        assertTrue(e.getMessage().contains("junk.bin") && e.getMessage().contains("MJPEG"), e.getMessage());
        Path soiOnly = dir.resolve("bad.mjpeg");
        Files.write(soiOnly, new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xE0, 0, 16, 1, 2});
        e = assertThrows(IOException.class, () -> open(soiOnly));
        assertTrue(e.getMessage().contains("no complete JPEG picture"), e.getMessage());
        Path shortPpm = dir.resolve("short.ppm");
        Files.write(shortPpm, "P6 640 480 255\n\1\2\3".getBytes(StandardCharsets.US_ASCII));
        e = assertThrows(IOException.class, () -> open(shortPpm));
        assertTrue(e.getMessage().contains("cut short"), e.getMessage());
        // markers that claim lengths beyond the file, and an endless run of fill bytes, end the scan
        byte[] hostile = new byte[4096];
        java.util.Arrays.fill(hostile, (byte) 0xFF);
        hostile[1] = (byte) 0xD8;
        Path fill = dir.resolve("fill.mjpeg");
        Files.write(fill, hostile);
        assertThrows(IOException.class, () -> open(fill));
    }
}
