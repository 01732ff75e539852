package org.machina.devices.usb.video;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.machina.api.bus.usb.UsbBus;
import org.machina.api.bus.usb.UsbDevice;
import org.machina.api.bus.usb.UsbEndpointType;
import org.machina.api.bus.usb.UsbPort;
import org.machina.api.bus.usb.UsbSetup;
import org.machina.api.bus.usb.UsbStatus;
import org.machina.api.bus.usb.UsbTransfer;
import org.machina.api.device.DeviceContext;
import org.machina.devices.usb.FakeMachine;
import org.machina.devices.usb.video.source.TestPattern;

class UsbVideoTest {
    /** A transfer that records its completion. */
    static final class T implements UsbTransfer {
        final int ep;
        final boolean in;
        final UsbSetup setup;
        final byte[] buf;
        UsbEndpointType type;
        long frame;
        UsbStatus status;
        int actual = -1;

        T(int ep, boolean in, UsbSetup setup, byte[] buf) {
            this.ep = ep;
            this.in = in;
            this.setup = setup;
            this.buf = buf;
            this.type = ep == 0 ? UsbEndpointType.CONTROL : UsbEndpointType.BULK;
        }

        public int endpoint() {
            return ep;
        }

        public boolean in() {
            return in;
        }

        public UsbEndpointType type() {
            return type;
        }

        public UsbSetup setup() {
            return setup;
        }

        public long frame() {
            return frame;
        }

        public byte[] buffer() {
            return buf;
        }

        public void complete(UsbStatus s, int n) {
            if (status == null) {
                status = s;
                actual = n;
            }
        }

        public boolean done() {
            return status != null;
        }
    }

    final FakeMachine machine = new FakeMachine(4096);
    private UsbDevice attached;

    UsbVideo camera() {
        return camera(false);
    }

    UsbVideo camera(boolean iso) {
        return camera(iso, false);
    }

    UsbVideo camera(boolean iso, boolean superSpeed) {
        machine.buses.put(UsbBus.DEFAULT, new UsbBus() {
            public UsbPort attach(DeviceContext owner, UsbDevice device, int port) {
                attached = device;
                return new UsbPort() {
                    public int number() {
                        return 1;
                    }

                    public boolean attached() {
                        return true;
                    }

                    public void detach() {
                    }
                };
            }

            public int ports() {
                return 4;
            }
        });
        UsbVideo v = new UsbVideo(machine.context("cam"), UsbBus.DEFAULT, -1, new TestPattern(), Runnable::run, iso,
                superSpeed);
        v.realize();
        return v;
    }

    static T control(UsbVideo v, int type, int req, int value, int index, byte[] data) {
        T t = new T(0, (type & 0x80) != 0, new UsbSetup(type, req, value, index, data.length), data);
        v.handle(t);
        return t;
    }

    @Test
    void descriptorsAreAConsistentUvc11Camera() {
        byte[] c = UvcDescriptors.configuration();
        assertEquals(c.length, (c[2] & 0xFF) | (c[3] & 0xFF) << 8, "wTotalLength");
        assertEquals(2, c[4], "two interfaces");
        List<byte[]> ds = UsbVideoIsoTest.descriptors(c);
        assertEquals(11, ds.get(1)[1], "an interface association first");
        assertEquals(0x0E, ds.get(1)[4], "video class");
        byte[] vcHeader = ds.get(3);
        assertEquals(0x24, vcHeader[1]);
        assertEquals(0x0110, (vcHeader[3] & 0xFF) | vcHeader[4] << 8, "bcdUVC 1.1");
        int vcTotal = (vcHeader[5] & 0xFF) | (vcHeader[6] & 0xFF) << 8;
        int sum = 0;
        for (int i = 3; ds.get(i)[1] == 0x24; i++) {
            sum += ds.get(i).length;
        }
        assertEquals(sum, vcTotal, "VC header wTotalLength covers the VC class descriptors");
        int frames = 0;
        for (byte[] d : ds) {
            if (d[1] == 0x24 && d[2] == 0x05 && d.length >= 26) {    // VS_FRAME_UNCOMPRESSED (VC 0x05 is the processing unit)
                frames++;
                int w = (d[5] & 0xFF) | (d[6] & 0xFF) << 8;
                int h = (d[7] & 0xFF) | (d[8] & 0xFF) << 8;
                int buf = (d[17] & 0xFF) | (d[18] & 0xFF) << 8 | (d[19] & 0xFF) << 16;
                assertEquals(w * h * 2, buf, "dwMaxVideoFrameBufferSize of " + w + "x" + h);
                assertEquals(26 + 4 * d[25], d.length, "frame descriptor length with its intervals");
            }
        }
        assertEquals(UvcDescriptors.SIZES.length, frames);
        byte[] ep = ds.get(ds.size() - 1);
        assertEquals(5, ep[1]);
        assertEquals((byte) 0x81, ep[2]);
        assertEquals(2, ep[3], "bulk");
        byte[] dev = UvcDescriptors.device();
        assertEquals((byte) 0xEF, dev[4], "miscellaneous device class (IAD)");
    }

