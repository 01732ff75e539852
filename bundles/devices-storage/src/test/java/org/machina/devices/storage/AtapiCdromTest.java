package org.machina.devices.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.Gson;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import org.machina.api.state.StateException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The ATAPI CD-ROM as device 1 next to a disk: signature, IDENTIFY PACKET DEVICE, the packet protocol, MMC commands. */
class AtapiCdromTest {
    static final int BLOCKS = 100;
    IdeRig rig;
    FakeDisk iso;
    AtapiCdrom cd;

    @BeforeEach
    void setUp() {
        rig = new IdeRig();
        iso = new FakeDisk(BLOCKS * 2048, true);
        rig.channel.attach(0, new AtaDisk(new FakeDisk(1 << 20, false), "d", "disk"));
        cd = new AtapiCdrom(iso, "QMcd", "MACHINA CD-ROM");
        rig.channel.attach(1, cd);
        rig.channel.reset();
        rig.out(6, 0xB0);
    }

    /** Sends a PACKET command by PIO; returns the data the device sent (all pieces), checking the protocol. */
    private byte[] packet(int byteLimit, int... cdb) {
        rig.out(1, 0);
        rig.out(4, byteLimit & 0xFF);
        rig.out(5, byteLimit >> 8);
        rig.out(7, 0xA0);
        assertEquals(0x58, rig.altStatus(), "DRQ for the packet");
        assertEquals(0x01, rig.in(2), "interrupt reason: CoD, to the device");
        assertFalse(rig.irq, "no interrupt for the packet");
        byte[] p = new byte[12];
        for (int i = 0; i < cdb.length; i++) {
            p[i] = (byte) cdb[i];
        }
        rig.writeData(p);
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        while (true) {
            assertTrue(rig.irq, "an interrupt for each data piece and for the status");
            int status = rig.in(7);
            if ((status & 0x08) == 0) {
                assertEquals(0x03, rig.in(2), "interrupt reason: IO and CoD at the end");
                return data.toByteArray();
            }
            assertEquals(0x02, rig.in(2), "interrupt reason: data to the host");
            int n = rig.in(4) | rig.in(5) << 8;
            assertTrue(n <= (byteLimit == 0 ? 0xFFFE : byteLimit), "piece of " + n + " within the byte count limit");
            data.writeBytes(rig.readData(n));
        }
    }

    @Test
    void signatureAndIdentify() {
        assertEquals(0x14, rig.in(4));
        assertEquals(0xEB, rig.in(5));
        assertEquals(0x00, rig.altStatus(), "a packet device is not DRDY after reset");
        rig.out(6, 0xA0);
        assertEquals(0x00, rig.in(4), "device 0 (the disk) shows its own signature");
        rig.out(6, 0xB0);
        rig.out(7, 0xEC);
        assertEquals(0x51, rig.in(7), "IDENTIFY DEVICE aborts on a packet device");
        assertEquals(0x14, rig.in(4));
        assertEquals(0xEB, rig.in(5));
        rig.out(7, 0xA1);
        assertEquals(0x58, rig.in(7));
        byte[] id = rig.readData(512);
        int sum = 0;
        for (byte b : id) {
            sum += b & 0xFF;
        }
        assertEquals(0, sum & 0xFF, "checksum");
        assertEquals(0x85C0, id[0] & 0xFF | (id[1] & 0xFF) << 8, "ATAPI CD-ROM, removable, 12-byte packets");
    }

    @Test
    void inquiryCapacityAndTestUnitReady() {
        byte[] inq = packet(0xFFFF, 0x12, 0, 0, 0, 36);
        assertEquals(36, inq.length);
        assertEquals(0x05, inq[0], "CD/DVD device");
        assertEquals("MACHINA CD-ROM", new String(inq, 8, 24).replaceAll(" +", " ").trim());
        byte[] cap = packet(0xFFFF, 0x25);
        assertEquals(BLOCKS - 1, AtapiCommands.u32(cap, 0));
        assertEquals(2048, AtapiCommands.u32(cap, 4));
        assertEquals(0, packet(0xFFFF, 0x00).length);
        assertEquals(0x50, rig.altStatus());
    }

    @Test
    void read10InPiecesOfTheByteCountLimit() {
        byte[] got = packet(4096, 0x28, 0, 0, 0, 0, 10, 0, 0, 3);
        assertArrayEquals(Arrays.copyOfRange(iso.data, 10 * 2048, 13 * 2048), got);
        byte[] got12 = packet(0xFFFF, 0xA8, 0, 0, 0, 0, 20, 0, 0, 0, 1);
        assertArrayEquals(Arrays.copyOfRange(iso.data, 20 * 2048, 21 * 2048), got12);
    }

