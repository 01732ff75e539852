package org.machina.devices.usb.video.v4l2;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.machina.devices.usb.video.v4l2.V4l2Abi.offset;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Decoding what a driver writes (structures filled here as the V4L2 documentation says a driver
 * fills them), frame-size fitting, and the real open/ioctl path on files that are not cameras
 * (this host has no /dev/video*, so no test here streams from a device).
 */
class V4l2DeviceTest {
    @Test
    void capabilityPrefersTheNodesDeviceCaps() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment c = a.allocate(V4l2Abi.CAPABILITY);
            put(c, offset(V4l2Abi.CAPABILITY, "driver"), "uvcvideo");
            put(c, offset(V4l2Abi.CAPABILITY, "card"), "Integrated Camera: Integrated C");
            put(c, offset(V4l2Abi.CAPABILITY, "bus_info"), "usb-0000:00:14.0-8");
            c.set(JAVA_INT, offset(V4l2Abi.CAPABILITY, "capabilities"), 0x84A00001);   // capture | meta | streaming | ext | device caps
            c.set(JAVA_INT, offset(V4l2Abi.CAPABILITY, "device_caps"), 0x04A00000);    // this node: metadata only
            V4l2Device.Capability cap = V4l2Device.Capability.decode(c);
            assertEquals("uvcvideo", cap.driver());
            assertEquals("Integrated Camera: Integrated C", cap.card(), "31 characters, no terminator needed past them");
            assertEquals("usb-0000:00:14.0-8", cap.busInfo());
            assertEquals(0x04A00000, cap.caps());
            assertTrue(cap.unusable().contains("not a video capture device"), cap.unusable());

