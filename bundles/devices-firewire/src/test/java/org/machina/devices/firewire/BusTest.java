package org.machina.devices.firewire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.machina.api.bus.ieee1394.Ieee1394.*;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.machina.api.bus.ieee1394.AsyncRequest;
import org.machina.api.bus.ieee1394.AsyncResponse;
import org.machina.api.bus.ieee1394.BusResetInfo;
import org.machina.api.bus.ieee1394.ConfigRom;
import org.machina.api.bus.ieee1394.Ieee1394Node;
import org.machina.api.bus.ieee1394.Ieee1394Port;
import org.machina.api.bus.ieee1394.PhyConfig;
import org.machina.api.bus.ieee1394.Responder;
import org.machina.api.bus.ieee1394.SelfId;
import org.slf4j.LoggerFactory;

/** The bus: resets and self-IDs, split transactions and their cancellation, PHY packets, the config ROM builder. */
class BusTest {
    private final Rig rig = new Rig();
    private final Ieee1394BusImpl bus = new Ieee1394BusImpl(rig.executor, LoggerFactory.getLogger("test.bus"));

    /** A node that records what it sees and answers reads of 0x1000 at once and of 0x2000 later. */
    static final class Node implements Ieee1394Node {
        final boolean contender;
        final List<BusResetInfo> resets = new ArrayList<>();
        final List<org.machina.api.bus.ieee1394.IsochronousPacket> isochronous = new ArrayList<>();
        final List<AsyncRequest> requests = new ArrayList<>();
        final List<Integer> phyPackets = new ArrayList<>();
        Responder later;

        Node(boolean contender) {
            this.contender = contender;
        }

        @Override
        public PhyConfig phy() {
            return new PhyConfig(true, contender, S400, 0, false);
        }

        @Override
        public void busReset(BusResetInfo info) {
            resets.add(info);
        }

        @Override
        public int request(AsyncRequest r, Responder responder) {
            requests.add(r);
            if (r.offset() == 0x1000) {
                responder.respond(RCODE_COMPLETE, new byte[] {1, 2, 3, 4});
                return ACK_PENDING;
            }
            if (r.offset() == 0x2000) {
                later = responder;
                return ACK_PENDING;
            }
            if (r.offset() == 0x3000) {
                return ACK_COMPLETE;
            }
            responder.respond(RCODE_ADDRESS_ERROR, null);
            return ACK_PENDING;
        }

        @Override
        public void phyPacket(int quadlet) {
            phyPackets.add(quadlet);
        }

        @Override
        public void isochronous(org.machina.api.bus.ieee1394.IsochronousPacket packet) {
            isochronous.add(packet);
        }
    }

    @Test
    void attachResetsTheBusOnceAndTheFirstNodeIsRoot() {
        Node root = new Node(true);
        Node a = new Node(false);
        Node b = new Node(false);
        bus.attach("root", root);
        bus.attach("a", a);
        bus.attach("b", b);
        assertEquals(0, root.resets.size(), "the reset happens after the calls");
        rig.runTasks();
        assertEquals(1, bus.resets(), "three attaches in a row: one reset");
        BusResetInfo r = root.resets.get(0);
        assertEquals(2, r.phyId());
        assertEquals(2, r.rootPhyId());
        assertEquals(2, r.irmPhyId(), "the only contender with an active link");
        assertEquals(0, b.resets.get(0).phyId(), "the far end of the chain is PHY 0");
        assertEquals(1, a.resets.get(0).phyId());
        List<Integer> ids = r.selfIds();
        assertEquals(3, ids.size());
        // phy 0: port 0 not connected, port 1 to the parent; phy 1: child and parent; phy 2 (root): child only
        assertEquals(0x8040_0000 | 63 << 16 | 2 << 14 | SelfId.PORT_NOT_CONNECTED << 6 | SelfId.PORT_PARENT << 4, ids.get(0));
        assertEquals(SelfId.PORT_CHILD, SelfId.port(ids.get(1), 0));
        assertEquals(SelfId.PORT_PARENT, SelfId.port(ids.get(1), 1));
        assertEquals(SelfId.PORT_CHILD, SelfId.port(ids.get(2), 0));
        assertEquals(SelfId.PORT_NOT_CONNECTED, SelfId.port(ids.get(2), 1));
        assertTrue(SelfId.contender(ids.get(2)));
        assertFalse(SelfId.contender(ids.get(1)));
        assertEquals(r.generation(), a.resets.get(0).generation());
    }