    @Test
    void errorsAreCheckConditionWithSense() {
        assertEquals(0, packet(0xFFFF, 0xFF).length);
        assertEquals(0x51, rig.altStatus(), "CHECK CONDITION");
        assertEquals(0x54, rig.in(1), "sense key ILLEGAL REQUEST and ABRT in the error register");
        byte[] sense = packet(0xFFFF, 0x03, 0, 0, 0, 18);
        assertEquals(0x70, sense[0] & 0xFF);
        assertEquals(5, sense[2]);
        assertEquals(0x20, sense[12], "invalid command operation code");
        assertEquals(0x50, rig.altStatus());
        packet(0xFFFF, 0x28, 0, 0, 0, 0, BLOCKS - 1, 0, 0, 2);
        assertEquals(0x51, rig.altStatus(), "a read past the end fails");
        assertEquals(0x21, packet(0xFFFF, 0x03, 0, 0, 0, 18)[12], "LBA out of range");
        packet(0xFFFF, 0x4A, 0, 0, 0, 0x10, 0, 0, 0, 8);
        assertEquals(0x51, rig.altStatus(), "asynchronous event status is not supported");
    }

    @Test
    void tocModeSenseConfigurationAndEvents() {
        byte[] toc = packet(0xFFFF, 0x43, 0, 0, 0, 0, 0, 0, 0, 100);
        assertEquals(20, toc.length);
        assertEquals(18, AtapiCommands.u16(toc, 0));
        assertEquals(1, toc[2]);
        assertEquals(0x14, toc[5], "data track");
        assertEquals(0, AtapiCommands.u32(toc, 8), "track 1 starts at 0");
        assertEquals(0xAA, toc[14] & 0xFF);
        assertEquals(BLOCKS, AtapiCommands.u32(toc, 16), "lead-out");
        byte[] msf = packet(0xFFFF, 0x43, 2, 0, 0, 0, 0, 0, 0, 12);
        assertEquals(2, msf[10], "track 1 at 00:02:00 in MSF (seconds byte)");
        byte[] mode = packet(0xFFFF, 0x5A, 0, 0x2A, 0, 0, 0, 0, 0, 64);
        assertEquals(0x2A, mode[8]);
        assertEquals(mode.length - 2, AtapiCommands.u16(mode, 0));
        byte[] conf = packet(0xFFFF, 0x46, 0, 0, 0, 0, 0, 0, 0, 16);
        assertEquals(8, AtapiCommands.u16(conf, 6), "current profile CD-ROM");
        byte[] event = packet(0xFFFF, 0x4A, 1, 0, 0, 0x10, 0, 0, 0, 8);
        assertEquals(2, event[5], "media present");
        assertEquals(0, packet(0xFFFF, 0x1E, 0, 0, 0, 1).length, "PREVENT MEDIUM REMOVAL");
        assertEquals(0, packet(0xFFFF, 0x1B, 0, 0, 0, 1).length, "START STOP UNIT");
        assertEquals(0x50, rig.altStatus());
    }

    /** GET EVENT STATUS NOTIFICATION, media class: {event code, media status (bit 0 tray open, bit 1 present)}. */
    private int[] mediaEvent() {
        byte[] e = packet(0xFFFF, 0x4A, 1, 0, 0, 0x10, 0, 0, 0, 8);
        assertEquals(0x04, e[2], "media class");
        return new int[] {e[4] & 0x0F, e[5] & 0xFF};
    }

    /** A command that ends in CHECK CONDITION; returns {sense key, ASC, ASCQ} from REQUEST SENSE. */
    private int[] checkCondition(String what, int... cdb) {
        packet(0xFFFF, cdb);
        assertEquals(0x51, rig.altStatus(), what + ": CHECK CONDITION");
        int key = rig.in(1) >> 4;
        byte[] sense = packet(0xFFFF, 0x03, 0, 0, 0, 18);
        assertEquals(key, sense[2] & 0x0F, what + ": the error register's sense key is REQUEST SENSE's");
        return new int[] {key, sense[12] & 0xFF, sense[13] & 0xFF};
    }

