package org.machina.devices.firewire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.machina.devices.firewire.OhciRegisters.*;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.machina.api.state.StateException;
import org.machina.runtime.state.StateJson;

/**
 * {@code ohci-1394} and {@code sbp2-disk} state: a hot-swap in the middle of an SBP-2 exchange
 * (states through their strict JSON into fresh instances) and the exchange ends exactly as it does
 * without the swap: the same status blocks, the same data, the same bytes in the AR buffers, and the
 * guest sees no bus reset.
 */
class HotSwapTest {
    private static final int[] READ_10 = {0x2800_0000, 0x0002_0000, 0x0400_0000};   // LBA 2, 4 blocks

    /** What the guest saw of one run. */
    private record Seen(int[] loginStatus, int[] commandStatus, byte[] data, byte[] arRequest, byte[] arResponse,
            int nodeId, int agentState) {
    }

    /** Login, then READ(10) of 4 blocks; {@code swapAt} 1: after the login, before its status is read; 2: with the ORB fetch queued. */
    private static Seen run(int swapAt) {
        OhciHarness h = new OhciHarness();
        Sbp2Initiator in = new Sbp2Initiator(h);
        for (int i = 0; i < h.drive.data.length; i++) {
            h.drive.data[i] = (byte) (i * 7 + (i >>> 9));
        }
        in.login();
        int resetsBefore = h.ohci.bus().resets();
        int nodeIdBefore = h.reg(NODE_ID);
        if (swapAt == 1) {
            h.swap();
            h.rig.runTasks();
        }
        int[] loginStatus = in.status();
        in.orb(READ_10, true, 2048, false, 7);
        in.ringOrbPointer(2);
        if (swapAt == 2) {
            h.swap();
        }
        h.rig.runTasks();
        int[] commandStatus = in.status();
        if (swapAt != 0) {
            assertEquals(0, h.ohci.bus().resets(), "the restored bus did not reset (resets before the swap: " + resetsBefore + ")");
            assertEquals(nodeIdBefore, h.reg(NODE_ID), "NodeID kept");
            assertEquals(0, h.reg(INT_EVENT_SET) & INT_BUS_RESET, "no busReset event");
        }
        byte[] data = new byte[2048];
        h.rig.ram.read(Sbp2Initiator.DATA, data, 0, data.length);
        byte[] arReq = new byte[2 * OhciHarness.AR_BUF];
        h.rig.ram.read(OhciHarness.AR_REQ_BUF, arReq, 0, arReq.length);
        byte[] arResp = new byte[2 * OhciHarness.AR_BUF];
        h.rig.ram.read(OhciHarness.AR_RESP_BUF, arResp, 0, arResp.length);
        assertArrayEquals(Arrays.copyOfRange(h.drive.data, 1024, 1024 + 2048), data, "READ(10) data");
        return new Seen(loginStatus, commandStatus, data, arReq, arResp, h.reg(NODE_ID), h.disk.agentState);
    }

    private static void assertSame(Seen a, Seen b) {
        assertArrayEquals(a.loginStatus(), b.loginStatus(), "login status block");
        assertArrayEquals(a.commandStatus(), b.commandStatus(), "command status block");
        assertArrayEquals(a.data(), b.data(), "data");
        assertArrayEquals(a.arRequest(), b.arRequest(), "AR request buffers (packets, trailers, time stamps)");
        assertArrayEquals(a.arResponse(), b.arResponse(), "AR response buffers");
        assertEquals(a.nodeId(), b.nodeId());
        assertEquals(a.agentState(), b.agentState());
    }

    @Test
    void aSwapBetweenTheLoginAndTheOrbChangesNothing() {
        Seen plain = run(0);
        assertEquals(Sbp2Disk.AGENT_SUSPENDED, plain.agentState());
        assertSame(plain, run(1));
    }

    @Test
    void aSwapWithTheOrbFetchQueuedRunsTheOrbInTheNewInstance() {
        assertSame(run(0), run(2));
    }

