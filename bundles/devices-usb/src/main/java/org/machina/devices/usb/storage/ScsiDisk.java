package org.machina.devices.usb.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.machina.api.block.BlockNode;

/**
 * A SCSI direct-access block device (SPC-4, SBC-3) over a {@link BlockNode}, 512-byte logical
 * blocks. Commands: TEST UNIT READY, REQUEST SENSE (fixed format), INQUIRY (standard data, VPD
 * pages 00h, 80h, 83h), READ CAPACITY(10) and (16), READ/WRITE(6/10/12/16), VERIFY(10),
 * MODE SENSE(6/10) (no pages but the header, write protect from the drive), SYNCHRONIZE
 * CACHE(10/16), PREVENT ALLOW MEDIUM REMOVAL, START STOP UNIT. Anything else is CHECK CONDITION,
 * ILLEGAL REQUEST, INVALID COMMAND OPERATION CODE.
 */
final class ScsiDisk {
    static final int BLOCK = 512;
    static final int GOOD = 0;
    static final int CHECK_CONDITION = 2;

    // sense keys and additional sense codes (ASC << 8 | ASCQ)
    static final int NO_SENSE = 0;
    static final int MEDIUM_ERROR = 3;
    static final int ILLEGAL_REQUEST = 5;
    static final int DATA_PROTECT = 7;
    static final int ASC_INVALID_OPCODE = 0x2000;
    static final int ASC_LBA_OUT_OF_RANGE = 0x2100;
    static final int ASC_INVALID_FIELD_IN_CDB = 0x2400;
    static final int ASC_WRITE_PROTECTED = 0x2700;
    static final int ASC_READ_ERROR = 0x1100;
    static final int ASC_WRITE_ERROR = 0x0C00;

    /** Most bytes one command moves (a larger request is refused with INVALID FIELD IN CDB). */
    static final int MAX_TRANSFER = 8 << 20;

    /**
     * The outcome of a command's first half.
     *
     * @param status SCSI status
     * @param dataIn data for the host (null for none)
     * @param dataOut bytes the command wants from the host (0 for none); {@link #finishWrite} takes them
     */
    record Result(int status, byte[] dataIn, int dataOut, long lba) {
        static Result good() {
            return new Result(GOOD, null, 0, 0);
        }

        static Result in(byte[] data) {
            return new Result(GOOD, data, 0, 0);
        }
    }

    private final BlockNode drive;
    private final String vendor;
    private final String product;
    private final String serial;
    private int senseKey;
    private int asc;

    ScsiDisk(BlockNode drive, String vendor, String product, String serial) {
        this.drive = drive;
        this.vendor = vendor;
        this.product = product;
        this.serial = serial;
    }

    long blocks() {
        return drive.size() / BLOCK;
    }

    void reset() {
        senseKey = NO_SENSE;
        asc = 0;
    }