    @Test
    void probeAndCommitNegotiateTheNearestSizeAndInterval() {
        UsbVideo v = camera();
        control(v, 0x00, UsbSetup.SET_CONFIGURATION, 1, 0, new byte[0]);
        byte[] ask = UsbVideo.probe(1, 3, 0);
        UvcDescriptors.put32(ask, 4, 700_000);               // ~14 fps: the camera has 15
        ask[3] = 3;
        T set = control(v, 0x21, UsbVideo.SET_CUR, UsbVideo.VS_PROBE << 8, 1, ask);
        assertEquals(UsbStatus.OK, set.status);
        T cur = control(v, 0xA1, UsbVideo.GET_CUR, UsbVideo.VS_PROBE << 8, 1, new byte[34]);
        assertEquals(34, cur.actual);
        assertEquals(3, cur.buf[3], "640x480");
        assertEquals(666_666, u32(cur.buf, 4), "nearest interval: 15 fps");
        assertEquals(640 * 480 * 2, u32(cur.buf, 18), "dwMaxVideoFrameSize");
        assertEquals(UsbVideo.PAYLOAD, u32(cur.buf, 22), "dwMaxPayloadTransferSize");
        byte[] bad = UsbVideo.probe(1, 1, 333_333);
        bad[3] = 9;
        control(v, 0x21, UsbVideo.SET_CUR, UsbVideo.VS_PROBE << 8, 1, bad);
        assertEquals(1, control(v, 0xA1, UsbVideo.GET_CUR, UsbVideo.VS_PROBE << 8, 1, new byte[34]).buf[3],
                "an unknown frame index falls back to the first");
        T max = control(v, 0xA1, UsbVideo.GET_MAX, UsbVideo.VS_PROBE << 8, 1, new byte[34]);
        assertEquals(3, max.buf[3]);
        assertEquals(2, control(v, 0xA1, UsbVideo.GET_LEN, UsbVideo.VS_PROBE << 8, 1, new byte[2]).actual);
        assertEquals(UsbStatus.STALL, control(v, 0xA1, UsbVideo.GET_CUR, 7 << 8, 1, new byte[34]).status,
                "an unknown streaming control stalls");
        // brightness on the processing unit
        assertEquals(UsbStatus.OK, control(v, 0x21, UsbVideo.SET_CUR, UsbVideo.PU_BRIGHTNESS << 8, 2 << 8,
                new byte[] {20, 0}).status);
        assertEquals(20, control(v, 0xA1, UsbVideo.GET_CUR, UsbVideo.PU_BRIGHTNESS << 8, 2 << 8, new byte[2]).buf[0]);
        assertEquals(UsbStatus.STALL, control(v, 0x21, UsbVideo.SET_CUR, UsbVideo.PU_BRIGHTNESS << 8, 2 << 8,
                new byte[] {(byte) 200, 0}).status, "out of range");
        assertEquals((byte) -64, control(v, 0xA1, UsbVideo.GET_MIN, UsbVideo.PU_BRIGHTNESS << 8, 2 << 8,
                new byte[2]).buf[0]);
    }

