package org.machina.devices.usb.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.machina.api.bus.usb.UsbDescriptors;
import org.machina.api.bus.usb.UsbSetup;
import org.machina.devices.usb.FakeMachine;

class DescriptorsTest {
    @Test
    void setupPacketRoundTrips() {
        UsbSetup s = UsbSetup.of(0x0012_0000_0100_0680L);
        assertEquals(0x80, s.requestType());
        assertEquals(UsbSetup.GET_DESCRIPTOR, s.request());
        assertEquals(0x0100, s.value());
        assertEquals(0, s.index());
        assertEquals(18, s.length());
        assertTrue(s.in());
        assertEquals(0x0012_0000_0100_0680L, s.packet());
        assertThrows(IllegalArgumentException.class, () -> new UsbSetup(0x100, 0, 0, 0, 0));
    }

    @Test
    void storageConfigurationIsBulkOnlyScsi() {
        UsbStorage d = new UsbStorage(new FakeMachine(4096).context("s"), new FakeMachine.Disk(1 << 16), "usb", -1,
                "0123456789AB");
        byte[] c = d.configurationDescriptor();
        assertArrayEquals(new byte[] {9, 2, 32, 0, 1, 1, 0, (byte) 0xC0, 50}, java.util.Arrays.copyOf(c, 9),
                "configuration: 32 bytes in all, one interface, self-powered");
        assertArrayEquals(new byte[] {9, 4, 0, 0, 2, 8, 6, 0x50, 0}, java.util.Arrays.copyOfRange(c, 9, 18),
                "interface: mass storage, SCSI transparent, bulk-only");
        assertArrayEquals(new byte[] {7, 5, (byte) 0x81, 2, 0, 2, 0}, java.util.Arrays.copyOfRange(c, 18, 25),
                "bulk IN 0x81, 512 bytes");
        assertArrayEquals(new byte[] {7, 5, 0x02, 2, 0, 2, 0}, java.util.Arrays.copyOfRange(c, 25, 32),
                "bulk OUT 0x02, 512 bytes");
        byte[] dev = d.deviceDescriptor();
        assertEquals(18, dev.length);
        assertEquals(0x09, dev[8] & 0xFF, "vendor 0x1209 (pid.codes), low byte");
        byte[] q = UsbDescriptors.deviceQualifier(dev);
        assertEquals(10, q.length);
        assertEquals(6, q[1]);
        byte[] str = UsbDescriptors.string("Machina");
        assertEquals(16, str[0]);
        assertEquals("Machina", new String(str, 2, 14, StandardCharsets.UTF_16LE));
    }
}
