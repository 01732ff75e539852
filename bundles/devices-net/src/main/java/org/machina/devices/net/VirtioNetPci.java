package org.machina.devices.net;

import java.nio.ByteBuffer;
import java.util.List;
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
import org.machina.api.net.Netdev;
import org.machina.api.state.StateException;
import org.machina.api.state.Stateful;
import org.machina.virtio.SplitVirtqueue;

/**
 * A virtio network device as a transitional PCI function (1af4:1000, subsystem 1af4:0001, class
 * 02 00 00, INTA), driven through the legacy interface in I/O BAR 0 (virtio 1.x, "Legacy
 * Interfaces: A Note on PCI Device Layout"; section 5.1 "Network Device"), without MSI-X.
 *
 * <pre>
 * BAR0 (I/O, 64 bytes): the legacy virtio header as virtio-blk-pci's (features, queue PFN, size,
 * select, notify, status, ISR), then the device configuration at 0x14:
 *   mac u8[6]     the Ethernet address (feature MAC)
 *   status u16    bit 0 LINK_UP, always set (feature STATUS)
 * </pre>
 *
 * Queues ({@value #QUEUE_SIZE} entries each, legacy split layout, {@link SplitVirtqueue}):
 * 0 receive, 1 transmit. Features offered: CSUM (the driver leaves a transmit checksum to the
 * device: header flag NEEDS_CSUM, csum_start, csum_offset), GUEST_CSUM (received IPv4 TCP/UDP
 * frames whose checksums this device verified carry DATA_VALID, so the guest skips them), MAC,
 * STATUS. Every buffer starts with the 10-byte {@code virtio_net_hdr}; no GSO.
 *
 * <p>Receive: a frame takes one available chain, which must have room for the header and the
 * frame (a shorter chain is returned used with length 0 and the frame dropped, logged). With no
 * chain available, {@code canReceive} is false and the netdev is told {@code receiveReady} when
 * the driver notifies queue 0. Transmit: on a notify of queue 1 each chain's readable bytes after
 * the header are one frame; a frame the netdev refuses stays, with its chain not yet used, until
 * {@code sendReady}. Bad chains are returned used with length 0 (logged, the first
 * {@value #MAX_WARNINGS}); an available index running ahead sets NEEDS_RESET.
 */
final class VirtioNetPci implements Device, PciEndpoint, Stateful<VirtioNetPci.State> {
    /**
     * Version 1 of the state. A frame the netdev refused is not kept (its chain was already taken
     * from the ring, so after a swap it is lost as on a link drop; TCP sends it again).
     *
     * @param driverFeatures features the driver accepted
     * @param pfn page frame number of each queue
     * @param lastAvail next available index the device consumes, per queue
     * @param usedIdx next used index the device fills, per queue
     * @param queueSelect selected queue
     * @param status device status
     * @param isr interrupt status
     * @param broken a ring is broken until reset
     * @param pciConfig the PCI configuration space
     */
    record State(int driverFeatures, int[] pfn, int[] lastAvail, int[] usedIdx, int queueSelect, int status, int isr,
            boolean broken, byte[] pciConfig) {
    }

    static final int VENDOR = 0x1AF4;
    static final int DEVICE_TRANSITIONAL_NET = 0x1000;
    static final int SUBSYSTEM_NET = 1;
    static final int CLASS_ETHERNET = 0x020000;
    static final int QUEUE_SIZE = 256;
    static final int QUEUES = 2;
    static final int RX = 0;
    static final int TX = 1;
    static final int BAR_SIZE = 0x40;
    static final int HEADER = 10;
    static final int MAX_WARNINGS = 20;

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

    static final int F_CSUM = 1;
    static final int F_GUEST_CSUM = 1 << 1;
    static final int F_MAC = 1 << 5;
    static final int HDR_F_NEEDS_CSUM = 1;
    static final int HDR_F_DATA_VALID = 2;
    static final int F_STATUS = 1 << 16;
    static final int STATUS_DRIVER_OK = 4;
    static final int STATUS_NEEDS_RESET = 0x40;
    static final int ISR_QUEUE = 1;
    static final int ISR_CONFIG = 2;