    @Test
    void aSwapWhileTheDriverOwesAResponseAsksAgainAndDropsTheOldAnswer() {
        OhciHarness h = new OhciHarness();
        Sbp2Initiator in = new Sbp2Initiator(h);
        in.login();
        in.status();
        h.reg(PHY_REQ_FILTER_LO_CLEAR, 1);   // the ORB fetch now goes to the driver
        in.orb(new int[] {0, 0, 0}, false, 0, false, 9);   // TEST UNIT READY
        in.ringOrbPointer(2);
        h.rig.runTasks();
        java.util.List<int[]> asked = h.arPackets(true);
        assertEquals(1, asked.size(), "the ORB read waits for the driver");
        assertEquals(5, asked.get(0)[0] >>> 4 & 15);
        int oldLabel = asked.get(0)[0] >>> 10 & 63;
        int[] awaiting = h.ohci.saveState().awaiting();
        assertTrue(java.util.Arrays.stream(awaiting).anyMatch(k -> k == (0xFFC0 << 6 | oldLabel)),
                "the ORB read awaits the driver's response (with the login's status write, never answered here): "
                        + Arrays.toString(awaiting));

        h.swap();
        h.rig.runTasks();
        java.util.List<int[]> again = h.arPackets(true);
        assertEquals(1, again.size(), "the restored disk asks again");
        assertEquals((int) Sbp2Initiator.COMMAND_ORB, again.get(0)[2]);
        int newLabel = again.get(0)[0] >>> 10 & 63;
        assertTrue(newLabel != oldLabel, "a new transaction label");
        byte[] orb = new byte[32];
        h.rig.ram.read(Sbp2Initiator.COMMAND_ORB, orb, 0, 32);
        assertEquals(0x11, h.sendResponse(OhciHarness.readBlockResponseHeader(0xFFC0, oldLabel, 32), orb) & 0x1F,
                "the answer to the old request is taken");
        assertEquals(0, h.arPackets(true).size(), "and nothing comes of it");
        assertEquals(0x11, h.sendResponse(OhciHarness.readBlockResponseHeader(0xFFC0, newLabel, 32), orb) & 0x1F);
        int[] s = in.status();
        assertEquals(2, s.length, "TEST UNIT READY: good");
        assertEquals(0, s[0] >>> 16 & 0xFF);
        assertEquals((int) Sbp2Initiator.COMMAND_ORB, s[1]);
    }

    @Test
    void theSavedStatesHoldTheLoginAndTheContexts() {
        OhciHarness h = new OhciHarness();
        new Sbp2Initiator(h).login();
        Sbp2Disk.State d = h.disk.saveState();
        assertTrue(d.loggedIn());
        assertEquals(1, d.loginId());
        assertEquals(0xFFC1, d.initiator());
        assertEquals(Sbp2Initiator.STATUS_FIFO, d.statusFifo());
        OhciState o = h.ohci.saveState();
        assertEquals(java.util.List.of("fw0", "sbp0"), o.nodes());
        assertEquals(OhciHarness.AR_REQ_DESC, o.arRequest().current(), "AR request fills its first buffer");
        assertTrue((o.arRequest().control() & AtContext.RUN) != 0);
        assertEquals(h.ohci.bus().generation(), o.generation());
    }

    @Test
    void aStateWithAFieldMissingIsRefusedNamingIt() {
        OhciHarness h = new OhciHarness();
        h.enable();
        JsonObject json = JsonParser.parseString(StateJson.write(h.ohci.saveState(), OhciState.class).toString())
                .getAsJsonObject();
        json.getAsJsonObject("registers").remove("phyReqFilterLo");
        StateException e = assertThrows(StateException.class, () -> StateJson.read(json, OhciState.class));
        assertTrue(e.getMessage().contains("phyReqFilterLo"), e.getMessage());
        JsonObject disk = JsonParser.parseString(StateJson.write(h.disk.saveState(), Sbp2Disk.State.class).toString())
                .getAsJsonObject();
        disk.addProperty("fetchOrb", 1.5);
        assertThrows(StateException.class, () -> StateJson.read(disk, Sbp2Disk.State.class), "a long is not 1.5");
    }
}
