package org.machina.devices.net;

import static org.machina.devices.net.E1000Regs.*;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;
import org.machina.api.bus.pci.PciBar;
import org.machina.api.bus.pci.PciBus;
import org.machina.api.bus.pci.PciEndpoint;
import org.machina.api.bus.pci.PciHeader;
import org.machina.api.bus.pci.PciSlot;
import org.machina.api.device.Device;
import org.machina.api.device.DeviceContext;
import org.machina.api.memory.AccessSpec;
import org.machina.api.memory.AddressSpace;
import org.machina.api.memory.MemoryRegion;
import org.machina.api.memory.Mmio;
import org.machina.api.net.Netdev;
import org.machina.api.state.StateException;
import org.machina.api.state.Stateful;

/**
 * An Intel 82540EM Gigabit Ethernet controller (8086:100E, class 02 00 00, INTA), from the
 * "PCI/PCI-X Family of Gigabit Ethernet Controllers Software Developer's Manual" (8254x).
 *
 * <pre>
 * BAR0 memory, 128 KiB: the registers (32-bit; {@link E1000Regs})
 * BAR1 I/O, 64 bytes:   IOADDR (0x00) selects a register, IODATA (0x04) reads/writes it
 * </pre>
 *
 * Implemented: CTRL (RST), STATUS (link up, 1000 Mb/s full duplex), EECD/EERD with the EEPROM
 * ({@link E1000Eeprom}), MDIC with the PHY ({@link E1000Phy}), ICR/ICS/IMS/IMC with the INTx
 * line level = (ICR &amp; IMS) != 0, RCTL/TCTL, the legacy receive ring and the legacy and extended
 * (context + data) transmit descriptors with checksum insertion and TSO ({@link E1000Offload}),
 * receive address filtering (RAL/RAH, MTA hash, UPE/MPE/BAM), receive checksum offload (RXCSUM
 * IPOFL/TUOFL: IPv4 and TCP/UDP checksums checked here and reported in the last descriptor as
 * IPCS/TCPCS, errors IPE/TCPE; without offload IXSM tells the driver to ignore them), and the statistics registers
 * (clear on read). Other registers hold what is written. Interrupt moderation (ITR, RDTR, RADV,
 * TIDV, TADV) is accepted and not applied: causes interrupt at once.
 *
 * <p>Rings: descriptor base and length must lie in the address space and head/tail within the
 * ring; otherwise the ring is not used (logged once) until the driver writes it again. DMA
 * buffers outside the address space are skipped (logged). A transmit packet longer than
 * {@value #MAX_PACKET} bytes is dropped.
 *
 * <p>Back-pressure: receive takes a frame only if enough descriptors are free ({@code canReceive}
 * is false when none is), and the netdev is told {@code receiveReady} when the driver writes RDT
 * or enables the receiver. A frame the netdev refuses stays queued here with its descriptors
 * not yet written back, and transmission resumes on {@code sendReady}.
 */
final class E1000 implements Device, PciEndpoint, Stateful<E1000.State> {
    /**
     * Version 1 of the state. Not kept: a transmit packet gathered from part of its descriptors
     * or refused by the netdev (the driver's watchdog resets a transmitter that stops), and an
     * EEPROM bit-bang transaction in progress.
     *
     * @param regs the register file (128 KiB / 4 words; ICR, statistics, ring registers included)
     * @param phy the 32 PHY registers
     * @param ioAddr the I/O window's selected register
     * @param pciConfig the PCI configuration space
     */
    record State(int[] regs, int[] phy, int ioAddr, byte[] pciConfig) {
    }

    static final int VENDOR = 0x8086;
    static final int DEVICE_82540EM = 0x100E;
    static final int CLASS_ETHERNET = 0x020000;
    static final int MMIO_SIZE = 0x20000;
    static final int IO_SIZE = 0x40;
    static final int MAX_PACKET = 65536 + 256;
    /** The longest frame (without FCS) taken without RCTL.LPE: 1514 plus a VLAN tag. */
    static final int MAX_STANDARD_FRAME = 1518;
    static final int MAX_LONG_FRAME = 16384;
    static final int MAX_WARNINGS = 20;

