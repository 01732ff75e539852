package org.machina.devices.firewire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.machina.api.bus.ieee1394.Ieee1394.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.machina.api.bus.ieee1394.AsyncRequest;
import org.machina.api.bus.ieee1394.AsyncResponse;
import org.machina.api.bus.ieee1394.BusResetInfo;
import org.machina.api.bus.ieee1394.Ieee1394Bus;
import org.machina.api.bus.ieee1394.Ieee1394Node;
import org.machina.api.bus.ieee1394.Ieee1394Port;
import org.machina.api.bus.ieee1394.PhyConfig;
import org.machina.api.bus.ieee1394.Responder;
import org.machina.api.bus.ieee1394.SelfId;
import org.machina.api.device.DeviceConfig;
import org.machina.devices.firewire.host.FakeCdevKernel;
import org.machina.host.posix.FfmLibc;
import org.slf4j.LoggerFactory;

/**
 * {@code fw-host} on an emulated bus over a simulated firewire-cdev kernel: the device's ROM as the
 * node's, split transactions forwarded with SEND_REQUEST and answered from response events, the
 * device's own requests forwarded to the guest's controller and answered with SEND_RESPONSE, host
 * bus resets, the device going away, what is refused, and the errors at creation.
 */
class FwHostNodeTest {
    /** A ROM as a device has it: bus info block (GUID 0x0800280000000b01), a root directory. */
    static final int[] ROM = {0x0404_5A5A, 0x3133_3934, 0x00FF_A002, 0x0800_2800, 0x0000_0B01, 0x0002_1234,
        0x0300_A0B0, 0x1700_0001};

    private final Rig rig = new Rig();
    private final Ieee1394BusImpl bus = new Ieee1394BusImpl(rig.executor, LoggerFactory.getLogger("test.bus"));
    private final FakeCdevKernel kernel = new FakeCdevKernel(ROM.clone());
    private final Guest guest = new Guest();
    private Ieee1394Port guestPort;
    private FwHostNode node;

    /** The guest's controller: records the requests it gets and answers them as told. */
    static final class Guest implements Ieee1394Node {
        final List<AsyncRequest> requests = new ArrayList<>();
        final List<BusResetInfo> resets = new ArrayList<>();
        Responder later;
        int rcode = RCODE_COMPLETE;
        byte[] readData = {0x11, 0x22, 0x33, 0x44};

        @Override
        public PhyConfig phy() {
            return new PhyConfig(true, true, S400, 0, false);
        }

        @Override
        public void busReset(BusResetInfo info) {
            resets.add(info);
        }

        @Override
        public int request(AsyncRequest r, Responder responder) {
            requests.add(r);
            if (r.offset() == 0xFFFF_F001_0000L) {
                later = responder;
                return ACK_PENDING;
            }
            responder.respond(rcode, r.isRead() ? readData : r.tcode() == TCODE_LOCK_REQUEST ? new byte[] {0, 0, 0, 7} : null);
            return ACK_PENDING;
        }
    }

    private FwHostNode attach(String inbound) {
        rig.buses.put(Ieee1394Bus.NAME, bus);
        guestPort = bus.attach("ohci", guest);   // first: the root (the bus gives the first node the highest PHY ID)
        Map<String, String> values = inbound == null ? Map.of("dev", "/dev/fw1") : Map.of("dev", "/dev/fw1", "inbound", inbound);
        node = (FwHostNode) FwHostType.create(rig.context("fw0"), new DeviceConfig("fw0", values), kernel, false);
        node.realize();
        rig.runTasks();
        return node;
    }

    private List<AsyncResponse> send(AsyncRequest r, int expectedAck) {
        List<AsyncResponse> got = new ArrayList<>();
        assertEquals(expectedAck, guestPort.send(r, got::add));
        rig.runTasks();
        return got;
    }

    /** Lets the node take one event from the kernel and handle it on the machine thread. */
    private boolean pump() {
        boolean alive = node.pump(0);
        rig.runTasks();
        return alive;
    }

    private int target() {
        return node.port().nodeId();
    }

