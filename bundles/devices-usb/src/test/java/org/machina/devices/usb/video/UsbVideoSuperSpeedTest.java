package org.machina.devices.usb.video;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.machina.api.bus.usb.UsbEndpointType;
import org.machina.api.bus.usb.UsbSetup;
import org.machina.api.bus.usb.UsbSpeed;
import org.machina.api.bus.usb.UsbStatus;
import org.machina.devices.usb.video.UsbVideoTest.T;
import org.machina.devices.usb.video.source.TestPattern;

/**
 * {@code usb-video,speed=super}: the USB 3 descriptors (device, BOS, endpoint companions, USB 3.2
 * chapter 9), the SuperSpeed requests, and isochronous payloads of a millisecond each.
 */
class UsbVideoSuperSpeedTest {
    private final UsbVideoTest base = new UsbVideoTest();

    @Test
    void descriptorsAreThoseOfAUsb3Camera() {
        UsbVideo v = base.camera(true, true);
        assertEquals(UsbSpeed.SUPER, v.speed());
        byte[] dev = UsbVideoTest.control(v, 0x80, UsbSetup.GET_DESCRIPTOR, 0x0100, 0, new byte[18]).buf;
        assertEquals(0x0300, (dev[2] & 0xFF) | (dev[3] & 0xFF) << 8, "bcdUSB 3.0");
        assertEquals(9, dev[7], "bMaxPacketSize0: 2^9 = 512 bytes");
        T bos = UsbVideoTest.control(v, 0x80, UsbSetup.GET_DESCRIPTOR, 0x0F00, 0, new byte[64]);
        assertEquals(UsbStatus.OK, bos.status);
        assertEquals(22, bos.actual, "BOS header, USB 2.0 Extension, SuperSpeed USB Device capability");
        assertEquals(22, (bos.buf[2] & 0xFF) | (bos.buf[3] & 0xFF) << 8, "wTotalLength");
        assertEquals(2, bos.buf[4], "bNumDeviceCaps");
        assertEquals(3, bos.buf[5 + 7 + 2], "the second capability: SuperSpeed USB device");
        assertEquals(0x0E, bos.buf[5 + 7 + 4], "wSpeedsSupported: full, high, SuperSpeed");
        assertEquals(0, bos.buf[5 + 7 + 7] | bos.buf[5 + 7 + 8] | bos.buf[5 + 7 + 9], "U1/U2 exit latencies 0: no LPM");
        assertEquals(UsbStatus.OK, UsbVideoTest.control(v, 0x00, 48, 0, 0, new byte[6]).status, "SET_SEL");
        assertEquals(UsbStatus.OK, UsbVideoTest.control(v, 0x00, 49, 40, 0, new byte[0]).status, "SET_ISOCH_DELAY");
        assertEquals(UsbStatus.STALL, UsbVideoTest.control(base.camera(true), 0x00, 49, 40, 0, new byte[0]).status,
                "a high-speed camera does not know SET_ISOCH_DELAY");
        assertNull(new UsbVideo(null, "", 1, new TestPattern(), Runnable::run, true, false).bosDescriptor(),
                "a high-speed camera has no BOS");

        List<byte[]> ds = UsbVideoIsoTest.descriptors(UvcDescriptors.configuration(true, true));
        int alternates = 0;
        for (int i = 0; i < ds.size(); i++) {
            byte[] d = ds.get(i);
            if (d[1] != 4 || d[2] != 1 || d[3] == 0) {
                continue;
            }
            int alt = d[3];
            alternates++;
            byte[] ep = ds.get(i + 1);
            byte[] companion = ds.get(i + 2);
            assertEquals(5, ep[1]);
            assertEquals(0x05, ep[3], "isochronous, asynchronous");
            assertEquals(1024, (ep[4] & 0xFF) | (ep[5] & 0xFF) << 8, "SuperSpeed packets are 1024 bytes");
            assertEquals(4, ep[6], "bInterval 4: a service interval every 8 bus intervals, 1 ms");
            assertEquals(6, companion[0]);
            assertEquals(0x30, companion[1], "SuperSpeed Endpoint Companion after the endpoint");
            int burst = companion[2], mult = companion[3] & 3;
            int perInterval = (companion[4] & 0xFF) | (companion[5] & 0xFF) << 8;
            assertTrue(burst <= 15 && mult <= 2 && (burst == 15 || mult == 0), "legal bMaxBurst " + burst + ", Mult " + mult);
            assertTrue(perInterval <= (burst + 1) * (mult + 1) * 1024 && perInterval > (burst + 1) * mult * 1024,
                    "wBytesPerInterval " + perInterval + " fits the bursts and needs the last one");
            assertEquals(perInterval, UvcDescriptors.isoBytes(alt, true));
        }
        assertEquals(UvcDescriptors.SS_ISO_BYTES.length, alternates);
        assertEquals(49152, UvcDescriptors.isoBytes(alternates, true), "the largest: 3 bursts of 16 packets");
        List<byte[]> bulk = UsbVideoIsoTest.descriptors(UvcDescriptors.configuration(false, true));
        byte[] last = bulk.get(bulk.size() - 1);
        assertEquals(0x30, last[1], "the bulk endpoint's companion");
        assertEquals(1024, (bulk.get(bulk.size() - 2)[4] & 0xFF) | (bulk.get(bulk.size() - 2)[5] & 0xFF) << 8);
    }

