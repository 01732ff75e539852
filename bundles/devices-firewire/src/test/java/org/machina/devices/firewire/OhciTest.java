package org.machina.devices.firewire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.machina.devices.firewire.OhciRegisters.*;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.machina.api.bus.ieee1394.SelfId;

/** The OHCI controller against OHCI 1.1: identity, PHY registers, bus reset and self-IDs, AT/AR programs, hostile programs. */
class OhciTest {
    private final OhciHarness h = new OhciHarness();

    @Test
    void pciIdentityAndVersion() {
        assertEquals(0x104C, h.ohci.header().vendor());
        assertEquals(0x0C0010, h.ohci.header().classCode());
        assertEquals(2048, h.ohci.bars().get(0).region().size());
        assertEquals(0x0001_0010, h.reg(VERSION));
        assertEquals(0x3133_3934, h.reg(BUS_ID));
        assertEquals(0x0800_2801, h.reg(GUID_HI));
    }

    @Test
    void softResetAndLinkPowerStatus() {
        h.reg(HC_CONTROL_SET, HC_LPS);
        h.reg(INT_MASK_SET, 0x1234);
        h.reg(HC_CONTROL_SET, HC_SOFT_RESET);
        assertEquals(0, h.reg(HC_CONTROL_SET) & HC_SOFT_RESET, "softReset completes at once");
        assertEquals(0, h.reg(INT_MASK_SET));
        h.reg(HC_CONTROL_SET, HC_LPS);
        assertTrue((h.reg(HC_CONTROL_SET) & HC_LPS) != 0);
    }

    @Test
    void phyRegistersIncluding1394aPages() {
        assertEquals(0xE0 | OhciPhy.PORTS, h.phyRead(2), "extended register set, two ports");
        h.phyWrite(7, 1 << 5);   // page 1: vendor
        assertEquals(1, h.phyRead(8), "1394a compliance level");
        assertEquals(0x08, h.phyRead(10));
        assertEquals(0x28, h.phyRead(12));
        h.phyWrite(7, 0);        // page 0, port 0: connected to the SBP-2 disk, a child
        assertEquals(0x0E, h.phyRead(8) & 0x0F);
        h.phyWrite(7, 1);        // port 1: not connected
        assertEquals(0, h.phyRead(8) & 0x04);
        h.phyWrite(5, 0x03);
        assertEquals(0x03, h.phyRead(5) & 0x03);
        assertTrue((h.reg(PHY_CONTROL) & 0x8000_0000) != 0, "rdDone");
    }