    @Test
    void theDevicesRomIsTheNodesRom() {
        attach(null);
        assertEquals(2, bus.nodeNames().size());
        for (int i = 0; i < ROM.length; i++) {
            List<AsyncResponse> r = send(AsyncRequest.readQuadlet(0, target(), i, CSR_CONFIG_ROM + 4L * i), ACK_PENDING);
            assertEquals(RCODE_COMPLETE, r.get(0).rcode());
            assertEquals(ROM[i], r.get(0).quadlet(), "quadlet " + i);
        }
        List<AsyncResponse> block = send(AsyncRequest.readBlock(0, target(), 9, CSR_CONFIG_ROM + 12, 8), ACK_PENDING);
        assertArrayEquals(new byte[] {8, 0, 0x28, 0, 0, 0, 0x0B, 1}, block.get(0).data());
        assertTrue(kernel.requests.isEmpty(), "ROM reads are answered without the device");
        assertEquals(1, kernel.allocations.size(), "the FCP response register");
        assertEquals(FwHostNode.FCP_RESPONSE, kernel.allocations.get(0).offset());
        assertEquals(FwHostNode.FCP_RESPONSE + 0x200, kernel.allocations.get(0).regionEnd());
        // the node's self-ID: link on, not a contender, the speed GET_SPEED gave
        int self = node.port().phyId();
        int selfId = guest.resets.getLast().selfIds().get(self);
        assertTrue(SelfId.linkActive(selfId));
        assertFalse(SelfId.contender(selfId));
        assertEquals(S400, selfId >>> 14 & 3);
    }

    @Test
    void aReadIsASplitTransactionThroughSendRequest() {
        attach(null);
        List<AsyncResponse> got = send(AsyncRequest.readQuadlet(0, target(), 5, 0xFFFF_F000_0200L), ACK_PENDING);
        assertTrue(got.isEmpty(), "the response comes later");
        FakeCdevKernel.SentRequest s = kernel.requests.get(0);
        assertEquals(TCODE_READ_QUADLET_REQUEST, s.tcode());
        assertEquals(0xFFFF_F000_0200L, s.offset());
        assertEquals(4, s.length());
        assertEquals(kernel.generation, s.generation());
        assertEquals(1, node.pendingCount());
        kernel.events.add(FakeCdevKernel.responseEvent(s.closure(), RCODE_COMPLETE, new byte[] {0x12, 0x34, 0x56, 0x78}));
        assertTrue(pump());
        assertEquals(1, got.size());
        assertEquals(RCODE_COMPLETE, got.get(0).rcode());
        assertEquals(0x1234_5678, got.get(0).quadlet());
        assertEquals(nodeId(node.port().phyId()), got.get(0).source());
        assertEquals(0, node.pendingCount());
    }

    @Test
    void writesLocksAndBlockReadsCarryTheirPayloads() {
        attach(null);
        byte[] block = new byte[32];
        for (int i = 0; i < block.length; i++) {
            block[i] = (byte) (i * 7);
        }
        List<AsyncResponse> w = send(AsyncRequest.write(0, target(), 1, 0xFFFF_F001_0008L, block), ACK_PENDING);
        List<AsyncResponse> l = send(AsyncRequest.lock(0, target(), 2, 0xFFFF_F000_0220L, EXTCODE_COMPARE_SWAP,
                new byte[] {0, 0, 0x13, (byte) 0x88, 0, 0, 0x0F, (byte) 0xA0}), ACK_PENDING);
        List<AsyncResponse> r = send(AsyncRequest.readBlock(0, target(), 3, 0x1_0000_0000L, 512), ACK_PENDING);
        FakeCdevKernel.SentRequest sw = kernel.requests.get(0);
        FakeCdevKernel.SentRequest sl = kernel.requests.get(1);
        FakeCdevKernel.SentRequest sr = kernel.requests.get(2);
        assertEquals(TCODE_WRITE_BLOCK_REQUEST, sw.tcode());
        assertArrayEquals(block, sw.data());
        assertEquals(0x12, sl.tcode(), "juju's TCODE_LOCK_COMPARE_SWAP");
        assertEquals(8, sl.length());
        assertArrayEquals(new byte[] {0, 0, 0x13, (byte) 0x88, 0, 0, 0x0F, (byte) 0xA0}, sl.data());
        assertEquals(TCODE_READ_BLOCK_REQUEST, sr.tcode());
        assertEquals(512, sr.length());
        kernel.events.add(FakeCdevKernel.responseEvent(sl.closure(), RCODE_COMPLETE, new byte[] {0, 0, 0x13, (byte) 0x88}));
        kernel.events.add(FakeCdevKernel.responseEvent(sw.closure(), RCODE_COMPLETE, new byte[0]));
        byte[] readBack = new byte[512];
        readBack[511] = 0x5A;
        kernel.events.add(FakeCdevKernel.responseEvent(sr.closure(), RCODE_COMPLETE, readBack));
        assertTrue(pump());
        assertTrue(pump());
        assertTrue(pump());
        assertEquals(0x1388, l.get(0).quadlet(), "the old value");
        assertEquals(RCODE_COMPLETE, w.get(0).rcode());
        assertEquals(0, w.get(0).data().length);
        assertArrayEquals(readBack, r.get(0).data());
    }

