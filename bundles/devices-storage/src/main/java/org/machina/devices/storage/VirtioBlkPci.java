package org.machina.devices.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.machina.api.block.BlockNode;
import org.machina.api.bus.pci.PciBar;
import org.machina.api.bus.pci.PciBus;
import org.machina.api.bus.pci.PciEndpoint;
import org.machina.api.bus.pci.PciHeader;
import org.machina.api.bus.pci.PciSlot;
import org.machina.api.device.Device;
import org.machina.api.device.DeviceContext;
import org.machina.api.memory.AccessSpec;
import org.machina.api.memory.MemoryRegion;
import org.machina.api.memory.Mmio;
import org.machina.api.state.StateException;
import org.machina.api.state.Stateful;
import org.machina.virtio.SplitVirtqueue;

/**
 * A virtio block device as a transitional PCI function (1af4:1001, subsystem 1af4:0002, class
 * 01 00 00, INTA), driven through the legacy interface in I/O BAR 0 (virtio 1.x, "Legacy
 * Interfaces: A Note on PCI Device Layout"), without MSI-X. One request queue of
 * {@value #QUEUE_SIZE} entries in the legacy split layout ({@link SplitVirtqueue}).
 *
 * <pre>
 * BAR0 (I/O, 64 bytes; any access size, little-endian)
 * 0x00 device features   u32 RO  SEG_MAX(2) RO(5, read-only drive) BLK_SIZE(6) FLUSH(9)
 * 0x04 driver features   u32 RW  accepted subset of the device features
 * 0x08 queue address     u32 RW  page frame number of the selected queue; 0 disables it
 * 0x0C queue size        u16 RO  {@value #QUEUE_SIZE} for queue 0, 0 for any other
 * 0x0E queue select      u16 RW
 * 0x10 queue notify      u16 WO  queue index: process its available chains now
 * 0x12 device status     u8  RW  ACK 1, DRIVER 2, DRIVER_OK 4, FEATURES_OK 8, NEEDS_RESET 0x40,
 *                                FAILED 0x80; writing 0 resets the device
 * 0x13 ISR status        u8  RO  bit 0 queue interrupt, bit 1 configuration change; reading
 *                                clears it and lowers INTx
 * 0x14 device config     (virtio_blk_config) capacity u64 (512-byte sectors), size_max u32 (0),
 *                                seg_max u32, geometry u32 (0), blk_size u32 (512), rest 0
 * </pre>
 *
 * Requests: a 16-byte header (type u32, reserved u32, sector u64) in device-readable buffers,
 * data, and a status byte as the last device-writable byte. Types IN 0, OUT 1, FLUSH 4,
 * GET_ID 8; others answer UNSUPP. Status OK 0, IOERR 1, UNSUPP 2. Reads and writes go to the
 * {@link BlockNode} synchronously on the machine thread; a write to a read-only drive, a range
 * beyond the end, a host I/O error or a malformed chain answers IOERR (a chain without a
 * writable byte is returned with length 0). A broken ring (available index running ahead)
 * sets NEEDS_RESET and stops the queue until the driver resets the device.
 */
final class VirtioBlkPci implements Device, Stateful<VirtioBlkPci.State>, PciEndpoint {
    /**
     * Version 1 of the state.
     *
     * @param driverFeatures features the driver accepted
     * @param queuePfn page frame number of queue 0 (0: not set up)
     * @param queueSelect selected queue
     * @param status device status register
     * @param isr interrupt status
     * @param lastAvail next available index the device consumes
     * @param usedIdx next used index the device fills
     * @param broken the ring is broken until reset
     * @param pciConfig the PCI configuration space (BAR address, command, interrupt line)
     */
    record State(int driverFeatures, int queuePfn, int queueSelect, int status, int isr, int lastAvail, int usedIdx,
            boolean broken, byte[] pciConfig) {
    }

    static final int VENDOR = 0x1AF4;
    static final int DEVICE_TRANSITIONAL_BLOCK = 0x1001;
    static final int SUBSYSTEM_BLOCK = 2;
    static final int CLASS_STORAGE_SCSI = 0x010000;
    static final int QUEUE_SIZE = 128;
    static final int BAR_SIZE = 0x40;
    static final int SECTOR = 512;
    /** Largest data transfer of one request (the driver stays far below). */
    static final int MAX_TRANSFER = 16 << 20;

    // registers
    static final int DEVICE_FEATURES = 0x00;
    static final int DRIVER_FEATURES = 0x04;
    static final int QUEUE_PFN = 0x08;
    static final int QUEUE_NUM = 0x0C;
    static final int QUEUE_SEL = 0x0E;
    static final int QUEUE_NOTIFY = 0x10;
    static final int STATUS = 0x12;
    static final int ISR = 0x13;
    static final int CONFIG = 0x14;

