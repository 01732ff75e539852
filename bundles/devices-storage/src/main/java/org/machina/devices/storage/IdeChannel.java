package org.machina.devices.storage;

import java.util.function.BooleanSupplier;
import org.machina.api.irq.IrqLine;

/**
 * One IDE channel (ATA/ATAPI-6, "Register description"): the task file shared by its two
 * devices, the device control register, the PIO data port, INTRQ and its bus-master registers.
 *
 * <pre>
 * command block (0x1F0 / 0x170)             control block (0x3F6 / 0x376)
 * +0 data (16-bit; a 32-bit access is two)   R alternate status (no side effect)
 * +1 R error       W features                W device control: bit 1 nIEN, bit 2 SRST, bit 7 HOB
 * +2 sector count   +3 LBA low   +4 LBA mid   +5 LBA high  (each with a "previous" byte for LBA48,
 *                                            read back while HOB is set)
 * +6 device: bit 4 DEV (device 1), bit 6 LBA, bits 3:0 LBA 27:24 / head
 * +7 R status (reading it clears the selected device's pending interrupt)   W command
 * </pre>
 *
 * Only the selected device answers. With no device on the channel every read returns 0xFF (a
 * floating bus, which drivers take for "nothing here"); with only the other device present,
 * reads return 0. Commands run synchronously: a device is never seen busy except while SRST is
 * held.
 */
final class IdeChannel {
    static final int BSY = 0x80;
    static final int DRDY = 0x40;
    static final int DSC = 0x10;
    static final int DRQ = 0x08;
    static final int ERR = 0x01;
    static final int CTL_NIEN = 0x02;
    static final int CTL_SRST = 0x04;
    static final int CTL_HOB = 0x80;
    static final int DEV_DEVICE1 = 0x10;
    static final int DEV_LBA = 0x40;

    final String name;
    final IdeBusMaster busMaster;
    final Warnings warnings;
    private final IrqLine irq;
    private final BooleanSupplier busMastering;
    final IdeDrive[] drives = new IdeDrive[2];
    /** A copy of {@link #drives} for the fast path, republished on attach and detach. */
    volatile IdeDrive[] present = new IdeDrive[2];

    // task file
    int features;
    int hobFeatures;
    int count;
    int hobCount;
    int lbaLow;
    int hobLbaLow;
    int lbaMid;
    int hobLbaMid;
    int lbaHigh;
    int hobLbaHigh;
    /** Volatile: the fast path reads it to find the selected device. */
    volatile int device;
    int control;

    /** The data port's fast-path handler, which holds the PIO block in progress ({@link IdeDataPort#block}). */
    final IdeDataPort dataPort = new IdeDataPort();

    private boolean irqLevel;

    IdeChannel(String name, IrqLine irq, IdeBusMaster busMaster, BooleanSupplier busMastering, Warnings warnings) {
        this.name = name;
        this.irq = irq;
        this.busMaster = busMaster;
        this.busMastering = busMastering;
        this.warnings = warnings;
    }

    void attach(int unit, IdeDrive drive) {
        drives[unit] = drive;
        drive.attach(this, unit);
        drive.reset();
        present = drives.clone();
    }

    void detach(int unit) {
        PioBlock p = dataPort.block;
        if (drives[unit] != null && p != null && p.drive == drives[unit]) {
            cancelPio();
        }
        drives[unit] = null;
        present = drives.clone();
        updateIrq();
    }

    IdeDrive selected() {
        return drives[(device & DEV_DEVICE1) != 0 ? 1 : 0];
    }

    private boolean empty() {
        return drives[0] == null && drives[1] == null;
    }

    /** Power-on or hardware reset of the channel and its devices. */
    void reset() {
        features = hobFeatures = count = hobCount = lbaLow = hobLbaLow = lbaMid = hobLbaMid = lbaHigh = hobLbaHigh = 0;
        device = 0;
        control = 0;
        cancelPio();
        busMaster.reset();
        for (IdeDrive d : drives) {
            if (d != null) {
                d.reset();
            }
        }
        showSignature();
        updateIrq();
    }

