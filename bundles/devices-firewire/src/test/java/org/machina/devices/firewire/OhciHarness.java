package org.machina.devices.firewire;

import static org.machina.devices.firewire.OhciRegisters.*;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import com.google.gson.JsonParser;
import org.machina.runtime.state.StateJson;

/**
 * Drives an {@link Ohci1394} the way a driver does (the steps of OHCI 1.1 chapter 5 and the DMA
 * programs of chapters 7 and 8), with an SBP-2 disk as the second node on its bus.
 */
final class OhciHarness {
    static final long SELF_ID = 0x1000;
    static final long ROM = 0x2000;
    static final long AR_REQ_DESC = 0x3000;
    static final long AR_RESP_DESC = 0x3100;
    static final long AR_REQ_BUF = 0x1_0000;
    static final long AR_RESP_BUF = 0x1_2000;
    static final int AR_BUF = 4096;
    static final long AT_DESC = 0x4000;
    static final long AT_DATA = 0x4800;

    final Rig rig;
    Ohci1394 ohci;
    Sbp2Disk disk;
    final Rig.Disk drive = new Rig.Disk(1 << 20);
    private long arReqRead;
    private long arRespRead;
    private long atNext = AT_DESC;

    OhciHarness() {
        rig = new Rig();
        rig.drives.put("d0", drive);
        ohci = new Ohci1394(rig.context("fw0"), -1, 0x0800_2801_0203_0405L);
        ohci.realize();
        disk = new Sbp2Disk(rig.context("sbp0"), "ieee1394", drive, 0x0012_3400_0000_0001L, "S1");
        disk.realize();
        rig.runTasks();
    }

    /** A controller alone on its machine, its bus a segment of the shared bus {@code busName} (no disk). */
    OhciHarness(String busName, long guid) {
        this(new Rig(), busName, guid);
    }

    /** The same on {@code rig} (call it on the rig's machine thread when the rig is threaded). */
    OhciHarness(Rig rig, String busName, long guid) {
        this.rig = rig;
        ohci = new Ohci1394(rig.context("fw0"), -1, guid, busName);
        ohci.realize();
        rig.runTasks();
    }

    /**
     * A hot-swap as the runtime does it: both states saved and carried through their JSON (strict
     * {@link StateJson}), the old instances unrealized, new ones created, realized and loaded. Tasks
     * the old instances posted stay queued (they run against the old instances).
     */
    void swap() {
        swap(() -> { }, () -> { });
    }

    /** {@link #swap()} with the other nodes on the bus: {@code detach} after the save, {@code attach} after the new instances. */
    void swap(Runnable detach, Runnable attach) {
        String ohciJson = StateJson.write(ohci.saveState(), OhciState.class).toString();
        String diskJson = StateJson.write(disk.saveState(), Sbp2Disk.State.class).toString();
        detach.run();
        disk.unrealize();
        ohci.unrealize();
        ohci = new Ohci1394(rig.context("fw0"), -1, 0x0800_2801_0203_0405L);
        ohci.realize();
        ohci.loadState((OhciState) StateJson.read(JsonParser.parseString(ohciJson), OhciState.class));
        disk = new Sbp2Disk(rig.context("sbp0"), "ieee1394", drive, 0x0012_3400_0000_0001L, "S1");
        disk.realize();
        disk.loadState((Sbp2Disk.State) StateJson.read(JsonParser.parseString(diskJson), Sbp2Disk.State.class));
        attach.run();
    }

    int reg(int offset) {
        return ohci.readRegister(offset);
    }

    void reg(int offset, int value) {
        ohci.writeRegister(offset, value);
    }

