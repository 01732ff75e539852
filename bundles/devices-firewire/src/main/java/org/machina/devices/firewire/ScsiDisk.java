package org.machina.devices.firewire;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.machina.api.block.BlockNode;

/**
 * A SCSI direct-access logical unit over a {@link BlockNode} (SPC-3 and SBC-2 subsets), as SBP-2
 * carries it: TEST UNIT READY, REQUEST SENSE, INQUIRY (standard data and VPD pages 00h, 80h),
 * MODE SENSE(6)/(10) (header, caching page 08h), START STOP UNIT, PREVENT ALLOW MEDIUM REMOVAL,
 * READ CAPACITY(10)/(16), READ(6)/(10)/(16), WRITE(6)/(10)/(16), SYNCHRONIZE CACHE(10)/(16),
 * VERIFY(10). Anything else is CHECK CONDITION, ILLEGAL REQUEST, INVALID COMMAND OPERATION CODE.
 * Blocks are 512 bytes.
 */
final class ScsiDisk {
    static final int BLOCK = 512;
    static final int GOOD = 0x00;
    static final int CHECK_CONDITION = 0x02;
    static final int NO_SENSE = 0x0;
    static final int MEDIUM_ERROR = 0x3;
    static final int ILLEGAL_REQUEST = 0x5;
    static final int DATA_PROTECT = 0x7;
    /** Largest transfer of one command (SBP-2 page tables reach far beyond what Linux asks for). */
    static final int MAX_TRANSFER = 4 << 20;

    /**
     * The outcome of a command.
     *
     * @param status SCSI status
     * @param data data for the initiator (data-in commands), or null
     * @param senseKey sense key when CHECK CONDITION
     * @param asc additional sense code
     * @param ascq additional sense code qualifier
     */
    record Result(int status, byte[] data, int senseKey, int asc, int ascq) {
        static Result good(byte[] data) {
            return new Result(GOOD, data, 0, 0, 0);
        }

        static Result check(int key, int asc, int ascq) {
            return new Result(CHECK_CONDITION, null, key, asc, ascq);
        }
    }

    private final BlockNode drive;
    private final String serial;
    private Result lastSense = Result.check(NO_SENSE, 0, 0);

    ScsiDisk(BlockNode drive, String serial) {
        this.drive = drive;
        this.serial = serial;
    }

    /** The sense REQUEST SENSE would report: key, asc, ascq. */
    int[] sense() {
        return new int[] {lastSense.senseKey(), lastSense.asc(), lastSense.ascq()};
    }

    void restoreSense(int key, int asc, int ascq) {
        lastSense = Result.check(key, asc, ascq);
    }

    long blocks() {
        return drive.size() / BLOCK;
    }

    /** Whether the command moves data from the initiator to the disk (how many bytes it wants), else -1. */
    static long dataOutLength(byte[] cdb) {
        return switch (cdb[0] & 0xFF) {
            case 0x0A -> ((cdb[4] & 0xFF) == 0 ? 256 : cdb[4] & 0xFF) * (long) BLOCK;
            case 0x2A -> (long) u16(cdb, 7) * BLOCK;
            case 0x8A -> (u32(cdb, 10) & 0xFFFF_FFFFL) * BLOCK;
            default -> -1;
        };
    }

    /** Executes a command; {@code dataOut} carries the data of a write. */
    Result execute(byte[] cdb, byte[] dataOut) {
        Result r;
        try {
            r = run(cdb, dataOut);
        } catch (IOException | RuntimeException e) {
            r = Result.check(MEDIUM_ERROR, 0x11, 0);   // unrecovered read error (or write fault)
        }
        if (r.status() == CHECK_CONDITION) {
            lastSense = r;
        }
        return r;
    }

    private Result run(byte[] cdb, byte[] out) throws IOException {
        int op = cdb[0] & 0xFF;
        if ((op == 0x88 || op == 0x8A || op == 0x91 || op == 0x9E) && cdb.length < 16) {
            return Result.check(ILLEGAL_REQUEST, 0x20, 0);   // a 16-byte command in SBP-2's 12-byte command block
        }
        switch (op) {
            case 0x00, 0x1B, 0x1E, 0x2F -> {   // TEST UNIT READY, START STOP UNIT, PREVENT ALLOW, VERIFY(10)
                return Result.good(null);
            }
            case 0x03 -> {   // REQUEST SENSE
                byte[] s = new byte[18];
                s[0] = 0x70;
                s[2] = (byte) lastSense.senseKey();
                s[7] = 10;
                s[12] = (byte) lastSense.asc();
                s[13] = (byte) lastSense.ascq();
                lastSense = Result.check(NO_SENSE, 0, 0);
                return Result.good(trim(s, cdb[4] & 0xFF));
            }
            case 0x12 -> {
                return inquiry(cdb);
            }
            case 0x1A, 0x5A -> {
                return modeSense(cdb, op == 0x5A);
            }
            case 0x25 -> {   // READ CAPACITY(10)
                byte[] d = new byte[8];
                long last = blocks() - 1;
                putU32(d, 0, (int) Math.min(last, 0xFFFF_FFFFL));
                putU32(d, 4, BLOCK);
                return Result.good(d);
            }
            case 0x9E -> {   // SERVICE ACTION IN(16): READ CAPACITY(16)
                if ((cdb[1] & 0x1F) != 0x10) {
                    return Result.check(ILLEGAL_REQUEST, 0x24, 0);
                }
                byte[] d = new byte[32];
                putU32(d, 0, (int) ((blocks() - 1) >>> 32));
                putU32(d, 4, (int) (blocks() - 1));
                putU32(d, 8, BLOCK);
                return Result.good(trim(d, u32(cdb, 10)));
            }
            case 0x08, 0x28, 0x88 -> {
                long lba = op == 0x08 ? u32(cdb, 0) & 0x1F_FFFF : op == 0x28 ? u32(cdb, 2) & 0xFFFF_FFFFL : u64(cdb, 2);
                long count = op == 0x08 ? ((cdb[4] & 0xFF) == 0 ? 256 : cdb[4] & 0xFF)
                        : op == 0x28 ? u16(cdb, 7) : u32(cdb, 10) & 0xFFFF_FFFFL;
                Result bad = checkRange(lba, count);
                if (bad != null) {
                    return bad;
                }
                byte[] d = new byte[(int) (count * BLOCK)];
                drive.read(lba * BLOCK, ByteBuffer.wrap(d));
                return Result.good(d);
            }
            case 0x0A, 0x2A, 0x8A -> {
                long lba = op == 0x0A ? u32(cdb, 0) & 0x1F_FFFF : op == 0x2A ? u32(cdb, 2) & 0xFFFF_FFFFL : u64(cdb, 2);
                long count = dataOutLength(cdb) / BLOCK;
                Result bad = checkRange(lba, count);
                if (bad != null) {
                    return bad;
                }
                if (drive.readOnly()) {
                    return Result.check(DATA_PROTECT, 0x27, 0);   // write protected
                }
                if (out == null || out.length < count * BLOCK) {
                    return Result.check(ILLEGAL_REQUEST, 0x24, 0);
                }
                drive.write(lba * BLOCK, ByteBuffer.wrap(out, 0, (int) (count * BLOCK)));
                return Result.good(null);
            }
            case 0x35, 0x91 -> {   // SYNCHRONIZE CACHE(10)/(16)
                if (!drive.readOnly()) {
                    drive.flush();
                }
                return Result.good(null);
            }
            default -> {
                return Result.check(ILLEGAL_REQUEST, 0x20, 0);   // invalid command operation code
            }
        }
    }

