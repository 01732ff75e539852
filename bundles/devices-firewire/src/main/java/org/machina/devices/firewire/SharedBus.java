package org.machina.devices.firewire;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import org.machina.api.bus.ieee1394.AsyncRequest;
import org.machina.api.bus.ieee1394.AsyncResponse;
import org.machina.api.bus.ieee1394.Ieee1394;
import org.machina.api.bus.ieee1394.IsochronousPacket;
import org.machina.api.bus.ieee1394.PhyConfig;
import org.machina.api.bus.ieee1394.SelfId;

/**
 * One IEEE 1394 cable bus shared by the controllers of several machines in one runtime
 * ({@code -device ohci-1394,bus-name=NAME}): each machine's {@link Ieee1394BusImpl} is a
 * {@link Segment} of it, and the segments' nodes form one daisy chain in the order the segments
 * joined (the first segment's first node, its controller, is the root). A PHY configuration packet
 * whose root_ID names another machine's controller moves that machine's segment to the head of the
 * chain at the next reset (force_root), so that controller becomes the root.
 *
 * <p>Threads: every segment belongs to a machine thread. This object holds only what the segments
 * published (each segment's nodes' self-ID fields, its PHY ID range after the last reset) under its
 * own lock, and hands work to a segment only through that segment's {@link Executor}: a bus reset,
 * a request for one of its nodes, a response to one of its requests, a PHY packet or an isochronous
 * packet. No segment's state is ever touched from another machine's thread. Every packet that
 * crosses carries the bus generation it was sent in: a packet of an older generation is dropped, as
 * a bus reset destroys the packets on the wire. A machine's executor runs its tasks in order, so a
 * segment always applies reset {@code g} before any packet of generation {@code g} reaches it.
 */
final class SharedBus {
    /** Every shared bus of this runtime (this bundle's class loader), by name. */
    private static final Map<String, SharedBus> BUSES = new HashMap<>();

    /** The shared bus named {@code name}, created by the first segment that joins it. */
    static Segment join(String name, Ieee1394BusImpl local, Executor executor) {
        synchronized (BUSES) {
            return BUSES.computeIfAbsent(name, SharedBus::new).add(local, executor);
        }
    }

    /** How many segments the shared bus {@code name} has now (0 when there is none). */
    static int segments(String name) {
        synchronized (BUSES) {
            SharedBus b = BUSES.get(name);
            if (b == null) {
                return 0;
            }
            synchronized (b) {
                return b.segments.size();
            }
        }
    }

    /** Names of the shared buses that have segments (tests and diagnostics). */
    static List<String> names() {
        synchronized (BUSES) {
            return List.copyOf(BUSES.keySet());
        }
    }

    /** The self-ID fields of one node, as its segment published them (on its machine thread). */
    record NodeSelf(PhyConfig phy, int gapCount) {
    }

    /** What a segment is told of a reset: the generation, its first node's PHY ID, and the whole bus. */
    record Reset(int generation, int firstPhyId, int rootPhyId, int irmPhyId, List<Integer> selfIds) {
    }

    /** The segment side: how the shared bus reaches a machine's local bus (always through its executor). */
    interface Local {
        void applyReset(Reset reset);

        /** A request of {@code generation} for a node of this segment; answer through {@code back} (thread-safe). */
        void remoteRequest(int generation, AsyncRequest request, Reply back);

        /** A broadcast request of {@code generation} from another segment (no response). */
        void remoteBroadcast(int generation, AsyncRequest request);

        void remotePhyPacket(int quadlet);

        void remoteIsochronous(int generation, IsochronousPacket packet);
    }

    /** The way back to the requester: callable from the responder's machine thread. */
    interface Reply {
        void respond(AsyncResponse response);
    }

    /** Requests a segment's nodes have sent to other segments and that wait for a response. */
    interface Requester {
        void response(AsyncResponse response);
    }

    private final String name;
    /** Join order: the first segment's first node is the root. */
    private final List<Segment> segments = new ArrayList<>();
    private int generation;

    private SharedBus(String name) {
        this.name = name;
    }

