package org.machina.devices.firewire;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import org.machina.api.bus.ieee1394.AsyncRequest;
import org.machina.api.bus.ieee1394.AsyncResponse;
import org.machina.api.bus.ieee1394.BusResetInfo;
import org.machina.api.bus.ieee1394.Ieee1394;
import org.machina.api.bus.ieee1394.Ieee1394Bus;
import org.machina.api.bus.ieee1394.Ieee1394Node;
import org.machina.api.bus.ieee1394.Ieee1394Port;
import org.machina.api.bus.ieee1394.IsochronousPacket;
import org.machina.api.bus.ieee1394.PhyConfig;
import org.machina.api.bus.ieee1394.ResponseHandler;
import org.machina.api.bus.ieee1394.SelfId;
import org.slf4j.Logger;

/**
 * One cable bus: the nodes form a daisy chain behind the first node attached (the controller),
 * which is the root. PHY IDs are given in self-ID order, the far end of the chain first, so the
 * root has the highest ID (IEEE 1394-1995 8.4.3). Each node's PHY has ports 0 (towards its child)
 * and 1 (towards its parent). Resets happen on the executor after the call that asked for them,
 * at most one per request burst. Transactions are delivered synchronously; a pending transaction is
 * completed with {@link Ieee1394#RCODE_CANCELLED} by the next reset.
 *
 * <p>Joined to a {@link SharedBus} ({@link #join}), this bus is one machine's segment of a bus shared
 * with other machines: a reset publishes this segment's nodes and the shared bus computes the PHY
 * IDs and self-IDs of all, then applies them here ({@link #applyReset}) on this machine's thread;
 * requests for nodes of other segments, broadcasts, PHY packets and isochronous packets cross
 * through it, and what comes from the other segments arrives through the executor.
 */
final class Ieee1394BusImpl implements Ieee1394Bus, SharedBus.Local {
    static final int MAX_NODES = 63;

    private final Executor executor;
    private final Logger log;
    /** Attach order: index 0 is the root. */
    private final List<PortImpl> ports = new ArrayList<>();
    private int generation;
    private boolean resetPending;
    private int nextTlabel;
    private int resets;
    /** A reset was asked for by a node (not only by an attach or detach): it must happen. */
    private boolean explicitReset;
    /** Nodes (in attach order) a restored controller expects; when they are back, the next reset is quiet. */
    private List<String> resumeNodes;
    private int resumeGapCount;
    /** The shared bus this one is a segment of, or null. */
    private SharedBus.Segment segment;
    /** A reset was published to the shared bus and has not come back yet: nothing is sent meanwhile. */
    private boolean sharedResetPending;
    private int rootPhyId = -1;

    Ieee1394BusImpl(Executor executor, Logger log) {
        this.executor = executor;
        this.log = log;
    }

    @Override
    public Ieee1394Port attach(String name, Ieee1394Node node) {
        if (ports.size() + (segment == null ? 0 : segment.otherNodes()) >= MAX_NODES) {
            throw new IllegalStateException("the 1394 bus has " + MAX_NODES + " nodes already; '" + name + "' cannot attach");
        }
        PortImpl p = new PortImpl(name, node);
        ports.add(p);
        scheduleReset();
        return p;
    }

    int generation() {
        return generation;
    }

    /**
     * Makes this bus a segment of the shared bus {@code name} of this runtime (before the first
     * node attaches): from now on its resets are those of the shared bus.
     */
    void join(String name) {
        if (segment == null) {
            segment = SharedBus.join(name, this, executor);
            scheduleReset();
        }
    }

    /** Leaves the shared bus (the others see a reset); this bus goes on alone. Idempotent. */
    void leave() {
        if (segment != null) {
            segment.leave();
            segment = null;
            sharedResetPending = false;
            if (!ports.isEmpty()) {
                scheduleReset();
            }
        }
    }

    int resets() {
        return resets;
    }

    List<String> nodeNames() {
        return ports.stream().map(p -> p.name).toList();
    }

    /** The gap count of the root's PHY (all PHYs hold the same after a PHY configuration packet). */
    int gapCount() {
        return ports.isEmpty() ? 63 : ports.get(0).gapCount;
    }