    @Test
    void hostRcodesAsTheEmulatedBusHasThem() {
        attach(null);
        int[][] cases = {{RCODE_ADDRESS_ERROR, RCODE_ADDRESS_ERROR}, {RCODE_TYPE_ERROR, RCODE_TYPE_ERROR},
            {0x12, RCODE_CONFLICT_ERROR}, {0x14, RCODE_CANCELLED}, {0x10, RCODE_CANCELLED}, {0x13, RCODE_CANCELLED},
            {0x11, RCODE_CANCELLED}};
        for (int[] c : cases) {
            List<AsyncResponse> got = send(AsyncRequest.readQuadlet(0, target(), 4, 0xFFFF_F000_0200L), ACK_PENDING);
            kernel.events.add(FakeCdevKernel.responseEvent(kernel.requests.getLast().closure(), c[0], new byte[0]));
            assertTrue(pump());
            assertEquals(c[1], got.get(0).rcode(), "host rcode 0x" + Integer.toHexString(c[0]));
        }
    }

    @Test
    void aResponseAfterAnEmulatedResetIsDropped() {
        attach(null);
        List<AsyncResponse> got = send(AsyncRequest.readQuadlet(0, target(), 5, 0xFFFF_F000_0200L), ACK_PENDING);
        guestPort.initiateBusReset(false);
        rig.runTasks();
        assertEquals(RCODE_CANCELLED, got.get(0).rcode(), "the reset cancels it");
        kernel.events.add(FakeCdevKernel.responseEvent(kernel.requests.get(0).closure(), RCODE_COMPLETE, new byte[4]));
        assertTrue(pump());
        assertEquals(1, got.size(), "the late answer goes nowhere");
    }

    @Test
    void aHostBusResetResetsTheEmulatedBusWithTheNewRomAndGeneration() {
        attach(null);
        int generation = node.port().generation();
        kernel.rom[6] = 0x0300_C0DE;   // the device's ROM changed
        kernel.generation = 9;
        kernel.nodeId = 0xFFC2;
        kernel.events.add(FakeCdevKernel.busResetEvent(0, 0xFFC2, 0xFFC0, 9));
        assertTrue(pump());
        assertNotEquals(generation, node.port().generation());
        int selfId = guest.resets.getLast().selfIds().get(node.port().phyId());
        assertEquals(2, selfId & 2, "the node initiated the reset (i): the guest reads its ROM again");
        List<AsyncResponse> r = send(AsyncRequest.readQuadlet(0, target(), 1, CSR_CONFIG_ROM + 24), ACK_PENDING);
        assertEquals(0x0300_C0DE, r.get(0).quadlet());
        send(AsyncRequest.readQuadlet(0, target(), 2, 0xFFFF_F000_0200L), ACK_PENDING);
        assertEquals(9, kernel.requests.getLast().generation(), "requests go out in the new host generation");
    }

