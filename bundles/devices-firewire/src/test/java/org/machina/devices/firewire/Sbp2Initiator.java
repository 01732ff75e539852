package org.machina.devices.firewire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.machina.devices.firewire.OhciRegisters.*;

import java.util.List;

/**
 * What an SBP-2 initiator driver does through the OHCI controller of an {@link OhciHarness}: LOGIN
 * through the management agent, command ORBs through the fetch agent's ORB_POINTER, and reading the
 * status blocks that arrive in the AR request context.
 */
final class Sbp2Initiator {
    static final long LOGIN_ORB = 0x5000;
    static final long LOGIN_RESPONSE = 0x5100;
    static final long COMMAND_ORB = 0x6000;
    static final long PAGE_TABLE = 0x6100;
    static final long DATA = 0x8000;
    /** The status FIFO lies above the physical range: it reaches the guest through the AR request context. */
    static final long STATUS_FIFO = 0x0001_0000_0000L;
    static final long MANAGEMENT_AGENT = 0xFFFF_F000_4000L;
    static final long ORB_POINTER = 0xFFFF_F001_0008L;

    final OhciHarness h;

    Sbp2Initiator(OhciHarness h) {
        this.h = h;
    }

    void login() {
        h.enable();
        h.reg(PHY_REQ_FILTER_LO_SET, 1);   // node 0 (the disk) may DMA
        h.reg(INT_EVENT_CLEAR, -1);
        h.arPackets(true);
        h.writeBe(LOGIN_ORB, 0, 0, 0, (int) LOGIN_RESPONSE, 1 << 31 | 0 << 16 | 0, 16,
                (int) (STATUS_FIFO >>> 32), (int) STATUS_FIFO);
        int st = h.sendRequest(OhciHarness.writeBlockHeader(0xFFC0, 1, MANAGEMENT_AGENT, 8), OhciHarness.be(0xFFC1 << 16,
                (int) LOGIN_ORB), 16);
        assertEquals(0x12, st & 0x1F);
        h.rig.runTasks();
    }

    /** The status block the disk wrote to the FIFO: the payload of a block write request in AR. */
    int[] status() {
        List<int[]> p = h.arPackets(true);
        assertEquals(1, p.size(), "one status write");
        int[] w = p.get(0);
        assertEquals(1, w[0] >>> 4 & 15, "block write request");
        assertEquals(0xFFC0, w[1] >>> 16, "from the disk");
        assertEquals(STATUS_FIFO >>> 32, w[1] & 0xFFFF);
        int len = w[3] >>> 16;
        int[] s = new int[len / 4];
        for (int i = 0; i < s.length; i++) {
            s[i] = Integer.reverseBytes(w[4 + i]);
        }
        assertEquals(0x12, w[w.length - 1] >>> 16 & 0x1F, "ack_pending: the driver responds");
        return s;
    }

    /** Writes a command ORB with a null next_ORB at {@link #COMMAND_ORB}. */
    void orb(int[] cdbQuadlets, boolean toInitiator, int dataSize, boolean pageTable, int maxPayload) {
        int misc = 1 << 31 | (toInitiator ? 1 << 27 : 0) | 2 << 24 | maxPayload << 20 | (pageTable ? 1 << 19 : 0) | dataSize;
        long data = pageTable ? PAGE_TABLE : DATA;
        int[] orb = new int[8];
        orb[0] = 0x8000_0000;   // null next_ORB
        orb[2] = 0xFFC1 << 16;
        orb[3] = (int) data;
        orb[4] = misc;
        System.arraycopy(cdbQuadlets, 0, orb, 5, 3);
        h.writeBe(COMMAND_ORB, orb);
    }

    /** Writes ORB_POINTER (the fetch agent takes the ORB in a task it posts, left queued). */
    void ringOrbPointer(int tlabel) {
        h.queueRequest(OhciHarness.writeBlockHeader(0xFFC0, tlabel, ORB_POINTER, 8), OhciHarness.be(0xFFC1 << 16,
                (int) COMMAND_ORB), 16);
    }

    int[] command(int[] cdbQuadlets, boolean toInitiator, int dataSize, boolean pageTable, int maxPayload) {
        orb(cdbQuadlets, toInitiator, dataSize, pageTable, maxPayload);
        ringOrbPointer(2);
        h.rig.runTasks();
        return status();
    }
}
