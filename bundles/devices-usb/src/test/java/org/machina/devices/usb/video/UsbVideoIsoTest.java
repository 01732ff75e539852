package org.machina.devices.usb.video;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.machina.api.bus.usb.UsbEndpointType;
import org.machina.api.bus.usb.UsbSetup;
import org.machina.api.bus.usb.UsbStatus;
import org.machina.devices.usb.video.UsbVideoTest.T;
import org.machina.devices.usb.video.source.TestPattern;

/** The isochronous camera: descriptors, bandwidth and alternate settings, payloads per microframe. */
class UsbVideoIsoTest {
    static final long MICROFRAME = 125_000;
    private final UsbVideoTest base = new UsbVideoTest();

    /** The descriptors of configuration {@code c}, each checked to have a length. */
    static List<byte[]> descriptors(byte[] c) {
        List<byte[]> ds = new ArrayList<>();
        for (int at = 0; at < c.length; at += c[at] & 0xFF) {
            assertTrue((c[at] & 0xFF) >= 2, "descriptor at " + at + " has a length");
            byte[] d = new byte[c[at] & 0xFF];
            System.arraycopy(c, at, d, 0, d.length);
            ds.add(d);
        }
        return ds;
    }

    @Test
    void theStreamingInterfaceHasAZeroBandwidthSettingAndIsochronousOnesOfIncreasingSize() {
        byte[] c = UvcDescriptors.configuration(true);
        assertEquals(c.length, (c[2] & 0xFF) | (c[3] & 0xFF) << 8, "wTotalLength");
        assertEquals(2, c[4], "two interfaces (alternate settings are not counted)");
        List<byte[]> ds = descriptors(c);
        int previousBytes = 0;
        int alternates = 0;
        for (int i = 0; i < ds.size(); i++) {
            byte[] d = ds.get(i);
            if (d[1] != 4 || d[2] != 1) {
                continue;                                    // interface descriptors of interface 1 only
            }
            int alt = d[3];
            if (alt == 0) {
                assertEquals(0, d[4], "alternate setting 0 has no endpoint: no bandwidth");
                assertEquals(0x24, ds.get(i + 1)[1], "the class-specific VS descriptors follow alternate setting 0");
                continue;
            }
            alternates++;
            assertEquals(alternates, alt, "alternate settings numbered 1..N");
            assertEquals(1, d[4]);
            byte[] ep = ds.get(i + 1);
            assertEquals(5, ep[1]);
            assertEquals((byte) 0x81, ep[2], "IN endpoint 1");
            assertEquals(0x05, ep[3], "isochronous, asynchronous");
            assertEquals(1, ep[6], "bInterval 1: every microframe");
            int w = (ep[4] & 0xFF) | (ep[5] & 0xFF) << 8;
            int bytes = (w & 0x7FF) * ((w >> 11 & 3) + 1);
            assertTrue((w & 0x7FF) <= 1024 && (w >> 11 & 3) <= 2, "a legal high-speed size: " + Integer.toHexString(w));
            assertTrue(bytes > previousBytes, "increasing bandwidth: " + bytes);
            assertEquals(bytes, UvcDescriptors.isoBytes(alt));
            previousBytes = bytes;
        }
        assertEquals(UvcDescriptors.ISO_MAX_PACKET.length, alternates);
        assertEquals(3 * 1024, previousBytes, "the largest: 3 x 1024 bytes a microframe");
        byte[] bulk = UvcDescriptors.configuration(false);
        assertTrue(descriptors(bulk).stream().noneMatch(d -> d[1] == 4 && d[3] != 0), "bulk: one alternate setting");
    }

    @Test
    void dwMaxPayloadTransferSizeSelectsTheSmallestAlternateThatCarriesTheStream() {
        assertEquals(145 + 12, UsbVideo.isoPayloadSize(1, 1, 333_333), "38400 bytes at 30.0000003 fps: 144.0000001 a microframe, up");
        assertEquals(2, UvcDescriptors.isoAlternateFor(UsbVideo.isoPayloadSize(1, 1, 333_333)), "160x120: 256 bytes");
        assertEquals(7, UvcDescriptors.isoAlternateFor(UsbVideo.isoPayloadSize(1, 3, 333_333)),
                "640x480 YUYV at 30 fps needs 2316 bytes: 3 x 896");
        assertEquals(5, UvcDescriptors.isoAlternateFor(UsbVideo.isoPayloadSize(1, 3, 666_666)), "at 15 fps: 2 x 768");
        assertEquals(6, UvcDescriptors.isoAlternateFor(UsbVideo.isoPayloadSize(2, 4, 333_333)),
                "1280x720 MJPEG: a quarter of the raw rate, 2 x 1024");
        assertEquals(3072, UvcDescriptors.isoBytes(UvcDescriptors.isoAlternateFor(100_000)), "capped at the largest");
        UsbVideo v = base.camera(true);
        UsbVideoTest.control(v, 0x00, UsbSetup.SET_CONFIGURATION, 1, 0, new byte[0]);
        UsbVideoTest.control(v, 0x21, UsbVideo.SET_CUR, UsbVideo.VS_PROBE << 8, 1, UsbVideo.probe(1, 3, 333_333));
        T cur = UsbVideoTest.control(v, 0xA1, UsbVideo.GET_CUR, UsbVideo.VS_PROBE << 8, 1, new byte[34]);
        assertEquals(UsbVideo.isoPayloadSize(1, 3, 333_333), UsbVideoTest.u32(cur.buf, 22), "dwMaxPayloadTransferSize");
        assertEquals(UsbStatus.OK, UsbVideoTest.control(v, 0x01, UsbSetup.SET_INTERFACE, 8, 1, new byte[0]).status);
        assertEquals(8, UsbVideoTest.control(v, 0x81, UsbSetup.GET_INTERFACE, 0, 1, new byte[1]).buf[0]);
        assertEquals(UsbStatus.STALL, UsbVideoTest.control(v, 0x01, UsbSetup.SET_INTERFACE, 9, 1, new byte[0]).status,
                "no alternate setting 9");
        UsbVideo bulk = base.camera(false);
        UsbVideoTest.control(bulk, 0x00, UsbSetup.SET_CONFIGURATION, 1, 0, new byte[0]);
        assertEquals(UsbStatus.STALL, UsbVideoTest.control(bulk, 0x01, UsbSetup.SET_INTERFACE, 1, 1, new byte[0]).status,
                "the bulk camera has one alternate setting");
    }

