package org.machina.devices.usb.video.source;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code source=process} with a real {@code ffmpeg}: its {@code testsrc} pattern as YUV4MPEG2
 * 4:2:2, each frame the camera is handed compared byte for byte with ffmpeg's own rendering of
 * the same frames to raw YUYV. Skipped when ffmpeg is not installed.
 */
class ProcessSourceFfmpegTest {
    private static final int W = 320;
    private static final int H = 240;
    private static final int FRAMES = 60;
    private static final int FRAME_BYTES = W * H * 2;
    private static final String INPUT = "-f lavfi -i testsrc=size=" + W + "x" + H + ":rate=30 -frames:v " + FRAMES;

    @TempDir
    Path dir;

    private static boolean ffmpegInstalled() {
        try {
            Process p = new ProcessBuilder("ffmpeg", "-version").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * ffmpeg's frames of {@code input} as YUYV: converted to planar 4:2:2 (what the camera is fed)
     * and repacked to YUYV by ffmpeg. (Straight from testsrc's RGB to yuyv422 swscale picks other
     * chroma values: all 60 frames differ, so that would not be the same frames.)
     */
    private List<byte[]> reference(String input) throws Exception {
        Path raw = dir.resolve("reference.raw");
        Process p = new ProcessBuilder("/bin/sh", "-c", "ffmpeg -loglevel error -y " + input
                + " -vf format=yuv422p -f rawvideo -pix_fmt yuyv422 '" + raw + "'")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "ffmpeg renders the reference");
        assertEquals(0, p.exitValue(), "ffmpeg's exit status rendering the reference");
        byte[] all = Files.readAllBytes(raw);
        assertEquals(FRAMES * FRAME_BYTES, all.length, "reference size");
        List<byte[]> frames = new ArrayList<>();
        for (int f = 0; f < FRAMES; f++) {
            frames.add(Arrays.copyOfRange(all, f * FRAME_BYTES, (f + 1) * FRAME_BYTES));
        }
        return frames;
    }

    /** The index of the reference frame equal to {@code frame}, -1 if none. */
    private static int match(List<byte[]> reference, byte[] frame) {
        for (int i = 0; i < reference.size(); i++) {
            if (Arrays.equals(reference.get(i), frame)) {
                return i;
            }
        }
        return -1;
    }

    @Test
    void everyFrameShownIsOneOfFfmpegsTestsrcFramesInOrder() throws Exception {
        assumeTrue(ffmpegInstalled(), "ffmpeg is not installed (apt-get install ffmpeg): the process source is not run with it");
        List<byte[]> reference = reference(INPUT);
        assertEquals(FRAMES, new HashSet<>(reference.stream().map(Arrays::toString).toList()).size(),
                "testsrc's frames all differ (its counter and moving bar), so a frame's content names its number");
        List<byte[]> otherPattern = reference(INPUT.replace("testsrc=", "testsrc2="));

        String command = "ffmpeg -loglevel error -re " + INPUT + " -f yuv4mpegpipe -pix_fmt yuv422p -";
        List<Integer> seen = new ArrayList<>();
        byte[] frame = new byte[FRAME_BYTES];
        try (ProcessSource s = (ProcessSource) new ProcessSourceFactory().open(Map.of("command", command))) {
            for (int i = 0; i < 1200 && s.framesRead() < FRAMES; i++) {      // -re: 30 frames a second
                if (s.framesRead() > 0) {
                    s.frame(i, W, H, frame);
                    int n = match(reference, frame);
                    assertTrue(n >= 0, "the frame shown after " + s.framesRead() + " read is one of ffmpeg's");
                    assertTrue(seen.isEmpty() || n >= seen.getLast(), "frames go forward: " + n + " after " + seen);
                    seen.add(n);
                }
                Thread.sleep(25);
            }
            assertEquals(FRAMES, s.framesRead(), "every frame of the stream was read");
            s.frame(0, W, H, frame);
            assertEquals(FRAMES - 1, match(reference, frame), "when ffmpeg ends its last frame stays");
            assertEquals(-1, match(otherPattern, frame), "the comparison tells testsrc from testsrc2");

            byte[] small = new byte[W / 2 * H / 2 * 2];
            s.frame(0, W / 2, H / 2, small);
            assertArrayEquals(halved(reference.getLast()), small, "scaled to 160x120 by nearest neighbour");
        }
        assertTrue(seen.stream().distinct().count() >= 2, "the live stream was seen moving: " + seen);
    }

    /** Every other pixel of every other row of a YUYV frame, U and V of the
     * source pair under the output pair's first pixel (as the camera converts). */
    private static byte[] halved(byte[] yuyv) {
        byte[] out = new byte[W / 2 * H / 2 * 2];
        for (int y = 0; y < H / 2; y++) {
            for (int x = 0; x < W / 2; x++) {
                int src = 2 * y * W * 2 + 2 * x * 2;
                int dst = (y * W / 2 + x) * 2;
                out[dst] = yuyv[src];
                // even x: U of source pair x (at src + 1); odd x: V of source pair x - 1 (at src - 1)
                out[dst + 1] = yuyv[(x & 1) == 0 ? src + 1 : src - 1];
            }
        }
        return out;
    }
}
