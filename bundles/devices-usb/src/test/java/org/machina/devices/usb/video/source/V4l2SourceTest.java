package org.machina.devices.usb.video.source;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.machina.devices.usb.video.mjpeg.JpegEncoder;
import org.machina.devices.usb.video.v4l2.CaptureDevice;
import org.machina.devices.usb.video.v4l2.FrameSizes;
import org.machina.devices.usb.video.v4l2.V4l2Abi;

/**
 * The V4L2 source's capture thread against a scripted {@link CaptureDevice} (no camera on this
 * host): format choice, newest frame wins, YUYV with padded lines, MJPEG without Huffman tables,
 * a size change renegotiating, a device that fails while streaming, refusals.
 */
class V4l2SourceTest {
    private static final FrameSizes.Size VGA = new FrameSizes.Size(640, 480);
    private static final FrameSizes.Size QVGA = new FrameSizes.Size(320, 240);
    private static final FrameSizes.Size HD = new FrameSizes.Size(1280, 720);

    /** A device whose frames the test queues; await() returns once the test releases a batch. */
    static final class ScriptedDevice implements CaptureDevice {
        final List<PixelFormat> formats;
        final List<Mode> configured = new ArrayList<>();
        final Deque<byte[]> queue = new ArrayDeque<>();
        final Semaphore batches = new Semaphore(0);
        volatile boolean streaming;
        volatile boolean closed;
        volatile IOException failure;
        int padding;

        ScriptedDevice(List<PixelFormat> formats) {
            this.formats = formats;
        }

        synchronized void release(byte[]... frames) {
            for (byte[] f : frames) {
                queue.add(f);
            }
            batches.release();
        }

        @Override
        public String name() {
            return "/dev/video-test";
        }

        @Override
        public List<PixelFormat> formats() {
            return formats;
        }

        @Override
        public synchronized Mode configure(int fourcc, int width, int height, int fps) {
            Mode m = new Mode(fourcc, width, height, fourcc == V4l2Abi.PIX_FMT_YUYV ? width * 2 + padding : 0,
                    width * height * 2);
            configured.add(m);
            return m;
        }

        @Override
        public void start() {
            streaming = true;
        }

        @Override
        public boolean await(int millis) throws IOException {
            try {
                boolean got = batches.tryAcquire(millis, TimeUnit.MILLISECONDS);
                if (failure != null) {
                    throw failure;
                }
                return got;
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
        }

        @Override
        public synchronized boolean take(FrameSink sink) {
            byte[] f = queue.poll();
            if (f == null) {
                return false;
            }
            try (Arena a = Arena.ofConfined()) {
                sink.frame(a.allocateFrom(java.lang.foreign.ValueLayout.JAVA_BYTE, f), 0, false);
            }
            return true;
        }

        @Override
        public void stop() {
            streaming = false;
        }

        @Override
        public void close() {
            streaming = false;
            closed = true;
        }
    }

    private static CaptureDevice.PixelFormat yuyv(FrameSizes.Size... sizes) {
        return new CaptureDevice.PixelFormat(V4l2Abi.PIX_FMT_YUYV, "YUYV 4:2:2", false, FrameSizes.of(List.of(sizes)));
    }

    private static CaptureDevice.PixelFormat mjpeg(FrameSizes.Size... sizes) {
        return new CaptureDevice.PixelFormat(V4l2Abi.PIX_FMT_MJPEG, "Motion-JPEG", true, FrameSizes.of(List.of(sizes)));
    }

    /** A source that never stops streaming for want of requests (a loaded host may pause the test). */
    private static V4l2Source started(ScriptedDevice d) throws IOException {
        return V4l2Source.start(d, TimeUnit.DAYS.toNanos(1));
    }

    static void await(BooleanSupplier done, String what) throws InterruptedException {
        for (int i = 0; i < 1000 && !done.getAsBoolean(); i++) {
            Thread.sleep(10);
        }
        assertTrue(done.getAsBoolean(), what);
    }

    /** A pattern frame {@code n} in YUYV, each line followed by {@code pad} bytes of 0x55. */
    private static byte[] patternFrame(long n, int w, int h, int pad) {
        byte[] f = new byte[w * h * 2];
        new TestPattern().frame(n, w, h, f);
        if (pad == 0) {
            return f;
        }
        byte[] out = new byte[(w * 2 + pad) * h];
        java.util.Arrays.fill(out, (byte) 0x55);
        for (int y = 0; y < h; y++) {
            System.arraycopy(f, y * w * 2, out, y * (w * 2 + pad), w * 2);
        }
        return out;
    }