    private Result checkRange(long lba, long count) {
        if (lba < 0 || count < 0 || lba > blocks() || count > blocks() - lba) {
            return Result.check(ILLEGAL_REQUEST, 0x21, 0);   // logical block address out of range
        }
        if (count * BLOCK > MAX_TRANSFER) {
            return Result.check(ILLEGAL_REQUEST, 0x24, 0);
        }
        return null;
    }

    private Result inquiry(byte[] cdb) {
        int alloc = u16(cdb, 3);
        if ((cdb[1] & 1) != 0) {
            int page = cdb[2] & 0xFF;
            if (page == 0x00) {
                return Result.good(trim(new byte[] {0, 0, 0, 2, 0x00, (byte) 0x80}, alloc));
            }
            if (page == 0x80) {
                byte[] s = serial.getBytes(StandardCharsets.US_ASCII);
                byte[] d = new byte[4 + s.length];
                d[1] = (byte) 0x80;
                d[3] = (byte) s.length;
                System.arraycopy(s, 0, d, 4, s.length);
                return Result.good(trim(d, alloc));
            }
            return Result.check(ILLEGAL_REQUEST, 0x24, 0);
        }
        byte[] d = new byte[36];
        d[0] = 0x00;        // direct-access block device
        d[2] = 0x05;        // SPC-3
        d[3] = 0x02;        // response data format 2
        d[4] = 31;          // additional length
        ascii(d, 8, "MACHINA ", 8);
        ascii(d, 16, "SBP-2 DISK", 16);
        ascii(d, 32, "0.1", 4);
        return Result.good(trim(d, alloc));
    }

    private Result modeSense(byte[] cdb, boolean ten) {
        int page = cdb[2] & 0x3F;
        int alloc = ten ? u16(cdb, 7) : cdb[4] & 0xFF;
        byte[] caching = new byte[20];
        caching[0] = 0x08;
        caching[1] = 0x12;
        caching[2] = 0x04;   // WCE: the host page cache is a write cache; SYNCHRONIZE CACHE flushes it
        boolean withCaching = page == 0x08 || page == 0x3F;
        if (!withCaching && page != 0x00) {
            return Result.check(ILLEGAL_REQUEST, 0x24, 0);
        }
        int header = ten ? 8 : 4;
        byte[] d = new byte[header + (withCaching ? caching.length : 0)];
        int wp = drive.readOnly() ? 0x80 : 0;
        if (ten) {
            d[0] = (byte) ((d.length - 2) >>> 8);
            d[1] = (byte) (d.length - 2);
            d[3] = (byte) wp;
        } else {
            d[0] = (byte) (d.length - 1);
            d[2] = (byte) wp;
        }
        if (withCaching) {
            System.arraycopy(caching, 0, d, header, caching.length);
        }
        return Result.good(trim(d, alloc));
    }

    private static byte[] trim(byte[] d, long alloc) {
        return alloc >= d.length ? d : java.util.Arrays.copyOf(d, (int) alloc);
    }

    private static void ascii(byte[] d, int at, String s, int width) {
        for (int i = 0; i < width; i++) {
            d[at + i] = (byte) (i < s.length() ? s.charAt(i) : ' ');
        }
    }

    static int u16(byte[] b, int at) {
        return (b[at] & 0xFF) << 8 | b[at + 1] & 0xFF;
    }

    static int u32(byte[] b, int at) {
        return (b[at] & 0xFF) << 24 | (b[at + 1] & 0xFF) << 16 | (b[at + 2] & 0xFF) << 8 | b[at + 3] & 0xFF;
    }

    static long u64(byte[] b, int at) {
        return (u32(b, at) & 0xFFFF_FFFFL) << 32 | u32(b, at + 4) & 0xFFFF_FFFFL;
    }

    static void putU32(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
    }
}
