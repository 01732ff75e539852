package org.machina.devices.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.machina.api.block.BlockNode;

/**
 * An ATA disk (ATA/ATAPI-6 command set) over a {@link BlockNode}: 512-byte sectors, LBA28 and
 * LBA48 (and CHS through the logical geometry of INITIALIZE DEVICE PARAMETERS), PIO with
 * READ/WRITE MULTIPLE blocks of up to {@value #MAX_MULTIPLE} sectors, and DMA through the
 * channel's bus master. Commands it does not know, and commands whose range leaves the disk,
 * end with ERR (ABRT, or IDNF for a bad address).
 */
final class AtaDisk extends IdeDrive {
    static final int SECTOR = 512;
    static final int MAX_MULTIPLE = 16;
    static final long LBA28_LIMIT = 0x0FFF_FFFFL;
    static final int DEFAULT_HEADS = 16;
    static final int DEFAULT_SECTORS = 63;
    /**
     * A PIO read reads up to this many of its command's sectors ahead, in one read of the node (a
     * multiple of every READ MULTIPLE block size, so no block straddles two read-aheads).
     */
    static final int READ_AHEAD = 64;

    private final long sectors;
    private int multiple;
    private int heads = DEFAULT_HEADS;
    private int sectorsPerTrack = DEFAULT_SECTORS;

    // the PIO command in progress
    private long lba;
    private int remaining;
    private int blockSectors;
    private boolean writing;
    private byte[] block = new byte[SECTOR];
    /**
     * The PIO read's sectors read ahead: {@code aheadSectors} from {@code aheadLba} (none when 0),
     * valid for the command in progress only.
     */
    private byte[] ahead;
    private long aheadLba;
    private int aheadSectors;

    AtaDisk(BlockNode node, String serial, String model) {
        super(node, serial, model);
        this.sectors = node.size() / SECTOR;
    }

    @Override
    boolean packet() {
        return false;
    }

    @Override
    void reset() {
        super.reset();
        remaining = 0;
        aheadSectors = 0;
    }

    long sectors() {
        return sectors;
    }

    int multiple() {
        return multiple;
    }

    /** Cylinders of the default geometry (capped at 16383, as ATA wants for big disks). */
    private long defaultCylinders() {
        return Math.max(1, Math.min(16383, sectors / (DEFAULT_HEADS * DEFAULT_SECTORS)));
    }

    byte[] identify() {
        int[] w = new int[256];
        w[0] = 0x0040;
        w[1] = (int) defaultCylinders();
        w[3] = DEFAULT_HEADS;
        w[6] = DEFAULT_SECTORS;
        putString(w, 10, 20, serial);
        putString(w, 23, 8, "1.0");
        putString(w, 27, 40, model);
        w[47] = 0x8000 | MAX_MULTIPLE;
        w[49] = 0x0300;                 // LBA, DMA
        w[50] = 0x4000;
        w[53] = 0x0007;                 // words 54-58, 64-70 and 88 valid
        long cyl = Math.max(1, Math.min(65535, sectors / ((long) heads * sectorsPerTrack)));
        w[54] = (int) cyl;
        w[55] = heads;
        w[56] = sectorsPerTrack;
        long chs = cyl * heads * sectorsPerTrack;
        w[57] = (int) (chs & 0xFFFF);
        w[58] = (int) (chs >>> 16 & 0xFFFF);
        w[59] = multiple != 0 ? 0x100 | multiple : 0;
        long lba28 = Math.min(sectors, LBA28_LIMIT);
        w[60] = (int) (lba28 & 0xFFFF);
        w[61] = (int) (lba28 >>> 16);
        dmaWords(w);
        w[80] = 0x007E;                 // ATA-1 to ATA-6
        w[82] = 0x4020;                 // NOP, write cache
        w[83] = 0x7400;                 // FLUSH CACHE EXT, FLUSH CACHE, LBA48
        w[84] = 0x4000;
        w[85] = 0x4020;
        w[86] = 0x3400;
        w[87] = 0x4000;
        w[93] = 0x4001;                 // device 0 passed diagnostics
        for (int i = 0; i < 4; i++) {
            w[100 + i] = (int) (sectors >>> 16 * i & 0xFFFF);
        }
        return identifyBytes(w);
    }

