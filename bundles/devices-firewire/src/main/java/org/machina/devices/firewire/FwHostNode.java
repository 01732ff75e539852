package org.machina.devices.firewire;

import static org.machina.api.bus.ieee1394.Ieee1394.*;

import java.util.HashMap;
import java.util.Map;
import org.machina.api.bus.ieee1394.AsyncRequest;
import org.machina.api.bus.ieee1394.AsyncResponse;
import org.machina.api.bus.ieee1394.BusResetInfo;
import org.machina.api.bus.ieee1394.Ieee1394Bus;
import org.machina.api.bus.ieee1394.Ieee1394Node;
import org.machina.api.bus.ieee1394.Ieee1394Port;
import org.machina.api.bus.ieee1394.PhyConfig;
import org.machina.api.bus.ieee1394.Responder;
import org.machina.api.device.Device;
import org.machina.api.device.DeviceContext;
import org.machina.devices.firewire.host.CdevAbi;
import org.machina.devices.firewire.host.CdevDevice;
import org.machina.devices.firewire.host.CdevEvent;
import org.machina.devices.firewire.host.CdevException;
import org.machina.host.posix.ErrnoException;

/**
 * A real device on a host FireWire port as a node of the emulated bus ({@code -device fw-host}),
 * through Linux's firewire-cdev file of that device ({@link CdevDevice}).
 *
 * <ul>
 * <li>Config ROM: reads of 0xFFFFF0000400..0x7FF are answered from the ROM GET_INFO gave (the
 *     kernel's copy of the device's ROM), read again after every host bus reset.
 * <li>Requests from the emulated bus to this node: acknowledged pending and sent to the device with
 *     SEND_REQUEST in the host bus generation; the response event answers them (a split
 *     transaction). Host rcodes that mean no response came (send error, no ack, cancelled, a host
 *     bus reset overtook it) become a lost response ({@code RCODE_CANCELLED}: the requester's split
 *     timeout); busy becomes a conflict error, as across a shared bus.
 * <li>Requests from the device to the host controller in the ranges this node ALLOCATEd (the FCP
 *     response register 0xFFFFF0000D00..0xFFFFF0000EFF, and the {@code inbound} range) are sent on
 *     the emulated bus from this node to the node that last sent this node a request (the guest's
 *     controller; before any, the root), and the response goes back with SEND_RESPONSE.
 * <li>A host bus reset makes this node initiate a reset of the emulated bus (the self-ID's i bit:
 *     the guest reads its ROM again). The device going away (poll hang-up, ENODEV) is logged and the
 *     node leaves the bus (a reset); the machine runs on.
 * <li>Refused: isochronous streams (the node listens to no channel, and lock/write requests to the
 *     device's IEC 61883 plug registers 0xFFFFF0000900..0x9FF are answered with an address error so
 *     that a guest does not start a stream nobody receives), broadcasts (not forwarded), and
 *     requests from the device into the host's physical range below 0x0001_0000_0000: the host
 *     controller serves those itself from host memory, so no {@code inbound} range may lie there,
 *     and SBP-2 devices (whose targets work by physical DMA from the initiator's memory: a guest
 *     could make such a device read or write host memory) are refused at creation.
 * </ul>
 * Events are read by one daemon thread that posts them to the machine thread; every state change
 * happens on the machine thread.
 */
final class FwHostNode implements Device, Ieee1394Node {
    /** FCP (IEC 61883-1) response register of every node; shared among cdev clients. */
    static final long FCP_RESPONSE = 0xFFFF_F000_0D00L;
    static final int FCP_LENGTH = 0x200;
    /** IEC 61883-1 plug control registers (oMPR, oPCR, iMPR, iPCR). */
    static final long PCR_START = 0xFFFF_F000_0900L;
    static final long PCR_END = 0xFFFF_F000_0A00L;
    /** Below this the host controller's physical response unit answers with host memory. */
    static final long PHYSICAL_LIMIT = 0x0001_0000_0000L;
    static final long ADDRESS_END = 0x1_0000_0000_0000L;
    static final int POLL_MILLIS = 100;
    static final int MAX_WARNINGS = 20;

