package org.machina.devices.firewire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.machina.api.bus.ieee1394.Ieee1394.*;
import static org.machina.devices.firewire.OhciRegisters.*;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.machina.api.bus.ieee1394.AsyncRequest;
import org.machina.api.bus.ieee1394.AsyncResponse;
import org.machina.api.bus.ieee1394.Ieee1394Port;
import org.machina.api.bus.ieee1394.IsochronousPacket;
import org.machina.api.bus.ieee1394.SelfId;
import org.slf4j.LoggerFactory;

/**
 * Two machines on one IEEE 1394 bus ({@code ohci-1394,bus-name=NAME}): each machine is a {@link Rig}
 * with its own RAM and its own task queue (its machine thread), and the test runs each queue in
 * turn, so whatever crosses can only do so through the other machine's executor.
 */
class SharedBusTest {
    private static final AtomicInteger NAMES = new AtomicInteger();
    private final String name = "shared-test-" + NAMES.incrementAndGet();
    private final List<Runnable> cleanup = new ArrayList<>();

    @AfterEach
    void leave() {
        cleanup.forEach(Runnable::run);
        assertFalse(SharedBus.names().contains(name), "the shared bus is gone once every segment left");
    }

    /** Runs the task queues of the machines in turn until all are empty. */
    private static void pump(Rig... rigs) {
        for (int round = 0; ; round++) {
            int ran = 0;
            for (Rig r : rigs) {
                ran += r.runTasks();
            }
            if (ran == 0) {
                return;
            }
            if (round > 1000) {
                throw new AssertionError("the machines keep posting work to each other");
            }
        }
    }

    private OhciHarness machine(long guid) {
        OhciHarness h = new OhciHarness(name, guid);
        cleanup.add(() -> h.ohci.unrealize());
        return h;
    }

    /** Both controllers enabled as a driver does it, each on its own machine; the bus reset seen by both. */
    private OhciHarness[] twoEnabled() {
        OhciHarness a = machine(0x0800_2800_0000_0A01L);
        OhciHarness b = machine(0x0800_2800_0000_0B01L);
        pump(a.rig, b.rig);
        a.enable();
        pump(a.rig, b.rig);
        b.enable();
        pump(a.rig, b.rig);
        a.reg(INT_EVENT_CLEAR, -1);
        b.reg(INT_EVENT_CLEAR, -1);
        a.arPackets(true);
        b.arPackets(true);
        return new OhciHarness[] {a, b};
    }

    @Test
    void bothMachinesSeeOneResetWithBothSelfIds() {
        OhciHarness[] m = twoEnabled();
        int genA = m[0].reg(SELF_ID_COUNT) >>> 16 & 0xFF;
        int genB = m[1].reg(SELF_ID_COUNT) >>> 16 & 0xFF;
        assertEquals(genA, genB, "one bus, one generation");
        int nodeA = m[0].reg(NODE_ID);
        int nodeB = m[1].reg(NODE_ID);
        assertTrue(nodeA < 0 && nodeB < 0, "both node IDs valid");
        assertEquals(1, nodeA & 0x3F, "the first machine's controller is the root, PHY 1");
        assertTrue((nodeA & 0x4000_0000) != 0);
        assertEquals(0, nodeB & 0x3F, "the second machine's controller is PHY 0");
        assertEquals(0, nodeB & 0x4000_0000, "and not root");
        for (OhciHarness h : m) {
            assertEquals(5, h.reg(SELF_ID_COUNT) >>> 2 & 0x1FF, "header and two self-IDs with their inverses");
            int id0 = h.rig.ram.le(OhciHarness.SELF_ID + 4);
            int id1 = h.rig.ram.le(OhciHarness.SELF_ID + 12);
            assertEquals(0, SelfId.phyId(id0));
            assertEquals(1, SelfId.phyId(id1));
            assertTrue(SelfId.linkActive(id0) && SelfId.linkActive(id1), "both links are on");
            assertEquals(SelfId.PORT_PARENT, SelfId.port(id0, 1));
            assertEquals(SelfId.PORT_CHILD, SelfId.port(id1, 0));
            assertEquals(~id0, h.rig.ram.le(OhciHarness.SELF_ID + 8));
        }
        // a reset asked for by the second machine reaches the first, with i in the second's self-ID:
        // how a driver learns that a node's config ROM may have changed
        m[1].phyWrite(1, m[1].phyRead(1) | 0x40);
        pump(m[0].rig, m[1].rig);
        assertEquals(genA + 1, m[0].reg(SELF_ID_COUNT) >>> 16 & 0xFF);
        assertEquals(2, m[0].rig.ram.le(OhciHarness.SELF_ID + 4) & 2, "PHY 0 (the second machine) initiated the reset");
        assertEquals(0, m[0].rig.ram.le(OhciHarness.SELF_ID + 12) & 2, "PHY 1 did not");
        assertTrue((m[0].reg(INT_EVENT_SET) & INT_BUS_RESET) != 0);
        List<int[]> p = m[0].arPackets(true);
        assertEquals(EVT_BUS_RESET, p.get(p.size() - 1)[3] >>> 16 & 0x1F, "the bus-reset packet in AR request");
    }