    @Override
    void execute(int command) {
        switch (command) {
            case 0xEC -> {
                remaining = 0;
                byte[] id = identify();
                channel.startPio(this, id, 0, id.length, true, true);
            }
            case 0x20, 0x21 -> startPio(address28(), channel.count28(), 1, false);
            case 0x24 -> startPio(channel.lba48(), channel.count48(), 1, false);
            case 0xC4 -> startMultiple(address28(), channel.count28(), false);
            case 0x29 -> startMultiple(channel.lba48(), channel.count48(), false);
            case 0x30, 0x31 -> startPio(address28(), channel.count28(), 1, true);
            case 0x34 -> startPio(channel.lba48(), channel.count48(), 1, true);
            case 0xC5 -> startMultiple(address28(), channel.count28(), true);
            case 0x39 -> startMultiple(channel.lba48(), channel.count48(), true);
            case 0xC8, 0xC9 -> startDma(address28(), channel.count28(), false);
            case 0x25 -> startDma(channel.lba48(), channel.count48(), false);
            case 0xCA, 0xCB -> startDma(address28(), channel.count28(), true);
            case 0x35 -> startDma(channel.lba48(), channel.count48(), true);
            case 0x40, 0x41 -> verify(address28(), channel.count28());
            case 0x42 -> verify(channel.lba48(), channel.count48());
            case 0xE7, 0xEA -> flush();
            case 0xEF -> setFeatures();
            case 0x91 -> {
                heads = (channel.device & 0x0F) + 1;
                sectorsPerTrack = channel.count;
                complete();
            }
            case 0xC6 -> {
                int n = channel.count;
                if (n > MAX_MULTIPLE || Integer.bitCount(n) > 1) {
                    abort();
                } else {
                    multiple = n;
                    complete();
                }
            }
            case 0x70, 0xE0, 0xE1, 0xE2, 0xE3 -> complete();
            case 0xE5 -> {
                channel.count = 0xFF;   // active or idle
                complete();
            }
            case 0x90 -> diagnose();
            default -> {
                if (command >= 0x10 && command <= 0x1F) {
                    complete();         // RECALIBRATE
                } else {
                    abort();
                }
            }
        }
    }

    /** The LBA28 address, or the CHS address through the logical geometry (-1 when invalid). */
    private long address28() {
        if ((channel.device & IdeChannel.DEV_LBA) != 0) {
            return channel.lba28();
        }
        int cyl = channel.lbaHigh << 8 | channel.lbaMid;
        int head = channel.device & 0x0F;
        int sector = channel.lbaLow;
        if (sector == 0 || sector > sectorsPerTrack || head >= heads) {
            return -1;
        }
        return ((long) cyl * heads + head) * sectorsPerTrack + sector - 1;
    }

    private boolean inRange(long start, int n) {
        if (start < 0 || start > sectors || n > sectors - start) {
            fail(ERR_IDNF);
            return false;
        }
        return true;
    }

    private void startMultiple(long start, int n, boolean write) {
        if (multiple == 0) {
            abort();
            return;
        }
        startPio(start, n, multiple, write);
    }

    private void startPio(long start, int n, int perBlock, boolean write) {
        if (!inRange(start, n) || (write && readOnly())) {
            return;
        }
        lba = start;
        remaining = n;
        blockSectors = perBlock;
        writing = write;
        aheadSectors = 0;
        if (block.length < perBlock * SECTOR) {
            block = new byte[perBlock * SECTOR];
        }
        nextBlock(false);
    }

    private boolean readOnly() {
        if (node.readOnly()) {
            channel.warnings.warn("{}", channel.name + ": write to a read-only drive refused");
            abort();
            return true;
        }
        return false;
    }