    private final DeviceContext ctx;
    private final Netdev netdev;
    private final byte[] mac;
    private final int addr;
    private final SplitVirtqueue[] queues = new SplitVirtqueue[QUEUES];
    private final int[] pfn = new int[QUEUES];
    private final MemoryRegion.Io registers;
    private final Netdev.Port port = new Port();
    private PciSlot slot;

    private int driverFeatures;
    private int queueSelect;
    private int status;
    private int isr;
    private boolean broken;
    private int warnings;
    private boolean rxWanted;
    /** A transmit chain whose frame the netdev refused: head and frame, or -1. */
    private int txHead = -1;
    private byte[] txFrame;

    VirtioNetPci(DeviceContext ctx, Netdev netdev, byte[] mac, int addr) {
        this.ctx = ctx;
        this.netdev = netdev;
        this.mac = mac.clone();
        this.addr = addr;
        for (int i = 0; i < QUEUES; i++) {
            queues[i] = new SplitVirtqueue(ctx.memory(), QUEUE_SIZE);
        }
        this.registers = new MemoryRegion.Io("virtio-net", BAR_SIZE, new Mmio() {
            @Override
            public long read(long offset, int size) {
                long v = 0;
                for (int i = size - 1; i >= 0; i--) {
                    v = v << 8 | readByte((int) offset + i);
                }
                return v;
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
        if (netdev != null) {
            netdev.attach(port);
        }
    }

    @Override
    public void reset() {
        resetDevice();
    }

    @Override
    public void unrealize() {
        if (netdev != null) {
            netdev.attach(null);
        }
        if (slot != null) {
            slot.unplug();
            slot = null;
        }
    }

    private void resetDevice() {
        driverFeatures = 0;
        queueSelect = 0;
        status = 0;
        isr = 0;
        broken = false;
        txHead = -1;
        txFrame = null;
        for (int i = 0; i < QUEUES; i++) {
            pfn[i] = 0;
            queues[i].setPfn(0);
        }
        updateIrq();
    }

    @Override
    public PciHeader header() {
        return new PciHeader(VENDOR, DEVICE_TRANSITIONAL_NET, 0, CLASS_ETHERNET, VENDOR, SUBSYSTEM_NET, 1);
    }

    @Override
    public List<PciBar> bars() {
        return List.of(new PciBar(0, true, registers));
    }

    // ---- registers ----

    private int deviceFeatures() {
        return F_CSUM | F_GUEST_CSUM | F_MAC | F_STATUS;
    }

    int readByte(int at) {
        if (at >= CONFIG) {
            int c = at - CONFIG;
            if (c < 6) {
                return mac[c] & 0xFF;
            }
            return c == 6 ? 1 : 0;                      // status: LINK_UP
        }
        if (at == ISR) {
            int v = isr;
            isr = 0;
            updateIrq();
            return v;
        }
        int sel = queueSelect < QUEUES ? queueSelect : -1;
        return switch (at & ~3) {
            case DEVICE_FEATURES -> deviceFeatures() >>> 8 * (at & 3) & 0xFF;
            case DRIVER_FEATURES -> driverFeatures >>> 8 * (at & 3) & 0xFF;
            case QUEUE_PFN -> (sel >= 0 ? pfn[sel] : 0) >>> 8 * (at & 3) & 0xFF;
            case QUEUE_NUM -> at < QUEUE_SEL ? (sel >= 0 ? QUEUE_SIZE : 0) >>> 8 * (at - QUEUE_NUM) & 0xFF
                    : queueSelect >>> 8 * (at - QUEUE_SEL) & 0xFF;
            case QUEUE_NOTIFY -> at == STATUS ? status : 0;
            default -> 0;
        };
    }

    void writeRegisters(int offset, int size, long value) {
        int end = offset + size;
        if (offset < DRIVER_FEATURES + 4 && end > DRIVER_FEATURES) {
            driverFeatures = merge(driverFeatures, DRIVER_FEATURES, 4, offset, size, value) & deviceFeatures();
        }
        if (offset < QUEUE_PFN + 4 && end > QUEUE_PFN && queueSelect < QUEUES) {
            setPfn(queueSelect, merge(pfn[queueSelect], QUEUE_PFN, 4, offset, size, value));
        }
        if (offset < QUEUE_SEL + 2 && end > QUEUE_SEL) {
            queueSelect = merge(queueSelect, QUEUE_SEL, 2, offset, size, value) & 0xFFFF;
        }
        if (offset < QUEUE_NOTIFY + 2 && end > QUEUE_NOTIFY) {
            notifyQueue(merge(0, QUEUE_NOTIFY, 2, offset, size, value) & 0xFFFF);
        }
        if (offset <= STATUS && end > STATUS) {
            int v = (int) (value >>> 8 * (STATUS - offset)) & 0xFF;
            if (v == 0) {
                resetDevice();
            } else {
                status = v;
                if ((v & STATUS_DRIVER_OK) != 0) {
                    rxReady();
                }
            }
        }
    }

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

    private void setPfn(int q, int value) {
        pfn[q] = value;
        queues[q].setPfn(value & 0xFFFFFFFFL);
        if (q == TX) {
            txHead = -1;
            txFrame = null;
        }
        if (value != 0 && !queues[q].fits()) {
            fail("queue " + q + " address 0x" + Long.toHexString((value & 0xFFFFFFFFL) * SplitVirtqueue.ALIGN)
                    + " puts the rings outside guest memory");
        }
    }

    private boolean usable(int q) {
        return pfn[q] != 0 && !broken && (slot == null || slot.busMaster());
    }

    private void notifyQueue(int q) {
        if (q == RX) {
            rxReady();
        } else if (q == TX) {
            transmit();
        } else {
            warn("notify for queue {}, which does not exist", q);
        }
    }

    // ---- receive ----

    private void rxReady() {
        if (rxWanted && netdev != null) {
            rxWanted = false;
            netdev.receiveReady();
        }
    }

    private boolean rxAvailable() {
        if (!usable(RX) || (status & STATUS_DRIVER_OK) == 0) {
            return false;
        }
        try {
            return queues[RX].pending() > 0;
        } catch (SplitVirtqueue.BrokenRingException e) {
            fail(e.getMessage());
            return false;
        }
    }

    boolean canReceive() {
        boolean ok = rxAvailable();
        if (!ok) {
            rxWanted = true;
        }
        return ok;
    }

    boolean receive(ByteBuffer frame) {
        if (!rxAvailable()) {
            rxWanted = true;
            return false;
        }
        SplitVirtqueue q = queues[RX];
        int head = q.nextHead();
        SplitVirtqueue.Chain chain;
        try {
            chain = q.chain(head);
        } catch (SplitVirtqueue.BadChainException e) {
            warn("bad receive chain: {}", e.getMessage());
            used(q, head, 0);
            return true;
        }
        int length = frame.remaining();
        if (chain.writableBytes() < HEADER + length) {
            warn("receive chain " + head + " has {} writable bytes, too few for a " + length + "-byte frame; dropped",
                    chain.writableBytes());
            used(q, head, 0);
            return true;
        }
        byte[] data = new byte[HEADER + length];
        frame.get(frame.position(), data, HEADER, length);
        if ((driverFeatures & F_GUEST_CSUM) != 0) {
            byte[] f = java.util.Arrays.copyOfRange(data, HEADER, data.length);
            if (RxChecksum.check(f, length) == RxChecksum.Result.VALID) {
                data[0] = HDR_F_DATA_VALID;
            }
        }
        q.scatter(chain.writable(), data, data.length);
        used(q, head, data.length);
        return true;
    }

    private void used(SplitVirtqueue q, int head, int written) {
        if (head < QUEUE_SIZE) {
            q.putUsed(head, written);
        }
        if (!q.interruptSuppressed()) {
            isr |= ISR_QUEUE;
            updateIrq();
        }
    }

    // ---- transmit ----

    private void transmit() {
        if (!usable(TX)) {
            return;
        }
        SplitVirtqueue q = queues[TX];
        if (txHead >= 0) {
            if (netdev != null && !netdev.send(ByteBuffer.wrap(txFrame))) {
                return;
            }
            used(q, txHead, 0);
            txHead = -1;
            txFrame = null;
        }
        try {
            for (int guard = 0; q.pending() > 0 && guard < QUEUE_SIZE; guard++) {
                int head = q.nextHead();
                SplitVirtqueue.Chain chain;
                try {
                    chain = q.chain(head);
                } catch (SplitVirtqueue.BadChainException e) {
                    warn("bad transmit chain: {}", e.getMessage());
                    used(q, head, 0);
                    continue;
                }
                long readable = chain.readableBytes();
                if (readable < HEADER + 14 || readable > HEADER + Netdev.MAX_FRAME) {
                    warn("transmit chain " + head + " has {} readable bytes: not a header and a frame; dropped", readable);
                    used(q, head, 0);
                    continue;
                }
                byte[] hdr = q.gather(chain.readable(), 0, HEADER);
                byte[] f = q.gather(chain.readable(), HEADER, (int) readable - HEADER);
                if ((hdr[0] & HDR_F_NEEDS_CSUM) != 0 && (driverFeatures & F_CSUM) != 0) {
                    int start = (hdr[6] & 0xFF) | (hdr[7] & 0xFF) << 8;
                    int offset = (hdr[8] & 0xFF) | (hdr[9] & 0xFF) << 8;
                    if (!E1000Offload.insert(f, f.length, start, start + offset, 0)) {
                        warn("transmit checksum offsets outside the {}-byte frame; sent without", f.length);
                    }
                }
                if (netdev != null && !netdev.send(ByteBuffer.wrap(f))) {
                    txHead = head;
                    txFrame = f;
                    return;
                }
                used(q, head, 0);
            }
        } catch (SplitVirtqueue.BrokenRingException e) {
            fail(e.getMessage());
        }
    }

    void sendReady() {
        if (txHead >= 0) {
            transmit();
        }
    }

    private void fail(String why) {
        broken = true;
        ctx.log().warn("virtio-net '{}': {}; the device needs a reset", ctx.id(), why);
        status |= STATUS_NEEDS_RESET;
        if ((status & STATUS_DRIVER_OK) != 0) {
            isr |= ISR_CONFIG;
            updateIrq();
        }
    }

    private void warn(String format, Object arg) {
        if (warnings < MAX_WARNINGS) {
            warnings++;
            ctx.log().warn("virtio-net '" + ctx.id() + "': " + format
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
        int[] last = new int[QUEUES];
        int[] used = new int[QUEUES];
        for (int i = 0; i < QUEUES; i++) {
            last[i] = queues[i].lastAvail;
            used[i] = queues[i].usedIdx;
        }
        return new State(driverFeatures, pfn.clone(), last, used, queueSelect, status, isr, broken,
                slot == null ? null : slot.saveConfig());
    }

    @Override
    public void loadState(State s) {
        if (s.pfn() == null || s.pfn().length != QUEUES || s.lastAvail() == null || s.lastAvail().length != QUEUES
                || s.usedIdx() == null || s.usedIdx().length != QUEUES) {
            throw new StateException("virtio-net state: " + QUEUES + " queues expected");
        }
        for (int i = 0; i < QUEUES; i++) {
            if (s.lastAvail()[i] < 0 || s.lastAvail()[i] > 0xFFFF || s.usedIdx()[i] < 0 || s.usedIdx()[i] > 0xFFFF) {
                throw new StateException("virtio-net state: ring indexes must be 0..65535");
            }
            pfn[i] = s.pfn()[i];
            queues[i].setPfn(pfn[i] & 0xFFFFFFFFL);
            queues[i].lastAvail = s.lastAvail()[i];
            queues[i].usedIdx = s.usedIdx()[i];
        }
        driverFeatures = s.driverFeatures() & deviceFeatures();
        queueSelect = s.queueSelect() & 0xFFFF;
        status = s.status() & 0xFF;
        isr = s.isr() & 3;
        broken = s.broken();
        if (s.pciConfig() != null && slot != null) {
            slot.loadConfig(s.pciConfig());
        }
        updateIrq();
        if (netdev != null) {
            netdev.receiveReady();     // the backend may have been waiting on the previous instance
        }
    }

    private final class Port implements Netdev.Port {
        @Override
        public boolean canReceive() {
            return VirtioNetPci.this.canReceive();
        }

        @Override
        public boolean receive(ByteBuffer frame) {
            return VirtioNetPci.this.receive(frame);
        }

        @Override
        public void sendReady() {
            VirtioNetPci.this.sendReady();
        }
    }
}