    @Test
    void theDevicesRequestsGoToTheGuestAndBack() {
        attach("0x100000000+0x1000");
        assertEquals(0x1_0000_0000L, kernel.allocations.get(1).offset());
        assertEquals(0x1_0000_1000L, kernel.allocations.get(1).regionEnd());
        // the guest talks to the device first: that is where the device's requests go
        send(AsyncRequest.readQuadlet(0, target(), 1, CSR_CONFIG_ROM), ACK_PENDING);
        byte[] fcp = {0x0C, (byte) 0xFF, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05};
        kernel.events.add(FakeCdevKernel.request2Event(1, TCODE_WRITE_BLOCK_REQUEST, FwHostNode.FCP_RESPONSE,
                0xFFC1, 0xFFC0, 0, 3, 0x51, fcp.length, fcp));
        assertTrue(pump());
        AsyncRequest in = guest.requests.getLast();
        assertEquals(TCODE_WRITE_BLOCK_REQUEST, in.tcode());
        assertEquals(FwHostNode.FCP_RESPONSE, in.offset());
        assertArrayEquals(fcp, in.data());
        assertEquals(target(), in.source(), "from the fw-host node");
        assertEquals(guestPort.nodeId(), in.destination());
        assertEquals(new FakeCdevKernel.SentResponse(RCODE_COMPLETE, 0, 0x51, new byte[0]).rcode(),
                kernel.responses.getLast().rcode());
        assertEquals(0x51, kernel.responses.getLast().handle());
        // a read into the inbound range: the guest's data go back
        kernel.events.add(FakeCdevKernel.request2Event(2, TCODE_READ_QUADLET_REQUEST, 0x1_0000_0010L, 0xFFC1, 0xFFC0, 0,
                3, 0x52, 4, new byte[0]));
        assertTrue(pump());
        assertEquals(0x52, kernel.responses.getLast().handle());
        assertArrayEquals(new byte[] {0x11, 0x22, 0x33, 0x44}, kernel.responses.getLast().data());
        // a lock (juju tcode 0x11, mask-swap) becomes a lock request with its extended tcode
        kernel.events.add(FakeCdevKernel.request2Event(3, 0x11, 0x1_0000_0020L, 0xFFC1, 0xFFC0, 0, 3, 0x53, 8,
                new byte[8]));
        assertTrue(pump());
        assertEquals(TCODE_LOCK_REQUEST, guest.requests.getLast().tcode());
        assertEquals(EXTCODE_MASK_SWAP, guest.requests.getLast().extendedTcode());
        assertArrayEquals(new byte[] {0, 0, 0, 7}, kernel.responses.getLast().data());
        // a split answer from the guest
        kernel.events.add(FakeCdevKernel.request2Event(4, TCODE_WRITE_QUADLET_REQUEST, 0xFFFF_F001_0000L, 0xFFC1, 0xFFC0,
                0, 3, 0x54, 4, new byte[4]));
        int before = kernel.responses.size();
        assertTrue(pump());
        assertEquals(before, kernel.responses.size(), "not answered before the guest answers");
        guest.later.respond(RCODE_ADDRESS_ERROR, null);
        rig.runTasks();
        assertEquals(RCODE_ADDRESS_ERROR, kernel.responses.getLast().rcode());
        assertEquals(0x54, kernel.responses.getLast().handle());
    }

    @Test
    void requestsFromOtherHostNodesOrGenerationsAreNotForwarded() {
        attach(null);
        int seen = guest.requests.size();
        kernel.events.add(FakeCdevKernel.request2Event(1, TCODE_WRITE_BLOCK_REQUEST, FwHostNode.FCP_RESPONSE,
                0xFFC5, 0xFFC0, 0, 3, 0x61, 4, new byte[4]));   // another device's FCP write (the range is shared)
        kernel.events.add(FakeCdevKernel.request2Event(1, TCODE_WRITE_BLOCK_REQUEST, FwHostNode.FCP_RESPONSE,
                0xFFC1, 0xFFC0, 0, 2, 0x62, 4, new byte[4]));   // an older generation
        kernel.events.add(FakeCdevKernel.request2Event(1, TCODE_WRITE_BLOCK_REQUEST, FwHostNode.FCP_RESPONSE,
                0xFFC1, 0xFFFF, 0, 3, 0x63, 4, new byte[4]));   // a broadcast
        assertTrue(pump());
        assertTrue(pump());
        assertTrue(pump());
        assertEquals(seen, guest.requests.size());
        assertEquals(RCODE_ADDRESS_ERROR, kernel.responses.get(0).rcode());
        assertEquals(0x61, kernel.responses.get(0).handle());
        assertEquals(RCODE_ADDRESS_ERROR, kernel.responses.get(1).rcode());
        assertEquals(RCODE_COMPLETE, kernel.responses.get(2).rcode(), "a broadcast is only released");
    }

    @Test
    void isochronousPlugRegistersAndBroadcastsAreRefused() {
        attach(null);
        List<AsyncResponse> pcr = send(AsyncRequest.lock(0, target(), 1, 0xFFFF_F000_0904L, EXTCODE_COMPARE_SWAP,
                new byte[8]), ACK_PENDING);
        assertEquals(RCODE_ADDRESS_ERROR, pcr.get(0).rcode());
        List<AsyncResponse> pcrRead = send(AsyncRequest.readQuadlet(0, target(), 2, 0xFFFF_F000_0904L), ACK_PENDING);
        assertTrue(pcrRead.isEmpty(), "reading a plug register is harmless: forwarded");
        assertEquals(1, kernel.requests.size());
        assertEquals(ACK_MISSING, guestPort.send(AsyncRequest.write(0, nodeId(BROADCAST_PHY), 3, 0xFFFF_F000_0234L,
                new byte[4]), r -> { }));
        rig.runTasks();
        assertEquals(1, kernel.requests.size(), "broadcasts stay on the emulated bus");
    }