    /** One isochronous IN packet of {@code size} bytes in the current microframe. */
    private T packet(UsbVideo v, int size) {
        T t = new T(1, true, null, new byte[size]);
        t.type = UsbEndpointType.ISOCHRONOUS;
        t.frame = base.machine.nanos / MICROFRAME;
        v.handle(t);
        assertTrue(t.done(), "an isochronous packet completes in its microframe");
        assertEquals(UsbStatus.OK, t.status, "isochronous packets never stall");
        return t;
    }

    @Test
    void eachMicroframeCarriesOnePayloadWithItsHeaderAndFramesStartWhenDue() {
        UsbVideo v = base.camera(true);
        var machine = base.machine;
        UsbVideoTest.control(v, 0x00, UsbSetup.SET_CONFIGURATION, 1, 0, new byte[0]);
        UsbVideoTest.control(v, 0x21, UsbVideo.SET_CUR, UsbVideo.VS_COMMIT << 8, 1, UsbVideo.probe(1, 1, 333_333));
        assertEquals(0, packet(v, 256).actual, "alternate setting 0: no bandwidth, empty packets");
        UsbVideoTest.control(v, 0x01, UsbSetup.SET_INTERFACE, 2, 1, new byte[0]);   // 256 bytes a microframe
        int frameBytes = 160 * 120 * 2;
        int lastFid = -1;
        for (long n = 0; n < 3; n++) {
            ByteArrayOutputStream frame = new ByteArrayOutputStream();
            long start = -1;
            int idle = 0;
            while (true) {
                T t = packet(v, 1024);                       // the host's buffer is bigger than the setting's bandwidth
                machine.advance(machine.nanos + MICROFRAME);
                if (t.actual == 0 || (t.buf[1] & 0xFF) == 0x8C + (lastFid & 1) && frame.size() == 0) {
                    idle++;
                    if (t.actual != 0) {
                        assertEquals(12, t.actual, "between frames: a header alone, with the last frame's FID");
                    }
                    continue;
                }
                assertTrue(t.actual <= 256, "at most the alternate setting's 256 bytes: " + t.actual);
                assertEquals(12, t.buf[0], "header length");
                int info = t.buf[1] & 0xFF;
                assertEquals(0x8C, info & 0x8C, "EOH, SCR, PTS");
                if (frame.size() == 0) {
                    start = machine.nanos - MICROFRAME;
                    assertTrue(lastFid != (info & 1), "FID toggles each frame");
                    lastFid = info & 1;
                    assertEquals(PayloadHeader.clock(n * 33_333_300L), UsbVideoTest.u32(t.buf, 2), "PTS of frame " + n);
                }
                assertEquals(PayloadHeader.clock(machine.nanos - MICROFRAME), UsbVideoTest.u32(t.buf, 6), "SCR");
                frame.write(t.buf, 12, t.actual - 12);
                if ((info & 2) != 0) {
                    break;
                }
                assertEquals(256, t.actual, "full packets until the frame's last");
            }
            assertTrue(start >= n * 33_333_300L && start < n * 33_333_300L + MICROFRAME,
                    "frame " + n + " starts in the first microframe after it is due: " + start);
            if (n > 0) {
                assertTrue(idle > 0, "idle microframes between frames");
            }
            byte[] f = frame.toByteArray();
            assertEquals(frameBytes, f.length, "frame " + n + " size");
            assertEquals(n, TestPattern.stripe(f, 160), "the frame number in the stripe");
        }
        UsbVideoTest.control(v, 0x01, UsbSetup.SET_INTERFACE, 0, 1, new byte[0]);
        assertEquals(0, packet(v, 256).actual, "back to alternate setting 0: the stream stopped");
        T bulk = new T(1, true, null, new byte[512]);
        v.handle(bulk);
        assertEquals(UsbStatus.STALL, bulk.status, "no bulk transfers on the isochronous camera");
    }
}