    private final DeviceContext ctx;
    private final Netdev netdev;
    private final byte[] mac;
    private final int addr;
    private final int[] regs = new int[MMIO_SIZE / 4];
    private final E1000Eeprom eeprom;
    private final E1000Phy phy = new E1000Phy();
    private final MemoryRegion.Io mmio;
    private final MemoryRegion.Io ioPorts;
    private final Netdev.Port port = new Port();
    private final CRC32 crc = new CRC32();
    private PciSlot slot;
    private int ioAddr;
    private int warnings;
    /** The netdev was told "cannot receive" and waits for receiveReady. */
    private boolean rxWanted;

    // transmit: the packet being gathered, its context, and frames refused by the netdev
    private final byte[] packet = new byte[MAX_PACKET];
    private int packetLength;
    private boolean packetTooLong;
    private int packetPopts;
    private boolean packetTso;
    private int legacyCss = -1;
    private int legacyCso;
    private E1000Offload.Context context = new E1000Offload.Context(0, 0, 0, 0, 0, 0, 0, 0, 0, false, false, false);
    private final List<Integer> packetDescriptors = new ArrayList<>();
    private List<byte[]> pendingFrames = List.of();
    private List<Integer> pendingDescriptors = List.of();
    private boolean txBlocked;
    private boolean inTx;