    private final DeviceContext ctx;
    private final String busName;
    private final CdevDevice dev;
    private final boolean readerThread;
    private final long inboundOffset;
    private final int inboundLength;
    private Ieee1394Port port;
    private int[] rom;
    private int hostGeneration;
    private int hostNodeId;
    private int speed;
    private int rootPhyId = -1;
    /** The emulated node that last sent this node a request: where the device's requests go. */
    private int lastInitiator = -1;
    private int tlabel;
    private long nextClosure = 1;
    private final Map<Long, Pending> pending = new HashMap<>();
    private boolean gone;
    private int warnings;
    private boolean isoWarned;
    private volatile boolean stopping;
    private Thread reader;

    private record Pending(Responder responder, int tcode, int generation) {
    }

    /**
     * A node for the already opened {@code dev}: checks that it is a device and not the host
     * controller, and allocates the inbound ranges.
     *
     * @param inbound {offset, length} of a range of the host controller's address space the device
     *        may write to, beside the FCP response register; null for none
     * @param readerThread whether {@link #realize} starts the thread that reads events (tests drive
     *        {@link #pump} themselves)
     */
    FwHostNode(DeviceContext ctx, String busName, CdevDevice dev, long[] inbound, boolean readerThread)
            throws CdevException {
        this.ctx = ctx;
        this.busName = busName;
        this.dev = dev;
        this.readerThread = readerThread;
        CdevDevice.Info info = dev.info();
        if (info.isLocalNode()) {
            throw new CdevException(dev.path() + " is the host's own FireWire controller (node 0x"
                    + Integer.toHexString(info.bus().nodeId()) + "), not a device on its bus: use the /dev/fw* of the device", null);
        }
        if (info.rom().length < 5) {
            throw new CdevException(dev.path() + ": the kernel has no config ROM of the device (" + info.rom().length
                    + " quadlets)", null);
        }
        if (hasSbp2Unit(info.rom())) {
            throw new CdevException(dev.path() + " is an SBP-2 device (a unit directory with specifier_ID 0x00609E): "
                    + "its target fetches ORBs and data from the initiator's memory by physical DMA, which the host "
                    + "controller would serve from host memory, not guest RAM; fw-host refuses it", null);
        }
        this.rom = info.rom();
        this.hostGeneration = info.bus().generation();
        this.hostNodeId = info.bus().nodeId();
        int s;
        try {
            s = dev.speed();
        } catch (ErrnoException e) {
            s = S100;
        }
        this.speed = Math.min(Math.max(s, S100), S400);
        try {
            dev.allocate(FCP_RESPONSE, FCP_LENGTH, FCP_RESPONSE + FCP_LENGTH, 1);
        } catch (ErrnoException e) {
            throw new CdevException(dev.path() + ": ALLOCATE of the FCP response register failed: " + e.getMessage(), e);
        }
        if (inbound != null) {
            long off = inbound[0];
            long len = inbound[1];
            if (off < PHYSICAL_LIMIT) {
                throw new CdevException(dev.path() + ": inbound range at 0x" + Long.toHexString(off) + " lies in the "
                        + "host controller's physical range (below 0x" + Long.toHexString(PHYSICAL_LIMIT) + "), which "
                        + "the host answers from its own memory: it cannot reach guest RAM", null);
            }
            if ((off & 3) != 0 || len <= 0 || (len & 3) != 0 || len > 0x7FFF_FFFFL || off + len > ADDRESS_END) {
                throw new CdevException(dev.path() + ": inbound range 0x" + Long.toHexString(off) + "+0x"
                        + Long.toHexString(len) + " must be quadlet aligned, non-empty and inside 48 bits", null);
            }
            try {
                dev.allocate(off, (int) len, off + len, 2);
            } catch (ErrnoException e) {
                throw new CdevException(dev.path() + ": ALLOCATE of inbound range 0x" + Long.toHexString(off) + "+0x"
                        + Long.toHexString(len) + " failed: " + e.getMessage()
                        + (e.errno() == ErrnoException.EBUSY ? " (another driver or client has it)" : ""), e);
            }
            this.inboundOffset = off;
            this.inboundLength = (int) len;
        } else {
            this.inboundOffset = -1;
            this.inboundLength = 0;
        }
    }

    int[] rom() {
        return rom.clone();
    }