    /** softReset, LPS, self-ID buffer, interrupts, PHY L and c, config ROM, AR contexts, link enable. */
    void enable() {
        reg(HC_CONTROL_SET, HC_SOFT_RESET);
        reg(HC_CONTROL_SET, HC_LPS | HC_POSTED_WRITE_ENABLE);
        reg(SELF_ID_BUFFER, (int) SELF_ID);
        reg(LINK_CONTROL_SET, LC_CYCLE_TIMER_ENABLE | LC_CYCLE_MASTER);
        reg(INT_EVENT_CLEAR, -1);
        reg(INT_MASK_CLEAR, -1);
        phyWrite(4, phyRead(4) | 0xC0);
        for (int i = 0; i < 16; i++) {
            rig.ram.le(ROM + 4L * i, Integer.reverseBytes(0x0404_0000 + i));
        }
        reg(CONFIG_ROM_HDR, 0);
        reg(BUS_OPTIONS, 0xF000_A002);
        reg(CONFIG_ROM_MAP, (int) ROM);
        reg(AS_REQ_FILTER_HI_SET, 0x8000_0000);
        reg(INT_MASK_SET, INT_REQ_TX_COMPLETE | INT_RESP_TX_COMPLETE | INT_RQ_PKT | INT_RS_PKT | INT_SELF_ID_COMPLETE
                | INT_BUS_RESET | INT_UNRECOVERABLE | INT_POSTED_WRITE_ERR | INT_MASTER);
        reg(HC_CONTROL_SET, HC_LINK_ENABLE | HC_BIB_IMAGE_VALID);
        reg(LINK_CONTROL_SET, LC_RCV_SELF_ID | LC_RCV_PHY_PKT);
        arProgram(AR_REQ_DESC, AR_REQ_BUF);
        arProgram(AR_RESP_DESC, AR_RESP_BUF);
        reg(AR_REQ + 12, (int) AR_REQ_DESC | 1);
        reg(AR_REQ, AtContext.RUN);
        reg(AR_RESP + 12, (int) AR_RESP_DESC | 1);
        reg(AR_RESP, AtContext.RUN);
        rig.runTasks();
        assertEquals(0, reg(NODE_ID) & 0x8000_0000, "enabling the link does not reset the bus by itself");
        phyWrite(1, phyRead(1) | 0x40);   // IBR, as the driver does to finish initialization
        rig.runTasks();
        arReqRead = AR_REQ_BUF;
        arRespRead = AR_RESP_BUF;
    }

    /** One INPUT_MORE with a 4 KiB buffer, and a second one after it (Z = 1), the last with Z = 0. */
    void arProgram(long desc, long buf) {
        for (int i = 0; i < 2; i++) {
            long d = desc + 16L * i;
            rig.ram.le(d, 2 << 28 | 1 << 27 | 3 << 20 | 3 << 18 | AR_BUF);
            rig.ram.le(d + 4, (int) (buf + (long) AR_BUF * i));
            rig.ram.le(d + 8, i == 0 ? (int) (desc + 16) | 1 : 0);
            rig.ram.le(d + 12, AR_BUF);
        }
    }

    int phyRead(int r) {
        reg(PHY_CONTROL, PHY_RD_REG | r << 8);
        return reg(PHY_CONTROL) >>> 16 & 0xFF;
    }

    void phyWrite(int r, int v) {
        reg(PHY_CONTROL, PHY_WR_REG | r << 8 | v & 0xFF);
    }

    /** The packets in an AR buffer since the last call: each as LE quadlets (data quadlets as read), trailer last. */
    List<int[]> arPackets(boolean request) {
        List<int[]> out = new ArrayList<>();
        long at = request ? arReqRead : arRespRead;
        long end = request ? AR_REQ_BUF + 2L * AR_BUF : AR_RESP_BUF + 2L * AR_BUF;
        while (at < end) {
            int q0 = rig.ram.le(at);
            if (q0 == 0) {
                break;
            }
            int tcode = q0 >>> 4 & 15;
            int header = switch (tcode) {
                case 2, 4, 14 -> 12;
                default -> 16;
            };
            int payload = switch (tcode) {
                case 1, 7, 9, 11 -> (rig.ram.le(at + 12) >>> 16) + 3 & ~3;
                default -> 0;
            };
            int n = (header + payload) / 4 + 1;
            int[] p = new int[n];
            for (int i = 0; i < n; i++) {
                p[i] = rig.ram.le(at + 4L * i);
            }
            out.add(p);
            at += 4L * n;
        }
        if (request) {
            arReqRead = at;
        } else {
            arRespRead = at;
        }
        return out;
    }

