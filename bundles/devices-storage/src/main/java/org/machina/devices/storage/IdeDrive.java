package org.machina.devices.storage;

import org.machina.api.block.BlockNode;

/**
 * A device on an {@link IdeChannel}: an ATA disk ({@link AtaDisk}) or an ATAPI CD-ROM
 * ({@link AtapiCdrom}). The channel owns the shared registers; a drive has its status, error and
 * pending interrupt, and runs the commands addressed to it.
 */
abstract class IdeDrive {
    static final int ERR_ABRT = 0x04;
    static final int ERR_IDNF = 0x10;
    static final int ERR_UNC = 0x40;

    final BlockNode node;
    final String serial;
    final String model;
    IdeChannel channel;
    int unit;

    /** Volatile, as {@link #intrq}: the fast path serves status reads ({@link IdeFastPath}). */
    volatile int status;
    int error;
    volatile boolean intrq;
    boolean dmaPending;
    boolean signaturePending;
    /** Transfer mode chosen by SET FEATURES: 0x08|n PIO n, 0x20|n multiword DMA n, 0x40|n Ultra DMA n. */
    int transferMode = 0x22;

    IdeDrive(BlockNode node, String serial, String model) {
        this.node = node;
        this.serial = serial;
        this.model = model;
    }

    void attach(IdeChannel ch, int u) {
        this.channel = ch;
        this.unit = u;
    }

    /** Whether this is a packet (ATAPI) device. */
    abstract boolean packet();

    /** Power-on, hardware or software reset: the diagnostic result and the signature. */
    void reset() {
        error = 0x01;
        status = packet() ? 0 : IdeChannel.DRDY | IdeChannel.DSC;
        intrq = false;
        dmaPending = false;
        signaturePending = true;
        transferMode = 0x22;
    }

    /** Runs a command written to the command register while this drive is selected. */
    abstract void execute(int command);

    /** The host has read (or written) the PIO block the drive offered. */
    abstract void pioDone();

    /** The bus master is started and this drive asked for DMA: move the data. */
    abstract void dmaRun(IdeBusMaster bm);

    /** The DMA could not run (bus mastering disabled). */
    void dmaFailed() {
        abort();
    }

    /** Ends the command with ERR and ABRT, and an interrupt. */
    void abort() {
        fail(ERR_ABRT);
    }

    void fail(int err) {
        error = err;
        status = IdeChannel.DRDY | IdeChannel.DSC | IdeChannel.ERR;
        channel.raise(this);
    }

    /** Ends the command successfully with an interrupt. */
    void complete() {
        error = 0;
        status = IdeChannel.DRDY | IdeChannel.DSC;
        channel.raise(this);
    }

    /** EXECUTE DEVICE DIAGNOSTIC: both devices pass; device 0 reports for the channel. */
    void diagnose() {
        for (IdeDrive d : channel.drives) {
            if (d != null) {
                d.reset();
                d.signaturePending = false;
            }
        }
        channel.device &= ~IdeChannel.DEV_DEVICE1;
        IdeDrive d0 = channel.selected();
        if (d0 != null) {
            channel.signature(d0.packet());
            channel.raise(d0);
        }
    }

    /** SET FEATURES subcommands both kinds of device take. */
    void setFeatures() {
        int sub = channel.features;
        switch (sub) {
            case 0x03 -> {
                int mode = channel.count;
                boolean ok = switch (mode & 0xF8) {
                    case 0x00, 0x08 -> (mode & 7) <= 4;
                    case 0x20 -> (mode & 7) <= 2;
                    case 0x40 -> (mode & 7) <= 5;
                    default -> false;
                };
                if (!ok) {
                    abort();
                    return;
                }
                transferMode = mode;
                complete();
            }
            case 0x02, 0x82, 0xAA, 0x55, 0x66, 0xCC, 0x05, 0x85 -> complete();
            default -> abort();
        }
    }

    /** Words 63 and 88 (multiword and Ultra DMA modes, supported and selected) and 64 of IDENTIFY. */
    void dmaWords(int[] w) {
        w[63] = 0x0007 | ((transferMode & 0xF8) == 0x20 ? 0x100 << (transferMode & 7) : 0);
        w[64] = 0x0003;
        w[65] = 120;
        w[66] = 120;
        w[67] = 120;
        w[68] = 120;
        w[88] = 0x003F | ((transferMode & 0xF8) == 0x40 ? 0x100 << (transferMode & 7) : 0);
    }

    /** IDENTIFY data as bytes, with the string fields and the checksum in word 255. */
    static byte[] identifyBytes(int[] w) {
        w[255] = 0xA5;
        byte[] b = new byte[512];
        int sum = 0;
        for (int i = 0; i < 256; i++) {
            b[2 * i] = (byte) w[i];
            b[2 * i + 1] = (byte) (w[i] >> 8);
            if (i < 255) {
                sum += (w[i] & 0xFF) + (w[i] >> 8 & 0xFF);
            }
        }
        sum += 0xA5;
        b[511] = (byte) -sum;
        return b;
    }

    /** An ATA string: {@code chars} characters, space padded, two per word with the first in the high byte. */
    static void putString(int[] w, int firstWord, int chars, String s) {
        for (int i = 0; i < chars; i += 2) {
            int hi = i < s.length() ? s.charAt(i) & 0x7F : ' ';
            int lo = i + 1 < s.length() ? s.charAt(i + 1) & 0x7F : ' ';
            w[firstWord + i / 2] = hi << 8 | lo;
        }
    }
}