    // features
    static final int F_SEG_MAX = 1 << 2;
    static final int F_RO = 1 << 5;
    static final int F_BLK_SIZE = 1 << 6;
    static final int F_FLUSH = 1 << 9;

    static final int STATUS_NEEDS_RESET = 0x40;
    static final int ISR_QUEUE = 1;
    static final int ISR_CONFIG = 2;

    // requests
    static final int T_IN = 0;
    static final int T_OUT = 1;
    static final int T_FLUSH = 4;
    static final int T_GET_ID = 8;
    static final int S_OK = 0;
    static final int S_IOERR = 1;
    static final int S_UNSUPP = 2;
    static final int ID_BYTES = 20;
    /** Guest-caused warnings logged per device before going quiet. */
    static final int MAX_WARNINGS = 20;

    private final DeviceContext ctx;
    private final BlockNode drive;
    private final int addr;
    private final String serial;
    private final int deviceFeatures;
    private final SplitVirtqueue queue;
    private final MemoryRegion.Io registers;
    private PciSlot slot;

    private int driverFeatures;
    private int queuePfn;
    private int queueSelect;
    private int status;
    private int isr;
    private boolean broken;
    private int warnings;

    VirtioBlkPci(DeviceContext ctx, BlockNode drive, int addr, String serial) {
        this.ctx = ctx;
        this.drive = drive;
        this.addr = addr;
        this.serial = serial;
        this.deviceFeatures = F_SEG_MAX | F_BLK_SIZE | F_FLUSH | (drive.readOnly() ? F_RO : 0);
        this.queue = new SplitVirtqueue(ctx.memory(), QUEUE_SIZE);
        this.registers = new MemoryRegion.Io("virtio-blk", BAR_SIZE, new Mmio() {
            @Override
            public long read(long offset, int size) {
                return readRegisters((int) offset, size);
            }

            @Override
            public void write(long offset, int size, long value) {
                writeRegisters((int) offset, size, value);
            }
        }, new AccessSpec(1, 4, 1, 4, true));
    }

    // ---- life cycle ----

    @Override
    public void realize() {
        slot = ctx.bus(PciBus.NAME, PciBus.class).plug(ctx.id(), this, addr);
    }

    @Override
    public void reset() {
        resetDevice();
    }

    @Override
    public void unrealize() {
        if (slot != null) {
            slot.unplug();
            slot = null;
        }
    }

    private void resetDevice() {
        driverFeatures = 0;
        queuePfn = 0;
        queueSelect = 0;
        status = 0;
        isr = 0;
        broken = false;
        queue.setPfn(0);
        updateIrq();
    }

    // ---- PciEndpoint ----

    @Override
    public PciHeader header() {
        return new PciHeader(VENDOR, DEVICE_TRANSITIONAL_BLOCK, 0, CLASS_STORAGE_SCSI, VENDOR, SUBSYSTEM_BLOCK, 1);
    }

    @Override
    public List<PciBar> bars() {
        return List.of(new PciBar(0, true, registers));
    }

    // ---- registers ----

    long readRegisters(int offset, int size) {
        long v = 0;
        for (int i = size - 1; i >= 0; i--) {
            v = v << 8 | readByte(offset + i);
        }
        return v;
    }

    private int readByte(int at) {
        if (at >= CONFIG) {
            return configByte(at - CONFIG);
        }
        if (at == ISR) {
            int v = isr;
            isr = 0;
            updateIrq();
            return v;
        }
        return switch (at & ~3) {
            case DEVICE_FEATURES -> deviceFeatures >>> 8 * (at & 3) & 0xFF;
            case DRIVER_FEATURES -> driverFeatures >>> 8 * (at & 3) & 0xFF;
            case QUEUE_PFN -> (queueSelect == 0 ? queuePfn : 0) >>> 8 * (at & 3) & 0xFF;
            case QUEUE_NUM -> at < QUEUE_SEL ? (queueSelect == 0 ? QUEUE_SIZE : 0) >>> 8 * (at - QUEUE_NUM) & 0xFF
                    : queueSelect >>> 8 * (at - QUEUE_SEL) & 0xFF;
            case QUEUE_NOTIFY -> at == STATUS ? status : 0;   // notify reads as 0
            default -> 0;
        };
    }

    /** The virtio_blk_config structure, little-endian. */
    private int configByte(int at) {
        long capacity = drive.size() / SECTOR;
        if (at < 8) {
            return (int) (capacity >>> 8 * at) & 0xFF;
        }
        if (at >= 12 && at < 16) {
            return (QUEUE_SIZE - 2) >>> 8 * (at - 12) & 0xFF;   // seg_max
        }
        if (at >= 20 && at < 24) {
            return SECTOR >>> 8 * (at - 20) & 0xFF;              // blk_size
        }
        return 0;
    }