    /**
     * Queues one AT packet as OUTPUT_MORE-Immediate (+ OUTPUT_LAST with payload) or OUTPUT_LAST-Immediate
     * and returns the address of the *_LAST descriptor (where the status lands).
     */
    long atPacket(int[] header, byte[] payload, int headerBytes) {
        long d = atNext;
        int z = payload == null ? 2 : 3;
        int q0 = (payload == null ? 1 << 28 : 0) | 2 << 24 | headerBytes;
        if (payload == null) {
            q0 |= 3 << 20 | 3 << 18;
        }
        rig.ram.le(d, q0);
        rig.ram.le(d + 4, 0);
        rig.ram.le(d + 8, 0);
        rig.ram.le(d + 12, 0);
        for (int i = 0; i < header.length; i++) {
            rig.ram.le(d + 16 + 4L * i, header[i]);
        }
        long last = d;
        if (payload != null) {
            long data = AT_DATA + (d - AT_DESC);
            rig.ram.write(data, payload, 0, payload.length);
            last = d + 32;
            rig.ram.le(last, 1 << 28 | 3 << 20 | 3 << 18 | payload.length);
            rig.ram.le(last + 4, (int) data);
            rig.ram.le(last + 8, 0);
            rig.ram.le(last + 12, 0);
        }
        atNext = d + 16L * z + 16 & ~15L;
        atNext = (atNext + 63) & ~63L;
        return last | (long) z << 40;
    }

    /** Runs the AT request context over one packet block (appending with a wake when it already ran). */
    int sendRequest(int[] header, byte[] payload, int headerBytes) {
        long last = queueRequest(header, payload, headerBytes);
        rig.runTasks();
        return rig.ram.le(last + 12) >>> 16;
    }

    /** Like {@link #sendRequest} but leaves the tasks the packet caused queued; returns the *_LAST descriptor. */
    long queueRequest(int[] header, byte[] payload, int headerBytes) {
        return queue(AT_REQ, header, payload, headerBytes);
    }

    /** Runs the AT response context over one response packet; returns the xferStatus. */
    int sendResponse(int[] header, byte[] payload) {
        long last = queue(AT_RESP, header, payload, 16);
        rig.runTasks();
        return rig.ram.le(last + 12) >>> 16;
    }

    static int[] readBlockResponseHeader(int dest, int tlabel, int length) {
        return new int[] {2 << 16 | tlabel << 10 | 1 << 8 | 7 << 4, dest << 16, 0, length << 16};
    }

    private long queue(int context, int[] header, byte[] payload, int headerBytes) {
        long tagged = atPacket(header, payload, headerBytes);
        long last = tagged & 0xFFFF_FFFFL;
        int z = (int) (tagged >>> 40);
        long block = payload == null ? last : last - 32;
        int slot = context == AT_REQ ? 0 : 1;
        if ((reg(context) & AtContext.RUN) == 0) {
            reg(context + 12, (int) block | z);
            reg(context, AtContext.RUN);
        } else {
            rig.ram.le(previousLast[slot] + 8, (int) block | z);
            reg(context, AtContext.WAKE);
        }
        previousLast[slot] = last;
        return last;
    }

    /** The last *_LAST descriptor of the AT request and AT response programs. */
    private final long[] previousLast = new long[2];

    static int[] readQuadletHeader(int dest, int tlabel, long offset) {
        return new int[] {2 << 16 | tlabel << 10 | 4 << 4, dest << 16 | (int) (offset >>> 32) & 0xFFFF, (int) offset};
    }

    static int[] writeBlockHeader(int dest, int tlabel, long offset, int length) {
        return new int[] {2 << 16 | tlabel << 10 | 1 << 4, dest << 16 | (int) (offset >>> 32) & 0xFFFF, (int) offset,
                length << 16};
    }

    /** Big-endian bytes of quadlets, as SBP-2 structures sit in memory. */
    static byte[] be(int... q) {
        byte[] b = new byte[q.length * 4];
        for (int i = 0; i < q.length; i++) {
            GuestDma.putBe(b, 4 * i, q[i]);
        }
        return b;
    }

    void writeBe(long address, int... q) {
        byte[] b = be(q);
        rig.ram.write(address, b, 0, b.length);
    }

    int readBe(long address) {
        return Integer.reverseBytes(rig.ram.le(address));
    }
}