            c.set(JAVA_INT, offset(V4l2Abi.CAPABILITY, "device_caps"), 0x04200001);
            assertNull(V4l2Device.Capability.decode(c).unusable(), "capture + streaming");
            c.set(JAVA_INT, offset(V4l2Abi.CAPABILITY, "capabilities"), 0x00000001);  // no DEVICE_CAPS: capabilities count
            assertTrue(V4l2Device.Capability.decode(c).unusable().contains("streaming"));
            c.set(JAVA_INT, offset(V4l2Abi.CAPABILITY, "capabilities"), 0x04001000);
            assertTrue(V4l2Device.Capability.decode(c).unusable().contains("multi-planar"));
        }
    }

    @Test
    void frameSizesDiscreteAndStepwise() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment e = a.allocate(V4l2Abi.FRMSIZEENUM);
            List<FrameSizes.Size> sizes = new ArrayList<>();
            e.set(JAVA_INT, offset(V4l2Abi.FRMSIZEENUM, "type"), V4l2Abi.FRMSIZE_TYPE_DISCRETE);
            e.set(JAVA_INT, offset(V4l2Abi.FRMSIZEENUM, "size", "discrete", "width"), 640);
            e.set(JAVA_INT, offset(V4l2Abi.FRMSIZEENUM, "size", "discrete", "height"), 480);
            assertNull(V4l2Device.decodeFrameSize(e, sizes));
            assertEquals(List.of(new FrameSizes.Size(640, 480)), sizes);

            e.set(JAVA_INT, offset(V4l2Abi.FRMSIZEENUM, "type"), V4l2Abi.FRMSIZE_TYPE_STEPWISE);
            int[] v = {48, 1920, 16, 32, 1080, 8};
            String[] names = {"min_width", "max_width", "step_width", "min_height", "max_height", "step_height"};
            for (int i = 0; i < v.length; i++) {
                e.set(JAVA_INT, offset(V4l2Abi.FRMSIZEENUM, "size", "stepwise", names[i]), v[i]);
            }
            FrameSizes r = V4l2Device.decodeFrameSize(e, sizes);
            assertEquals(new FrameSizes.Size(656, 480), r.fit(650, 480), "rounded up to the 16-pixel step from 48");
            assertEquals(new FrameSizes.Size(48, 32), r.fit(16, 16), "clamped to the minimum");
            assertEquals(new FrameSizes.Size(1920, 1080), r.fit(4000, 3000), "clamped to the maximum");
        }
    }

    @Test
    void framesPerSecondOfAnInterval() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment e = a.allocate(V4l2Abi.FRMIVALENUM);
            e.set(JAVA_INT, offset(V4l2Abi.FRMIVALENUM, "type"), V4l2Abi.FRMIVAL_TYPE_DISCRETE);
            e.set(JAVA_INT, offset(V4l2Abi.FRMIVALENUM, "interval", "discrete", "numerator"), 1001);
            e.set(JAVA_INT, offset(V4l2Abi.FRMIVALENUM, "interval", "discrete", "denominator"), 30000);
            assertEquals(30000.0 / 1001, V4l2Device.decodeFps(e), 1e-9, "NTSC's 1001/30000 s");
            e.set(JAVA_INT, offset(V4l2Abi.FRMIVALENUM, "type"), 3);                    // stepwise: the shortest interval
            e.set(JAVA_INT, offset(V4l2Abi.FRMIVALENUM, "interval", "stepwise", "min", "numerator"), 1);
            e.set(JAVA_INT, offset(V4l2Abi.FRMIVALENUM, "interval", "stepwise", "min", "denominator"), 60);
            e.set(JAVA_INT, offset(V4l2Abi.FRMIVALENUM, "interval", "stepwise", "max", "numerator"), 1);
            e.set(JAVA_INT, offset(V4l2Abi.FRMIVALENUM, "interval", "stepwise", "max", "denominator"), 1);
            assertEquals(60.0, V4l2Device.decodeFps(e));
            e.set(JAVA_INT, offset(V4l2Abi.FRMIVALENUM, "interval", "stepwise", "min", "numerator"), 0);
            assertEquals(0.0, V4l2Device.decodeFps(e), "a zero interval is unknown, not infinite");
        }
    }

    @Test
    void discreteFitPicksTheSmallestCoveringSizeElseTheLargest() {
        FrameSizes s = FrameSizes.of(List.of(new FrameSizes.Size(1280, 720), new FrameSizes.Size(320, 240),
                new FrameSizes.Size(640, 480), new FrameSizes.Size(160, 120)));
        assertEquals(new FrameSizes.Size(320, 240), s.fit(320, 240));
        assertEquals(new FrameSizes.Size(640, 480), s.fit(400, 300));
        assertEquals(new FrameSizes.Size(1280, 720), s.fit(1280, 720));
        assertEquals(new FrameSizes.Size(1280, 720), s.fit(1920, 1080), "none covers: the largest");
        assertNull(FrameSizes.of(List.of()).fit(160, 120));
    }

    @Test
    void modeFromAFormatTheDriverAnswered() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment f = a.allocate(V4l2Abi.FORMAT);
            f.set(JAVA_INT, 0, V4l2Abi.BUF_TYPE_VIDEO_CAPTURE);
            f.set(JAVA_INT, 8, 640);
            f.set(JAVA_INT, 12, 480);
            f.set(JAVA_INT, 16, V4l2Abi.PIX_FMT_YUYV);
            f.set(JAVA_INT, 24, 1280);
            f.set(JAVA_INT, 28, 614400);
            assertEquals(new CaptureDevice.Mode(V4l2Abi.PIX_FMT_YUYV, 640, 480, 1280, 614400), V4l2Device.decodeMode(f));
        }
    }

    @Test
    void aMissingDeviceIsNamed() {
        IOException e = assertThrows(IOException.class, () -> V4l2Device.open("/dev/video-machina-none"));
        assertTrue(e.getMessage().startsWith("/dev/video-machina-none: cannot open it (open: ")
                && e.getMessage().contains("(errno 2)"), e.getMessage());
    }

    @Test
    void aRegularFileAndDevNullAreNotV4l2Devices(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("not-a-camera"), "hello");
        for (String p : List.of(file.toString(), "/dev/null")) {
            IOException e = assertThrows(IOException.class, () -> V4l2Device.open(p));
            assertTrue(e.getMessage().startsWith(p + ": not a V4L2 device (VIDIOC_QUERYCAP: ")
                    && e.getMessage().contains("(errno 25)"), "ENOTTY: " + e.getMessage());
        }
        IOException e = assertThrows(IOException.class, () -> V4l2Device.open(dir.toString()));
        assertTrue(e.getMessage().contains("(errno 21)"), "a directory opened read/write: EISDIR: " + e.getMessage());
    }

    private static void put(MemorySegment s, long at, String text) {
        byte[] b = text.getBytes(StandardCharsets.US_ASCII);
        MemorySegment.copy(b, 0, s, JAVA_BYTE, at, b.length);
    }
}