    void writeRegisters(int offset, int size, long value) {
        int end = offset + size;
        if (offset < DRIVER_FEATURES + 4 && end > DRIVER_FEATURES) {
            driverFeatures = merge(driverFeatures, DRIVER_FEATURES, 4, offset, size, value) & deviceFeatures;
        }
        if (offset < QUEUE_PFN + 4 && end > QUEUE_PFN) {
            setQueuePfn(merge(queueSelect == 0 ? queuePfn : 0, QUEUE_PFN, 4, offset, size, value));
        }
        if (offset < QUEUE_SEL + 2 && end > QUEUE_SEL) {
            queueSelect = merge(queueSelect, QUEUE_SEL, 2, offset, size, value) & 0xFFFF;
        }
        if (offset < QUEUE_NOTIFY + 2 && end > QUEUE_NOTIFY) {
            notifyQueue(merge(0, QUEUE_NOTIFY, 2, offset, size, value) & 0xFFFF);
        }
        if (offset <= STATUS && end > STATUS) {
            setStatus((int) (value >>> 8 * (STATUS - offset)) & 0xFF);
        }
        // features (RO), queue size (RO), ISR (RO) and config (no writable fields) ignore writes
    }

    /** {@code old} with the bytes of a write [offset, offset+size) that fall into register [reg, reg+width) replaced. */
    private static int merge(int old, int reg, int width, int offset, int size, long value) {
        int v = old;
        for (int i = 0; i < size; i++) {
            int at = offset + i - reg;
            if (at >= 0 && at < width) {
                int b = (int) (value >>> 8 * i) & 0xFF;
                v = v & ~(0xFF << 8 * at) | b << 8 * at;
            }
        }
        return v;
    }

    private void setQueuePfn(int pfn) {
        if (queueSelect != 0) {
            return;
        }
        queuePfn = pfn;
        queue.setPfn(pfn & 0xFFFFFFFFL);
        broken = false;
        if (pfn != 0 && !queue.fits()) {
            fail("queue address 0x" + Long.toHexString((pfn & 0xFFFFFFFFL) * SplitVirtqueue.ALIGN)
                    + " puts the rings outside guest memory");
        }
    }

    private void setStatus(int value) {
        if (value == 0) {
            resetDevice();
        } else {
            status = value;
        }
    }

    // ---- requests ----

    private void notifyQueue(int index) {
        if (index != 0) {
            warn("notify for queue {}, which does not exist", index);
            return;
        }
        if (queuePfn == 0 || broken) {
            return;
        }
        if (slot != null && !slot.busMaster()) {
            warn("queue notified while bus mastering is disabled in the PCI command register; ignored", null);
            return;
        }
        int handled = 0;
        try {
            for (int n = queue.pending(); n > 0; n = queue.pending()) {
                for (int i = 0; i < n; i++) {
                    int head = queue.nextHead();
                    handle(head);
                    handled++;
                }
            }
        } catch (SplitVirtqueue.BrokenRingException e) {
            fail(e.getMessage());
        }
        if (handled > 0 && !queue.interruptSuppressed()) {
            isr |= ISR_QUEUE;
            updateIrq();
        }
    }