    @Test
    void theDeviceGoingAwayIsSurvivable() {
        attach(null);
        List<AsyncResponse> inFlight = send(AsyncRequest.readQuadlet(0, target(), 1, 0xFFFF_F000_0200L), ACK_PENDING);
        kernel.hungUp = true;
        assertFalse(pump(), "the reader stops");
        assertTrue(node.isGone());
        assertTrue(kernel.closed, "the file is closed");
        assertEquals(1, bus.nodeNames().size(), "the node left the bus");
        assertEquals(1, guest.resets.getLast().selfIds().size(), "the guest saw a reset without it");
        assertEquals(List.of("ohci"), bus.nodeNames());
        for (int p = 0; p < 63; p++) {
            if (p != guestPort.phyId()) {
                assertEquals(ACK_MISSING, guestPort.send(AsyncRequest.readQuadlet(0, nodeId(p), 2, CSR_CONFIG_ROM), r -> { }));
            }
        }
        assertEquals(1, kernel.requests.size(), "nothing more reached the host");
        assertTrue(inFlight.isEmpty() || inFlight.get(0).rcode() == RCODE_CANCELLED);
        node.unrealize();   // the device's later removal is harmless
    }

    @Test
    void enodevOnSendRequestTakesTheNodeOff() {
        attach(null);
        kernel.sendRequestErrno = 19;
        assertEquals(ACK_MISSING, guestPort.send(AsyncRequest.readQuadlet(0, target(), 1, 0x1000), r -> { }));
        rig.runTasks();
        assertTrue(node.isGone());
        assertEquals(1, bus.nodeNames().size());
    }

    @Test
    void aRequestTheHostRefusesIsATypeError() {
        attach(null);
        kernel.sendRequestErrno = 5;   // EIO: longer than the speed allows
        assertEquals(ACK_TYPE_ERROR, guestPort.send(AsyncRequest.readBlock(0, target(), 1, 0x1000, 4096), r -> { }));
        assertEquals(0, node.pendingCount());
        assertFalse(node.isGone());
    }

    @Test
    void unrealizeClosesTheFileAndLeavesTheBus() {
        attach(null);
        node.unrealize();
        rig.runTasks();
        assertTrue(kernel.closed);
        assertEquals(1, bus.nodeNames().size());
    }

    @Test
    void theReaderThreadPostsToTheMachineThreadAndEndsWithTheDevice() throws Exception {
        Rig m = new Rig().threaded("machine");
        try {
            Ieee1394BusImpl b = new Ieee1394BusImpl(m.executor, LoggerFactory.getLogger("test.bus"));
            m.buses.put(Ieee1394Bus.NAME, b);
            Guest g = new Guest();
            FwHostNode n = m.on(() -> {
                b.attach("ohci", g);
                FwHostNode x = (FwHostNode) FwHostType.create(m.context("fw0"),
                        new DeviceConfig("fw0", Map.of("dev", "/dev/fw1")), kernel, true);
                x.realize();
                return x;
            });
            int before = m.on(() -> g.resets.size());
            assertEquals(2, (int) m.on(() -> b.nodeNames().size()));
            kernel.generation = 4;
            kernel.events.add(FakeCdevKernel.busResetEvent(0, 0xFFC1, 0xFFC0, 4));
            waitFor(() -> m.on(() -> g.resets.size()) > before, "the host reset reaching the guest");
            kernel.hungUp = true;
            waitFor(() -> m.on(n::isGone), "the node noticing the device is gone");
            assertEquals(List.of("ohci"), m.on(b::nodeNames));
            assertTrue(kernel.closed);
            m.on(() -> {
                n.unrealize();
                return null;
            });
        } finally {
            m.stop();
        }
    }