    /**
     * Restores the bus a saved controller had: its generation, and, when the same nodes attach again
     * in the same order before the reset their attaching asked for, that reset is quiet: each node
     * gets the PHY ID it had, the generation stays and nobody sees a reset (a hot-swap of the bundle
     * re-creates the controller and its nodes). Otherwise the reset happens as usual.
     */
    void resume(int savedGeneration, int gapCount, List<String> nodes) {
        generation = savedGeneration;
        resumeNodes = List.copyOf(nodes);
        resumeGapCount = gapCount & 0x3F;
        for (PortImpl p : ports) {
            p.gapCount = resumeGapCount;
        }
        scheduleReset();
    }

    private void scheduleReset() {
        if (!resetPending) {
            resetPending = true;
            executor.execute(this::reset);
        }
    }

    /** Performs a bus reset now: new PHY IDs, self-IDs, cancelled transactions, every node told. */
    void reset() {
        resetPending = false;
        List<String> expected = resumeNodes;
        resumeNodes = null;
        if (segment != null) {
            // the shared bus computes the reset with every segment's nodes and applies it here later
            explicitReset = false;
            sharedResetPending = true;
            segment.reset(ports.stream().map(p -> new SharedBus.NodeSelf(p.selfIdFields(), p.gapCount)).toList());
            ports.forEach(p -> p.initiated = false);
            return;
        }
        if (expected != null && !explicitReset && expected.equals(nodeNames())) {
            int n = ports.size();
            for (int i = 0; i < n; i++) {
                PortImpl p = ports.get(i);
                p.phyId = n - 1 - i;
                p.generation = generation;
                p.gapCount = resumeGapCount;
            }
            return;
        }
        explicitReset = false;
        resets++;
        generation++;
        int n = ports.size();
        rootPhyId = n - 1;
        List<Integer> selfIds = new ArrayList<>();
        int irm = -1;
        for (int phy = 0; phy < n; phy++) {
            PortImpl p = ports.get(n - 1 - phy);   // the far end of the chain is PHY 0
            p.phyId = phy;
            p.generation = generation;
            PhyConfig c = p.selfIdFields();
            int[] st = {phy > 0 ? SelfId.PORT_CHILD : SelfId.PORT_NOT_CONNECTED,
                    phy < n - 1 ? SelfId.PORT_PARENT : SelfId.PORT_NOT_CONNECTED, SelfId.PORT_NOT_PRESENT};
            selfIds.add(SelfId.packet0(phy, c, p.gapCount, st));
            if (c.contender() && c.linkActive()) {
                irm = phy;
            }
        }
        cancelAndTell(n - 1, irm, selfIds);
    }

    /** The reset the shared bus computed for this segment (on this machine's thread). */
    @Override
    public void applyReset(SharedBus.Reset r) {
        if (segment == null) {
            return;   // left the shared bus since: its own reset follows
        }
        sharedResetPending = false;
        resets++;
        generation = r.generation();
        rootPhyId = r.rootPhyId();
        for (int i = 0; i < ports.size(); i++) {
            PortImpl p = ports.get(i);
            p.phyId = r.firstPhyId() - i;
            p.generation = generation;
            if (p.phyId >= 0 && p.phyId < r.selfIds().size()) {
                p.gapCount = SelfId.gapCount(r.selfIds().get(p.phyId));
            }
        }
        cancelAndTell(r.rootPhyId(), r.irmPhyId(), r.selfIds());
    }

    private void cancelAndTell(int root, int irm, List<Integer> selfIds) {
        ports.forEach(p -> p.initiated = false);
        // transactions in flight are cancelled
        for (PortImpl p : ports) {
            List<ResponseHandler> cancelled = new ArrayList<>(p.outstanding.values());
            p.outstanding.clear();
            for (ResponseHandler h : cancelled) {
                h.response(new AsyncResponse(-1, Ieee1394.RCODE_CANCELLED, null));
            }
        }
        for (PortImpl p : List.copyOf(ports)) {
            if (p.attached) {
                p.node.busReset(new BusResetInfo(generation, p.phyId, root, irm, selfIds));
            }
        }
    }

    private PortImpl byNodeId(int nodeId) {
        int phy = Ieee1394.phyId(nodeId);
        int bus = nodeId >>> 6 & 0x3FF;
        if (bus != Ieee1394.LOCAL_BUS) {
            return null;
        }
        for (PortImpl p : ports) {
            if (p.phyId == phy) {
                return p;
            }
        }
        return null;
    }