    @Test
    void busResetWritesSelfIdsAndTheBusResetPacket() {
        h.enable();
        int node = h.reg(NODE_ID);
        assertTrue(node < 0, "iDValid");
        assertEquals(1, node & 0x3F, "the controller is PHY 1, the root");
        assertTrue((node & 0x4000_0000) != 0, "root");
        assertEquals(0xFFC1, node & 0xFFFF);
        int count = h.reg(SELF_ID_COUNT);
        int gen = count >>> 16 & 0xFF;
        assertEquals(0, count & 0x8000_0000, "no selfIDError");
        assertEquals(5, count >>> 2 & 0x1FF, "header and two packets with their inverses");
        assertEquals(gen, h.rig.ram.le(OhciHarness.SELF_ID) >>> 16 & 0xFF);
        int id0 = h.rig.ram.le(OhciHarness.SELF_ID + 4);
        int id1 = h.rig.ram.le(OhciHarness.SELF_ID + 12);
        assertEquals(~id0, h.rig.ram.le(OhciHarness.SELF_ID + 8));
        assertEquals(~id1, h.rig.ram.le(OhciHarness.SELF_ID + 16));
        assertEquals(0, SelfId.phyId(id0));
        assertTrue(SelfId.linkActive(id0));
        assertEquals(SelfId.PORT_PARENT, SelfId.port(id0, 1));
        assertEquals(1, SelfId.phyId(id1));
        assertTrue(SelfId.linkActive(id1), "L: the link is enabled and LCtrl set");
        assertTrue(SelfId.contender(id1), "c from PHY register 4");
        assertEquals(SelfId.PORT_CHILD, SelfId.port(id1, 0));
        int ev = h.reg(INT_EVENT_SET);
        assertTrue((ev & INT_BUS_RESET) != 0 && (ev & INT_SELF_ID_COMPLETE) != 0 && (ev & INT_SELF_ID_COMPLETE_2) != 0);
        assertTrue(h.rig.intx);
        List<int[]> pk = h.arPackets(true);
        int[] reset = pk.get(pk.size() - 1);
        assertEquals(0xE, reset[0] >>> 4 & 15);
        assertEquals(gen, reset[2] >>> 16 & 0xFF, "the bus-reset packet carries the generation");
        assertEquals(OhciRegisters.EVT_BUS_RESET, reset[3] >>> 16 & 0x1F);
        h.reg(INT_EVENT_CLEAR, -1);
        assertFalse(h.rig.intx);
        // with the link on, a new ConfigROMmap becomes current at the next reset, with its header and bus options
        assertEquals(0, h.reg(CONFIG_ROM_HDR));
        h.rig.ram.le(0x2400, Integer.reverseBytes(0x0404_1234));
        h.rig.ram.le(0x2408, Integer.reverseBytes(0xF000_A012));
        h.reg(CONFIG_ROM_MAP, 0x2400);
        assertEquals((int) OhciHarness.ROM, h.reg(CONFIG_ROM_MAP));
        h.phyWrite(1, h.phyRead(1) | 0x40);   // IBR
        h.rig.runTasks();
        assertEquals(0x2400, h.reg(CONFIG_ROM_MAP));
        assertEquals(0x0404_1234, h.reg(CONFIG_ROM_HDR));
        assertEquals(0xF000_A012, h.reg(BUS_OPTIONS));
        assertEquals(gen + 1, h.reg(SELF_ID_COUNT) >>> 16 & 0xFF, "IBR reset the bus");
    }

    @Test
    void atQuadletReadGetsAckPendingAndTheResponseLandsInArResponse() {
        h.enable();
        h.reg(INT_EVENT_CLEAR, -1);
        int status = h.sendRequest(OhciHarness.readQuadletHeader(0xFFC0, 5, 0xFFFF_F000_0400L), null, 12);
        assertEquals(0x12, status & 0x1F, "ack_pending in xferStatus");
        assertTrue((status & AtContext.RUN) != 0);
        assertTrue((h.reg(INT_EVENT_SET) & INT_REQ_TX_COMPLETE) != 0);
        assertTrue((h.reg(INT_EVENT_SET) & INT_RS_PKT) != 0);
        List<int[]> r = h.arPackets(false);
        assertEquals(1, r.size());
        int[] p = r.get(0);
        assertEquals(0xFFC1, p[0] >>> 16, "to us");
        assertEquals(5, p[0] >>> 10 & 63, "tlabel");
        assertEquals(6, p[0] >>> 4 & 15, "read quadlet response");
        assertEquals(0xFFC0, p[1] >>> 16);
        assertEquals(0, p[1] >>> 12 & 15, "rcode complete");
        int[] rom = h.disk.rom();
        assertEquals(rom[0], Integer.reverseBytes(p[3]), "data quadlet in bus byte order");
        assertEquals(0x11, p[4] >>> 16 & 0x1F, "trailer: ack_complete");

        // a second block appended with branch and wake
        int s2 = h.sendRequest(OhciHarness.readQuadletHeader(0xFFC0, 6, 0xFFFF_F000_0404L), null, 12);
        assertEquals(0x12, s2 & 0x1F);
        assertEquals(0x3133_3934, Integer.reverseBytes(h.arPackets(false).get(0)[3]));
        // a node that is not there
        int s3 = h.sendRequest(OhciHarness.readQuadletHeader(0xFFC5, 7, 0xFFFF_F000_0400L), null, 12);
        assertEquals(AtContext.EVT_MISSING_ACK, s3 & 0x1F);
    }