    @Test
    void writesAndReadsCrossIntoTheOtherMachinesRamOnlyWhereItsFiltersAllow() {
        OhciHarness[] m = twoEnabled();
        OhciHarness a = m[0];
        OhciHarness b = m[1];
        long target = 0x8000;
        // B has not enabled A in PhyReqFilter: the write goes to B's driver through AR request, not into RAM
        int status = a.sendRequest(new int[] {2 << 16 | 3 << 10 | TCODE_WRITE_QUADLET_REQUEST << 4, 0xFFC0 << 16,
                (int) target, Integer.reverseBytes(0xCAFE_F00D)}, null, 16);
        assertEquals(0x12, status & 0x1F, "ack_pending: the other machine answers later");
        pump(a.rig, b.rig);
        assertEquals(0, b.rig.ram.le(target), "filtered: B's RAM untouched");
        List<int[]> req = b.arPackets(true);
        assertEquals(1, req.size());
        assertEquals(TCODE_WRITE_QUADLET_REQUEST, req.get(0)[0] >>> 4 & 15);
        assertEquals(0xFFC1, req.get(0)[1] >>> 16, "from A, the root");
        assertEquals(0xCAFE_F00D, Integer.reverseBytes(req.get(0)[3]));
        assertTrue(a.arPackets(false).isEmpty(), "B's driver has not answered");
        // B's driver answers through its AT response context: the write response reaches A
        int rs = b.sendResponse(new int[] {2 << 16 | 3 << 10 | 1 << 8 | TCODE_WRITE_RESPONSE << 4,
                0xFFC1 << 16 | RCODE_ADDRESS_ERROR << 12, 0}, null);
        assertEquals(0x11, rs & 0x1F);
        pump(a.rig, b.rig);
        List<int[]> resp = a.arPackets(false);
        assertEquals(1, resp.size());
        assertEquals(TCODE_WRITE_RESPONSE, resp.get(0)[0] >>> 4 & 15);
        assertEquals(3, resp.get(0)[0] >>> 10 & 63, "tlabel");
        assertEquals(RCODE_ADDRESS_ERROR, resp.get(0)[1] >>> 12 & 15);
        assertEquals(0xFFC0, resp.get(0)[1] >>> 16, "from B");

        // B's driver lets node 1 (A) in: physical writes land in B's RAM, the responses come back
        b.reg(PHY_REQ_FILTER_LO_SET, 1 << 1);
        b.reg(HC_CONTROL_CLEAR, HC_POSTED_WRITE_ENABLE);
        status = a.sendRequest(new int[] {2 << 16 | 4 << 10 | TCODE_WRITE_QUADLET_REQUEST << 4, 0xFFC0 << 16,
                (int) target, Integer.reverseBytes(0x1234_5678)}, null, 16);
        assertEquals(0x12, status & 0x1F);
        pump(a.rig, b.rig);
        assertEquals(0x1234_5678, Integer.reverseBytes(b.rig.ram.le(target)), "quadlet write in B's RAM");
        assertTrue(b.arPackets(true).isEmpty(), "a physical request does not reach B's driver");
        resp = a.arPackets(false);
        assertEquals(1, resp.size());
        assertEquals(RCODE_COMPLETE, resp.get(0)[1] >>> 12 & 15);
        assertEquals(4, resp.get(0)[0] >>> 10 & 63);

        byte[] block = new byte[64];
        for (int i = 0; i < block.length; i++) {
            block[i] = (byte) (i * 7 + 1);
        }
        b.reg(HC_CONTROL_SET, HC_POSTED_WRITE_ENABLE);
        status = a.sendRequest(OhciHarness.writeBlockHeader(0xFFC0, 5, target + 0x100, block.length), block, 16);
        assertEquals(0x12, status & 0x1F);
        pump(a.rig, b.rig);
        byte[] got = new byte[block.length];
        b.rig.ram.read(target + 0x100, got, 0, got.length);
        assertArrayEquals(block, got, "block write (posted) in B's RAM");
        resp = a.arPackets(false);
        assertEquals(1, resp.size(), "B's posted write is acknowledged complete: A gets a write response");
        assertEquals(RCODE_COMPLETE, resp.get(0)[1] >>> 12 & 15);

        // a quadlet read of B's RAM: the data comes back into A's AR response
        status = a.sendRequest(OhciHarness.readQuadletHeader(0xFFC0, 6, target), null, 12);
        assertEquals(0x12, status & 0x1F);
        pump(a.rig, b.rig);
        resp = a.arPackets(false);
        assertEquals(1, resp.size());
        assertEquals(TCODE_READ_QUADLET_RESPONSE, resp.get(0)[0] >>> 4 & 15);
        assertEquals(0x1234_5678, Integer.reverseBytes(resp.get(0)[3]));
        // and B's config ROM, answered by B's controller
        status = a.sendRequest(OhciHarness.readQuadletHeader(0xFFC0, 7, CSR_CONFIG_ROM + 12), null, 12);
        pump(a.rig, b.rig);
        assertEquals(0x0800_2800, Integer.reverseBytes(a.arPackets(false).get(0)[3]), "B's GUID high quadlet");

        // a bus reset clears B's filter: the next write goes to B's driver again
        a.phyWrite(1, a.phyRead(1) | 0x40);
        pump(a.rig, b.rig);
        a.reg(INT_EVENT_CLEAR, -1);
        b.reg(INT_EVENT_CLEAR, -1);
        b.arPackets(true);
        a.sendRequest(new int[] {2 << 16 | 8 << 10 | TCODE_WRITE_QUADLET_REQUEST << 4, 0xFFC0 << 16,
                (int) target, Integer.reverseBytes(0x0BAD_0BAD)}, null, 16);
        pump(a.rig, b.rig);
        assertEquals(0x1234_5678, Integer.reverseBytes(b.rig.ram.le(target)), "not written after the reset");
        assertEquals(1, b.arPackets(true).size());
    }