    private final class PortImpl implements Ieee1394Port {
        final String name;
        final Ieee1394Node node;
        int phyId = -1;
        int generation;
        int gapCount = 63;
        boolean attached = true;
        /** This node's PHY asked for the coming reset: its self-ID carries i (IEEE 1394a 4.3.4.1). */
        boolean initiated;
        final Set<Integer> channels = new HashSet<>();
        /** Requests this node sent that wait for a response, by transaction label. */
        final Map<Integer, ResponseHandler> outstanding = new HashMap<>();

        PortImpl(String name, Ieee1394Node node) {
            this.name = name;
            this.node = node;
        }

        @Override
        public int phyId() {
            return phyId;
        }

        /**
         * The node's self-ID fields with i set when it initiated the reset: other nodes' drivers
         * read the configuration ROM again of a node that initiated a reset (how a changed ROM, a
         * unit directory added by a guest driver, becomes known).
         */
        PhyConfig selfIdFields() {
            PhyConfig c = node.phy();
            return initiated && !c.initiatedReset()
                    ? new PhyConfig(c.linkActive(), c.contender(), c.speed(), c.powerClass(), true) : c;
        }

        @Override
        public int generation() {
            return generation;
        }

        @Override
        public int gapCount() {
            return gapCount;
        }

        @Override
        public void setGapCount(int gap) {
            gapCount = gap & 0x3F;
        }

        @Override
        public int send(AsyncRequest request, ResponseHandler handler) {
            if (!attached || phyId < 0 || resetPending || sharedResetPending) {
                return Ieee1394.ACK_MISSING;
            }
            AsyncRequest r = new AsyncRequest(nodeId(), request.destination(), request.tlabel(), request.tcode(),
                    request.offset(), request.data(), request.length(), request.extendedTcode(), request.speed());
            if (Ieee1394.phyId(r.destination()) == Ieee1394.BROADCAST_PHY) {
                for (PortImpl p : List.copyOf(ports)) {
                    if (p != this && p.attached) {
                        p.node.request(r, (rcode, data) -> { });
                    }
                }
                if (segment != null) {
                    segment.broadcast(generation, r);
                }
                return Ieee1394.ACK_MISSING;   // broadcasts are not acknowledged
            }
            PortImpl dest = byNodeId(r.destination());
            int label = r.tlabel();
            int gen = generation;
            if (dest == null && segment != null && (r.destination() >>> 6 & 0x3FF) == Ieee1394.LOCAL_BUS) {
                return sendToSegment(r, handler);
            }
            if (dest == null || !dest.attached) {
                return Ieee1394.ACK_MISSING;
            }
            PortImpl requester = this;
            // a label still in use is a requester bug; the old transaction loses its response
            outstanding.put(label, handler);
            boolean[] done = {false};
            int ack = dest.node.request(r, (rcode, data) -> {
                if (done[0] || gen != Ieee1394BusImpl.this.generation) {
                    return;   // a second answer, or an answer after a reset: dropped
                }
                done[0] = true;
                ResponseHandler h = requester.outstanding.get(label);
                if (h == handler) {
                    requester.outstanding.remove(label);
                    handler.response(new AsyncResponse(dest.nodeId(), rcode,
                            Ieee1394.isReadOrLock(r.tcode()) && rcode == Ieee1394.RCODE_COMPLETE ? data : null));
                }
            });
            if (ack != Ieee1394.ACK_PENDING) {
                done[0] = true;
                if (outstanding.get(label) == handler) {
                    outstanding.remove(label);
                }
            }
            return ack;
        }

        /** A request for a node of another machine: its response comes through this machine's executor. */
        private int sendToSegment(AsyncRequest r, ResponseHandler handler) {
            int label = r.tlabel();
            int gen = generation;
            outstanding.put(label, handler);
            int ack = segment.send(gen, r, response -> {
                if (gen == generation && attached && outstanding.get(label) == handler) {
                    outstanding.remove(label);
                    handler.response(response);
                }
            });
            if (ack != Ieee1394.ACK_PENDING && outstanding.get(label) == handler) {
                outstanding.remove(label);
            }
            return ack;
        }

        /** A free transaction label for nodes that let the bus choose. */
        int freeLabel() {
            for (int i = 0; i < 64; i++) {
                int l = (nextTlabel + i) & 63;
                if (!outstanding.containsKey(l)) {
                    nextTlabel = l + 1;
                    return l;
                }
            }
            return -1;
        }