    @Test
    void runClearStopsAtOnceAndAtHoldsWhileBusResetIsPending() {
        h.enable();   // busReset still set in IntEvent
        long tagged = h.atPacket(OhciHarness.readQuadletHeader(0xFFC0, 1, 0xFFFF_F000_0400L), null, 12);
        long last = tagged & 0xFFFF_FFFFL;
        h.reg(AT_REQ + 12, (int) last | 2);
        h.reg(AT_REQ, AtContext.RUN);
        assertEquals(0, h.rig.ram.le(last + 12), "nothing is sent while busReset is set");
        assertTrue((h.reg(AT_REQ) & AtContext.ACTIVE) != 0);
        h.reg(AT_REQ + 4, AtContext.RUN);
        assertEquals(0, h.reg(AT_REQ) & AtContext.ACTIVE, "clearing run clears active at once");
        h.reg(INT_EVENT_CLEAR, INT_BUS_RESET);
        assertEquals(0, h.rig.ram.le(last + 12), "a stopped context sends nothing");
        h.reg(AT_REQ, AtContext.RUN);
        assertEquals(0x12, h.rig.ram.le(last + 12) >>> 16 & 0x1F);
    }

    @Test
    void aLoopingAtProgramDiesBoundedAndLogsUnrecoverableError() {
        h.enable();
        h.reg(INT_EVENT_CLEAR, -1);
        long tagged = h.atPacket(OhciHarness.readQuadletHeader(0xFFC0, 1, 0xFFFF_F000_0400L), null, 12);
        long last = tagged & 0xFFFF_FFFFL;
        h.rig.ram.le(last + 8, (int) last | 2);   // branch to itself
        h.reg(AT_REQ + 12, (int) last | 2);
        h.reg(AT_REQ, AtContext.RUN);
        assertTrue((h.reg(AT_REQ) & AtContext.DEAD) != 0);
        assertTrue((h.reg(INT_EVENT_SET) & INT_UNRECOVERABLE) != 0);
        int responses = h.arPackets(false).size();
        assertTrue(responses > 0 && responses <= AtContext.MAX_BLOCKS_PER_RUN, responses + " responses");
        assertEquals(AtContext.EVT_UNKNOWN, h.reg(AT_REQ) & 0x1F);
    }

    @Test
    void descriptorsOutsideRamAndBadCommandsKillTheContext() {
        h.enable();
        h.reg(INT_EVENT_CLEAR, -1);
        h.reg(AT_REQ + 12, 0x2000_0000 | 2);
        h.reg(AT_REQ, AtContext.RUN);
        assertEquals(AtContext.DEAD | AtContext.RUN | AtContext.EVT_DESCRIPTOR_READ, h.reg(AT_REQ) & 0xFFFF);
        assertTrue((h.reg(INT_EVENT_SET) & INT_UNRECOVERABLE) != 0);
        h.reg(AT_RESP + 12, 0x5000 | 2);
        h.rig.ram.le(0x5000, 7 << 28);
        h.reg(AT_RESP, AtContext.RUN);
        assertTrue((h.reg(AT_RESP) & AtContext.DEAD) != 0);
        // an AR program with a descriptor outside RAM: the context dies when a packet comes
        h.reg(AR_RESP + 4, AtContext.RUN);
        h.reg(AR_RESP + 12, 0x3000_0000 | 1);
        h.reg(AR_RESP, AtContext.RUN);
        h.reg(AT_REQ + 4, AtContext.RUN);
        h.sendRequest(OhciHarness.readQuadletHeader(0xFFC0, 1, 0xFFFF_F000_0400L), null, 12);
        assertNotEquals(0, h.reg(AR_RESP) & AtContext.DEAD, "the AR response context is dead once a packet arrives");
    }