    @Test
    void whenOneMachineLeavesTheOtherSeesABusResetAlone() {
        OhciHarness[] m = twoEnabled();
        int gen = m[0].reg(SELF_ID_COUNT) >>> 16 & 0xFF;
        m[1].ohci.unrealize();   // the second machine ends (or unplugs its controller)
        pump(m[0].rig, m[1].rig);
        assertEquals(gen + 1, m[0].reg(SELF_ID_COUNT) >>> 16 & 0xFF, "a bus reset");
        assertEquals(3, m[0].reg(SELF_ID_COUNT) >>> 2 & 0x1FF, "one self-ID: the first machine is alone");
        assertEquals(0, m[0].reg(NODE_ID) & 0x3F);
        m[0].reg(INT_EVENT_CLEAR, -1);
        int status = m[0].sendRequest(OhciHarness.readQuadletHeader(0xFFC1, 9, CSR_CONFIG_ROM), null, 12);
        assertEquals(AtContext.EVT_MISSING_ACK, status & 0x1F, "nobody else on the bus");
    }

    @Test
    void anAsynchronousStreamPacketReachesTheOtherMachinesListeners() {
        OhciHarness[] m = twoEnabled();
        // a node on B's machine that listens to channel 31 (IPv4 over 1394 broadcasts there)
        BusTest.Node listener = new BusTest.Node(false);
        List<IsochronousPacket> heard = listener.isochronous;
        Ieee1394Port port = m[1].ohci.bus().attach("listener", listener);
        port.listen(31, true);
        pump(m[0].rig, m[1].rig);
        m[0].reg(INT_EVENT_CLEAR, -1);
        m[1].reg(INT_EVENT_CLEAR, -1);
        byte[] data = {1, 2, 3, 4, 5, 6, 7, 8};
        // tcode 0xA in AT request: spd 2, tag 3, channel 31, sy 0; quadlet 1: dataLength
        int status = m[0].sendRequest(new int[] {2 << 16 | 3 << 14 | 31 << 8 | TCODE_ISOCHRONOUS_BLOCK << 4,
                data.length << 16}, data, 8);
        assertEquals(0x11, status & 0x1F);
        pump(m[0].rig, m[1].rig);
        assertEquals(1, heard.size());
        assertEquals(31, heard.get(0).channel());
        assertEquals(3, heard.get(0).tag());
        assertArrayEquals(data, heard.get(0).data());
    }