    // ---- command block ----

    int readCommandBlock(int offset) {
        if (empty()) {
            return 0xFF;
        }
        IdeDrive d = selected();
        if (d == null) {
            return 0;
        }
        boolean hob = (control & CTL_HOB) != 0;
        return switch (offset) {
            case 0 -> readData(1);
            case 1 -> hob ? 0 : d.error;
            case 2 -> hob ? hobCount : count;
            case 3 -> hob ? hobLbaLow : lbaLow;
            case 4 -> hob ? hobLbaMid : lbaMid;
            case 5 -> hob ? hobLbaHigh : lbaHigh;
            case 6 -> device | 0xA0;
            default -> {
                int s = d.status;
                if (d.intrq) {
                    d.intrq = false;
                    updateIrq();
                }
                yield s;
            }
        };
    }

    void writeCommandBlock(int offset, int value) {
        value &= 0xFF;
        if (offset >= 1 && offset <= 5) {
            control &= ~CTL_HOB;
            clearSignatures();
        }
        switch (offset) {
            case 0 -> writeData(value, 1);
            case 1 -> {
                hobFeatures = features;
                features = value;
            }
            case 2 -> {
                hobCount = count;
                count = value;
            }
            case 3 -> {
                hobLbaLow = lbaLow;
                lbaLow = value;
            }
            case 4 -> {
                hobLbaMid = lbaMid;
                lbaMid = value;
            }
            case 5 -> {
                hobLbaHigh = lbaHigh;
                lbaHigh = value;
            }
            case 6 -> {
                device = value & 0x5F;
                IdeDrive d = selected();
                if (d != null && d.signaturePending) {
                    signature(d.packet());
                }
                updateIrq();
            }
            default -> command(value);
        }
    }

    private void command(int command) {
        IdeDrive d = selected();
        if (d == null || (control & CTL_SRST) != 0) {
            return;
        }
        cancelPio();
        clearSignatures();
        d.dmaPending = false;
        d.intrq = false;
        updateIrq();
        d.execute(command);
    }

    // ---- control block ----

    int readAltStatus() {
        if (empty()) {
            return 0xFF;
        }
        IdeDrive d = selected();
        return d == null ? 0 : d.status;
    }

    void writeControl(int value) {
        int old = control;
        control = value & (CTL_NIEN | CTL_SRST | CTL_HOB);
        if ((control & CTL_SRST) != 0 && (old & CTL_SRST) == 0) {
            cancelPio();
            for (IdeDrive d : drives) {
                if (d != null) {
                    d.dmaPending = false;
                    d.intrq = false;
                    d.status = BSY;
                }
            }
        } else if ((control & CTL_SRST) == 0 && (old & CTL_SRST) != 0) {
            device = 0;
            for (IdeDrive d : drives) {
                if (d != null) {
                    d.reset();
                }
            }
            showSignature();
        }
        updateIrq();
    }

    // ---- PIO data ----

    /** Reads {@code words} data words (1 or 2) as one value, little-endian. */
    int readData(int words) {
        int v = 0;
        for (int i = 0; i < words; i++) {
            PioBlock p = dataPort.block;
            if (p == null || !p.toHost) {
                return v;
            }
            int at;
            do {
                at = p.pos();
            } while (!p.advance(at, at + 2));
            v |= p.word(at) << 16 * i;
            if (at + 2 >= p.end) {
                finishPio(p);
            }
        }
        return v;
    }

    void writeData(int value, int words) {
        for (int i = 0; i < words; i++) {
            PioBlock p = dataPort.block;
            if (p == null || p.toHost) {
                return;
            }
            int at;
            do {
                at = p.pos();
            } while (!p.advance(at, at + 2));
            p.putWord(at, value >>> 16 * i);
            if (at + 2 >= p.end) {
                finishPio(p);
            }
        }
    }