    /**
     * Whether the ROM's root directory has a unit directory (key 0xD1) whose specifier_ID (key 0x12)
     * is 0x00609E (INCITS: SBP-2 and SBP-3). The walk stays inside the ROM whatever its offsets say.
     */
    static boolean hasSbp2Unit(int[] rom) {
        if (rom.length < 2) {
            return false;
        }
        int root = 1 + (rom[0] >>> 24);
        if (root >= rom.length) {
            return false;
        }
        int rootLength = rom[root] >>> 16;
        for (int i = root + 1; i <= root + rootLength && i < rom.length; i++) {
            if (rom[i] >>> 24 != 0xD1) {
                continue;
            }
            int unit = i + (rom[i] & 0xFF_FFFF);
            if (unit <= i || unit >= rom.length) {
                continue;
            }
            int unitLength = rom[unit] >>> 16;
            for (int j = unit + 1; j <= unit + unitLength && j < rom.length; j++) {
                if (rom[j] >>> 24 == 0x12 && (rom[j] & 0xFF_FFFF) == 0x00609E) {
                    return true;
                }
            }
        }
        return false;
    }

    Ieee1394Port port() {
        return port;
    }

    boolean isGone() {
        return gone;
    }

    // ---- life cycle ----

    @Override
    public void realize() {
        try {
            port = ctx.bus(busName, Ieee1394Bus.class).attach(ctx.id(), this);
        } catch (RuntimeException e) {
            dev.close();   // no bus (no ohci-1394 before it): the file is not kept open
            throw e;
        }
        ctx.log().info("host FireWire device {} (GUID {}, node 0x{} in host generation {}) is on the bus; "
                + "isochronous streams are not passed through", dev.path(), guidText(), Integer.toHexString(hostNodeId),
                hostGeneration);
        if (readerThread) {
            reader = new Thread(this::readLoop, "fw-host " + dev.path());
            reader.setDaemon(true);
            reader.start();
        }
    }

    @Override
    public void reset() {
        lastInitiator = -1;
    }

    @Override
    public void unrealize() {
        stopReader();
        dev.close();
        pending.clear();
        if (port != null) {
            port.detach();
            port = null;
        }
    }

