package org.machina.devices.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.machina.api.block.BlockNode;
import org.machina.api.state.StateException;

/**
 * The SCSI/MMC packet commands of the CD-ROM (SPC, MMC, SFF-8020i) over a medium of 2048-byte
 * blocks: TEST UNIT READY, REQUEST SENSE, INQUIRY, READ CAPACITY, READ(10), READ(12), MODE
 * SENSE(10) (pages 01h, 2Ah, 3Fh), READ TOC (formats 0 and 1), GET CONFIGURATION, GET EVENT
 * STATUS NOTIFICATION (polled, media class), PREVENT ALLOW MEDIUM REMOVAL, START STOP UNIT, SEEK
 * and SET CD SPEED. Anything else is CHECK CONDITION, ILLEGAL REQUEST, "invalid command operation
 * code". Fixed-format sense data holds the last command's result until the next command (other
 * than REQUEST SENSE) replaces it.
 *
 * <p>The medium is removable: the tray opens and closes (START STOP UNIT with LoEj from the guest,
 * {@link #eject}/{@link #insert} from the monitor), PREVENT ALLOW MEDIUM REMOVAL locks it. Without a
 * medium, or with the tray open, the medium commands answer NOT READY, "medium not present"
 * (3Ah, qualifier 1 tray closed, 2 tray open). A medium that arrives (the tray closes on one)
 * makes the next command other than INQUIRY, REQUEST SENSE and GET EVENT STATUS NOTIFICATION
 * answer UNIT ATTENTION, "not ready to ready change, medium may have changed" (28h), once; GET
 * EVENT STATUS NOTIFICATION reports, once each, "new media", "media removal" and "eject request"
 * (the monitor asked to eject a locked medium), and always the tray and whether a medium is present
 * (MMC-5, 6.6).
 *
 * <p>{@link #saveTray}/{@link #loadTray} carry all of that ({@link Tray}) across a hot-swap.
 */
final class AtapiCommands {
    static final int BLOCK = 2048;
    static final int NO_SENSE = 0;
    static final int NOT_READY = 2;
    static final int MEDIUM_ERROR = 3;
    static final int ILLEGAL_REQUEST = 5;
    static final int UNIT_ATTENTION = 6;
    static final int ABORTED_COMMAND = 0x0B;
    static final int ASC_INVALID_OPCODE = 0x20;
    static final int ASC_LBA_OUT_OF_RANGE = 0x21;
    static final int ASC_INVALID_FIELD = 0x24;
    static final int ASC_READ_ERROR = 0x11;
    static final int ASC_MEDIUM_MAY_HAVE_CHANGED = 0x28;
    static final int ASC_MEDIUM_NOT_PRESENT = 0x3A;
    static final int ASC_REMOVAL_PREVENTED = 0x53;
    /** GET EVENT STATUS NOTIFICATION media event codes. */
    static final int EVENT_EJECT_REQUEST = 1;
    static final int EVENT_NEW_MEDIA = 2;
    static final int EVENT_MEDIA_REMOVAL = 3;
    /** Largest READ reply (blocks beyond are refused as an invalid field). */
    static final int MAX_READ_BYTES = 32 << 20;

    /** A command's outcome: data for the host ({@code length} bytes of {@code data}) or CHECK CONDITION. */
    record Reply(boolean good, byte[] data, int length) {
        static final Reply NONE = new Reply(true, new byte[0], 0);
        static final Reply CHECK = new Reply(false, new byte[0], 0);
    }

    /**
     * What the guest knows of the drive's removable medium and has not been told yet, kept across
     * a hot-swap (the {@code ide-cd} device's state, {@link IdeCdDevice}). The medium itself is
     * the drive's block node, which the new device gets again by its drive id; {@code medium}
     * says whether it is in the drive (the monitor's eject takes it out, while the runtime keeps
     * the image open under the drive id).
     *
     * @param medium whether a medium is in the drive (in the open tray or loaded)
     * @param trayOpen whether the tray is open
     * @param locked PREVENT MEDIUM REMOVAL in force
     * @param unitAttention a new medium not yet reported by UNIT ATTENTION
     * @param mediaEvent the media event GET EVENT STATUS NOTIFICATION reports next (0-3)
     * @param senseKey the sense key REQUEST SENSE reports (0-15)
     * @param asc its additional sense code (0-255)
     * @param ascq its qualifier (0-255)
     */
    record Tray(boolean medium, boolean trayOpen, boolean locked, boolean unitAttention, int mediaEvent,
            int senseKey, int asc, int ascq) {
    }