    /**
     * Starts a PIO block of {@code length} bytes (even) of {@code data} from {@code offset}: the
     * drive shows DRQ and, when {@code interrupt}, asserts INTRQ. When the host has read or
     * written the block, the drive's {@link IdeDrive#pioDone()} runs.
     */
    void startPio(IdeDrive drive, byte[] data, int offset, int length, boolean toHost, boolean interrupt) {
        drive.status = DRDY | DSC | DRQ;
        dataPort.block = new PioBlock(drive, data, offset, length, toHost);
        if (interrupt) {
            raise(drive);
        }
    }

    boolean pioActive() {
        return dataPort.block != null;
    }

    private void finishPio(PioBlock p) {
        IdeDrive d = p.drive;
        cancelPio();
        d.status &= ~DRQ;
        d.pioDone();
    }

    private void cancelPio() {
        dataPort.block = null;
    }

    // ---- DMA ----

    /** The drive is ready to move data by DMA: runs it now if the bus master is started. */
    void dmaRequest(IdeDrive drive) {
        drive.dmaPending = true;
        drive.status = DRDY | DSC | DRQ;
        if (busMaster.started()) {
            runDma(drive);
        }
    }

    /** The host started the bus master: runs a drive's pending DMA request. */
    void busMasterStarted() {
        IdeDrive d = selected();
        if (d != null && d.dmaPending) {
            runDma(d);
        }
    }

    private void runDma(IdeDrive drive) {
        drive.dmaPending = false;
        if (!busMastering.getAsBoolean()) {
            warnings.warn("{}", name + ": DMA while bus mastering is disabled in the PCI command register; the"
                    + " command ends with an error");
            busMaster.status = busMaster.status & ~IdeBusMaster.ST_ACTIVE | IdeBusMaster.ST_ERROR;
            drive.dmaFailed();
            return;
        }
        drive.dmaRun(busMaster);
    }

    // ---- interrupts ----

    /** The drive asserts INTRQ (seen by the host while it is selected and nIEN is clear). */
    void raise(IdeDrive drive) {
        drive.intrq = true;
        if (drive == selected()) {
            busMaster.status |= IdeBusMaster.ST_INTERRUPT;
        }
        updateIrq();
    }

    void updateIrq() {
        IdeDrive d = selected();
        boolean level = d != null && d.intrq && (control & CTL_NIEN) == 0;
        if (level != irqLevel) {
            irqLevel = level;
            irq.set(level);
        }
    }

    boolean irqLevel() {
        return irqLevel;
    }

    // ---- task file helpers for the drives ----

    long lba28() {
        return (long) (device & 0x0F) << 24 | lbaHigh << 16 | lbaMid << 8 | lbaLow;
    }

    long lba48() {
        return (long) hobLbaHigh << 40 | (long) hobLbaMid << 32 | (long) hobLbaLow << 24 | lbaHigh << 16 | lbaMid << 8
                | lbaLow;
    }

    int count28() {
        return count == 0 ? 256 : count;
    }

    int count48() {
        int n = hobCount << 8 | count;
        return n == 0 ? 65536 : n;
    }

    /**
     * Each device really has its own copy of the task file, and after a reset each holds its own
     * signature: a reset marks the signature pending, and selecting the device shows it until the
     * host writes the task file or a command.
     */
    private void clearSignatures() {
        for (IdeDrive d : drives) {
            if (d != null) {
                d.signaturePending = false;
            }
        }
    }

    /** After a reset of both devices: device 0 is selected and shows its signature. */
    private void showSignature() {
        IdeDrive d = selected();
        if (d != null) {
            signature(d.packet());
        }
    }

    /** Puts a device signature in the task file (after reset or for a command a packet device refuses). */
    void signature(boolean packet) {
        count = 1;
        lbaLow = 1;
        lbaMid = packet ? 0x14 : 0;
        lbaHigh = packet ? 0xEB : 0;
    }
}