        @Override
        public void sendPhyPacket(int quadlet) {
            if (!attached) {
                return;
            }
            // PHY configuration packet: 00 root_ID(6) R T gap_cnt(6) ...
            if ((quadlet >>> 30) == 0 && (quadlet & 0x00C0_0000) != 0) {
                if ((quadlet & 0x0040_0000) != 0) {
                    int gap = quadlet >>> 16 & 0x3F;
                    for (PortImpl p : ports) {
                        p.gapCount = gap;
                    }
                }
                if ((quadlet & 0x0080_0000) != 0 && (quadlet >>> 24 & 0x3F) != rootPhyId && segment == null) {
                    log.info("1394 bus: PHY configuration packet asks for PHY {} as root; the root stays PHY {}",
                            quadlet >>> 24 & 0x3F, rootPhyId);
                }
            }
            for (PortImpl p : List.copyOf(ports)) {
                if (p != this && p.attached) {
                    p.node.phyPacket(quadlet);
                }
            }
            if (segment != null) {
                segment.phyPacket(quadlet);
            }
        }

        @Override
        public void sendIsochronous(IsochronousPacket packet) {
            for (PortImpl p : List.copyOf(ports)) {
                if (p != this && p.attached && p.channels.contains(packet.channel())) {
                    p.node.isochronous(packet);
                }
            }
            if (segment != null && attached) {
                segment.isochronous(generation, packet);
            }
        }

        @Override
        public void listen(int channel, boolean on) {
            if (on) {
                channels.add(channel & 63);
            } else {
                channels.remove(channel & 63);
            }
        }

        @Override
        public void initiateBusReset(boolean shortReset) {
            if (attached) {
                explicitReset = true;
                initiated = true;
                scheduleReset();
            }
        }

        @Override
        public void detach() {
            if (!attached) {
                return;
            }
            attached = false;
            ports.remove(this);
            for (ResponseHandler h : List.copyOf(outstanding.values())) {
                h.response(new AsyncResponse(-1, Ieee1394.RCODE_CANCELLED, null));
            }
            outstanding.clear();
            if (!ports.isEmpty() || segment != null) {
                scheduleReset();
            }
        }
    }

    // ---- what comes from the other segments of a shared bus (on this machine's thread) ----

    @Override
    public void remoteRequest(int gen, AsyncRequest r, SharedBus.Reply back) {
        PortImpl dest = gen == generation && segment != null ? byNodeId(r.destination()) : null;
        if (dest == null || !dest.attached) {
            back.respond(SharedBus.responseForAck(r.destination(), Ieee1394.ACK_MISSING));
            return;
        }
        int source = dest.nodeId();
        boolean[] done = {false};
        int ack = dest.node.request(r, (rcode, data) -> {
            if (done[0] || gen != generation) {
                return;   // a second answer, or an answer after a reset: dropped
            }
            done[0] = true;
            byte[] payload = Ieee1394.isReadOrLock(r.tcode()) && rcode == Ieee1394.RCODE_COMPLETE && data != null
                    ? data.clone() : null;
            back.respond(new AsyncResponse(source, rcode, payload));
        });
        if (ack != Ieee1394.ACK_PENDING && !done[0]) {
            done[0] = true;
            back.respond(SharedBus.responseForAck(source, ack));
        }
    }

    @Override
    public void remoteBroadcast(int gen, AsyncRequest r) {
        if (gen != generation || segment == null) {
            return;
        }
        for (PortImpl p : List.copyOf(ports)) {
            if (p.attached) {
                p.node.request(r, (rcode, data) -> { });
            }
        }
    }

    @Override
    public void remotePhyPacket(int quadlet) {
        if (segment == null) {
            return;
        }
        if ((quadlet >>> 30) == 0 && (quadlet & 0x0040_0000) != 0) {
            for (PortImpl p : ports) {
                p.gapCount = quadlet >>> 16 & 0x3F;
            }
        }
        for (PortImpl p : List.copyOf(ports)) {
            if (p.attached) {
                p.node.phyPacket(quadlet);
            }
        }
    }

    @Override
    public void remoteIsochronous(int gen, IsochronousPacket packet) {
        if (gen != generation || segment == null) {
            return;
        }
        for (PortImpl p : List.copyOf(ports)) {
            if (p.attached && p.channels.contains(packet.channel())) {
                p.node.isochronous(packet);
            }
        }
    }

    /** A transaction label not in use by {@code port}'s outstanding requests, or -1 when all 64 are. */
    static int freeLabel(Ieee1394Port port) {
        return port instanceof PortImpl p ? p.freeLabel() : 0;
    }
}