    /**
     * Offers the next block: for the host to fill, or read from the disk, from the sectors read
     * ahead (which a block outside them reads anew). When a read-ahead fails, the blocks are read
     * one by one as the host reaches them, so a bad sector fails the block it is in, after the
     * blocks before it were offered, as without the read-ahead.
     */
    private void nextBlock(boolean interruptForWrite) {
        int n = Math.min(blockSectors, remaining);
        if (writing) {
            channel.startPio(this, block, 0, n * SECTOR, false, interruptForWrite);
            return;
        }
        if (lba < aheadLba || lba + n > aheadLba + aheadSectors) {
            readAhead(n);
        }
        if (lba >= aheadLba && lba + n <= aheadLba + aheadSectors) {
            channel.startPio(this, ahead, (int) (lba - aheadLba) * SECTOR, n * SECTOR, true, true);
            return;
        }
        try {
            node.read(lba * SECTOR, ByteBuffer.wrap(block, 0, n * SECTOR));
        } catch (IOException | RuntimeException e) {
            ioError("read", e);
            fail(ERR_UNC);
            return;
        }
        channel.startPio(this, block, 0, n * SECTOR, true, true);
    }

    /**
     * Reads the command's next sectors from {@link #lba}, at least {@code n} and up to
     * {@value #READ_AHEAD}, in one read of the node; leaves none when it fails. The sectors are
     * read when the first of them is reached rather than each when it is: a writer of the node
     * other than this drive (an NBD client) racing with the command may be seen a little earlier,
     * which nothing orders anyway.
     */
    private void readAhead(int n) {
        aheadSectors = 0;
        int k = Math.max(n, Math.min(remaining, READ_AHEAD));
        if (ahead == null || ahead.length < k * SECTOR) {
            ahead = new byte[Math.max(k, READ_AHEAD) * SECTOR];
        }
        try {
            node.read(lba * SECTOR, ByteBuffer.wrap(ahead, 0, k * SECTOR));
        } catch (IOException | RuntimeException e) {
            return; // read block by block: the error goes to the block it is in
        }
        aheadLba = lba;
        aheadSectors = k;
    }

    @Override
    void pioDone() {
        if (remaining == 0) {
            status = IdeChannel.DRDY | IdeChannel.DSC;   // IDENTIFY
            return;
        }
        int n = Math.min(blockSectors, remaining);
        if (writing) {
            try {
                node.write(lba * SECTOR, ByteBuffer.wrap(block, 0, n * SECTOR));
            } catch (IOException | RuntimeException e) {
                ioError("write", e);
                remaining = 0;
                abort();
                return;
            }
        }
        lba += n;
        remaining -= n;
        if (remaining > 0) {
            nextBlock(true);
        } else if (writing) {
            complete();
        } else {
            status = IdeChannel.DRDY | IdeChannel.DSC;
        }
    }

    private void startDma(long start, int n, boolean write) {
        if (!inRange(start, n) || (write && readOnly())) {
            return;
        }
        lba = start;
        remaining = n;
        writing = write;
        channel.dmaRequest(this);
    }

    @Override
    void dmaRun(IdeBusMaster bm) {
        int n = remaining;
        remaining = 0;
        if (bm.toMemory() == writing) {
            channel.warnings.warn("{}", channel.name + ": bus master direction does not match the "
                    + (writing ? "write" : "read") + " command");
            abort();
            return;
        }
        byte[] data = new byte[n * SECTOR];
        if (!writing) {
            try {
                node.read(lba * SECTOR, ByteBuffer.wrap(data));
            } catch (IOException | RuntimeException e) {
                ioError("read", e);
                fail(ERR_UNC);
                return;
            }
        }
        IdeBusMaster.Result r = bm.transfer(data, data.length, !writing);
        if (r == IdeBusMaster.Result.ERROR || r == IdeBusMaster.Result.TABLE_SHORTER) {
            if (r == IdeBusMaster.Result.TABLE_SHORTER) {
                channel.warnings.warn("{}", channel.name + ": the PRD table is shorter than the " + n
                        + " sectors of the command");
            }
            abort();
            return;
        }
        if (writing) {
            try {
                node.write(lba * SECTOR, ByteBuffer.wrap(data));
            } catch (IOException | RuntimeException e) {
                ioError("write", e);
                abort();
                return;
            }
        }
        complete();
    }

    private void verify(long start, int n) {
        if (inRange(start, n)) {
            complete();
        }
    }

    private void flush() {
        try {
            if (!node.readOnly()) {
                node.flush();
            }
        } catch (IOException | RuntimeException e) {
            ioError("flush", e);
            abort();
            return;
        }
        complete();
    }

    private void ioError(String what, Exception e) {
        channel.warnings.warn("{}", channel.name + ": " + what + " at sector " + lba + " failed: " + e);
    }
}