    @Test
    void monitorEjectAndChangeAreReportedToTheGuest() {
        assertArrayEquals(new int[] {0, 2}, mediaEvent(), "no event, medium present, tray closed");
        assertEquals(iso, cd.eject(), "the monitor's eject takes the medium out");
        assertTrue(cd.trayOpen());
        assertArrayEquals(new int[] {3, 1}, mediaEvent(), "media removal, tray open, no medium");
        assertArrayEquals(new int[] {0, 1}, mediaEvent(), "each event once");
        assertArrayEquals(new int[] {2, 0x3A, 2}, checkCondition("TEST UNIT READY", 0x00), "NOT READY, medium not present, tray open");
        assertArrayEquals(new int[] {2, 0x3A, 2}, checkCondition("READ CAPACITY", 0x25));
        assertArrayEquals(new int[] {2, 0x3A, 2}, checkCondition("READ(10)", 0x28, 0, 0, 0, 0, 0, 0, 0, 1));
        byte[] conf = packet(0xFFFF, 0x46, 0, 0, 0, 0, 0, 0, 0, 16);
        assertEquals(0, AtapiCommands.u16(conf, 6), "no current profile without a medium");

        FakeDisk second = new FakeDisk(40 * 2048, true);
        Arrays.fill(second.data, 0, 2048, (byte) 0x5A);
        cd.insert(second);
        assertFalse(cd.trayOpen());
        assertEquals(second, cd.medium());
        assertEquals(36, packet(0xFFFF, 0x12, 0, 0, 0, 36).length, "INQUIRY is answered while a unit attention is pending");
        assertArrayEquals(new int[] {2, 2}, mediaEvent(), "new media, present, tray closed");
        assertArrayEquals(new int[] {6, 0x28, 0}, checkCondition("TEST UNIT READY after the change", 0x00),
                "UNIT ATTENTION, not ready to ready change, medium may have changed");
        assertEquals(0, packet(0xFFFF, 0x00).length);
        assertEquals(0x50, rig.altStatus(), "the unit attention is reported once");
        assertEquals(39, AtapiCommands.u32(packet(0xFFFF, 0x25), 0), "READ CAPACITY of the new medium");
        assertArrayEquals(Arrays.copyOfRange(second.data, 0, 2048), packet(0xFFFF, 0x28, 0, 0, 0, 0, 0, 0, 0, 1),
                "block 0 of the new medium");
    }

    @Test
    void theGuestsLockRefusesItsOwnEjectAndTheTrayCloses() {
        assertEquals(0, packet(0xFFFF, 0x1E, 0, 0, 0, 1).length, "PREVENT MEDIUM REMOVAL");
        assertTrue(cd.locked());
        assertArrayEquals(new int[] {5, 0x53, 2}, checkCondition("START STOP UNIT eject while locked", 0x1B, 0, 0, 0, 2),
                "ILLEGAL REQUEST, medium removal prevented");
        assertFalse(cd.trayOpen());
        cd.ejectRequested();
        assertArrayEquals(new int[] {1, 2}, mediaEvent(), "the monitor's eject request reaches the guest");
        assertEquals(0, packet(0xFFFF, 0x1E, 0, 0, 0, 0).length, "ALLOW MEDIUM REMOVAL");
        assertFalse(cd.locked());
        assertEquals(0, packet(0xFFFF, 0x1B, 0, 0, 0, 2).length, "START STOP UNIT: LoEj, eject");
        assertTrue(cd.trayOpen());
        assertEquals(iso, cd.medium(), "the medium stays in the open tray");
        assertArrayEquals(new int[] {3, 1}, mediaEvent());
        assertArrayEquals(new int[] {2, 0x3A, 2}, checkCondition("TEST UNIT READY, tray open", 0x00));
        assertEquals(0, packet(0xFFFF, 0x1B, 0, 0, 0, 3).length, "START STOP UNIT: LoEj and Start, load");
        assertArrayEquals(new int[] {2, 2}, mediaEvent(), "the medium is back");
        assertArrayEquals(new int[] {6, 0x28, 0}, checkCondition("TEST UNIT READY after loading", 0x00));
        assertEquals(BLOCKS - 1, AtapiCommands.u32(packet(0xFFFF, 0x25), 0));
    }

    /**
     * A hot-swap of the bundle: the {@code ide-cd} device's state through JSON into a new drive
     * over the drive id's block node (what the runtime gives the new device, an ejected image too),
     * on a fresh channel; the controller's drives come back reset, the tray as it was.
     */
    private void swap(FakeDisk nodeOfTheDriveId) {
        IdeCdDevice device = new IdeCdDevice(null, "cd", cd, 0, 1);
        Gson gson = new Gson();
        AtapiCommands.Tray saved = gson.fromJson(gson.toJson(device.saveState()), AtapiCommands.Tray.class);
        rig = new IdeRig();
        rig.channel.attach(0, new AtaDisk(new FakeDisk(1 << 20, false), "d", "disk"));
        cd = new AtapiCdrom(nodeOfTheDriveId, "QMcd", "MACHINA CD-ROM");
        rig.channel.attach(1, cd);
        rig.channel.reset();
        new IdeCdDevice(null, "cd", cd, 0, 1).loadState(saved);
        rig.out(6, 0xB0);
    }