    @Test
    void planPrefersACoveringSmallSizeThenYuyv() {
        List<CaptureDevice.PixelFormat> both = List.of(mjpeg(QVGA, VGA, HD), yuyv(QVGA, VGA));
        assertEquals(new CapturePlan(V4l2Abi.PIX_FMT_YUYV, VGA), CapturePlan.choose(both, 640, 480));
        assertEquals(new CapturePlan(V4l2Abi.PIX_FMT_YUYV, QVGA), CapturePlan.choose(both, 160, 120));
        assertEquals(new CapturePlan(V4l2Abi.PIX_FMT_MJPEG, HD), CapturePlan.choose(both, 1280, 720),
                "only MJPEG covers 1280x720");
        CaptureDevice.PixelFormat nv12 = new CaptureDevice.PixelFormat(V4l2Abi.fourcc("NV12"), "", false,
                FrameSizes.of(List.of(HD)));
        assertEquals(new CapturePlan(V4l2Abi.PIX_FMT_YUYV, VGA), CapturePlan.choose(List.of(nv12, yuyv(VGA)), 1280, 720),
                "NV12 is not converted: the largest YUYV instead");

        CaptureDevice.PixelFormat slowYuyv = new CaptureDevice.PixelFormat(V4l2Abi.PIX_FMT_YUYV, "", false,
                FrameSizes.of(List.of(VGA, HD)), Map.of(VGA, 30.0, HD, 10.0));
        CaptureDevice.PixelFormat fastMjpeg = new CaptureDevice.PixelFormat(V4l2Abi.PIX_FMT_MJPEG, "", true,
                FrameSizes.of(List.of(VGA, HD)), Map.of(VGA, 30.0, HD, 30.0));
        assertEquals(V4l2Abi.PIX_FMT_MJPEG, CapturePlan.choose(List.of(slowYuyv, fastMjpeg), 1280, 720).fourcc(),
                "YUYV 1280x720 at 10 fps loses to MJPEG at 30");
        assertEquals(V4l2Abi.PIX_FMT_YUYV, CapturePlan.choose(List.of(slowYuyv, fastMjpeg), 640, 480).fourcc(),
                "both at 30 fps: YUYV");
        assertEquals(V4l2Abi.PIX_FMT_YUYV, CapturePlan.choose(List.of(slowYuyv), 1280, 720).fourcc(),
                "slow is better than nothing");
    }

    @Test
    void theNewestFrameOfABatchWinsAndPaddedLinesAreSkipped() throws Exception {
        ScriptedDevice d = new ScriptedDevice(List.of(yuyv(QVGA, VGA)));
        d.padding = 64;
        try (V4l2Source s = started(d)) {
            byte[] out = new byte[320 * 240 * 2];
            s.frame(0, 320, 240, out);
            assertEquals(16, out[0], "black before the first frame");
            await(() -> d.streaming, "streaming starts when the camera first asks");
            assertEquals(List.of(new CaptureDevice.Mode(V4l2Abi.PIX_FMT_YUYV, 320, 240, 704, 320 * 240 * 2)), d.configured);
            d.release(patternFrame(7, 320, 240, 64), patternFrame(8, 320, 240, 64), patternFrame(9, 320, 240, 64));
            await(() -> s.framesShown() == 1, "one conversion for the batch");
            s.frame(1, 320, 240, out);
            assertArrayEquals(patternFrame(9, 320, 240, 0), out, "frame 9, the newest, unchanged at its own size");

            byte[] small = new byte[160 * 120 * 2];
            s.frame(2, 160, 120, small);
            byte[] nine = patternFrame(9, 320, 240, 0);
            for (int y = 0; y < 120; y++) {
                for (int x = 0; x < 160; x++) {
                    assertEquals(nine[(2 * y * 320 + 2 * x) * 2], small[(y * 160 + x) * 2], "luma at " + x + "," + y
                            + ": nearest neighbour of a half-size frame");
                }
            }
        }
        assertTrue(d.closed, "closing the source closes the device");
    }

    @Test
    void aNewCameraSizeRenegotiates() throws Exception {
        ScriptedDevice d = new ScriptedDevice(List.of(yuyv(QVGA, VGA), mjpeg(QVGA, VGA, HD)));
        try (V4l2Source s = started(d)) {
            s.frame(0, 320, 240, new byte[320 * 240 * 2]);
            await(() -> d.configured.size() == 1, "configured for 320x240");
            s.frame(1, 1280, 720, new byte[1280 * 720 * 2]);
            await(() -> d.configured.size() == 2, "configured again for 1280x720");
            assertEquals(V4l2Abi.PIX_FMT_MJPEG, d.configured.get(1).fourcc());
            assertEquals(1280, d.configured.get(1).width());
        }
    }