    @Test
    void splitTransactionsCompleteOnceAndABusResetCancelsThem() {
        Node n0 = new Node(false);
        Node n1 = new Node(false);
        Ieee1394Port p0 = bus.attach("n0", n0);
        Ieee1394Port p1 = bus.attach("n1", n1);
        rig.runTasks();
        List<AsyncResponse> got = new ArrayList<>();
        int ack = p0.send(AsyncRequest.readQuadlet(0, p1.nodeId(), 7, 0x1000), got::add);
        assertEquals(ACK_PENDING, ack);
        assertEquals(1, got.size(), "answered at once");
        assertArrayEquals(new byte[] {1, 2, 3, 4}, got.get(0).data());
        assertEquals(p1.nodeId(), got.get(0).source());
        assertEquals(p0.nodeId(), n1.requests.get(0).source(), "the bus fills in the source");

        got.clear();
        assertEquals(ACK_PENDING, p0.send(AsyncRequest.readQuadlet(0, p1.nodeId(), 8, 0x2000), got::add));
        assertTrue(got.isEmpty(), "split: no response yet");
        n1.later.respond(RCODE_COMPLETE, new byte[] {9, 9, 9, 9});
        n1.later.respond(RCODE_COMPLETE, new byte[] {8, 8, 8, 8});
        assertEquals(1, got.size(), "a second response is dropped");

        got.clear();
        p0.send(AsyncRequest.readQuadlet(0, p1.nodeId(), 9, 0x2000), got::add);
        p1.initiateBusReset(false);
        rig.runTasks();
        assertEquals(1, got.size());
        assertEquals(RCODE_CANCELLED, got.get(0).rcode());
        List<Integer> ids = n0.resets.get(n0.resets.size() - 1).selfIds();
        assertEquals(2, ids.get(p1.phyId()) & 2, "i: the node that asked for the reset initiated it");
        assertEquals(0, ids.get(p0.phyId()) & 2);
        n1.later.respond(RCODE_COMPLETE, new byte[4]);
        assertEquals(1, got.size(), "a response after the reset is dropped");

        assertEquals(ACK_COMPLETE, p0.send(AsyncRequest.write(0, p1.nodeId(), 10, 0x3000, new byte[4]), got::add),
                "a unified write completes with its ack");
        assertEquals(ACK_MISSING, p0.send(AsyncRequest.readQuadlet(0, nodeId(40), 11, 0x1000), got::add),
                "nobody answers for a missing node");
    }

    @Test
    void phyConfigurationPacketsSetEveryGapCountAndDetachResets() {
        Node n0 = new Node(true);
        Node n1 = new Node(false);
        Ieee1394Port p0 = bus.attach("n0", n0);
        Ieee1394Port p1 = bus.attach("n1", n1);
        rig.runTasks();
        p0.sendPhyPacket(0x0000_0000 | 1 << 24 | 1 << 22 | 5 << 16);   // T: gap count 5
        assertEquals(List.of(0x0145_0000), n1.phyPackets);
        assertEquals(5, p0.gapCount());
        assertEquals(5, p1.gapCount());
        p0.initiateBusReset(false);
        rig.runTasks();
        assertEquals(5, SelfId.gapCount(n0.resets.get(1).selfIds().get(0)));
        p1.detach();
        rig.runTasks();
        assertEquals(1, n0.resets.get(2).selfIds().size(), "the node left");
        assertEquals(0, n0.resets.get(2).phyId());
        assertEquals(2, n1.resets.size(), "a detached node hears no more resets");
    }

    @Test
    void configRomBlocksCarryTheirLengthAndCrc() {
        ConfigRom.Directory unit = new ConfigRom.Directory().immediate(0x12, 0x00609E).immediate(0x13, 0x010483);
        int[] rom = ConfigRom.build(0x00FF_A002, 0x0012_3456_789A_BCDEL, new ConfigRom.Directory()
                .immediate(0x03, 0x001234).text("Machina").directory(0x11, unit));
        assertEquals(0x0404, rom[0] >>> 16, "info_length 4, crc_length 4");
        assertEquals(0x3133_3934, rom[1]);
        assertEquals(0x0012_3456, rom[3]);
        assertEquals(crcCcitt(rom, 1, 4), rom[0] & 0xFFFF);
        // root directory at quadlet 5: 3 entries
        assertEquals(3, rom[5] >>> 16);
        assertEquals(crcCcitt(rom, 6, 3), rom[5] & 0xFFFF);
        assertEquals(0x0300_1234, rom[6]);
        int leaf = 7 + (rom[7] & 0xFF_FFFF);
        assertEquals(0x81, rom[7] >>> 24, "a textual descriptor leaf entry");
        assertEquals(4, rom[leaf] >>> 16, "leaf: 2 quadlets of header and 2 of text");
        assertEquals(0x4D61_6368, rom[leaf + 3], "'Mach'");
        int dir = 8 + (rom[8] & 0xFF_FFFF);
        assertEquals(0xD1, rom[8] >>> 24);
        assertEquals(2, rom[dir] >>> 16);
        assertEquals(0x1200_609E, rom[dir + 1]);
        assertEquals(crcCcitt(rom, dir + 1, 2), rom[dir] & 0xFFFF);
    }

    /** CRC-16 CCITT (x^16 + x^12 + x^5 + 1, initial 0) bit by bit over the big-endian bytes: IEEE 1212's CRC. */
    static int crcCcitt(int[] q, int from, int count) {
        int crc = 0;
        for (int i = from; i < from + count; i++) {
            for (int bit = 31; bit >= 0; bit--) {
                int in = q[i] >>> bit & 1;
                int top = crc >>> 15 & 1;
                crc = crc << 1 & 0xFFFF;
                if ((in ^ top) != 0) {
                    crc ^= 0x1021;
                }
            }
        }
        return crc;
    }

    @Test
    void theBusHasRoomFor63Nodes() {
        for (int i = 0; i < 63; i++) {
            bus.attach("n" + i, new Node(false));
        }
        try {
            bus.attach("one too many", new Node(false));
            throw new AssertionError("the 64th node attached");
        } catch (IllegalStateException e) {
            assertTrue(e.getMessage().contains("63"));
        }
        rig.runTasks();
        assertNull(null);
    }
}