    @Test
    void aLockedTrayWithANewMediumNotYetReportedSurvivesASwap() {
        assertEquals(0, packet(0xFFFF, 0x1E, 0, 0, 0, 1).length, "PREVENT MEDIUM REMOVAL");
        cd.eject();                                 // the monitor's, forced
        FakeDisk second = new FakeDisk(40 * 2048, true);
        cd.insert(second);
        swap(second);
        assertTrue(cd.locked(), "the lock");
        assertFalse(cd.trayOpen());
        assertArrayEquals(new int[] {2, 2}, mediaEvent(), "the new-media event not yet reported");
        assertArrayEquals(new int[] {6, 0x28, 0}, checkCondition("TEST UNIT READY", 0x00), "the unit attention not yet reported");
        assertArrayEquals(new int[] {5, 0x53, 2}, checkCondition("START STOP UNIT eject", 0x1B, 0, 0, 0, 2),
                "still locked for the guest");
        assertEquals(39, AtapiCommands.u32(packet(0xFFFF, 0x25), 0), "READ CAPACITY of the medium in the drive");
    }

    @Test
    void anOpenTrayAndAnEjectedMediumSurviveASwap() {
        assertEquals(0, packet(0xFFFF, 0x1B, 0, 0, 0, 2).length, "the guest opens the tray");
        swap(iso);
        assertTrue(cd.trayOpen(), "open after the swap");
        assertEquals(iso, cd.medium(), "the medium still in the open tray");
        assertArrayEquals(new int[] {3, 1}, mediaEvent(), "the media-removal event not yet reported, tray open");
        assertArrayEquals(new int[] {2, 0x3A, 2}, checkCondition("TEST UNIT READY", 0x00), "NOT READY, tray open");

        assertEquals(iso, cd.eject(), "the monitor takes the medium out");
        assertEquals(0, packet(0xFFFF, 0x1B, 0, 0, 0, 3).length, "the guest closes the empty tray");
        swap(iso);
        assertNull(cd.medium(), "no medium, though the runtime still holds the image under the drive id");
        assertFalse(cd.trayOpen());
        assertArrayEquals(new int[] {2, 0x3A, 1}, checkCondition("TEST UNIT READY", 0x00), "NOT READY, tray closed");
        assertArrayEquals(new int[] {0, 0}, mediaEvent(), "no medium, tray closed");
    }

    @Test
    void theSenseOfTheLastCommandSurvivesASwap() {
        packet(0xFFFF, 0x25);                       // READ CAPACITY: GOOD
        packet(0xFFFF, 0x99);                       // an unknown command: CHECK CONDITION
        swap(iso);
        byte[] sense = packet(0xFFFF, 0x03, 0, 0, 0, 18);
        assertEquals(5, sense[2] & 0x0F, "ILLEGAL REQUEST");
        assertEquals(0x20, sense[12] & 0xFF, "invalid command operation code");
    }

    @Test
    void aTrayStateOutOfRangeIsRefused() {
        IdeCdDevice device = new IdeCdDevice(null, "cd", cd, 0, 1);
        StateException e = assertThrows(StateException.class,
                () -> device.loadState(new AtapiCommands.Tray(true, false, false, false, 7, 0, 0, 0)));
        assertTrue(e.getMessage().contains("mediaEvent"), e.getMessage());
        assertEquals(1, device.stateVersion());
    }

    @Test
    void read10ByDma() {
        rig.prd(0x1000, 0x20000, 4096);
        rig.out(1, 1);                  // DMA
        rig.out(7, 0xA0);
        rig.writeData(new byte[] {0x28, 0, 0, 0, 0, 5, 0, 0, 2, 0, 0, 0});
        assertFalse(rig.irq, "waits for the bus master");
        rig.startDma(0x1000, true);
        assertTrue(rig.irq);
        assertEquals(0x50, rig.in(7));
        assertEquals(0x03, rig.in(2));
        byte[] got = new byte[4096];
        rig.ram.read(0x20000, got, 0, got.length);
        assertArrayEquals(Arrays.copyOfRange(iso.data, 5 * 2048, 7 * 2048), got);
        assertEquals(IdeBusMaster.ST_INTERRUPT, rig.channel.busMaster.read(2) & 7);
    }
}
