package org.machina.devices.firewire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.machina.devices.firewire.OhciRegisters.*;
import static org.machina.devices.firewire.Sbp2Initiator.*;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The SBP-2 disk behind the OHCI controller, driven as an initiator does (SBP-2 clauses 5-8): the
 * unit directory, LOGIN, command ORBs whose fetch and data go through the controller's physical
 * DMA, status blocks arriving in the AR request context, and the physical request filter.
 */
class Sbp2DiskTest {
    private final OhciHarness h = new OhciHarness();
    private final Sbp2Initiator initiator = new Sbp2Initiator(h);

    @Test
    void unitDirectoryNamesSbp2AndTheManagementAgent() {
        int[] rom = h.disk.rom();
        List<Integer> q = Arrays.stream(rom).boxed().toList();
        assertTrue(q.contains(0x1200_609E), "specifier id");
        assertTrue(q.contains(0x1301_0483), "SBP-2 version");
        assertTrue(q.contains(0x3901_04D8), "command set: SCSI");
        assertTrue(q.contains(0x5400_1000), "management agent at CSR offset 0x4000 (in quadlets)");
        assertTrue(q.contains(0x1400_0000), "LUN 0, direct access");
    }

    @Test
    void loginWritesTheResponseAndAStatusBlock() {
        initiator.login();
        int misc = h.readBe(LOGIN_RESPONSE);
        assertEquals(16, misc >>> 16, "login response length");
        int loginId = misc & 0xFFFF;
        assertEquals(0xFFFF, h.readBe(LOGIN_RESPONSE + 4) & 0xFFFF);
        assertEquals(0xF001_0000, h.readBe(LOGIN_RESPONSE + 8), "command block agent");
        int[] s = initiator.status();
        assertEquals(2, s.length, "8-byte status: request complete");
        assertEquals(0, s[0] >>> 28 & 3, "resp: request complete");
        assertEquals(0, s[0] >>> 16 & 0xFF, "sbp_status 0");
        assertEquals((int) LOGIN_ORB, s[1]);
        assertEquals(1, loginId);
    }

    @Test
    void read10MovesDataInMaxPayloadPiecesThroughPhysicalDma() {
        initiator.login();
        initiator.status();
        // READ(10) LBA 2, 4 blocks, max_payload 2^(7+2) = 512 bytes
        int[] s = initiator.command(new int[] {0x2800_0000, 0x0002_0000, 0x0400_0000}, true, 2048, false, 7);
        assertEquals(2, s.length, "good: 8-byte status");
        assertEquals(1, s[0] >>> 30, "src 1: the agent is suspended (null next_ORB)");
        assertEquals((int) COMMAND_ORB, s[1]);
        byte[] got = new byte[2048];
        h.rig.ram.read(DATA, got, 0, got.length);
        assertArrayEquals(Arrays.copyOfRange(h.drive.data, 1024, 1024 + 2048), got);
        assertEquals(Sbp2Disk.AGENT_SUSPENDED, h.disk.agentState);
    }

    @Test
    void write10GathersThroughAPageTable() {
        initiator.login();
        initiator.status();
        byte[] a = new byte[512];
        byte[] b = new byte[512];
        Arrays.fill(a, (byte) 0xA5);
        Arrays.fill(b, (byte) 0x5A);
        h.rig.ram.write(0x9000, a, 0, 512);
        h.rig.ram.write(0xA000, b, 0, 512);
        h.writeBe(PAGE_TABLE, 512 << 16, 0x9000, 512 << 16, 0xA000);
        int[] s = initiator.command(new int[] {0x2A00_0000, 0x000A_0000, 0x0200_0000}, false, 2, true, 9);
        assertEquals(2, s.length);
        assertArrayEquals(a, Arrays.copyOfRange(h.drive.data, 10 * 512, 11 * 512));
        assertArrayEquals(b, Arrays.copyOfRange(h.drive.data, 11 * 512, 12 * 512));
    }

    @Test
    void badCommandsAnswerCheckConditionWithSense() {
        initiator.login();
        initiator.status();
        int[] s = initiator.command(new int[] {0xFF00_0000, 0, 0}, false, 0, false, 9);
        assertEquals(8, s.length, "status with sense data");
        assertEquals(0x02, s[2] >>> 24 & 0x3F, "CHECK CONDITION");
        assertEquals(0x05, s[2] >>> 16 & 15, "ILLEGAL REQUEST");
        assertEquals(0x20, s[2] >>> 8 & 0xFF, "invalid command operation code");
        // READ CAPACITY(10)
        s = initiator.command(new int[] {0x2500_0000, 0, 0}, true, 8, false, 9);
        assertEquals(2, s.length);
        assertEquals(2047, h.readBe(DATA), "last LBA of 1 MiB");
        assertEquals(512, h.readBe(DATA + 4));
    }

    @Test
    void withoutThePhysicalFilterTheOrbFetchGoesToTheDriverNotToRam() {
        initiator.login();
        initiator.status();
        h.reg(PHY_REQ_FILTER_LO_CLEAR, 1);
        h.writeBe(COMMAND_ORB, 0x8000_0000, 0, 0xFFC1 << 16, (int) DATA, 1 << 31 | 1 << 27 | 2 << 24 | 9 << 20 | 2048,
                0x2800_0000, 0x0200_0004, 0);
        byte[] before = new byte[2048];
        h.rig.ram.read(DATA, before, 0, 2048);
        h.sendRequest(OhciHarness.writeBlockHeader(0xFFC0, 2, ORB_POINTER, 8), OhciHarness.be(0xFFC1 << 16,
                (int) COMMAND_ORB), 16);
        h.rig.runTasks();
        List<int[]> p = h.arPackets(true);
        assertEquals(1, p.size());
        assertEquals(5, p.get(0)[0] >>> 4 & 15, "the ORB read arrives as a block read request for the driver");
        assertEquals((int) COMMAND_ORB, p.get(0)[2]);
        byte[] after = new byte[2048];
        h.rig.ram.read(DATA, after, 0, 2048);
        assertArrayEquals(before, after, "nothing was written to RAM");
    }

    @Test
    void aBusResetClearsThePhysicalFilterAndReconnectKeepsTheLogin() {
        initiator.login();
        initiator.status();
        h.phyWrite(1, h.phyRead(1) | 0x40);
        h.rig.runTasks();
        assertEquals(0, h.reg(PHY_REQ_FILTER_LO_SET), "a reset clears the physical request filters");
        h.reg(INT_EVENT_CLEAR, -1);
        h.reg(PHY_REQ_FILTER_LO_SET, 1);
        h.arPackets(true);
        h.writeBe(LOGIN_ORB, 0, 0, 0, 0, 1 << 31 | 3 << 16 | 1, 0, (int) (STATUS_FIFO >>> 32), (int) STATUS_FIFO);
        h.reg(AT_REQ + 4, AtContext.RUN);
        h.sendRequest(OhciHarness.writeBlockHeader(0xFFC0, 3, MANAGEMENT_AGENT, 8), OhciHarness.be(0xFFC1 << 16,
                (int) LOGIN_ORB), 16);
        h.rig.runTasks();
        int[] s = initiator.status();
        assertEquals(0, s[0] >>> 16 & 0xFF, "RECONNECT with login ID 1 accepted");
        s = initiator.command(new int[] {0x0000_0000, 0, 0}, false, 0, false, 9);
        assertEquals(2, s.length, "TEST UNIT READY after the reconnect");
    }
}