    /** The bus level: three nodes over two machines, split transactions across, PHY packets, isochronous, detach. */
    @Test
    void busSegmentsShareResetsTransactionsAndPackets() {
        Rig ra = new Rig();
        Rig rb = new Rig();
        Ieee1394BusImpl a = new Ieee1394BusImpl(ra.executor, LoggerFactory.getLogger("test.a"));
        Ieee1394BusImpl b = new Ieee1394BusImpl(rb.executor, LoggerFactory.getLogger("test.b"));
        a.join(name);
        b.join(name);
        cleanup.add(a::leave);
        cleanup.add(b::leave);
        BusTest.Node na = new BusTest.Node(true);
        BusTest.Node nb0 = new BusTest.Node(true);
        BusTest.Node nb1 = new BusTest.Node(false);
        List<IsochronousPacket> iso = nb1.isochronous;
        Ieee1394Port pa = a.attach("a", na);
        Ieee1394Port pb0 = b.attach("b0", nb0);
        Ieee1394Port pb1 = b.attach("b1", nb1);
        pump(ra, rb);
        assertEquals(2, pa.phyId(), "A's node is the root");
        assertEquals(1, pb0.phyId());
        assertEquals(0, pb1.phyId());
        assertEquals(pa.generation(), pb1.generation());
        assertEquals(3, na.resets.get(na.resets.size() - 1).selfIds().size());
        assertEquals(2, nb1.resets.get(nb1.resets.size() - 1).irmPhyId(), "the highest contender is IRM");
        assertEquals(2, nb1.resets.get(nb1.resets.size() - 1).rootPhyId());

        // an immediate response, a split one, and a unified write, from A to B and back
        List<AsyncResponse> got = new ArrayList<>();
        assertEquals(ACK_PENDING, pa.send(AsyncRequest.readQuadlet(0, pb1.nodeId(), 1, 0x1000), got::add));
        assertTrue(got.isEmpty(), "nothing crosses before the other machine runs");
        pump(ra, rb);
        assertEquals(1, got.size());
        assertArrayEquals(new byte[] {1, 2, 3, 4}, got.get(0).data());
        assertEquals(pb1.nodeId(), got.get(0).source());
        assertEquals(pa.nodeId(), nb1.requests.get(0).source());
        got.clear();
        pa.send(AsyncRequest.readQuadlet(0, pb1.nodeId(), 2, 0x2000), got::add);
        pump(ra, rb);
        assertTrue(got.isEmpty());
        nb1.later.respond(RCODE_COMPLETE, new byte[] {9, 9, 9, 9});
        nb1.later.respond(RCODE_COMPLETE, new byte[] {8, 8, 8, 8});
        pump(ra, rb);
        assertEquals(1, got.size(), "a second answer is dropped");
        assertArrayEquals(new byte[] {9, 9, 9, 9}, got.get(0).data());
        got.clear();
        pa.send(AsyncRequest.write(0, pb1.nodeId(), 3, 0x3000, new byte[4]), got::add);
        pump(ra, rb);
        assertEquals(RCODE_COMPLETE, got.get(0).rcode(), "ack_complete on the other side becomes a complete response");
        assertEquals(ACK_MISSING, pa.send(AsyncRequest.readQuadlet(0, nodeId(40), 4, 0x1000), got::add));

        // a request the reset overtakes is cancelled on the requester's side and its late answer dropped
        got.clear();
        pa.send(AsyncRequest.readQuadlet(0, pb1.nodeId(), 5, 0x2000), got::add);
        pump(ra, rb);
        pb0.initiateBusReset(false);
        pump(ra, rb);
        assertEquals(1, got.size());
        assertEquals(RCODE_CANCELLED, got.get(0).rcode());
        List<Integer> ids = na.resets.get(na.resets.size() - 1).selfIds();
        assertEquals(List.of(0, 2, 0), ids.stream().map(q -> q & 2).toList(), "i: PHY 1 (B's first node) initiated it");
        a.attach("late", new BusTest.Node(false)).detach();
        pump(ra, rb);
        assertTrue(na.resets.get(na.resets.size() - 1).selfIds().stream().allMatch(q -> (q & 2) == 0),
                "a reset nobody asked for through its PHY has no initiator");
        nb1.later.respond(RCODE_COMPLETE, new byte[4]);
        pump(ra, rb);
        assertEquals(1, got.size());

        // broadcast, PHY configuration packet (gap count for every PHY), isochronous
        pa.send(AsyncRequest.write(0, nodeId(BROADCAST_PHY), 6, 0x3000, new byte[4]), got::add);
        pa.sendPhyPacket(2 << 24 | 1 << 22 | 7 << 16);
        pb1.listen(5, true);
        pa.sendIsochronous(new IsochronousPacket(5, 1, 0, S400, new byte[] {4, 3, 2, 1}));
        pa.sendIsochronous(new IsochronousPacket(6, 1, 0, S400, new byte[] {0}));
        pump(ra, rb);
        assertEquals(0x3000, nb0.requests.get(nb0.requests.size() - 1).offset(), "the broadcast reached B's nodes");
        assertEquals(List.of(2 << 24 | 1 << 22 | 7 << 16), nb1.phyPackets);
        assertEquals(7, pb1.gapCount());
        assertEquals(1, iso.size(), "only the channel listened to");
        assertArrayEquals(new byte[] {4, 3, 2, 1}, iso.get(0).data());
        pa.initiateBusReset(false);
        pump(ra, rb);
        for (int id : nb0.resets.get(nb0.resets.size() - 1).selfIds()) {
            assertEquals(7, SelfId.gapCount(id), "every self-ID carries the new gap count");
        }

        // force_root (R) naming B's first node, its controller: B's segment heads the chain at the next reset
        pb0.sendPhyPacket(1 << 24 | 1 << 23 | 1 << 22 | 7 << 16);
        pb0.initiateBusReset(false);
        pump(ra, rb);
        assertEquals(2, pb0.phyId(), "B's first node is the root now");
        assertEquals(1, pb1.phyId());
        assertEquals(0, pa.phyId());
        assertEquals(2, na.resets.get(na.resets.size() - 1).rootPhyId());

        // B leaves: A is alone, and its node is PHY 0
        int resetsBefore = na.resets.size();
        b.leave();
        pump(ra, rb);
        assertEquals(resetsBefore + 1, na.resets.size());
        assertEquals(1, na.resets.get(na.resets.size() - 1).selfIds().size());
        assertEquals(0, pa.phyId());
        assertEquals(ACK_MISSING, pa.send(AsyncRequest.readQuadlet(0, nodeId(1), 7, 0x1000), got::add));
        assertEquals(0, na.resets.get(na.resets.size() - 1).rootPhyId());
    }