    /** The medium, or null; it stays in the open tray after a guest eject, the monitor takes it out. */
    private BlockNode node;
    private boolean trayOpen;
    private boolean locked;
    /** A medium arrived that the guest has not been told of by UNIT ATTENTION. */
    private boolean unitAttention;
    /** The media event GET EVENT STATUS NOTIFICATION reports next, or 0. */
    private int mediaEvent;
    private int senseKey;
    private int asc;
    private int ascq;

    AtapiCommands(BlockNode node) {
        this.node = node;
    }

    long blocks() {
        return present() ? node.size() / BLOCK : 0;
    }

    /** Whether a medium is in and the tray closed. */
    boolean present() {
        return node != null && !trayOpen;
    }

    boolean trayOpen() {
        return trayOpen;
    }

    boolean locked() {
        return locked;
    }

    BlockNode medium() {
        return node;
    }

    /** The monitor's eject: the tray opens and the medium is taken out (returned, or null). */
    BlockNode eject() {
        BlockNode old = node;
        if (present()) {
            mediaEvent = EVENT_MEDIA_REMOVAL;
        }
        node = null;
        trayOpen = true;
        unitAttention = false;
        return old;
    }

    /** The monitor asked to eject while the guest holds the medium locked: the guest is told. */
    void ejectRequest() {
        mediaEvent = EVENT_EJECT_REQUEST;
    }

    /** The monitor puts {@code medium} in and the tray closes: a new medium for the guest. */
    void insert(BlockNode medium) {
        node = medium;
        trayOpen = false;
        mediaArrived();
    }

    private void mediaArrived() {
        if (node != null) {
            unitAttention = true;
            mediaEvent = EVENT_NEW_MEDIA;
        }
    }

    int senseKey() {
        return senseKey;
    }

    Tray saveTray() {
        return new Tray(node != null, trayOpen, locked, unitAttention, mediaEvent, senseKey, asc, ascq);
    }

    /**
     * Restores {@code t} over the medium this drive was created with (the drive id's block node
     * now): without {@code medium} the drive holds none, as after the monitor's eject.
     */
    void loadTray(Tray t) {
        if (t.mediaEvent() < 0 || t.mediaEvent() > EVENT_MEDIA_REMOVAL || t.senseKey() < 0 || t.senseKey() > 0x0F
                || (t.asc() & ~0xFF) != 0 || (t.ascq() & ~0xFF) != 0) {
            throw new StateException("ide-cd state: mediaEvent must be 0-3, senseKey 0-15, asc and ascq 0-255: " + t);
        }
        if (!t.medium()) {
            node = null;
        }
        trayOpen = t.trayOpen();
        locked = t.locked();
        unitAttention = t.unitAttention();
        mediaEvent = t.mediaEvent();
        setSense(t.senseKey(), t.asc(), t.ascq());
    }

    void setSense(int key, int code, int qualifier) {
        senseKey = key;
        asc = code;
        ascq = qualifier;
    }