    @Test
    void arPacketsContinueIntoTheNextBufferAndWaitAtTheEnd() {
        h.enable();
        h.reg(INT_EVENT_CLEAR, -1);
        // small AR response buffers of 24 bytes: a 20-byte quadlet read response spans two
        h.reg(AR_RESP + 4, AtContext.RUN);
        for (int i = 0; i < 3; i++) {
            long d = 0x3200 + 16L * i;
            h.rig.ram.le(d, 2 << 28 | 1 << 27 | 3 << 20 | 3 << 18 | 24);
            h.rig.ram.le(d + 4, 0x6000 + 32 * i);
            h.rig.ram.le(d + 8, i < 2 ? (int) (d + 16) | 1 : 0);
            h.rig.ram.le(d + 12, 24);
        }
        h.reg(AR_RESP + 12, 0x3200 | 1);
        h.reg(AR_RESP, AtContext.RUN);
        h.sendRequest(OhciHarness.readQuadletHeader(0xFFC0, 1, 0xFFFF_F000_0400L), null, 12);
        h.sendRequest(OhciHarness.readQuadletHeader(0xFFC0, 2, 0xFFFF_F000_0404L), null, 12);
        assertEquals(0, h.rig.ram.le(0x3200 + 12) & 0xFFFF, "first buffer full");
        assertEquals(24 - 16, h.rig.ram.le(0x3210 + 12) & 0xFFFF, "the second packet's last 16 bytes in buffer 2");
        byte[] second = new byte[20];
        h.rig.ram.read(0x6000 + 20, second, 0, 4);
        h.rig.ram.read(0x6020, second, 4, 16);
        assertEquals(2, GuestDma.le(second, 0) >>> 10 & 63, "the packet continues across the buffers");
        assertEquals(0x3133_3934, Integer.reverseBytes(GuestDma.le(second, 12)));
        // 8 bytes left in buffer 2, 24 in buffer 3; a third packet fits, a fourth does not
        h.sendRequest(OhciHarness.readQuadletHeader(0xFFC0, 3, 0xFFFF_F000_0408L), null, 12);
        int before = h.reg(INT_EVENT_SET);
        h.reg(INT_EVENT_CLEAR, -1);
        h.sendRequest(OhciHarness.readQuadletHeader(0xFFC0, 4, 0xFFFF_F000_040CL), null, 12);
        assertTrue((before & INT_RS_PKT) != 0);
        assertEquals(0, h.reg(INT_EVENT_SET) & INT_RS_PKT, "no room: the response is dropped, not half written");
        assertEquals(0, h.reg(AR_RESP) & AtContext.DEAD);
    }

    @Test
    void cycleTimerCountsGuestTime() {
        h.reg(LINK_CONTROL_SET, LC_CYCLE_TIMER_ENABLE);
        int c0 = h.reg(CYCLE_TIMER);
        h.rig.now += 1_000_000_000L + 250_000;   // one second and two cycles
        int c1 = h.reg(CYCLE_TIMER);
        assertEquals((c0 >>> 25) + 1, c1 >>> 25, "cycleSeconds");
        assertEquals(((c0 >>> 12 & 0x1FFF) + 2) % 8000, c1 >>> 12 & 0x1FFF, "cycleCount");
        h.reg(LINK_CONTROL_CLEAR, LC_CYCLE_TIMER_ENABLE);
        h.rig.now += 5_000_000;
        assertEquals(c1, h.reg(CYCLE_TIMER), "stopped");
    }

    @Test
    void csrCompareSwapRegisters() {
        h.reg(CSR_DATA, 1);
        h.reg(CSR_COMPARE, 0x3F);
        h.reg(CSR_CONTROL, 0);
        assertTrue(h.reg(CSR_CONTROL) < 0, "csrDone");
        assertEquals(0x3F, h.reg(CSR_DATA), "the old BUS_MANAGER_ID");
        h.reg(CSR_DATA, 5);
        h.reg(CSR_COMPARE, 0x3F);
        h.reg(CSR_CONTROL, 0);
        assertEquals(1, h.reg(CSR_DATA), "compare failed: the value stays");
    }

    @Test
    void undefinedRegistersReadZero() {
        assertEquals(0, h.reg(0x7FC));
        h.reg(0x7FC, 1);
        assertArrayEquals(new int[0], new int[0]);
    }
}