    private void handle(int head) {
        SplitVirtqueue.Chain chain;
        try {
            chain = queue.chain(head);
        } catch (SplitVirtqueue.BadChainException e) {
            warn("bad request: {}", e.getMessage());
            complete(e.partial, S_IOERR, 0);
            return;
        }
        long readable = chain.readableBytes();
        long writable = chain.writableBytes();
        if (readable < 16 || writable < 1) {
            warn("bad request: {}", "chain " + head + " has " + readable + " readable bytes (a 16-byte header is needed) and "
                    + writable + " writable (a status byte is needed)");
            complete(chain, S_IOERR, 0);
            return;
        }
        ByteBuffer hdr = ByteBuffer.wrap(queue.gather(chain.readable(), 0, 16)).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        int type = hdr.getInt(0);
        long sector = hdr.getLong(8);
        long dataOut = readable - 16;
        long dataIn = writable - 1;
        switch (type) {
            case T_IN -> {
                if (!checkRange("read", sector, dataIn)) {
                    complete(chain, S_IOERR, 0);
                    return;
                }
                byte[] data = new byte[(int) dataIn];
                try {
                    drive.read(sector * SECTOR, ByteBuffer.wrap(data));
                } catch (IOException | RuntimeException e) {
                    ioError("read", sector, dataIn, e);
                    complete(chain, S_IOERR, 0);
                    return;
                }
                queue.scatter(chain.writable(), data, data.length);
                complete(chain, S_OK, data.length);
            }
            case T_OUT -> {
                if (drive.readOnly()) {
                    warn("write to sector {} refused: the drive is read-only", sector);
                    complete(chain, S_IOERR, 0);
                    return;
                }
                if (!checkRange("write", sector, dataOut)) {
                    complete(chain, S_IOERR, 0);
                    return;
                }
                byte[] data = queue.gather(chain.readable(), 16, (int) dataOut);
                try {
                    drive.write(sector * SECTOR, ByteBuffer.wrap(data));
                } catch (IOException | RuntimeException e) {
                    ioError("write", sector, dataOut, e);
                    complete(chain, S_IOERR, 0);
                    return;
                }
                complete(chain, S_OK, 0);
            }
            case T_FLUSH -> {
                try {
                    if (!drive.readOnly()) {
                        drive.flush();
                    }
                } catch (IOException | RuntimeException e) {
                    ioError("flush", 0, 0, e);
                    complete(chain, S_IOERR, 0);
                    return;
                }
                complete(chain, S_OK, 0);
            }
            case T_GET_ID -> {
                byte[] id = new byte[(int) Math.min(ID_BYTES, dataIn)];
                byte[] s = serial.getBytes(StandardCharsets.US_ASCII);
                System.arraycopy(s, 0, id, 0, Math.min(s.length, id.length));
                queue.scatter(chain.writable(), id, id.length);
                complete(chain, S_OK, id.length);
            }
            default -> complete(chain, S_UNSUPP, 0);
        }
    }

    private boolean checkRange(String what, long sector, long length) {
        long capacity = drive.size() / SECTOR;
        if (length > MAX_TRANSFER || length % SECTOR != 0 || sector < 0 || sector > capacity
                || length / SECTOR > capacity - sector) {
            warn("bad request: {}", what + " of " + length + " bytes at sector " + sector + " does not fit the disk of "
                    + capacity + " sectors (or is not whole sectors, or exceeds " + MAX_TRANSFER + " bytes)");
            return false;
        }
        return true;
    }

    /** Writes the status as the last writable byte (when there is one) and returns the chain. */
    private void complete(SplitVirtqueue.Chain chain, int requestStatus, int dataWritten) {
        long writable = chain.writableBytes();
        int written = 0;
        if (writable > 0) {
            queue.putByte(chain.writable(), writable - 1, requestStatus);
            written = dataWritten + 1;
        }
        if (chain.head() < QUEUE_SIZE) {
            queue.putUsed(chain.head(), written);
        }
    }

    private void fail(String why) {
        broken = true;
        ctx.log().warn("virtio-blk '{}': {}; the device needs a reset", ctx.id(), why);
        status |= STATUS_NEEDS_RESET;
        if ((status & 4) != 0) {
            isr |= ISR_CONFIG;
            updateIrq();
        }
    }

    private void ioError(String what, long sector, long length, Exception e) {
        ctx.log().warn("virtio-blk '{}': {} of {} bytes at sector {} failed: {}", ctx.id(), what, length, sector,
                e.toString());
    }

    private void warn(String format, Object arg) {
        if (warnings < MAX_WARNINGS) {
            warnings++;
            ctx.log().warn("virtio-blk '" + ctx.id() + "': " + format
                    + (warnings == MAX_WARNINGS ? " (further guest errors are not logged)" : ""), arg);
        }
    }

    private void updateIrq() {
        if (slot != null) {
            slot.intx().set(isr != 0);
        }
    }

    // ---- state ----

    @Override
    public Class<State> stateType() {
        return State.class;
    }

    @Override
    public int stateVersion() {
        return 1;
    }

    @Override
    public State saveState() {
        return new State(driverFeatures, queuePfn, queueSelect, status, isr, queue.lastAvail, queue.usedIdx, broken,
                slot == null ? null : slot.saveConfig());
    }

    @Override
    public void loadState(State s) {
        if (s.lastAvail() < 0 || s.lastAvail() > 0xFFFF || s.usedIdx() < 0 || s.usedIdx() > 0xFFFF) {
            throw new StateException("virtio-blk state: ring indexes must be 0..65535, not " + s.lastAvail() + "/"
                    + s.usedIdx());
        }
        driverFeatures = s.driverFeatures() & deviceFeatures;
        queueSelect = s.queueSelect() & 0xFFFF;
        queuePfn = s.queuePfn();
        queue.setPfn(queuePfn & 0xFFFFFFFFL);
        queue.lastAvail = s.lastAvail();
        queue.usedIdx = s.usedIdx();
        status = s.status() & 0xFF;
        isr = s.isr() & 3;
        broken = s.broken();
        if (s.pciConfig() != null && slot != null) {
            slot.loadConfig(s.pciConfig());
        }
        updateIrq();
    }
}
