package org.machina.devices.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The ATA disk on an IDE channel: registers, IDENTIFY, PIO and DMA transfers, LBA48, errors, hostile PRD tables. */
class AtaDiskTest {
    static final int SECTORS = 2048;
    IdeRig rig;
    FakeDisk disk;

    @BeforeEach
    void setUp() {
        rig = new IdeRig();
        disk = new FakeDisk(SECTORS * 512, false);
        rig.channel.attach(0, new AtaDisk(disk, "QMdisk0", "MACHINA HARDDISK"));
        rig.channel.reset();
    }

    private byte[] sectors(long lba, int n) {
        return Arrays.copyOfRange(disk.data, (int) lba * 512, (int) (lba + n) * 512);
    }

    private static int word(byte[] id, int w) {
        return id[2 * w] & 0xFF | (id[2 * w + 1] & 0xFF) << 8;
    }

    private static String string(byte[] id, int first, int words) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < words; i++) {
            s.append((char) (word(id, first + i) >> 8)).append((char) (word(id, first + i) & 0xFF));
        }
        return s.toString().trim();
    }

    @Test
    void resetShowsTheAtaSignatureAndReadyStatus() {
        assertEquals(0x50, rig.altStatus());
        assertEquals(1, rig.in(2));
        assertEquals(1, rig.in(3));
        assertEquals(0, rig.in(4));
        assertEquals(0, rig.in(5));
        assertEquals(0x01, rig.in(1), "diagnostic code: passed");
        rig.out(6, 0xB0);
        assertEquals(0, rig.in(7), "an absent device 1 reads 0 while device 0 is there");
        IdeRig empty = new IdeRig();
        assertEquals(0xFF, empty.in(7), "an empty channel floats");
        assertEquals(0xFF, empty.altStatus());
    }

    @Test
    void identifyHasTheFieldsAndAValidChecksum() {
        rig.out(6, 0xA0);
        rig.out(7, 0xEC);
        assertTrue(rig.irq, "IDENTIFY raises INTRQ when its data is ready");
        assertEquals(0x58, rig.altStatus(), "DRDY DSC DRQ");
        assertTrue(rig.irq, "the alternate status leaves INTRQ alone");
        assertEquals(0x58, rig.in(7));
        assertFalse(rig.irq, "reading the status clears INTRQ");
        byte[] id = rig.readData(512);
        assertEquals(0x50, rig.altStatus(), "DRQ clears after the last word");
        int sum = 0;
        for (byte b : id) {
            sum += b & 0xFF;
        }
        assertEquals(0, sum & 0xFF, "the 512 bytes sum to 0 modulo 256");
        assertEquals(0xA5, id[510] & 0xFF, "checksum signature");
        assertEquals("QMdisk0", string(id, 10, 10));
        assertEquals("MACHINA HARDDISK", string(id, 27, 20));
        assertEquals(SECTORS, word(id, 60) | word(id, 61) << 16, "LBA28 capacity");
        assertEquals(SECTORS, word(id, 100) | word(id, 101) << 16, "LBA48 capacity");
        assertEquals(0x0300, word(id, 49) & 0x0300, "LBA and DMA supported");
        assertTrue((word(id, 83) & 0x0400) != 0, "LBA48 supported");
        assertTrue((word(id, 86) & 0x0400) != 0, "LBA48 enabled");
        assertEquals(0x8010, word(id, 47), "READ/WRITE MULTIPLE up to 16 sectors");
        assertEquals(0x0007, word(id, 63) & 0x0007, "multiword DMA 0-2");
    }

    @Test
    void setFeaturesSelectsTheTransferModeShownByIdentify() {
        rig.out(1, 0x03);
        rig.out(2, 0x45);       // UDMA 5
        rig.out(7, 0xEF);
        assertEquals(0x50, rig.in(7));
        rig.out(7, 0xEC);
        byte[] id = rig.readData(512);
        assertEquals(0x2000, word(id, 88) & 0xFF00, "UDMA 5 selected");
        assertEquals(0, word(id, 63) & 0xFF00, "no multiword mode selected");
        rig.out(1, 0x03);
        rig.out(2, 0x47);       // UDMA 7 does not exist
        rig.out(7, 0xEF);
        assertEquals(0x51, rig.in(7));
        assertEquals(0x04, rig.in(1), "ABRT");
    }

    @Test
    void pioReadSectorsInterruptsPerSectorAndTakes32BitReads() {
        rig.lba28(0, 100, 3, 0x20);
        byte[] got = new byte[3 * 512];
        for (int s = 0; s < 3; s++) {
            assertTrue(rig.irq, "INTRQ for sector " + s);
            assertEquals(0x58, rig.in(7));
            for (int i = 0; i < 512; i += 4) {
                int v = rig.inl();
                for (int j = 0; j < 4; j++) {
                    got[s * 512 + i + j] = (byte) (v >>> 8 * j);
                }
            }
        }
        assertArrayEquals(sectors(100, 3), got);
        assertEquals(0x50, rig.altStatus());
        assertFalse(rig.irq, "no interrupt after the last read block");
        assertEquals(3, rig.irqEdges);
    }

    /**
     * SET MULTIPLE MODE to {@code multiple}, then READ MULTIPLE from {@code lba} of the sectors of
     * {@code blocks}, each block read after its DRQ, and checked against the disk; returns the
     * interrupt edges before the command.
     */
    private int readMultiple(int multiple, long lba, int... blocks) {
        rig.out(2, multiple);
        rig.out(7, 0xC6);
        assertEquals(0x50, rig.in(7));
        int edges = rig.irqEdges;
        int n = Arrays.stream(blocks).sum();
        rig.lba28(0, lba, n, 0xC4);
        byte[] got = new byte[n * 512];
        int at = 0;
        for (int block : blocks) {
            assertEquals(0x58, rig.in(7));
            System.arraycopy(rig.readData(block * 512), 0, got, at, block * 512);
            at += block * 512;
        }
        assertArrayEquals(sectors(lba, n), got);
        return edges;
    }

    @Test
    void readMultipleMovesBlocksOfTheMultipleCount() {
        rig.out(7, 0xC4);
        assertEquals(0x51, rig.in(7), "READ MULTIPLE without SET MULTIPLE MODE aborts");
        rig.out(2, 3);
        rig.out(7, 0xC6);
        assertEquals(0x51, rig.in(7), "3 is not a power of two");
        int edges = readMultiple(4, 7, 4, 4, 2);
        assertEquals(edges + 3, rig.irqEdges, "one interrupt per block");
    }

    /**
     * READ SECTORS of 256 sectors reads the disk ahead, {@value AtaDisk#READ_AHEAD} sectors per read
     * of the node, not one per sector; the host still gets each sector as its own block, with DRQ
     * and an interrupt per sector, and the right data.
     */
    @Test
    void aPioReadOfManySectorsReadsTheDiskAheadInFewNodeReadsAndStillInterruptsPerSector() {
        int edges = rig.irqEdges;
        rig.lba28(0, 1000, 0, 0x20); // count 0: 256 sectors
        byte[] got = new byte[256 * 512];
        for (int s = 0; s < 256; s++) {
            assertTrue(rig.irq, "INTRQ for sector " + s);
            assertEquals(0x58, rig.in(7), "DRQ for sector " + s);
            assertFalse(rig.irq, "the status read clears it");
            System.arraycopy(rig.readData(512), 0, got, s * 512, 512);
        }
        assertArrayEquals(sectors(1000, 256), got);
        assertEquals(0x50, rig.altStatus());
        assertEquals(edges + 256, rig.irqEdges, "one interrupt per sector");
        assertEquals(256 / AtaDisk.READ_AHEAD, disk.reads, "node reads for 256 sectors");
    }

    /** READ MULTIPLE's blocks of 16 sectors come from the read-ahead whole, the last short one too. */
    @Test
    void readMultipleBlocksComeWholeFromTheReadAhead() {
        int edges = readMultiple(16, 3, 16, 16, 16, 16, 16, 16, 4);
        assertEquals(edges + 7, rig.irqEdges, "one interrupt per block");
        assertEquals(2, disk.reads, "64 sectors, then the 36 left");
    }

    /**
     * A bad sector inside a read-ahead fails the command only when the host reaches its sector:
     * the sectors before it are offered with their data and interrupts, then the status shows ERR
     * with UNC, as when every sector was read on its own.
     */
    @Test
    void aBadSectorReadAheadFailsOnlyTheSectorItIsIn() {
        disk.badSector = 105;
        rig.lba28(0, 100, 10, 0x20);
        for (int s = 0; s < 5; s++) {
            assertTrue(rig.irq, "INTRQ for sector " + (100 + s));
            assertEquals(0x58, rig.in(7), "DRQ for sector " + (100 + s));
            assertArrayEquals(sectors(100 + s, 1), rig.readData(512), "sector " + (100 + s));
        }
        assertTrue(rig.irq, "the error interrupts");
        assertEquals(0x51, rig.in(7), "ERR, no DRQ: sector 105 failed");
        assertEquals(0x40, rig.in(1), "UNC");
    }

    /** The read-ahead lives as long as its command: a write between two reads is read back. */
    @Test
    void aSectorWrittenAfterAReadIsReadBackNew() {
        rig.lba28(0, 20, 10, 0x20);
        for (int s = 0; s < 10; s++) {
            rig.in(7);
            rig.readData(512);
        }
        byte[] data = new byte[512];
        Arrays.fill(data, (byte) 0xA5);
        rig.lba28(0, 23, 1, 0x30);
        rig.writeData(data);
        assertEquals(0x50, rig.in(7));
        rig.lba28(0, 20, 10, 0x20);
        byte[] got = new byte[10 * 512];
        for (int s = 0; s < 10; s++) {
            rig.in(7);
            System.arraycopy(rig.readData(512), 0, got, s * 512, 512);
        }
        assertArrayEquals(data, Arrays.copyOfRange(got, 3 * 512, 4 * 512), "sector 23 as written");
        assertArrayEquals(sectors(20, 10), got);
    }

    @Test
    void pioWriteSectorsWritesTheDiskAndInterruptsAfterEachBlock() {
        byte[] data = new byte[2 * 512];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i ^ 0x5A);
        }
        rig.lba28(0, 500, 2, 0x30);
        assertEquals(0x58, rig.altStatus(), "DRQ for the first block");
        assertFalse(rig.irq, "no interrupt before the first block of a write");
        rig.writeData(Arrays.copyOfRange(data, 0, 512));
        assertTrue(rig.irq);
        assertEquals(0x58, rig.in(7));
        rig.writeData(Arrays.copyOfRange(data, 512, 1024));
        assertTrue(rig.irq, "interrupt when the write completed");
        assertEquals(0x50, rig.in(7));
        assertArrayEquals(data, sectors(500, 2));
        assertEquals(2, disk.writes);
    }

    @Test
    void lba48AddressesCountsAndHobReadback() {
        rig.lba48(0, 1000, 0x0102, 0x24);     // 258 sectors
        assertEquals(0x01, rig.channel.hobCount);
        rig.control(0x80);
        assertEquals(0x01, rig.in(2), "HOB reads the previous count");
        rig.control(0x00);
        assertEquals(0x02, rig.in(2));
        byte[] got = new byte[258 * 512];
        for (int s = 0; s < 258; s++) {
            System.arraycopy(rig.readData(512), 0, got, s * 512, 512);
        }
        assertArrayEquals(sectors(1000, 258), got);
        assertEquals(0x50, rig.altStatus());

        rig.lba48(0, SECTORS - 1, 2, 0x24);
        assertEquals(0x51, rig.in(7), "a range past the end fails");
        assertEquals(0x10, rig.in(1), "IDNF");
    }

    @Test
    void chsAddressingUsesTheLogicalGeometry() {
        rig.out(6, 0xA0 | 3);         // heads - 1 = 3: 4 heads
        rig.out(2, 8);                // 8 sectors per track
        rig.out(7, 0x91);
        assertEquals(0x50, rig.in(7));
        // cylinder 2, head 1, sector 5 -> (2 * 4 + 1) * 8 + 4 = 76
        rig.out(6, 0xA0 | 1);
        rig.out(2, 1);
        rig.out(3, 5);
        rig.out(4, 2);
        rig.out(5, 0);
        rig.out(7, 0x20);
        assertArrayEquals(sectors(76, 1), rig.readData(512));
    }

    @Test
    void dmaReadScattersOverThePrdTable() {
        rig.prd(0x1000, 0x20000, 1024, 0x30000, 512);
        rig.channel.busMaster.write(2, IdeBusMaster.ST_INTERRUPT);
        rig.lba28(0, 40, 3, 0xC8);
        assertFalse(rig.irq, "nothing moves before the bus master starts");
        rig.startDma(0x1000, true);
        assertTrue(rig.irq);
        assertEquals(0x50, rig.in(7));
        byte[] first = new byte[1024];
        byte[] second = new byte[512];
        rig.ram.read(0x20000, first, 0, 1024);
        rig.ram.read(0x30000, second, 0, 512);
        assertArrayEquals(sectors(40, 2), first);
        assertArrayEquals(sectors(42, 1), second);
        assertEquals(IdeBusMaster.ST_INTERRUPT, rig.channel.busMaster.read(2) & 7, "interrupt set, active clear, no error");
    }

    @Test
    void dmaWriteGathersAndBusMasterStartedFirstAlsoWorks() {
        byte[] data = new byte[2 * 512];
        Arrays.fill(data, (byte) 0x77);
        rig.ram.write(0x40000, data, 0, data.length);
        rig.prd(0x2000, 0x40000, 0x10000);     // 64 KiB entry: the table is longer than the data
        rig.startDma(0x2000, false);
        rig.lba48(0, 9, 2, 0x35);
        assertEquals(0x50, rig.in(7));
        assertArrayEquals(data, sectors(9, 2));
        assertEquals(IdeBusMaster.ST_INTERRUPT | IdeBusMaster.ST_ACTIVE, rig.channel.busMaster.read(2) & 7,
                "a longer table leaves the bus master active with the interrupt set");
    }

    @Test
    void hostilePrdTablesEndTheTransferWithAnError() {
        // a table with no end mark: 8192 entries of 2 bytes do not cover 64 sectors
        for (int i = 0; i < IdeBusMaster.MAX_ENTRIES; i++) {
            rig.ram.write(0x80000 + 8L * i, 4, 0x10000);
            rig.ram.write(0x80000 + 8L * i + 4, 4, 2);
        }
        rig.lba28(0, 0, 64, 0xC8);
        rig.startDma(0x80000, true);
        assertEquals(0x51, rig.in(7), "the command fails");
        assertEquals(0x04, rig.in(1));
        assertEquals(IdeBusMaster.ST_ERROR | IdeBusMaster.ST_INTERRUPT, rig.channel.busMaster.read(2) & 7);

        rig.channel.busMaster.write(0, 0);
        rig.channel.busMaster.write(2, IdeBusMaster.ST_ERROR | IdeBusMaster.ST_INTERRUPT);
        assertEquals(0, rig.channel.busMaster.read(2) & 7, "error and interrupt are write-1-to-clear");
        rig.lba28(0, 0, 1, 0xC8);
        rig.startDma(0xFFFF0000, true);        // the table is not in RAM
        assertEquals(0x51, rig.in(7));

        rig.channel.busMaster.write(0, 0);
        rig.prd(0x3000, 0xFFF00000L, 512);     // the buffer is not in RAM
        rig.lba28(0, 0, 1, 0xC8);
        rig.startDma(0x3000, true);
        assertEquals(0x51, rig.in(7));
        assertEquals(0, rig.ram.strayWrites, "nothing written outside RAM");

        rig.channel.busMaster.write(0, 0);
        rig.prd(0x3000, 0x20000, 512);         // shorter than the two sectors asked for
        rig.lba28(0, 0, 2, 0xC8);
        rig.startDma(0x3000, true);
        assertEquals(0x51, rig.in(7));
        assertEquals(0, rig.channel.busMaster.read(2) & IdeBusMaster.ST_ACTIVE);
        assertTrue(rig.warnings.count() >= 4, "each was logged");
    }

    @Test
    void dmaWithBusMasteringDisabledOrTheWrongDirectionFails() {
        rig.busMastering = false;
        rig.prd(0x1000, 0x20000, 512);
        rig.lba28(0, 0, 1, 0xC8);
        rig.startDma(0x1000, true);
        assertEquals(0x51, rig.in(7));
        assertEquals(IdeBusMaster.ST_ERROR, rig.channel.busMaster.read(2) & IdeBusMaster.ST_ERROR);
        rig.busMastering = true;
        rig.channel.busMaster.write(0, 0);
        rig.lba28(0, 0, 1, 0xC8);
        rig.startDma(0x1000, false);           // memory to device for a read
        assertEquals(0x51, rig.in(7));
    }

    @Test
    void unknownCommandsAbortAndFlushVerifyAndPowerCommandsComplete() {
        rig.out(7, 0x00);                       // NOP always aborts
        assertEquals(0x51, rig.in(7));
        assertEquals(0x04, rig.in(1));
        rig.out(7, 0xA1);                       // IDENTIFY PACKET DEVICE on a disk
        assertEquals(0x51, rig.in(7));
        rig.out(7, 0xFE);
        assertEquals(0x51, rig.in(7));
        rig.out(7, 0xE7);
        assertEquals(0x50, rig.in(7));
        rig.out(7, 0xEA);
        assertEquals(0x50, rig.in(7));
        assertEquals(2, disk.flushes);
        rig.lba28(0, 10, 5, 0x40);
        assertEquals(0x50, rig.in(7));
        rig.out(7, 0xE5);
        assertEquals(0x50, rig.in(7));
        assertEquals(0xFF, rig.in(2), "CHECK POWER MODE: active");
    }

    @Test
    void nIenMasksIntrqAndSrstResetsTheDevice() {
        rig.control(0x02);
        rig.out(7, 0xE7);
        assertFalse(rig.irq, "nIEN keeps INTRQ released");
        rig.control(0x00);
        assertTrue(rig.irq, "the pending interrupt shows once nIEN is cleared");
        rig.lba28(0, 0, 2, 0x20);
        rig.out(3, 0x99);
        rig.control(0x04);
        assertEquals(0x80, rig.altStatus(), "BSY while SRST is set");
        rig.out(7, 0xEC);                       // ignored while in reset
        rig.control(0x00);
        assertEquals(0x50, rig.altStatus());
        assertEquals(1, rig.in(3), "the signature is back");
        assertEquals(0, rig.inw(), "no data left from the cancelled read");
    }

    @Test
    void ioErrorsAndReadOnlyDrivesFail() {
        disk.failing = true;
        rig.lba28(0, 0, 1, 0x20);
        assertEquals(0x51, rig.in(7));
        assertEquals(0x40, rig.in(1), "UNC");
        IdeRig ro = new IdeRig();
        ro.channel.attach(0, new AtaDisk(new FakeDisk(4096, true), "s", "m"));
        ro.lba28(0, 0, 1, 0x30);
        assertEquals(0x51, ro.in(7), "a write to a read-only drive aborts");
    }
}