    Reply run(byte[] cdb) {
        int op = cdb[0] & 0xFF;
        if (op != 0x03) {
            setSense(NO_SENSE, 0, 0);
        }
        if (unitAttention && op != 0x12 && op != 0x03 && op != 0x4A) {
            unitAttention = false;
            return check(UNIT_ATTENTION, ASC_MEDIUM_MAY_HAVE_CHANGED);
        }
        if (!present() && (op == 0x00 || op == 0x25 || op == 0x28 || op == 0xA8 || op == 0x43 || op == 0x2B)) {
            setSense(NOT_READY, ASC_MEDIUM_NOT_PRESENT, trayOpen ? 2 : 1);
            return Reply.CHECK;
        }
        return switch (op) {
            case 0x00, 0x2B, 0xBB -> Reply.NONE;   // TEST UNIT READY, SEEK, SET CD SPEED
            case 0x1E -> {                         // PREVENT ALLOW MEDIUM REMOVAL
                locked = (cdb[4] & 1) != 0;
                yield Reply.NONE;
            }
            case 0x1B -> startStop(cdb[4] & 3);
            case 0x03 -> requestSense(cdb[4] & 0xFF);
            case 0x12 -> inquiry(u16(cdb, 3));
            case 0x25 -> readCapacity();
            case 0x28 -> read(u32(cdb, 2), u16(cdb, 7));
            case 0xA8 -> read(u32(cdb, 2), u32(cdb, 6));
            case 0x5A -> modeSense(cdb[2] & 0x3F, cdb[2] >> 6 & 3, u16(cdb, 7));
            case 0x43 -> readToc(cdb);
            case 0x46 -> getConfiguration(u16(cdb, 2), u16(cdb, 7));
            case 0x4A -> eventStatus(cdb);
            default -> check(ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
        };
    }

    /** START STOP UNIT: with LoEj, Start=0 opens the tray (refused while locked), Start=1 closes it. */
    private Reply startStop(int bits) {
        if ((bits & 2) == 0) {
            return Reply.NONE;                     // spin up or down: nothing to do
        }
        if ((bits & 1) == 0) {
            if (locked) {
                setSense(ILLEGAL_REQUEST, ASC_REMOVAL_PREVENTED, 2);
                return Reply.CHECK;
            }
            if (!trayOpen) {
                trayOpen = true;
                if (node != null) {
                    mediaEvent = EVENT_MEDIA_REMOVAL;
                }
            }
        } else if (trayOpen) {
            trayOpen = false;
            mediaArrived();
        }
        return Reply.NONE;
    }

    private Reply check(int key, int code) {
        setSense(key, code, 0);
        return Reply.CHECK;
    }

    private static Reply reply(byte[] data, long allocation) {
        return new Reply(true, data, (int) Math.min(data.length, allocation));
    }

    private Reply requestSense(int allocation) {
        byte[] s = new byte[18];
        s[0] = 0x70;
        s[2] = (byte) senseKey;
        s[7] = 10;
        s[12] = (byte) asc;
        s[13] = (byte) ascq;
        setSense(NO_SENSE, 0, 0);
        return reply(s, allocation);
    }

    private Reply inquiry(int allocation) {
        byte[] d = new byte[36];
        d[0] = 0x05;                    // CD/DVD device
        d[1] = (byte) 0x80;             // removable
        d[2] = 0x00;
        d[3] = 0x21;                    // ATAPI, response data format 1
        d[4] = 31;
        ascii(d, 8, 8, "MACHINA");
        ascii(d, 16, 16, "CD-ROM");
        ascii(d, 32, 4, "1.0");
        return reply(d, allocation);
    }

    private Reply readCapacity() {
        byte[] d = new byte[8];
        put32(d, 0, blocks() - 1);
        put32(d, 4, BLOCK);
        return reply(d, 8);
    }

    private Reply read(long lba, long count) {
        if (count == 0) {
            return Reply.NONE;
        }
        if (lba + count > blocks()) {
            return check(ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
        }
        if (count * BLOCK > MAX_READ_BYTES) {
            return check(ILLEGAL_REQUEST, ASC_INVALID_FIELD);
        }
        byte[] d = new byte[(int) count * BLOCK];
        try {
            node.read(lba * BLOCK, ByteBuffer.wrap(d));
        } catch (IOException | RuntimeException e) {
            return check(MEDIUM_ERROR, ASC_READ_ERROR);
        }
        return new Reply(true, d, d.length);
    }

    private Reply modeSense(int page, int control, int allocation) {
        if (control == 3) {
            return check(ILLEGAL_REQUEST, 0x39);    // saving parameters not supported
        }
        byte[] errorRecovery = {0x01, 0x06, 0, 5, 0, 0, 0, 0};
        byte[] capabilities = new byte[28];
        capabilities[0] = 0x2A;
        capabilities[1] = 26;
        capabilities[4] = 0x01;                     // audio play
        capabilities[6] = 0x29;                     // tray loading, eject, lock
        put16(capabilities, 8, 706);                // 4x in kB/s
        put16(capabilities, 10, 256);
        put16(capabilities, 12, 512);
        put16(capabilities, 14, 706);
        byte[] body = switch (page) {
            case 0x01 -> errorRecovery;
            case 0x2A -> capabilities;
            case 0x3F -> concat(errorRecovery, capabilities);
            default -> null;
        };
        if (body == null) {
            return check(ILLEGAL_REQUEST, ASC_INVALID_FIELD);
        }
        byte[] d = new byte[8 + body.length];
        put16(d, 0, d.length - 2);
        d[2] = 0x01;                                // 120 mm CD-ROM data only
        System.arraycopy(body, 0, d, 8, body.length);
        return reply(d, allocation);
    }

    private Reply readToc(byte[] cdb) {
        boolean msf = (cdb[1] & 2) != 0;
        int format = cdb[2] & 0x0F;
        if (format == 0 && (cdb[9] & 0xC0) != 0) {
            format = (cdb[9] & 0xFF) >> 6;          // the older place of the format
        }
        int track = cdb[6] & 0xFF;
        int allocation = u16(cdb, 7);
        switch (format) {
            case 0 -> {
                if (track > 1 && track != 0xAA) {
                    return check(ILLEGAL_REQUEST, ASC_INVALID_FIELD);
                }
                boolean first = track <= 1;
                byte[] d = new byte[4 + (first ? 16 : 8)];
                put16(d, 0, d.length - 2);
                d[2] = 1;
                d[3] = 1;
                int at = 4;
                if (first) {
                    tocEntry(d, at, 1, 0, msf);
                    at += 8;
                }
                tocEntry(d, at, 0xAA, blocks(), msf);
                return reply(d, allocation);
            }
            case 1 -> {
                byte[] d = new byte[12];
                put16(d, 0, 10);
                d[2] = 1;
                d[3] = 1;
                tocEntry(d, 4, 1, 0, msf);
                return reply(d, allocation);
            }
            default -> {
                return check(ILLEGAL_REQUEST, ASC_INVALID_FIELD);
            }
        }
    }

    private static void tocEntry(byte[] d, int at, int track, long lba, boolean msf) {
        d[at + 1] = 0x14;                           // ADR 1, data track
        d[at + 2] = (byte) track;
        if (msf) {
            long f = lba + 150;
            d[at + 5] = (byte) (f / (75 * 60));
            d[at + 6] = (byte) (f / 75 % 60);
            d[at + 7] = (byte) (f % 75);
        } else {
            put32(d, at + 4, lba);
        }
    }

    private Reply getConfiguration(int startingFeature, int allocation) {
        byte[] d = new byte[startingFeature == 0 ? 16 : 8];
        put32(d, 0, d.length - 4);
        put16(d, 6, present() ? 0x0008 : 0);        // current profile: CD-ROM, or none without a medium
        if (startingFeature == 0) {
            d[10] = 0x03;                           // profile list: persistent, current
            d[11] = 4;
            put16(d, 12, 0x0008);
            d[14] = (byte) (present() ? 1 : 0);     // current
        }
        return reply(d, allocation);
    }

    private Reply eventStatus(byte[] cdb) {
        if ((cdb[1] & 1) == 0) {
            return check(ILLEGAL_REQUEST, ASC_INVALID_FIELD);   // only polled operation
        }
        int classes = cdb[4] & 0xFF;
        int allocation = u16(cdb, 7);
        if ((classes & 0x10) == 0) {
            byte[] d = new byte[4];
            d[2] = (byte) 0x80;                     // no event available
            d[3] = 0x10;                            // supported: media
            return reply(d, allocation);
        }
        byte[] d = new byte[8];
        put16(d, 0, 6);
        d[2] = 0x04;                                // media class
        d[3] = 0x10;
        d[4] = (byte) mediaEvent;                   // 0: no change
        mediaEvent = 0;
        d[5] = (byte) ((trayOpen ? 1 : 0) | (present() ? 2 : 0));   // tray open, media present
        return reply(d, allocation);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = new byte[a.length + b.length];
        System.arraycopy(a, 0, c, 0, a.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    private static void ascii(byte[] d, int at, int length, String s) {
        for (int i = 0; i < length; i++) {
            d[at + i] = (byte) (i < s.length() ? s.charAt(i) : ' ');
        }
    }

    static int u16(byte[] b, int at) {
        return (b[at] & 0xFF) << 8 | b[at + 1] & 0xFF;
    }

    static long u32(byte[] b, int at) {
        return (long) u16(b, at) << 16 | u16(b, at + 2);
    }

    static void put16(byte[] b, int at, int v) {
        b[at] = (byte) (v >> 8);
        b[at + 1] = (byte) v;
    }

    static void put32(byte[] b, int at, long v) {
        put16(b, at, (int) (v >>> 16));
        put16(b, at + 2, (int) v);
    }
}