    private synchronized Segment add(Ieee1394BusImpl local, Executor executor) {
        Segment s = new Segment(local, executor);
        segments.add(s);
        return s;
    }

    /** The bus after a reset, computed under the lock, then posted to every segment's executor. */
    private void resetLocked() {
        generation++;
        int n = 0;
        for (Segment s : segments) {
            n += s.nodes.size();
        }
        List<Integer> selfIds = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            selfIds.add(0);
        }
        int irm = -1;
        int index = 0;   // position in the chain: the root is index 0 and gets PHY ID n - 1
        for (Segment s : segments) {
            s.firstPhyId = n - 1 - index;
            s.lastPhyId = s.firstPhyId - s.nodes.size() + 1;
            for (NodeSelf node : s.nodes) {
                int phy = n - 1 - index;
                int[] ports = {phy > 0 ? SelfId.PORT_CHILD : SelfId.PORT_NOT_CONNECTED,
                        phy < n - 1 ? SelfId.PORT_PARENT : SelfId.PORT_NOT_CONNECTED, SelfId.PORT_NOT_PRESENT};
                selfIds.set(phy, SelfId.packet0(phy, node.phy(), node.gapCount(), ports));
                if (node.phy().contender() && node.phy().linkActive() && phy > irm) {
                    irm = phy;
                }
                index++;
            }
        }
        List<Integer> ids = List.copyOf(selfIds);
        // i marks the initiator of this reset only: the next reset another segment asks for has its own
        for (Segment s : segments) {
            s.nodes = s.nodes.stream().map(x -> x.phy().initiatedReset() ? new NodeSelf(new PhyConfig(x.phy().linkActive(),
                    x.phy().contender(), x.phy().speed(), x.phy().powerClass(), false), x.gapCount()) : x).toList();
        }
        for (Segment s : segments) {
            Reset r = new Reset(generation, s.firstPhyId, n - 1, irm, ids);
            post(s, () -> s.local.applyReset(r));
        }
    }

    private Segment owner(int phyId) {
        for (Segment s : segments) {
            if (s.joined && !s.nodes.isEmpty() && phyId <= s.firstPhyId && phyId >= s.lastPhyId) {
                return s;
            }
        }
        return null;
    }

    /**
     * Hands {@code task} to the machine of {@code s}. A machine whose thread has stopped (it is
     * ending, and its segment about to leave) refuses work: the packet is lost, as on a cable
     * being unplugged.
     */
    private static void post(Segment s, Runnable task) {
        try {
            s.executor.execute(task);
        } catch (RuntimeException e) {
            // the machine thread stopped: nothing to deliver to
        }
    }

    /** The response a requester gets for an acknowledge other than pending (the ack itself cannot cross back). */
    static AsyncResponse responseForAck(int source, int ack) {
        int rcode = switch (ack) {
            case Ieee1394.ACK_COMPLETE -> Ieee1394.RCODE_COMPLETE;
            case Ieee1394.ACK_BUSY_X, Ieee1394.ACK_BUSY_A, Ieee1394.ACK_BUSY_B -> Ieee1394.RCODE_CONFLICT_ERROR;
            case Ieee1394.ACK_DATA_ERROR -> Ieee1394.RCODE_DATA_ERROR;
            case Ieee1394.ACK_TYPE_ERROR -> Ieee1394.RCODE_TYPE_ERROR;
            default -> Ieee1394.RCODE_CANCELLED;   // no acknowledge: lost, as if a reset came (split timeout)
        };
        return new AsyncResponse(source, rcode, null);
    }

    @Override
    public String toString() {
        return "1394 bus '" + name + "'";
    }

    /** One machine's part of the shared bus. Its methods are called on that machine's thread. */
    final class Segment {
        private final Ieee1394BusImpl local;
        private final Executor executor;
        /** The nodes' self-ID fields in chain order, as last published. */
        private List<NodeSelf> nodes = List.of();
        private int firstPhyId = -1;
        private int lastPhyId = 0;
        private boolean joined = true;

        private Segment(Ieee1394BusImpl local, Executor executor) {
            this.local = local;
            this.executor = executor;
        }

        /** Nodes of the other segments (for the 63-node limit). */
        int otherNodes() {
            synchronized (SharedBus.this) {
                int n = 0;
                for (Segment s : segments) {
                    if (s != this) {
                        n += s.nodes.size();
                    }
                }
                return n;
            }
        }

        /** A bus reset, with this segment's nodes as they are now; every segment gets it through its executor. */
        void reset(List<NodeSelf> mine) {
            synchronized (SharedBus.this) {
                if (!joined) {
                    return;
                }
                nodes = List.copyOf(mine);
                resetLocked();
            }
        }

        /**
         * Sends a request to a node of another segment. Returns {@link Ieee1394#ACK_MISSING} when no
         * node has that PHY ID or the generation is over, otherwise {@link Ieee1394#ACK_PENDING}:
         * {@code requester} then hears the response on this segment's thread (never for a request the
         * next reset destroys: the reset cancels it on this side).
         */
        int send(int gen, AsyncRequest request, Requester requester) {
            Segment dest;
            synchronized (SharedBus.this) {
                if (!joined || gen != generation) {
                    return Ieee1394.ACK_MISSING;
                }
                dest = owner(Ieee1394.phyId(request.destination()));
                if (dest == null || dest == this) {
                    return Ieee1394.ACK_MISSING;
                }
            }
            Segment from = this;
            post(dest, () -> dest.local.remoteRequest(gen, request, response -> {
                synchronized (SharedBus.this) {
                    if (!from.joined || gen != generation) {
                        return;   // a reset came: the requester's side cancelled the transaction
                    }
                }
                post(from, () -> requester.response(response));
            }));
            return Ieee1394.ACK_PENDING;
        }

        /** A broadcast request to the nodes of every other segment. */
        void broadcast(int gen, AsyncRequest request) {
            for (Segment s : others(gen)) {
                post(s, () -> s.local.remoteBroadcast(gen, request));
            }
        }

        /** A PHY packet to every other segment; a PHY configuration packet's gap count is published at once. */
        void phyPacket(int quadlet) {
            List<Segment> to;
            synchronized (SharedBus.this) {
                if (!joined) {
                    return;
                }
                if ((quadlet >>> 30) == 0 && (quadlet & 0x0040_0000) != 0) {
                    int gap = quadlet >>> 16 & 0x3F;
                    for (Segment s : segments) {
                        s.nodes = s.nodes.stream().map(x -> new NodeSelf(x.phy(), gap)).toList();
                    }
                }
                if ((quadlet >>> 30) == 0 && (quadlet & 0x0080_0000) != 0) {
                    // force_root: a machine's controller (the first node of its segment) becomes root at the
                    // next reset: its segment moves to the head of the chain
                    Segment root = owner(quadlet >>> 24 & 0x3F);
                    if (root != null && root.firstPhyId == (quadlet >>> 24 & 0x3F) && segments.get(0) != root) {
                        segments.remove(root);
                        segments.add(0, root);
                    }
                }
                to = segments.stream().filter(s -> s != this).toList();
            }
            for (Segment s : to) {
                post(s, () -> s.local.remotePhyPacket(quadlet));
            }
        }

        /** An isochronous packet to every other segment (each gives it to its listeners). */
        void isochronous(int gen, IsochronousPacket packet) {
            IsochronousPacket copy = new IsochronousPacket(packet.channel(), packet.tag(), packet.sy(), packet.speed(),
                    packet.data().clone());
            for (Segment s : others(gen)) {
                post(s, () -> s.local.remoteIsochronous(gen, copy));
            }
        }

        private List<Segment> others(int gen) {
            synchronized (SharedBus.this) {
                if (!joined || gen != generation) {
                    return List.of();
                }
                return segments.stream().filter(s -> s != this).toList();
            }
        }

        /** Leaves the shared bus (the controller's machine ends or unplugs it): the others see a bus reset. Idempotent. */
        void leave() {
            synchronized (BUSES) {
                synchronized (SharedBus.this) {
                    if (!joined) {
                        return;
                    }
                    joined = false;
                    segments.remove(this);
                    if (segments.isEmpty()) {
                        BUSES.remove(name, SharedBus.this);
                    } else {
                        resetLocked();
                    }
                }
            }
        }
    }
}