    /** Runs a command (for writes, checks it and says how many bytes to collect). */
    Result execute(byte[] cdb) {
        int op = cdb[0] & 0xFF;
        if (op != 0x03) {
            sense(NO_SENSE, 0);
        }
        return switch (op) {
            case 0x00, 0x1E, 0x1B -> Result.good();                   // TEST UNIT READY, PREVENT ALLOW, START STOP
            case 0x03 -> requestSense(cdb[4] & 0xFF);
            case 0x12 -> inquiry(cdb);
            case 0x25 -> readCapacity10();
            case 0x9E -> (cdb[1] & 0x1F) == 0x10 ? readCapacity16(u32(cdb, 10)) : fail(ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
            case 0x08 -> read(u8(cdb[1] & 0x1F) << 16 | u16(cdb, 2), cdb[4] == 0 ? 256 : u8(cdb[4]));
            case 0x28 -> read(u32(cdb, 2) & 0xFFFFFFFFL, u16(cdb, 7));
            case 0xA8 -> read(u32(cdb, 2) & 0xFFFFFFFFL, u32(cdb, 6) & 0xFFFFFFFFL);
            case 0x88 -> read(u64(cdb, 2), u32(cdb, 10) & 0xFFFFFFFFL);
            case 0x0A -> write(u8(cdb[1] & 0x1F) << 16 | u16(cdb, 2), cdb[4] == 0 ? 256 : u8(cdb[4]));
            case 0x2A -> write(u32(cdb, 2) & 0xFFFFFFFFL, u16(cdb, 7));
            case 0xAA -> write(u32(cdb, 2) & 0xFFFFFFFFL, u32(cdb, 6) & 0xFFFFFFFFL);
            case 0x8A -> write(u64(cdb, 2), u32(cdb, 10) & 0xFFFFFFFFL);
            case 0x2F -> checkRange(u32(cdb, 2) & 0xFFFFFFFFL, u16(cdb, 7)) ? Result.good()
                    : fail(ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);                      // VERIFY(10), BYTCHK=0
            case 0x1A -> modeSense(false, cdb[2] & 0x3F, u8(cdb[4]));
            case 0x5A -> modeSense(true, cdb[2] & 0x3F, u16(cdb, 7));
            case 0x35, 0x91 -> synchronizeCache();
            default -> fail(ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
        };
    }

    /** The data of a write command arrived: writes it. Returns the SCSI status. */
    int finishWrite(Result r, byte[] data) {
        try {
            drive.write(r.lba() * BLOCK, ByteBuffer.wrap(data, 0, r.dataOut()));
            return GOOD;
        } catch (IOException | RuntimeException e) {
            fail(MEDIUM_ERROR, ASC_WRITE_ERROR);
            return CHECK_CONDITION;
        }
    }

    private Result requestSense(int allocation) {
        byte[] s = new byte[18];
        s[0] = 0x70;                       // current error, fixed format
        s[2] = (byte) senseKey;
        s[7] = 10;                         // additional sense length
        s[12] = (byte) (asc >> 8);
        s[13] = (byte) asc;
        sense(NO_SENSE, 0);
        return Result.in(s);
    }

    private Result inquiry(byte[] cdb) {
        if ((cdb[1] & 1) != 0) {
            return vpd(cdb[2] & 0xFF);
        }
        if (cdb[2] != 0) {
            return fail(ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
        }
        byte[] d = new byte[36];
        d[0] = 0;                          // direct-access block device
        d[1] = (byte) 0x80;                // removable medium (as USB sticks say)
        d[2] = 6;                          // SPC-4
        d[3] = 2;                          // response data format 2
        d[4] = 31;                         // additional length
        ascii(d, 8, 8, vendor);
        ascii(d, 16, 16, product);
        ascii(d, 32, 4, "1.0");
        return Result.in(d);
    }

    private Result vpd(int page) {
        byte[] sn = serial.getBytes(StandardCharsets.US_ASCII);
        return switch (page) {
            case 0x00 -> Result.in(new byte[] {0, 0, 0, 3, 0x00, (byte) 0x80, (byte) 0x83});
            case 0x80 -> {
                byte[] d = new byte[4 + sn.length];
                d[1] = (byte) 0x80;
                d[3] = (byte) sn.length;
                System.arraycopy(sn, 0, d, 4, sn.length);
                yield Result.in(d);
            }
            case 0x83 -> {                 // one vendor-specific ASCII designator: the serial
                byte[] d = new byte[8 + sn.length];
                d[1] = (byte) 0x83;
                d[3] = (byte) (4 + sn.length);
                d[4] = 2;                  // code set ASCII
                d[5] = 0;                  // designator type: vendor specific
                d[7] = (byte) sn.length;
                System.arraycopy(sn, 0, d, 8, sn.length);
                yield Result.in(d);
            }
            default -> fail(ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
        };
    }

    private Result readCapacity10() {
        long last = blocks() - 1;
        byte[] d = new byte[8];
        put32(d, 0, last > 0xFFFFFFFFL ? 0xFFFFFFFF : (int) last);
        put32(d, 4, BLOCK);
        return Result.in(d);
    }

    private Result readCapacity16(int allocation) {
        byte[] d = new byte[32];
        long last = blocks() - 1;
        put32(d, 0, (int) (last >>> 32));
        put32(d, 4, (int) last);
        put32(d, 8, BLOCK);
        return Result.in(d);
    }

    private Result modeSense(boolean ten, int page, int allocation) {
        if (page != 0x3F && page != 0x08 && page != 0x00) {
            return fail(ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
        }
        int wp = drive.readOnly() ? 0x80 : 0;
        if (page == 0x08) {                // caching page: write cache enabled (a flush reaches the drive)
            byte[] caching = new byte[20];
            caching[0] = 0x08;
            caching[1] = 18;
            caching[2] = 0x04;             // WCE
            return Result.in(withHeader(ten, wp, caching));
        }
        return Result.in(withHeader(ten, wp, new byte[0]));
    }

    private static byte[] withHeader(boolean ten, int wp, byte[] pages) {
        int header = ten ? 8 : 4;
        byte[] d = new byte[header + pages.length];
        if (ten) {
            d[1] = (byte) (d.length - 2);
            d[3] = (byte) wp;
        } else {
            d[0] = (byte) (d.length - 1);
            d[2] = (byte) wp;
        }
        System.arraycopy(pages, 0, d, header, pages.length);
        return d;
    }

    private Result synchronizeCache() {
        try {
            if (!drive.readOnly()) {
                drive.flush();
            }
            return Result.good();
        } catch (IOException | RuntimeException e) {
            return fail(MEDIUM_ERROR, ASC_WRITE_ERROR);
        }
    }

    private Result read(long lba, long count) {
        if (!checkRange(lba, count)) {
            return fail(ILLEGAL_REQUEST, count * BLOCK > MAX_TRANSFER ? ASC_INVALID_FIELD_IN_CDB : ASC_LBA_OUT_OF_RANGE);
        }
        byte[] data = new byte[(int) (count * BLOCK)];
        try {
            drive.read(lba * BLOCK, ByteBuffer.wrap(data));
        } catch (IOException | RuntimeException e) {
            return fail(MEDIUM_ERROR, ASC_READ_ERROR);
        }
        return Result.in(data);
    }

    private Result write(long lba, long count) {
        if (drive.readOnly()) {
            return fail(DATA_PROTECT, ASC_WRITE_PROTECTED);
        }
        if (!checkRange(lba, count)) {
            return fail(ILLEGAL_REQUEST, count * BLOCK > MAX_TRANSFER ? ASC_INVALID_FIELD_IN_CDB : ASC_LBA_OUT_OF_RANGE);
        }
        return new Result(GOOD, null, (int) (count * BLOCK), lba);
    }

    private boolean checkRange(long lba, long count) {
        return lba >= 0 && count >= 0 && count * BLOCK <= MAX_TRANSFER && lba <= blocks() && count <= blocks() - lba;
    }

    private Result fail(int key, int code) {
        sense(key, code);
        return new Result(CHECK_CONDITION, null, 0, 0);
    }

    private void sense(int key, int code) {
        senseKey = key;
        asc = code;
    }

    void restoreSense(int key, int code) {
        sense(key & 0xF, code & 0xFFFF);
    }

    int senseKey() {
        return senseKey;
    }

    int asc() {
        return asc;
    }

    private static void ascii(byte[] d, int at, int len, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < len; i++) {
            d[at + i] = i < b.length ? b[i] : (byte) ' ';
        }
    }

    private static int u8(int b) {
        return b & 0xFF;
    }

    private static int u16(byte[] b, int at) {
        return (b[at] & 0xFF) << 8 | b[at + 1] & 0xFF;
    }

    private static int u32(byte[] b, int at) {
        return u16(b, at) << 16 | u16(b, at + 2);
    }

    private static long u64(byte[] b, int at) {
        return (u32(b, at) & 0xFFFFFFFFL) << 32 | u32(b, at + 4) & 0xFFFFFFFFL;
    }

    private static void put32(byte[] d, int at, int v) {
        d[at] = (byte) (v >>> 24);
        d[at + 1] = (byte) (v >>> 16);
        d[at + 2] = (byte) (v >>> 8);
        d[at + 3] = (byte) v;
    }
}