    @Test
    void a640x480YuyvFrameCrossesInAMillisecondPacketTrainEachInterval() {
        int need = UsbVideo.isoPayloadSize(1, 3, 333_333, true);
        assertEquals(18433 + 12, need, "640x480 YUYV at 30 fps: 18432.0002 bytes a millisecond, up, and a header");
        int alt = UvcDescriptors.isoAlternateFor(need, true);
        assertEquals(6, alt, "the 24 KiB setting");
        UsbVideo v = base.camera(true, true);
        UsbVideoTest.control(v, 0x00, UsbSetup.SET_CONFIGURATION, 1, 0, new byte[0]);
        UsbVideoTest.control(v, 0x21, UsbVideo.SET_CUR, UsbVideo.VS_COMMIT << 8, 1, UsbVideo.probe(1, 3, 333_333, true, true));
        T cur = UsbVideoTest.control(v, 0xA1, UsbVideo.GET_CUR, UsbVideo.VS_COMMIT << 8, 1, new byte[34]);
        assertEquals(need, UsbVideoTest.u32(cur.buf, 22), "dwMaxPayloadTransferSize: bytes a service interval");
        UsbVideoTest.control(v, 0x01, UsbSetup.SET_INTERFACE, alt, 1, new byte[0]);
        var machine = base.machine;
        for (long n = 0; n < 2; n++) {
            ByteArrayOutputStream frame = new ByteArrayOutputStream();
            int packets = 0;
            while (true) {
                T t = new T(1, true, null, new byte[UvcDescriptors.isoBytes(alt, true)]);
                t.type = UsbEndpointType.ISOCHRONOUS;
                t.frame = machine.nanos / UsbVideoIsoTest.MICROFRAME;
                v.handle(t);
                machine.advance(machine.nanos + 1_000_000);  // the next service interval: 1 ms later
                if (t.actual <= 12 && frame.size() == 0) {
                    continue;                                // before the frame is due
                }
                packets++;
                frame.write(t.buf, 12, t.actual - 12);
                if ((t.buf[1] & 2) != 0) {
                    break;
                }
                assertEquals(24576, t.actual, "full 24 KiB payloads until the frame's last");
            }
            byte[] f = frame.toByteArray();
            assertEquals(640 * 480 * 2, f.length);
            assertEquals(n, TestPattern.stripe(f, 640), "the frame number");
            assertEquals((640 * 480 * 2 + 24563) / 24564, packets, "a frame in 26 transfers instead of 230 at high speed");
        }
    }
}