    @Test
    void streamsNumberedFramesAtTheCommittedRate() {
        UsbVideo v = camera();
        control(v, 0x00, UsbSetup.SET_CONFIGURATION, 1, 0, new byte[0]);
        byte[] commit = UsbVideo.probe(1, 1, 333_333);          // 160x120 at 30 fps
        control(v, 0x21, UsbVideo.SET_CUR, UsbVideo.VS_COMMIT << 8, 1, commit);
        int frameBytes = 160 * 120 * 2;
        int fid = -1;
        for (long n = 0; n < 5; n++) {
            byte[] frame = new byte[frameBytes];
            int got = 0;
            boolean eof = false;
            while (!eof) {
                T t = new T(1, true, null, new byte[UsbVideo.PAYLOAD]);
                v.handle(t);
                if (!t.done()) {
                    assertTrue(got == 0, "only a frame's first payload waits");
                    assertFalse(n == 0, "frame 0 is due at once");
                    machine.advance(machine.nanos + 33_333_300L);
                    assertTrue(t.done(), "delivered when the frame is due");
                }
                assertEquals(UsbStatus.OK, t.status);
                assertEquals(12, t.buf[0], "header length");
                int info = t.buf[1] & 0xFF;
                assertEquals(0x8C, info & 0x8C, "EOH, PTS and SCR");
                assertEquals(PayloadHeader.clock(n * 33_333_300L), u32(t.buf, 2), "PTS: when frame " + n + " was due");
                assertEquals(PayloadHeader.clock(machine.nanos), u32(t.buf, 6), "SCR: the source clock now");
                if (got == 0) {
                    assertTrue(fid != (info & 1), "FID toggles each frame");
                    fid = info & 1;
                }
                System.arraycopy(t.buf, 12, frame, got, t.actual - 12);
                got += t.actual - 12;
                eof = (info & 2) != 0;
            }
            assertEquals(frameBytes, got, "frame " + n + " size");
            assertEquals(n, TestPattern.stripe(frame, 160), "the frame number in the stripe");
        }
        assertEquals(5, v.framesSent());
        assertEquals(4 * 33_333_300L, machine.nanos, "frames 1-4 waited for their due time (guest time)");
    }

    @Test
    void mjpegIsNegotiatedAndEachFrameDecodesToItsNumber() throws Exception {
        UsbVideo v = camera();
        control(v, 0x00, UsbSetup.SET_CONFIGURATION, 1, 0, new byte[0]);
        byte[] ask = UsbVideo.probe(2, 4, 333_333);          // MJPEG 1280x720 at 30 fps
        assertEquals(UsbStatus.OK, control(v, 0x21, UsbVideo.SET_CUR, UsbVideo.VS_PROBE << 8, 1, ask).status);
        T cur = control(v, 0xA1, UsbVideo.GET_CUR, UsbVideo.VS_PROBE << 8, 1, new byte[34]);
        assertEquals(2, cur.buf[2], "MJPEG kept");
        assertEquals(4, cur.buf[3], "1280x720");
        assertEquals(4, control(v, 0xA1, UsbVideo.GET_MAX, UsbVideo.VS_PROBE << 8, 1, new byte[34]).buf[3],
                "MJPEG has four sizes");
        byte[] yuyvTooBig = UsbVideo.probe(2, 4, 333_333);
        yuyvTooBig[2] = 1;
        control(v, 0x21, UsbVideo.SET_CUR, UsbVideo.VS_PROBE << 8, 1, yuyvTooBig);
        T yuyv = control(v, 0xA1, UsbVideo.GET_CUR, UsbVideo.VS_PROBE << 8, 1, new byte[34]);
        assertEquals(1, yuyv.buf[2]);
        assertEquals(1, yuyv.buf[3], "YUYV has no fourth size: falls back to the first");
        control(v, 0x21, UsbVideo.SET_CUR, UsbVideo.VS_COMMIT << 8, 1, UsbVideo.probe(2, 2, 333_333));
        assertEquals(2, v.format());
        for (long n = 0; n < 3; n++) {
            java.io.ByteArrayOutputStream frame = new java.io.ByteArrayOutputStream();
            boolean eof = false;
            while (!eof) {
                T t = new T(1, true, null, new byte[UsbVideo.PAYLOAD]);
                v.handle(t);
                if (!t.done() && frame.size() == 0) {
                    machine.runTasks();                      // the encoder's result, posted to the machine thread
                }
                if (!t.done()) {
                    assertTrue(n > 0 && frame.size() == 0, "only a later frame's first payload waits for its time");
                    machine.advance(machine.nanos + 33_333_300L);
                    machine.runTasks();
                }
                assertTrue(t.done(), "frame " + n + " delivered once encoded");
                assertEquals(UsbStatus.OK, t.status);
                frame.write(t.buf, 12, t.actual - 12);
                eof = (t.buf[1] & 2) != 0;
            }
            byte[] jpeg = frame.toByteArray();
            assertTrue(jpeg.length < 320 * 240 * 2, "compressed: " + jpeg.length);
            assertTrue(new String(jpeg, java.nio.charset.StandardCharsets.ISO_8859_1).contains("machina frame " + n));
            java.awt.image.Raster r = org.machina.devices.usb.video.mjpeg.JpegEncoderTest.decode(jpeg);
            assertEquals(320, r.getWidth());
            assertEquals(240, r.getHeight());
            assertEquals(n, TestPattern.stripe(x -> r.getSample(x, TestPattern.STRIPE_READ_ROW, 0)));
        }
    }