    @Test
    void streamingStopsWhenTheCameraStopsAskingAndStartsAgain() throws Exception {
        ScriptedDevice d = new ScriptedDevice(List.of(yuyv(QVGA)));
        try (V4l2Source s = V4l2Source.start(d, TimeUnit.MILLISECONDS.toNanos(50))) {
            byte[] out = new byte[320 * 240 * 2];
            await(() -> {                                   // asking as a camera does, until it streams
                s.frame(0, 320, 240, out);
                return d.streaming;
            }, "streaming on the first requests");
            await(() -> !d.streaming, "stopped once no frame was asked for a while");
            int before = d.configured.size();
            await(() -> {
                s.frame(1, 320, 240, out);
                return d.streaming;
            }, "streaming again on the next requests");
            assertTrue(d.configured.size() > before, "configured again for the new stream");
        }
    }

    @Test
    void mjpegFramesWithoutHuffmanTablesDecode() throws Exception {
        int w = 320;
        int h = 240;
        byte[] yuyv = new byte[w * h * 2];
        new TestPattern().frame(42, w, h, yuyv);
        byte[] jpeg = stripDht(new JpegEncoder(90).encode(yuyv, w, h, null));
        assertThrows(Exception.class, () -> ImageIO.read(new ByteArrayInputStream(jpeg)),
                "javax.imageio alone refuses a frame without DHT");
        ScriptedDevice d = new ScriptedDevice(List.of(mjpeg(QVGA)));
        try (V4l2Source s = started(d)) {
            byte[] out = new byte[w * h * 2];
            s.frame(0, w, h, out);
            await(() -> d.streaming, "streaming");
            byte[] padded = java.util.Arrays.copyOf(jpeg, jpeg.length + 100);   // bytesused may exceed EOI
            d.release(padded);
            await(() -> s.framesShown() == 1, "decoded");
            s.frame(1, w, h, out);
            assertEquals(42, TestPattern.stripe(out, w));
        }
    }

    @Test
    void aDeviceFailingWhileStreamingKeepsTheLastFrame() throws Exception {
        ScriptedDevice d = new ScriptedDevice(List.of(yuyv(QVGA)));
        try (V4l2Source s = started(d)) {
            byte[] out = new byte[320 * 240 * 2];
            s.frame(0, 320, 240, out);
            await(() -> d.streaming, "streaming");
            d.release(patternFrame(5, 320, 240, 0));
            await(() -> s.framesShown() == 1, "a frame");
            d.failure = new IOException("/dev/video-test: VIDIOC_DQBUF: No such device (errno 19)");
            d.release();
            await(s::stopped, "the capture thread ends");
            assertTrue(d.closed, "and closes the device");
            s.frame(1, 320, 240, out);
            assertEquals(5, TestPattern.stripe(out, 320), "the last frame stays");
        }
    }

    @Test
    void aDeviceWithoutYuyvOrMjpegIsRefusedNamingIt() {
        ScriptedDevice d = new ScriptedDevice(List.of(new CaptureDevice.PixelFormat(V4l2Abi.fourcc("NV12"), "", false,
                FrameSizes.of(List.of(VGA)))));
        IOException e = assertThrows(IOException.class, () -> V4l2Source.start(d));
        assertEquals("/dev/video-test: no YUYV or MJPEG capture format (it offers NV12)", e.getMessage());
        assertFalse(d.streaming);
    }

    @Test
    void theFactoryNamesTheDevice() {
        IOException e = assertThrows(IOException.class,
                () -> new V4l2SourceFactory().open(Map.of("device", "/dev/null")));
        assertTrue(e.getMessage().startsWith("/dev/null: not a V4L2 device"), e.getMessage());
        e = assertThrows(IOException.class, () -> new V4l2SourceFactory().open(Map.of("device", "/dev/video-machina-none")));
        assertTrue(e.getMessage().startsWith("/dev/video-machina-none: cannot open it"), e.getMessage());
        assertNotNull(new V4l2SourceFactory().description());
    }

    /** The JPEG without its DHT segment(s), as many webcams send it. */
    static byte[] stripDht(byte[] jpeg) {
        java.io.ByteArrayOutputStream o = new java.io.ByteArrayOutputStream();
        o.write(jpeg, 0, 2);
        int p = 2;
        while (true) {
            int marker = jpeg[p + 1] & 0xFF;
            int len = (jpeg[p + 2] & 0xFF) << 8 | jpeg[p + 3] & 0xFF;
            if (marker == 0xDA) {
                o.write(jpeg, p, jpeg.length - p);
                return o.toByteArray();
            }
            if (marker != 0xC4) {
                o.write(jpeg, p, 2 + len);
            }
            p += 2 + len;
        }
    }
}