    private void stopReader() {
        stopping = true;
        Thread t = reader;
        if (t != null && t != Thread.currentThread()) {
            try {
                t.join(10L * POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private String guidText() {
        return String.format("%08x%08x", rom[3], rom[4]);
    }

    // ---- the host side: events, read on the reader thread, handled on the machine thread ----

    private void readLoop() {
        while (!stopping) {
            if (!pump(POLL_MILLIS)) {
                return;
            }
        }
    }

    /**
     * Waits up to {@code timeoutMillis} for one event of the device and posts its handling to the
     * machine thread. Returns false when the device went away (the node's removal is posted).
     */
    boolean pump(int timeoutMillis) {
        CdevEvent e;
        try {
            e = dev.nextEvent(timeoutMillis);
        } catch (ErrnoException x) {
            if (!stopping) {
                String why = x.getMessage();
                ctx.executor().execute(() -> deviceGone(why));
            }
            return false;
        } catch (IllegalArgumentException x) {
            ctx.executor().execute(() -> warn("a malformed firewire-cdev event: {}", x.getMessage()));
            return true;
        } catch (IllegalStateException x) {
            return false;   // the file was closed under the reader (unrealize gave up waiting for it)
        }
        if (e == null) {
            return true;
        }
        CdevDevice.Info info = null;
        if (e instanceof CdevEvent.BusReset) {
            try {
                info = dev.refreshInfo();   // the ROM as the kernel read it after the reset
            } catch (ErrnoException x) {
                String why = x.getMessage();
                ctx.executor().execute(() -> deviceGone(why));
                return false;
            }
        }
        CdevDevice.Info refreshed = info;
        ctx.executor().execute(() -> handle(e, refreshed));
        return true;
    }

    void handle(CdevEvent e, CdevDevice.Info info) {
        if (gone) {
            return;
        }
        switch (e) {
            case CdevEvent.Response r -> hostResponse(r);
            case CdevEvent.BusReset b -> hostBusReset(b, info);
            case CdevEvent.Request q -> hostRequest(q);
            case CdevEvent.Other o -> warn("firewire-cdev event type {} ignored", o.type());
        }
    }

    private void hostResponse(CdevEvent.Response r) {
        Pending p = pending.remove(r.closure());
        if (p == null || port == null || p.generation != port.generation()) {
            return;   // an emulated bus reset came first: the bus would drop the answer anyway
        }
        p.responder.respond(emulatedRcode(r.rcode()), isReadOrLock(p.tcode) ? r.data() : null);
    }

    /** A host rcode as the emulated bus has it. */
    static int emulatedRcode(int hostRcode) {
        return switch (hostRcode) {
            case RCODE_COMPLETE, RCODE_CONFLICT_ERROR, RCODE_DATA_ERROR, RCODE_TYPE_ERROR, RCODE_ADDRESS_ERROR -> hostRcode;
            case CdevAbi.RCODE_BUSY -> RCODE_CONFLICT_ERROR;
            default -> RCODE_CANCELLED;   // send error, no ack, cancelled, generation: no response (split timeout)
        };
    }

    private void hostBusReset(CdevEvent.BusReset b, CdevDevice.Info info) {
        hostGeneration = b.generation();
        hostNodeId = b.nodeId();
        if (info != null && info.rom().length >= 5) {
            rom = info.rom();
        }
        if (b.nodeId() == b.localNodeId()) {
            deviceGone("after a host bus reset the file names the host controller itself");
            return;
        }
        ctx.log().info("host bus reset (generation {}, device node 0x{}): resetting the emulated bus",
                b.generation(), Integer.toHexString(b.nodeId()));
        if (port != null) {
            port.initiateBusReset(false);
        }
    }

    private void hostRequest(CdevEvent.Request q) {
        if (q.sourceNodeId() != hostNodeId || q.generation() != hostGeneration) {
            // FCP is shared: other host nodes' writes come here too (the kernel already answered them)
            respondToHost(q.handle(), RCODE_ADDRESS_ERROR, null);
            return;
        }
        if (phyId(q.destinationNodeId()) == BROADCAST_PHY) {
            respondToHost(q.handle(), RCODE_COMPLETE, null);   // releases it; no response is sent for broadcasts
            return;
        }
        int tcode = q.tcode();
        int ext = 0;
        if (tcode > CdevAbi.TCODE_LOCK_BASE && tcode <= CdevAbi.TCODE_LOCK_BASE + 7) {
            ext = tcode - CdevAbi.TCODE_LOCK_BASE;
            tcode = TCODE_LOCK_REQUEST;
        } else if (tcode != TCODE_WRITE_QUADLET_REQUEST && tcode != TCODE_WRITE_BLOCK_REQUEST
                && tcode != TCODE_READ_QUADLET_REQUEST && tcode != TCODE_READ_BLOCK_REQUEST) {
            respondToHost(q.handle(), RCODE_TYPE_ERROR, null);
            return;
        }
        if (port == null || port.phyId() < 0) {
            respondToHost(q.handle(), RCODE_CONFLICT_ERROR, null);   // between resets: the device retries
            return;
        }
        int target = lastInitiator >= 0 ? lastInitiator : rootPhyId >= 0 ? nodeId(rootPhyId) : -1;
        if (target < 0 || target == port.nodeId()) {
            respondToHost(q.handle(), RCODE_ADDRESS_ERROR, null);
            return;
        }
        boolean read = tcode == TCODE_READ_QUADLET_REQUEST || tcode == TCODE_READ_BLOCK_REQUEST;
        AsyncRequest r = new AsyncRequest(port.nodeId(), target, nextTlabel(), tcode, q.offset(), read ? null : q.data(),
                q.length(), ext, speed);
        int handle = q.handle();
        boolean[] answered = {false};
        int ack = port.send(r, (AsyncResponse resp) -> {
            answered[0] = true;
            int rcode = resp.rcode() == RCODE_CANCELLED ? RCODE_CONFLICT_ERROR : resp.rcode();
            respondToHost(handle, rcode, rcode == RCODE_COMPLETE && isReadOrLock(r.tcode()) ? resp.data() : null);
        });
        if (ack != ACK_PENDING && !answered[0]) {
            int rcode = SharedBus.responseForAck(-1, ack).rcode();
            respondToHost(handle, rcode == RCODE_CANCELLED ? RCODE_ADDRESS_ERROR : rcode, null);   // no ack: no such node
        }
    }

    private int nextTlabel() {
        tlabel = tlabel + 1 & 63;
        return tlabel;
    }

    private void respondToHost(int handle, int rcode, byte[] data) {
        try {
            dev.sendResponse(rcode, data, handle);
        } catch (ErrnoException e) {
            if (e.errno() == ErrnoException.ENODEV) {
                deviceGone(e.getMessage());
            } else {
                warn("SEND_RESPONSE to {} failed: {}", dev.path(), e.getMessage());
            }
        }
    }

    /** The device went away: logged, and the node leaves the bus (the others see a reset). */
    void deviceGone(String why) {
        if (gone) {
            return;
        }
        gone = true;
        ctx.log().warn("host FireWire device {} went away ({}): its node leaves the bus; the machine goes on",
                dev.path(), why);
        stopReader();
        dev.close();
        pending.clear();
        if (port != null) {
            port.detach();
        }
    }

    // ---- the emulated side ----

    @Override
    public PhyConfig phy() {
        return new PhyConfig(true, false, speed, 0, false);
    }

    @Override
    public void busReset(BusResetInfo info) {
        rootPhyId = info.rootPhyId();
        lastInitiator = -1;
        pending.clear();   // their answers would come after the reset: dropped
    }

    @Override
    public int request(AsyncRequest r, Responder responder) {
        if (gone) {
            return ACK_MISSING;
        }
        if (phyId(r.destination()) == BROADCAST_PHY) {
            return ACK_MISSING;   // broadcasts stay on the emulated bus
        }
        lastInitiator = r.source();
        long off = r.offset();
        if (r.isRead() && off >= CSR_CONFIG_ROM && off + r.length() <= CSR_CONFIG_ROM_END) {
            byte[] d = new byte[r.length()];
            int first = (int) (off - CSR_CONFIG_ROM);
            for (int i = 0; i + 3 < d.length; i += 4) {
                int q = (first + i) / 4;
                putBe(d, i, q < rom.length ? rom[q] : 0);
            }
            responder.respond(RCODE_COMPLETE, d);
            return ACK_PENDING;
        }
        if (off >= PCR_START && off < PCR_END && !r.isRead()) {
            if (!isoWarned) {
                isoWarned = true;
                ctx.log().warn("fw-host {}: a {} of the device's plug control register 0x{} refused (address error): "
                        + "isochronous streams are not passed through", dev.path(),
                        r.tcode() == TCODE_LOCK_REQUEST ? "lock" : "write", Long.toHexString(off));
            }
            responder.respond(RCODE_ADDRESS_ERROR, null);
            return ACK_PENDING;
        }
        int tcode;
        byte[] payload;
        switch (r.tcode()) {
            case TCODE_WRITE_QUADLET_REQUEST, TCODE_WRITE_BLOCK_REQUEST -> {
                tcode = r.tcode();
                payload = r.data();
            }
            case TCODE_READ_QUADLET_REQUEST, TCODE_READ_BLOCK_REQUEST -> {
                tcode = r.tcode();
                payload = new byte[r.length()];
            }
            case TCODE_LOCK_REQUEST -> {
                if (r.extendedTcode() < 1 || r.extendedTcode() > 7) {
                    return ACK_TYPE_ERROR;
                }
                tcode = CdevAbi.TCODE_LOCK_BASE | r.extendedTcode();
                payload = r.data();
            }
            default -> {
                return ACK_TYPE_ERROR;
            }
        }
        int length = r.isRead() ? r.length() : payload.length;
        long closure = nextClosure++;
        pending.put(closure, new Pending(responder, r.tcode(), port == null ? -1 : port.generation()));
        try {
            dev.sendRequest(tcode, off, payload, length, closure, hostGeneration);
        } catch (ErrnoException e) {
            pending.remove(closure);
            if (e.errno() == ErrnoException.ENODEV) {
                ctx.executor().execute(() -> deviceGone(e.getMessage()));
                return ACK_MISSING;
            }
            warn("SEND_REQUEST (tcode {}, offset 0x{}, {} bytes) refused by the host: {}", tcode, Long.toHexString(off),
                    length, e.getMessage());
            return ACK_TYPE_ERROR;
        }
        return ACK_PENDING;
    }

    private void warn(String format, Object... args) {
        if (warnings < MAX_WARNINGS) {
            warnings++;
            ctx.log().warn("fw-host " + dev.path() + ": " + format, args);
        }
    }

    private static void putBe(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
    }

    /** The inbound range that was allocated besides FCP: {offset, length}, or null. */
    long[] inbound() {
        return inboundOffset < 0 ? null : new long[] {inboundOffset, inboundLength};
    }

    /** Requests sent to the device whose responses have not come. */
    int pendingCount() {
        return pending.size();
    }
}