    @Test
    void anEncodingThatFinishesAfterANewCommitIsDropped() {
        UsbVideo v = camera();
        control(v, 0x00, UsbSetup.SET_CONFIGURATION, 1, 0, new byte[0]);
        control(v, 0x21, UsbVideo.SET_CUR, UsbVideo.VS_COMMIT << 8, 1, UsbVideo.probe(2, 1, 333_333));
        T first = new T(1, true, null, new byte[UsbVideo.PAYLOAD]);
        v.handle(first);
        assertFalse(first.done(), "waits for the encoder");
        v.cancel(first);
        control(v, 0x21, UsbVideo.SET_CUR, UsbVideo.VS_COMMIT << 8, 1, UsbVideo.probe(1, 1, 333_333));
        machine.runTasks();                                  // the MJPEG frame of the old stream arrives
        assertFalse(first.done(), "a cancelled transfer is not completed");
        T next = new T(1, true, null, new byte[UsbVideo.PAYLOAD]);
        v.handle(next);
        assertTrue(next.done());
        assertEquals(UsbVideo.PAYLOAD, next.actual, "the first payload of the new stream's 38400-byte YUYV frame");
        assertEquals(0, next.buf[1] & 2, "not the end of the frame");
        assertEquals(0, TestPattern.stripe(x -> next.buf[12 + (TestPattern.STRIPE_READ_ROW * 160 + x) * 2] & 0xFF),
                "YUYV frame 0 of the new stream, not the stale JPEG");
        assertFalse(next.buf[12] == (byte) 0xFF && next.buf[13] == (byte) 0xD8, "no JPEG SOI");
    }

    @Test
    void theTypeRefusesUnknownSourcesAndAFileSourceWithoutPath() {
        UsbVideoType type = new UsbVideoType();
        assertTrue(type.properties().stream().anyMatch(p -> p.name().equals("path")));
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> type.create(machine.context("c1"), config("c1", java.util.Map.of("source", "webcam9"))));
        assertTrue(e.getMessage().contains("unknown source 'webcam9'") && e.getMessage().contains("file, pattern, process, v4l2"),
                e.getMessage());
        e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> type.create(machine.context("c2"), config("c2", java.util.Map.of("source", "file"))));
        assertTrue(e.getMessage().contains("path="), e.getMessage());
        e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> type.create(machine.context("c3"), config("c3", java.util.Map.of("source", "v4l2", "device", "/dev/null"))));
        assertTrue(e.getMessage().startsWith("device 'c3' (usb-video): /dev/null: not a V4L2 device (VIDIOC_QUERYCAP: "),
                e.getMessage());
        e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> type.create(machine.context("c4"), config("c4", java.util.Map.of("speed", "full"))));
        assertEquals("device 'c4' (usb-video): speed='full' is not high or super", e.getMessage());
    }

    private static org.machina.api.device.DeviceConfig config(String id, java.util.Map<String, String> given) {
        java.util.Map<String, String> values = new java.util.HashMap<>(java.util.Map.of("bus", "", "port", "-1",
                "source", "pattern", "path", "", "command", "", "device", "", "transfer", "iso", "speed", "high"));
        values.putAll(given);
        return new org.machina.api.device.DeviceConfig(id, values);
    }

    static int u32(byte[] b, int at) {
        return (b[at] & 0xFF) | (b[at + 1] & 0xFF) << 8 | (b[at + 2] & 0xFF) << 16 | (b[at + 3] & 0xFF) << 24;
    }
}
