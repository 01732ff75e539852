package org.machina.devices.firewire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The SCSI command set of the SBP-2 disk (SPC-3/SBC-2 subset). */
class ScsiDiskTest {
    private final Rig.Disk drive = new Rig.Disk(1 << 20);
    private final ScsiDisk disk = new ScsiDisk(drive, "SER1");

    private static byte[] cdb(int... b) {
        byte[] c = new byte[12];
        for (int i = 0; i < b.length; i++) {
            c[i] = (byte) b[i];
        }
        return c;
    }

    @Test
    void inquiryStandardAndVpd() {
        ScsiDisk.Result r = disk.execute(cdb(0x12, 0, 0, 0, 36), null);
        assertEquals(ScsiDisk.GOOD, r.status());
        assertEquals(36, r.data().length);
        assertEquals(0, r.data()[0], "direct access");
        assertEquals("MACHINA ", new String(r.data(), 8, 8));
        r = disk.execute(cdb(0x12, 1, 0x80, 0, 255), null);
        assertEquals("SER1", new String(r.data(), 4, 4));
        r = disk.execute(cdb(0x12, 1, 0xB0, 0, 255), null);
        assertEquals(ScsiDisk.CHECK_CONDITION, r.status());
        assertEquals(0x24, r.asc(), "invalid field in CDB");
    }

    @Test
    void requestSenseReportsTheLastErrorOnce() {
        disk.execute(cdb(0xEE), null);
        ScsiDisk.Result s = disk.execute(cdb(0x03, 0, 0, 0, 18), null);
        assertEquals(0x70, s.data()[0] & 0xFF);
        assertEquals(ScsiDisk.ILLEGAL_REQUEST, s.data()[2]);
        assertEquals(0x20, s.data()[12]);
        assertEquals(0, disk.execute(cdb(0x03, 0, 0, 0, 18), null).data()[2], "cleared after it was read");
    }

    @Test
    void readWriteRangesAndFlush() {
        byte[] data = new byte[1024];
        Arrays.fill(data, (byte) 7);
        assertEquals(ScsiDisk.GOOD, disk.execute(cdb(0x2A, 0, 0, 0, 0, 5, 0, 0, 2), data).status());
        ScsiDisk.Result r = disk.execute(cdb(0x28, 0, 0, 0, 0, 5, 0, 0, 2), null);
        assertArrayEquals(data, r.data());
        assertEquals(ScsiDisk.GOOD, disk.execute(cdb(0x35), null).status());
        assertEquals(1, drive.flushes);
        ScsiDisk.Result beyond = disk.execute(cdb(0x28, 0, 0, 0, 0x07, 0xFF, 0, 0, 2), null);
        assertEquals(0x21, beyond.asc(), "LBA out of range");
        assertNull(beyond.data());
        ScsiDisk.Result cap = disk.execute(cdb(0x25), null);
        assertEquals(2047, ScsiDisk.u32(cap.data(), 0));
    }

    @Test
    void modeSenseHeaderAndCachingPage() {
        ScsiDisk.Result r = disk.execute(cdb(0x1A, 0, 0x08, 0, 255), null);
        assertEquals(ScsiDisk.GOOD, r.status());
        assertEquals(4 + 20 - 1, r.data()[0]);
        assertEquals(0x08, r.data()[4]);
        assertEquals(0x04, r.data()[6] & 0x04, "WCE");
        r = disk.execute(cdb(0x5A, 0, 0x3F, 0, 0, 0, 0, 0, 255), null);
        assertEquals(8 + 20 - 2, r.data()[1]);
    }
}