    /** Waits (at most 20 s: a bound for a stuck thread, not a timing assertion) until {@code done}. */
    private static void waitFor(java.util.concurrent.Callable<Boolean> done, String what) throws Exception {
        for (int i = 0; i < 2000; i++) {
            if (done.call()) {
                return;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("never saw " + what);
    }

    @Test
    void withoutABusTheFileIsClosedAgain() {
        FwHostNode n = (FwHostNode) FwHostType.create(rig.context("fw0"), new DeviceConfig("fw0", Map.of("dev", "/dev/fw1")),
                kernel, false);
        assertThrows(IllegalStateException.class, n::realize);
        assertTrue(kernel.closed);
    }

    @Test
    void creationErrorsNameTheDevice(@TempDir Path dir) throws Exception {
        rig.buses.put(Ieee1394Bus.NAME, bus);
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                () -> FwHostType.create(rig.context("fw0"), new DeviceConfig("fw0", Map.of()), kernel, false));
        assertEquals("device 'fw0' (fw-host) needs dev=/dev/fwN", none.getMessage());

        kernel.abiVersion = 3;
        assertMessage("device 'fw0' (fw-host): /dev/fw1: the kernel's firewire-cdev ABI version is 3, older than 4",
                Map.of("dev", "/dev/fw1"));
        kernel.abiVersion = 5;
        kernel.nodeId = kernel.localNodeId;
        assertMessage("device 'fw0' (fw-host): /dev/fw1 is the host's own FireWire controller",
                Map.of("dev", "/dev/fw1"));
        kernel.nodeId = 0xFFC1;
        assertMessage("device 'fw0' (fw-host): /dev/fw1: inbound range at 0x1000 lies in the host controller's "
                + "physical range", Map.of("dev", "/dev/fw1", "inbound", "0x1000+0x100"));
        assertMessage("device 'fw0' (fw-host): inbound=0x1000 is not OFFSET+LENGTH",
                Map.of("dev", "/dev/fw1", "inbound", "0x1000"));
        int[] sbp2Rom = org.machina.api.bus.ieee1394.ConfigRom.build(0x00FF_A002, 0x0800_2800_0000_0C01L,
                new org.machina.api.bus.ieee1394.ConfigRom.Directory().immediate(0x03, 0x080028)
                        .directory(0x11, new org.machina.api.bus.ieee1394.ConfigRom.Directory()
                                .immediate(0x12, 0x00609E).immediate(0x13, 0x010483)));
        assertTrue(FwHostNode.hasSbp2Unit(sbp2Rom));
        assertFalse(FwHostNode.hasSbp2Unit(ROM));
        assertFalse(FwHostNode.hasSbp2Unit(new int[] {0xFF00_0000, 0, 0}), "offsets outside the ROM");
        kernel.rom = sbp2Rom;
        assertMessage("device 'fw0' (fw-host): /dev/fw1 is an SBP-2 device", Map.of("dev", "/dev/fw1"));
        assertTrue(kernel.closed, "the file is closed again");
        kernel.rom = ROM.clone();
        kernel.allocateErrno = 16;
        assertMessage("device 'fw0' (fw-host): /dev/fw1: ALLOCATE of the FCP response register failed: ioctl: EBUSY",
                Map.of("dev", "/dev/fw1"));
        kernel.allocateErrno = 0;
        assertMessage("device 'fw0' (fw-host): /dev/fw7: no such file", Map.of("dev", "/dev/fw7"));

        // the real C library: a regular file and /dev/null are not firewire-cdev devices
        Path f = Files.writeString(dir.resolve("fw3"), "x");
        IllegalArgumentException reg = assertThrows(IllegalArgumentException.class, () -> FwHostType.create(
                rig.context("fw0"), new DeviceConfig("fw0", Map.of("dev", f.toString())), FfmLibc.get(), false));
        assertEquals("device 'fw0' (fw-host): " + f + ": not a firewire-cdev device (FW_CDEV_IOC_GET_INFO: ENOTTY)",
                reg.getMessage());
        IllegalArgumentException nul = assertThrows(IllegalArgumentException.class, () -> FwHostType.create(
                rig.context("fw0"), new DeviceConfig("fw0", Map.of("dev", "/dev/null")), FfmLibc.get(), false));
        assertEquals("device 'fw0' (fw-host): /dev/null: not a firewire-cdev device (FW_CDEV_IOC_GET_INFO: ENOTTY)",
                nul.getMessage());
        assertEquals(0, bus.nodeNames().size(), "nothing attached");
        assertNull(FwHostType.parseInbound("fw0", ""));
    }

    private void assertMessage(String start, Map<String, String> values) {
        kernel.closed = false;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FwHostType.create(rig.context("fw0"), new DeviceConfig("fw0", values), kernel, false));
        assertTrue(e.getMessage().startsWith(start), e.getMessage());
    }
}