    /** Waits (bounded) until {@code condition} holds; the condition reads machine state through {@link Rig#on}. */
    private static void await(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
        for (int i = 0; i < 12_000; i++) {
            if (condition.getAsBoolean()) {
                return;
            }
            Thread.sleep(5);
        }
        throw new AssertionError("never happened: " + what);
    }

    /**
     * Each machine on a real machine thread of its own: the driver steps run there, and a block
     * write from A lands in B's RAM and its response in A's AR response buffer, while neither
     * machine's RAM is ever touched from the other machine's thread.
     */
    @Test
    void onRealMachineThreadsEachMachinesRamIsOnlyTouchedByItsOwnThread() throws Exception {
        Rig ra = new Rig().threaded("machine-a");
        Rig rb = new Rig().threaded("machine-b");
        try {
            OhciHarness a = ra.on(() -> new OhciHarness(ra, name, 0x0800_2800_0000_0A01L));
            OhciHarness b = rb.on(() -> new OhciHarness(rb, name, 0x0800_2800_0000_0B01L));
            ra.on(() -> {
                a.enable();
                return null;
            });
            await("A alone after its reset", () -> ra.on(() -> a.reg(NODE_ID) < 0));
            rb.on(() -> {
                b.enable();
                return null;
            });
            await("both machines see both self-IDs in one generation", () -> {
                int ca = ra.on(() -> a.reg(SELF_ID_COUNT));
                int cb = rb.on(() -> b.reg(SELF_ID_COUNT));
                return (ca >>> 2 & 0x1FF) == 5 && ca == cb && ra.on(() -> a.reg(NODE_ID)) < 0 && rb.on(() -> b.reg(NODE_ID)) < 0;
            });
            assertEquals(1, ra.on(() -> a.reg(NODE_ID) & 0x3F));
            assertEquals(0, rb.on(() -> b.reg(NODE_ID) & 0x3F));
            byte[] block = new byte[256];
            for (int i = 0; i < block.length; i++) {
                block[i] = (byte) (i ^ 0x5A);
            }
            rb.on(() -> {
                b.reg(INT_EVENT_CLEAR, -1);
                b.reg(PHY_REQ_FILTER_LO_SET, 1 << 1);
                return null;
            });
            int status = ra.on(() -> {
                a.reg(INT_EVENT_CLEAR, -1);
                a.arPackets(false);
                return a.sendRequest(OhciHarness.writeBlockHeader(0xFFC0, 11, 0x9000, block.length), block, 16);
            });
            assertEquals(0x12, status & 0x1F, "ack_pending");
            await("the block in B's RAM", () -> rb.on(() -> {
                byte[] got = new byte[block.length];
                b.rig.ram.read(0x9000, got, 0, got.length);
                return java.util.Arrays.equals(block, got);
            }));
            List<int[]> resp = new ArrayList<>();
            await("the write response in A's AR response buffer", () -> {
                resp.addAll(ra.on(() -> a.arPackets(false)));
                return !resp.isEmpty();
            });
            assertEquals(TCODE_WRITE_RESPONSE, resp.get(0)[0] >>> 4 & 15);
            assertEquals(11, resp.get(0)[0] >>> 10 & 63);
            assertEquals(RCODE_COMPLETE, resp.get(0)[1] >>> 12 & 15);
            assertEquals(0, ra.ram.foreign.get(), "A's RAM touched from another thread");
            assertEquals(0, rb.ram.foreign.get(), "B's RAM touched from another thread");
            rb.on(() -> {
                b.ohci.unrealize();
                return null;
            });
            await("A alone again", () -> ra.on(() -> (a.reg(SELF_ID_COUNT) >>> 2 & 0x1FF) == 3));
            ra.on(() -> {
                a.ohci.unrealize();
                return null;
            });
        } finally {
            ra.stop();
            rb.stop();
        }
    }
}
