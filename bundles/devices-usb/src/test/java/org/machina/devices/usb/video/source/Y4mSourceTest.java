package org.machina.devices.usb.video.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Y4mSourceTest {
    @TempDir
    Path dir;

    /** A 4:2:0 Y4M file of {@code frames} frames: Y = 10 * frame + row, U = 100 + frame, V = 200 - frame. */
    private Path y4m(int w, int h, int frames, String extra) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(("YUV4MPEG2 W" + w + " H" + h + " F30:1 Ip A1:1 C420jpeg" + extra + "\n").getBytes(StandardCharsets.US_ASCII));
        for (int f = 0; f < frames; f++) {
            b.writeBytes((f == 1 ? "FRAME Ixyz\n" : "FRAME\n").getBytes(StandardCharsets.US_ASCII));
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    b.write(10 * f + y);
                }
            }
            for (int i = 0; i < (w / 2) * (h / 2); i++) {
                b.write(100 + f);
            }
            for (int i = 0; i < (w / 2) * (h / 2); i++) {
                b.write(200 - f);
            }
        }
        Path p = dir.resolve("t.y4m");
        Files.write(p, b.toByteArray());
        return p;
    }

    @Test
    void framesLoopAndScaleToTheAskedSize() throws IOException {
        try (Y4mSource s = Y4mSource.open(y4m(8, 4, 3, ""))) {
            assertEquals(3, s.frames());
            byte[] f = new byte[16 * 8 * 2];
            s.frame(4, 16, 8, f);                            // frame 4 = file frame 1, scaled 2x
            assertEquals(10 + 0, f[0] & 0xFF, "Y of row 0");
            assertEquals(10 + 3, f[(7 * 16) * 2] & 0xFF, "Y of the last row (source row 3)");
            assertEquals(101, f[1] & 0xFF, "U");
            assertEquals(199, f[3] & 0xFF, "V");
            s.frame(2, 8, 4, f);
            assertEquals(20 + 2, f[(2 * 8 + 5) * 2] & 0xFF, "frame 2 row 2 unscaled");
        }
    }

    @Test
    void badFilesAreRefusedWithTheirName() throws IOException {
        Path notY4m = dir.resolve("x.bin");
        Files.writeString(notY4m, "P6 1 1 255\n");
        IOException e = assertThrows(IOException.class, () -> Y4mSource.open(notY4m));
        assertTrue(e.getMessage().contains("x.bin") && e.getMessage().contains("YUV4MPEG2"), e.getMessage());
        Path truncated = y4m(8, 4, 1, "");
        Files.write(truncated, java.util.Arrays.copyOf(Files.readAllBytes(truncated), 60));
        assertTrue(assertThrows(IOException.class, () -> Y4mSource.open(truncated)).getMessage().contains("no complete frame"));
        Path mono10 = y4m(8, 4, 1, " C420p10");
        assertTrue(assertThrows(IOException.class, () -> Y4mSource.open(mono10)).getMessage().contains("not supported"));
        assertTrue(assertThrows(IOException.class, () -> new FileSourceFactory().open(Map.of())).getMessage()
                .contains("path="));
    }
}
