package org.machina.devices.usb.video.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

/** {@code source=process}: frames from a command's YUV4MPEG2 output, the newest one shown. */
class ProcessSourceTest {
    @TempDir
    Path dir;

    /** A 4:2:2 stream: frame f has Y = 50 + f everywhere, U = 90, V = 160. */
    private Path stream(int frames) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes("YUV4MPEG2 W4 H2 F30:1 C422\n".getBytes(StandardCharsets.US_ASCII));
        for (int f = 0; f < frames; f++) {
            b.writeBytes("FRAME\n".getBytes(StandardCharsets.US_ASCII));
            for (int i = 0; i < 8; i++) {
                b.write(50 + f);
            }
            for (int i = 0; i < 4; i++) {
                b.write(90);
            }
            for (int i = 0; i < 4; i++) {
                b.write(160);
            }
        }
        Path p = dir.resolve("s.y4m");
        Files.write(p, b.toByteArray());
        return p;
    }

    private static void awaitFrames(ProcessSource s, long n) throws InterruptedException {
        for (int i = 0; i < 500 && s.framesRead() < n; i++) {
            Thread.sleep(20);
        }
    }

    @Test
    void theNewestFrameIsShownAndTheLastStaysWhenTheCommandEnds() throws Exception {
        Path y4m = stream(3);
        try (ProcessSource s = (ProcessSource) new ProcessSourceFactory().open(Map.of("command", "cat '" + y4m + "'"))) {
            awaitFrames(s, 3);
            assertEquals(3, s.framesRead());
            byte[] f = new byte[8 * 4 * 2];
            s.frame(0, 8, 4, f);                              // any frame number: the newest frame
            assertEquals(52, f[0] & 0xFF, "Y of the newest (third) frame");
            assertEquals(90, f[1] & 0xFF, "U");
            assertEquals(160, f[3] & 0xFF, "V");
            assertEquals(52, f[f.length - 2] & 0xFF, "scaled to the asked size");
        }
    }

    @Test
    void closingEndsALiveCommand() throws Exception {
        Path y4m = stream(1);
        ProcessSource s = ProcessSource.start("cat '" + y4m + "'; exec sleep 600");
        awaitFrames(s, 1);
        assertEquals(1, s.framesRead());
        long pids = ProcessHandle.current().descendants().filter(p -> p.info().command().orElse("").endsWith("sleep")).count();
        assertTrue(pids >= 1, "the command runs");
        s.close();
        assertFalse(ProcessHandle.current().descendants().anyMatch(p -> p.isAlive()
                && p.info().command().orElse("").endsWith("sleep")), "closed: the command is gone");
    }

    @Test
    void garbageOrNothingShowsBlackAndNeverThrows() throws Exception {
        for (String cmd : new String[] {"echo not a stream", "true", "head -c 100000 /dev/zero"}) {
            try (ProcessSource s = ProcessSource.start(cmd)) {
                Thread.sleep(200);
                byte[] f = new byte[4 * 2 * 2];
                s.frame(7, 4, 2, f);
                assertEquals(16, f[0] & 0xFF, cmd + ": black");
                assertEquals(128, f[1] & 0xFF, cmd + ": black");
                assertEquals(0, s.framesRead(), cmd);
            }
        }
        assertTrue(assertThrows(IOException.class, () -> new ProcessSourceFactory().open(Map.of())).getMessage()
                .contains("command="));
    }
}