    E1000(DeviceContext ctx, Netdev netdev, byte[] mac, int addr) {
        this.ctx = ctx;
        this.netdev = netdev;
        this.mac = mac.clone();
        this.addr = addr;
        this.eeprom = new E1000Eeprom(mac);
        this.mmio = new MemoryRegion.Io("e1000-mmio", MMIO_SIZE, new Mmio() {
            @Override
            public long read(long offset, int size) {
                return readRegister((int) offset & ~3) & 0xFFFFFFFFL;
            }

            @Override
            public void write(long offset, int size, long value) {
                writeRegister((int) offset & ~3, (int) value);
            }
        }, new AccessSpec(1, 4, 4, 4, false));
        this.ioPorts = new MemoryRegion.Io("e1000-io", IO_SIZE, new Mmio() {
            @Override
            public long read(long offset, int size) {
                return switch ((int) offset) {
                    case 0 -> ioAddr & 0xFFFFFFFFL;
                    case 4 -> ioAddr >= 0 && ioAddr < MMIO_SIZE ? readRegister(ioAddr & ~3) & 0xFFFFFFFFL : 0;
                    default -> 0;
                };
            }

            @Override
            public void write(long offset, int size, long value) {
                if (offset == 0) {
                    ioAddr = (int) value & (MMIO_SIZE - 1) & ~3;
                } else if (offset == 4) {
                    writeRegister(ioAddr, (int) value);
                }
            }
        }, new AccessSpec(1, 4, 4, 4, false));
        resetRegisters();
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
        resetRegisters();
        phy.reset();
        updateIrq();
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

    private void resetRegisters() {
        java.util.Arrays.fill(regs, 0);
        regs[CTRL >> 2] = CTRL_FD | CTRL_SLU | CTRL_SPEED_1000;
        regs[PBA >> 2] = 0x00100030;
        regs[LEDCTL >> 2] = 0x07068302;
        regs[RA >> 2] = (mac[0] & 0xFF) | (mac[1] & 0xFF) << 8 | (mac[2] & 0xFF) << 16 | (mac[3] & 0xFF) << 24;
        regs[(RA + 4) >> 2] = (mac[4] & 0xFF) | (mac[5] & 0xFF) << 8 | 1 << 31;   // AV
        eeprom.reset();
        packetLength = 0;
        packetTooLong = false;
        packetDescriptors.clear();
        legacyCss = -1;
        pendingFrames = List.of();
        pendingDescriptors = List.of();
        txBlocked = false;
        updateIrq();
    }

    // ---- PciEndpoint ----

    @Override
    public PciHeader header() {
        return new PciHeader(VENDOR, DEVICE_82540EM, 3, CLASS_ETHERNET, VENDOR, 0x001E, 1);
    }

    @Override
    public List<PciBar> bars() {
        return List.of(new PciBar(0, false, mmio), new PciBar(1, true, ioPorts));
    }

    // ---- registers ----

    int readRegister(int offset) {
        switch (offset) {
            case STATUS:
                return STATUS_FD | STATUS_LU | STATUS_SPEED_1000;
            case EECD:
                return eeprom.readEecd();
            case ICR: {
                int v = regs[ICR >> 2];
                regs[ICR >> 2] = 0;
                updateIrq();
                return v;
            }
            case ICS, IMC:
                return 0;
            default:
                if (offset >= STATS_FIRST && offset <= STATS_LAST) {
                    int v = regs[offset >> 2];
                    regs[offset >> 2] = 0;
                    return v;
                }
                return regs[offset >> 2];
        }
    }

    void writeRegister(int offset, int value) {
        switch (offset) {
            case CTRL -> {
                if ((value & CTRL_RST) != 0) {
                    resetRegisters();
                    return;
                }
                if ((value & CTRL_PHY_RST) != 0) {
                    phy.reset();
                }
                regs[CTRL >> 2] = value & ~(CTRL_RST | CTRL_PHY_RST);
            }
            case STATUS -> { }
            case EECD -> eeprom.writeEecd(value);
            case EERD -> {
                if ((value & EERD_START) != 0) {
                    int word = value >>> 8 & 0xFF;
                    regs[EERD >> 2] = eeprom.word(word) << 16 | word << 8 | EERD_DONE;
                }
            }
            case MDIC -> mdic(value);
            case ICR -> {
                regs[ICR >> 2] &= ~value;
                updateIrq();
            }
            case ICS -> raise(value);
            case IMS -> {
                regs[IMS >> 2] |= value;
                updateIrq();
            }
            case IMC -> {
                regs[IMS >> 2] &= ~value;
                updateIrq();
            }
            case RCTL -> {
                regs[RCTL >> 2] = value;
                rxMaybeReady();
            }
            case TCTL -> {
                regs[TCTL >> 2] = value;
                transmit();
            }
            case RDLEN, TDLEN -> regs[offset >> 2] = value & 0xFFF80;
            case RDH, RDT, TDH -> regs[offset >> 2] = value & 0xFFFF;
            case TDT -> {
                regs[TDT >> 2] = value & 0xFFFF;
                transmit();
            }
            default -> {
                if (offset < STATS_FIRST || offset > STATS_LAST) {
                    regs[offset >> 2] = value;
                }
            }
        }
        if (offset == RDT) {
            rxMaybeReady();
        }
    }

    private void mdic(int value) {
        int phyAddr = value >>> 21 & 31;
        int reg = value >>> 16 & 31;
        int op = value >>> 26 & 3;
        int result = value & ~(MDIC_READY | MDIC_ERROR);
        if (phyAddr != E1000Phy.ADDRESS) {
            result |= MDIC_ERROR;
        } else if (op == MDIC_OP_READ) {
            result = result & ~0xFFFF | phy.read(reg);
        } else if (op == MDIC_OP_WRITE) {
            phy.write(reg, value & 0xFFFF);
        }
        regs[MDIC >> 2] = result | MDIC_READY;
        if ((value & MDIC_INT) != 0) {
            raise(ICR_MDAC);
        }
    }

    private void raise(int causes) {
        regs[ICR >> 2] |= causes;
        updateIrq();
    }

    private void updateIrq() {
        if (slot != null) {
            slot.intx().set((regs[ICR >> 2] & regs[IMS >> 2]) != 0);
        }
    }

    private void count(int reg, long amount) {
        regs[reg >> 2] += (int) amount;
    }

    private void countOctets(int low, long amount) {
        long v = (regs[low >> 2] & 0xFFFFFFFFL | (long) regs[(low + 4) >> 2] << 32) + amount;
        regs[low >> 2] = (int) v;
        regs[(low + 4) >> 2] = (int) (v >>> 32);
    }

    private boolean dma() {
        return slot == null || slot.busMaster();
    }

    // ---- rings ----

    /** A descriptor ring's geometry, or null (logged) when the driver's values cannot be used. */
    private Ring ring(String name, int bal, int bah, int len, int head, int tail) {
        long base = (regs[bal >> 2] & 0xFFFFFFF0L) | (long) regs[bah >> 2] << 32;
        int count = regs[len >> 2] / DESC_SIZE;
        if (count == 0) {
            return null;
        }
        int h = regs[head >> 2];
        int t = regs[tail >> 2];
        AddressSpace memory = ctx.memory();
        if (base < 0 || base + (long) count * DESC_SIZE > memory.limit() || h >= count || t >= count) {
            warn("{} ring unusable: base 0x" + Long.toHexString(base) + ", " + count + " descriptors, head " + h
                    + ", tail " + t, name);
            return null;
        }
        return new Ring(base, count, h, t);
    }

    private record Ring(long base, int count, int head, int tail) {
        long descriptor(int index) {
            return base + (long) index * DESC_SIZE;
        }
    }

    private boolean inMemory(long address, long length) {
        return address >= 0 && length >= 0 && address + length <= ctx.memory().limit() && address + length >= address;
    }

    // ---- receive ----

    private Ring rxRing() {
        return ring("receive", RDBAL, RDBAH, RDLEN, RDH, RDT);
    }

    private int freeRx(Ring r) {
        return (r.tail() - r.head() + r.count()) % r.count();
    }

    boolean canReceive() {
        boolean ok = false;
        if ((regs[RCTL >> 2] & RCTL_EN) != 0 && dma()) {
            Ring r = rxRing();
            ok = r != null && freeRx(r) > 0;
        }
        if (!ok) {
            rxWanted = true;
        }
        return ok;
    }

    private void rxMaybeReady() {
        if (rxWanted && netdev != null && (regs[RCTL >> 2] & RCTL_EN) != 0) {
            rxWanted = false;
            netdev.receiveReady();
        }
    }

    boolean receive(ByteBuffer frame) {
        int rctl = regs[RCTL >> 2];
        Ring r = (rctl & RCTL_EN) != 0 && dma() ? rxRing() : null;
        if (r == null || freeRx(r) == 0) {
            rxWanted = true;
            return false;
        }
        int length = frame.remaining();
        if (length < 14) {
            return true;
        }
        byte[] dst = new byte[6];
        frame.get(frame.position(), dst);
        if (!accept(dst, rctl)) {
            return true;
        }
        if (length > ((rctl & RCTL_LPE) != 0 ? MAX_LONG_FRAME : MAX_STANDARD_FRAME)) {
            count(ROC, 1);
            return true;
        }
        boolean fcs = (rctl & RCTL_SECRC) == 0;
        int padded = Math.max(length, 60);
        byte[] data = new byte[padded + (fcs ? 4 : 0)];
        frame.get(frame.position(), data, 0, length);
        if (fcs) {
            crc.reset();
            crc.update(data, 0, padded);
            int c = (int) crc.getValue();
            for (int i = 0; i < 4; i++) {
                data[padded + i] = (byte) (c >>> 8 * i);
            }
        }
        int bufSize = rxBufferSize(rctl);
        int need = (data.length + bufSize - 1) / bufSize;
        if (need > freeRx(r)) {
            count(RNBC, 1);
            rxWanted = true;
            return false;
        }
        int status = RXD_STAT_IXSM;
        int errors = 0;
        int rxcsum = regs[RXCSUM >> 2];
        if ((rxcsum & (RXCSUM_IPOFL | RXCSUM_TUOFL)) != 0) {
            status = 0;
            switch (RxChecksum.check(data, length)) {
                case VALID -> status = ((rxcsum & RXCSUM_IPOFL) != 0 ? RXD_STAT_IPCS : 0)
                        | ((rxcsum & RXCSUM_TUOFL) != 0 ? RXD_STAT_TCPCS : 0);
                case BAD_IP -> {
                    status = (rxcsum & RXCSUM_IPOFL) != 0 ? RXD_STAT_IPCS : 0;
                    errors = (rxcsum & RXCSUM_IPOFL) != 0 ? RXD_ERR_IPE : 0;
                }
                case BAD_L4 -> {
                    status = ((rxcsum & RXCSUM_IPOFL) != 0 ? RXD_STAT_IPCS : 0)
                            | ((rxcsum & RXCSUM_TUOFL) != 0 ? RXD_STAT_TCPCS : 0);
                    errors = (rxcsum & RXCSUM_TUOFL) != 0 ? RXD_ERR_TCPE : 0;
                }
                case NOT_CHECKED -> { }
            }
        }
        AddressSpace memory = ctx.memory();
        int head = r.head();
        int done = 0;
        for (int i = 0; i < need; i++) {
            long d = r.descriptor(head);
            long buffer = memory.read(d, 8);
            int n = Math.min(bufSize, data.length - done);
            if (inMemory(buffer, n)) {
                memory.write(buffer, data, done, n);
            } else {
                warn("receive descriptor {} points outside memory: 0x" + Long.toHexString(buffer), head);
            }
            done += n;
            memory.write(d + 8, 2, n);
            memory.write(d + 10, 2, 0);
            boolean last = i == need - 1;
            memory.write(d + 12, 1, RXD_STAT_DD | (last ? RXD_STAT_EOP | status : 0));
            memory.write(d + 13, 1, last ? errors : 0);
            memory.write(d + 14, 2, 0);
            head = (head + 1) % r.count();
        }
        regs[RDH >> 2] = head;
        count(GPRC, 1);
        count(TPR, 1);
        countOctets(GORCL, data.length);
        countOctets(TORL, data.length);
        if ((dst[0] & 1) != 0) {
            count(isBroadcast(dst) ? BPRC : MPRC, 1);
        }
        int causes = ICR_RXT0;
        int free = (r.tail() - head + r.count()) % r.count();
        int threshold = r.count() >> (1 + (rctl >>> 8 & 3));   // RDMTS: 1/2, 1/4, 1/8
        if (free <= threshold) {
            causes |= ICR_RXDMT0;
        }
        raise(causes);
        return true;
    }

    private static boolean isBroadcast(byte[] dst) {
        for (byte b : dst) {
            if (b != (byte) 0xFF) {
                return false;
            }
        }
        return true;
    }

    /** Receive address filtering (manual 3.2.1): exact match, multicast hash, promiscuous bits. */
    private boolean accept(byte[] dst, int rctl) {
        if (isBroadcast(dst)) {
            return (rctl & RCTL_BAM) != 0 || (rctl & RCTL_MPE) != 0;
        }
        boolean multicast = (dst[0] & 1) != 0;
        if ((rctl & (multicast ? RCTL_MPE : RCTL_UPE)) != 0) {
            return true;
        }
        for (int i = 0; i < RA_ENTRIES; i++) {
            int low = regs[(RA + 8 * i) >> 2];
            int high = regs[(RA + 8 * i + 4) >> 2];
            if (high < 0 && low == ((dst[0] & 0xFF) | (dst[1] & 0xFF) << 8 | (dst[2] & 0xFF) << 16 | (dst[3] & 0xFF) << 24)
                    && (high & 0xFFFF) == ((dst[4] & 0xFF) | (dst[5] & 0xFF) << 8)) {
                return true;
            }
        }
        if (multicast) {
            int shift = 4 - (rctl >>> 12 & 3);                  // MO 00: bits 47:36, 01: 46:35, 10: 45:34
            int hash = (rctl >>> 12 & 3) == 3 ? ((dst[4] & 0xFF) | (dst[5] & 0xFF) << 8) & 0xFFF
                    : ((dst[4] & 0xFF) >>> shift | (dst[5] & 0xFF) << (8 - shift)) & 0xFFF;
            return (regs[(MTA >> 2) + (hash >>> 5)] >>> (hash & 31) & 1) != 0;
        }
        return false;
    }

    // ---- transmit ----

    private void transmit() {
        if (inTx) {
            return;
        }
        inTx = true;
        try {
            transmitRing();
        } finally {
            inTx = false;
        }
    }

    private void transmitRing() {
        if ((regs[TCTL >> 2] & TCTL_EN) == 0 || !dma() || txBlocked) {
            return;
        }
        Ring r = ring("transmit", TDBAL, TDBAH, TDLEN, TDH, TDT);
        if (r == null) {
            return;
        }
        AddressSpace memory = ctx.memory();
        int head = r.head();
        boolean wroteBack = false;
        for (int guard = 0; head != r.tail() && guard < r.count(); guard++) {
            long d = r.descriptor(head);
            long address = memory.read(d, 8);
            int dword2 = (int) memory.read(d + 8, 4);
            int dword3 = (int) memory.read(d + 12, 4);
            int cmd = dword2 >>> 24;
            head = (head + 1) % r.count();
            if ((cmd & TXD_CMD_DEXT) == 0) {
                // legacy: length 15:0, CSO 23:16, CMD 31:24; STA 3:0, CSS 15:8 of dword3
                if ((cmd & TXD_CMD_IC) != 0) {
                    legacyCso = dword2 >>> 16 & 0xFF;
                    legacyCss = dword3 >>> 8 & 0xFF;
                }
                append(address, dword2 & 0xFFFF, cmd, d);
            } else {
                int dtyp = dword2 >>> 20 & 0xF;
                if (dtyp == 0) {
                    context = new E1000Offload.Context((int) address & 0xFF, (int) (address >>> 8) & 0xFF,
                            (int) (address >>> 16) & 0xFFFF, (int) (address >>> 32) & 0xFF, (int) (address >>> 40) & 0xFF,
                            (int) (address >>> 48) & 0xFFFF, dword2 & 0xFFFFF, dword3 >>> 8 & 0xFF, dword3 >>> 16 & 0xFFFF,
                            (cmd & TXD_CMD_TSE) != 0, (cmd & TUCMD_IP) != 0, (cmd & TUCMD_TCP) != 0);
                    if ((cmd & TXD_CMD_RS) != 0) {
                        memory.write(d + 12, 1, dword3 & 0xF0 | TXD_STAT_DD);
                        wroteBack = true;
                    }
                } else if (dtyp == 1) {
                    if (packetLength == 0 && !packetTooLong) {
                        packetPopts = dword3 >>> 8 & 0xFF;
                        packetTso = (cmd & TXD_CMD_TSE) != 0;
                    }
                    append(address, dword2 & 0xFFFFF, cmd, d);
                } else {
                    warn("transmit descriptor {} has unknown type " + dtyp + "; skipped", (head + r.count() - 1) % r.count());
                    if ((cmd & TXD_CMD_RS) != 0) {
                        memory.write(d + 12, 1, dword3 & 0xF0 | TXD_STAT_DD);
                    }
                }
            }
            regs[TDH >> 2] = head;
            if ((cmd & TXD_CMD_EOP) != 0) {
                pendingFrames = frames();
                pendingDescriptors = List.copyOf(packetDescriptors);
                packetDescriptors.clear();
                packetLength = 0;
                packetTooLong = false;
                legacyCss = -1;
                packetPopts = 0; // a legacy packet next asks for no offload: not the last packet's TXSM/IXSM
                packetTso = false;
                if (!flush()) {
                    break;
                }
                wroteBack = true;
            }
        }
        int causes = wroteBack ? ICR_TXDW : 0;
        if (regs[TDH >> 2] == regs[TDT >> 2] && !txBlocked) {
            causes |= ICR_TXQE;
        }
        if (causes != 0) {
            raise(causes);
        }
    }

    private void append(long address, int length, int cmd, long descriptor) {
        if ((cmd & TXD_CMD_RS) != 0) {
            packetDescriptors.add((int) (descriptor - ringBase()) / DESC_SIZE);
        }
        if (packetTooLong) {
            return;
        }
        if (packetLength + length > MAX_PACKET) {
            warn("transmit packet longer than {} bytes; dropped", MAX_PACKET);
            packetTooLong = true;
            return;
        }
        if (!inMemory(address, length)) {
            warn("transmit buffer outside memory: 0x{}; packet dropped", Long.toHexString(address));
            packetTooLong = true;
            return;
        }
        ctx.memory().read(address, packet, packetLength, length);
        packetLength += length;
    }

    private long ringBase() {
        return (regs[TDBAL >> 2] & 0xFFFFFFF0L) | (long) regs[TDBAH >> 2] << 32;
    }

    /** The frames of the gathered packet, offloads applied. */
    private List<byte[]> frames() {
        if (packetTooLong || packetLength == 0) {
            return List.of();
        }
        if (packetTso) {
            List<byte[]> segments = E1000Offload.segment(packet, packetLength, context);
            if (segments == null) {
                warn("TSO context does not fit the packet ({} bytes); dropped", packetLength);
                return List.of();
            }
            return segments;
        }
        byte[] f = java.util.Arrays.copyOf(packet, packetLength);
        if (legacyCss >= 0) {
            checksum(f, legacyCss, legacyCso, 0);
        } else {
            if ((packetPopts & TXD_POPTS_TXSM) != 0) {
                checksum(f, context.tucss(), context.tucso(), context.tucse());
            }
            if ((packetPopts & TXD_POPTS_IXSM) != 0) {
                checksum(f, context.ipcss(), context.ipcso(), context.ipcse());
            }
        }
        return List.of(f);
    }

    private void checksum(byte[] f, int css, int cso, int cse) {
        if (!E1000Offload.insert(f, f.length, css, cso, cse)) {
            warn("checksum offsets outside the packet of {} bytes; sent without", f.length);
        }
    }

    /** Sends the pending frames; false if the netdev refused one (transmission waits for sendReady). */
    private boolean flush() {
        AddressSpace memory = ctx.memory();
        int sent = 0;
        for (byte[] f : pendingFrames) {
            if (netdev != null && !netdev.send(ByteBuffer.wrap(f))) {
                pendingFrames = pendingFrames.subList(sent, pendingFrames.size());
                txBlocked = true;
                return false;
            }
            sent++;
            count(GPTC, 1);
            count(TPT, 1);
            countOctets(GOTCL, f.length + 4);
            countOctets(TOTL, f.length + 4);
        }
        pendingFrames = List.of();
        long base = ringBase();
        for (int index : pendingDescriptors) {
            long d = base + (long) index * DESC_SIZE;
            memory.write(d + 12, 1, memory.read(d + 12, 1) & 0xF0 | TXD_STAT_DD);
        }
        pendingDescriptors = List.of();
        return true;
    }

    void sendReady() {
        if (!txBlocked) {
            return;
        }
        txBlocked = false;
        if (flush()) {
            raise(ICR_TXDW);
            transmit();
        }
    }

    private void warn(String format, Object arg) {
        if (warnings < MAX_WARNINGS) {
            warnings++;
            ctx.log().warn("e1000 '" + ctx.id() + "': " + format
                    + (warnings == MAX_WARNINGS ? " (further guest errors are not logged)" : ""), arg);
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
        return new State(regs.clone(), phy.save(), ioAddr, slot == null ? null : slot.saveConfig());
    }

    @Override
    public void loadState(State s) {
        if (s.regs() == null || s.regs().length != regs.length || s.phy() == null || s.phy().length != 32) {
            throw new StateException("e1000 state: " + regs.length + " register words and 32 PHY registers expected");
        }
        System.arraycopy(s.regs(), 0, regs, 0, regs.length);
        phy.load(s.phy());
        ioAddr = s.ioAddr() & (MMIO_SIZE - 1) & ~3;
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
            return E1000.this.canReceive();
        }

        @Override
        public boolean receive(ByteBuffer frame) {
            return E1000.this.receive(frame);
        }

        @Override
        public void sendReady() {
            E1000.this.sendReady();
        }
    }
}
