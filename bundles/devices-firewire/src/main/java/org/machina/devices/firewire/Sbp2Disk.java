package org.machina.devices.firewire;

import static org.machina.api.bus.ieee1394.Ieee1394.*;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.machina.api.block.BlockNode;
import org.machina.api.bus.ieee1394.AsyncRequest;
import org.machina.api.bus.ieee1394.BusResetInfo;
import org.machina.api.bus.ieee1394.ConfigRom;
import org.machina.api.bus.ieee1394.Ieee1394Bus;
import org.machina.api.bus.ieee1394.Ieee1394Node;
import org.machina.api.bus.ieee1394.Ieee1394Port;
import org.machina.api.bus.ieee1394.PhyConfig;
import org.machina.api.bus.ieee1394.Responder;
import org.machina.api.device.Device;
import org.machina.api.device.DeviceContext;
import org.machina.api.state.StateException;
import org.machina.api.state.Stateful;

/**
 * An SBP-2 (ANSI NCITS 325-1998) storage target as a node on a 1394 bus: one logical unit (LUN 0)
 * speaking SCSI ({@link ScsiDisk}) over a drive.
 *
 * <p>Config ROM: bus info block, root directory (vendor, node capabilities, model), a unit
 * directory with specifier id 0x00609E, version 0x010483, command set 0x0104D8 (SCSI, spec id
 * 0x00609E), the management agent at CSR offset {@value #MANAGEMENT_AGENT} (0xFFFFF0000000 + offset),
 * unit characteristics (management ORB timeout 5 s, ORB size 8 quadlets) and LUN 0 (direct access).
 *
 * <p>The management agent takes LOGIN (one login; exclusive), QUERY LOGINS, RECONNECT (after a bus
 * reset, by login ID), LOGOUT, and the task management functions (which reset the fetch agent). The
 * command block agent sits at {@value #COMMAND_AGENT}: AGENT_STATE +0, AGENT_RESET +4,
 * ORB_POINTER +8, DOORBELL +0x10, UNSOLICITED_STATUS_ENABLE +0x14. Command ORBs are fetched from the
 * initiator (block reads, answered by its controller's physical DMA when the initiator allowed it),
 * data moves by block reads and writes of at most max_payload bytes, directly or through an
 * unrestricted page table, and the status block goes to the status FIFO. A bus reset resets the
 * fetch agent; the login stays until the initiator reconnects, logs in again or logs out.
 */
final class Sbp2Disk implements Device, Ieee1394Node, Stateful<Sbp2Disk.State> {
    /**
     * Version 1 of the disk's state: the login, the fetch agent and the work it has taken on but not
     * finished (the ORB it fetches or executes, a doorbell's re-read of the last ORB, a management ORB
     * to fetch: -1 when none), which a restored instance starts again; the sense data of the last
     * CHECK CONDITION. A transaction the initiator had not answered at the save is asked again.
     */
    record State(boolean loggedIn, int loginId, int initiator, long statusFifo, boolean reconnectPending,
            int nextLoginId, int agentState, long lastOrb, boolean unsolicitedEnabled, long fetchOrb, long doorbellOrb,
            long managementOrb, int managementFrom, int tlabel, int busyTimeout, int stateBits, int[] sense) {
    }

    static final long MANAGEMENT_AGENT = 0x4000;
    static final long COMMAND_AGENT = 0x1_0000;
    static final int ORB_SIZE = 32;
    static final int MAX_WARNINGS = 20;

    static final int AGENT_RESET_STATE = 0;
    static final int AGENT_ACTIVE = 1;
    static final int AGENT_SUSPENDED = 2;
    static final int AGENT_DEAD = 3;

    static final int FN_LOGIN = 0;
    static final int FN_QUERY_LOGINS = 1;
    static final int FN_RECONNECT = 3;
    static final int FN_LOGOUT = 7;

    static final int SBP_ACCESS_DENIED = 4;
    static final int SBP_LUN_NOT_SUPPORTED = 5;
    static final int SBP_PAGE_SIZE_NOT_SUPPORTED = 3;
    static final int SBP_LOGIN_ID_NOT_RECOGNIZED = 0xA;
    static final int SBP_UNSPECIFIED = 0xFF;
    static final int RESP_COMPLETE = 0;
    static final int RESP_TRANSPORT_FAILURE = 1;

    private final DeviceContext ctx;
    private final String busName;
    private final long guid;
    private final ScsiDisk disk;
    private final int[] rom;
    private Ieee1394Port port;
    private int warnings;
    private int tlabel;
    private int busyTimeout;
    private int stateBits;

    // the one login
    private boolean loggedIn;
    private int loginId;
    private int initiator;
    private long statusFifo;
    private boolean reconnectPending;
    private int nextLoginId = 1;

    // the fetch agent
    int agentState = AGENT_RESET_STATE;
    private long lastOrb = -1;
    private boolean fetching;
    private int agentEpoch;
    private boolean unsolicitedEnabled;
    /** Work taken on and not finished, restarted by a restored instance: -1 when none. */
    private long fetchOrb = -1;
    private long doorbellOrb = -1;
    private long managementOrb = -1;
    private int managementFrom;

    Sbp2Disk(DeviceContext ctx, String busName, BlockNode drive, long guid, String serial) {
        this.ctx = ctx;
        this.busName = busName;
        this.guid = guid;
        this.disk = new ScsiDisk(drive, serial);
        ConfigRom.Directory unit = new ConfigRom.Directory()
                .immediate(ConfigRom.KEY_SPECIFIER_ID, 0x00609E)
                .immediate(ConfigRom.KEY_VERSION, 0x010483)
                .immediate(0x38, 0x00609E)               // command_set_spec_ID
                .immediate(0x39, 0x0104D8)               // command_set: SCSI primary commands
                .immediate(0x3B, 0x000000)               // command_set_revision
                .csrOffset(0x14, MANAGEMENT_AGENT)       // management_agent (key 0x54)
                .immediate(0x3A, 0x000A08)               // unit_characteristics: 5 s, 8-quadlet ORBs
                .immediate(0x3C, 0x000001)               // firmware_revision
                .immediate(0x14, 0x000000);              // logical_unit_number: direct access, LUN 0
        ConfigRom.Directory root = new ConfigRom.Directory()
                .immediate(ConfigRom.KEY_VENDOR, (int) (guid >>> 40)).text("Machina")
                .immediate(ConfigRom.KEY_NODE_CAPABILITIES, 0x0083C0)
                .immediate(ConfigRom.KEY_MODEL, 0x000001).text("SBP-2 disk")
                .directory(ConfigRom.KEY_UNIT, unit);
        // bus options: max_rec 2048 bytes, S400; not IRM/cycle master/bus manager capable
        this.rom = ConfigRom.build(0x00FF_A002, guid, root);
    }

    int[] rom() {
        return rom.clone();
    }

    // ---- life cycle ----

    @Override
    public void realize() {
        port = ctx.bus(busName, Ieee1394Bus.class).attach(ctx.id(), this);
    }

    @Override
    public void reset() {
        logout();
        agentReset();
    }

    @Override
    public void unrealize() {
        if (port != null) {
            port.detach();
            port = null;
        }
    }

    Ieee1394Port port() {
        return port;
    }

    // ---- node ----

    @Override
    public PhyConfig phy() {
        return new PhyConfig(true, false, S400, 0, false);
    }

    @Override
    public void busReset(BusResetInfo info) {
        agentReset();
        if (loggedIn) {
            reconnectPending = true;
        }
    }

    @Override
    public int request(AsyncRequest r, Responder responder) {
        long off = r.offset();
        if (r.isRead() && off >= CSR_CONFIG_ROM && off + r.length() <= CSR_CONFIG_ROM_END) {
            byte[] d = new byte[r.length()];
            int first = (int) (off - CSR_CONFIG_ROM);
            for (int i = 0; i + 3 < d.length; i += 4) {
                int q = (first + i) / 4;
                GuestDma.putBe(d, i, q < rom.length ? rom[q] : 0);
            }
            responder.respond(RCODE_COMPLETE, d);
            return ACK_PENDING;
        }
        if (off == CSR_REGISTER_BASE + MANAGEMENT_AGENT) {
            if (r.isWrite() && r.data().length == 8) {
                long orb = (GuestDma.be(r.data(), 0) & 0xFFFFL) << 32 | GuestDma.be(r.data(), 4) & 0xFFFF_FFFFL;
                int from = r.source();
                responder.respond(RCODE_COMPLETE, null);
                managementOrb = orb;
                managementFrom = from;
                ctx.executor().execute(() -> management(from, orb));
            } else {
                responder.respond(r.isRead() ? RCODE_COMPLETE : RCODE_TYPE_ERROR, new byte[r.length()]);
            }
            return ACK_PENDING;
        }
        long agent = CSR_REGISTER_BASE + COMMAND_AGENT;
        if (off >= agent && off < agent + 0x20) {
            responder.respond(commandAgent(r, (int) (off - agent), responder), agentReadData(r, (int) (off - agent)));
            return ACK_PENDING;
        }
        // the CSR core registers a transaction layer answers (IEEE 1212)
        if (off == CSR_STATE_CLEAR || off == CSR_STATE_SET) {
            if (r.isRead()) {
                responder.respond(RCODE_COMPLETE, GuestDma.be(stateBits));
            } else {
                stateBits = off == CSR_STATE_SET ? stateBits | r.quadlet() : stateBits & ~r.quadlet();
                responder.respond(RCODE_COMPLETE, null);
            }
            return ACK_PENDING;
        }
        if (off == CSR_BUSY_TIMEOUT || off == CSR_SPLIT_TIMEOUT_HI || off == CSR_SPLIT_TIMEOUT_LO
                || off == CSR_BROADCAST_CHANNEL || off == CSR_RESET_START) {
            if (r.isRead()) {
                responder.respond(RCODE_COMPLETE, GuestDma.be(off == CSR_BUSY_TIMEOUT ? busyTimeout : 0));
            } else {
                if (off == CSR_BUSY_TIMEOUT) {
                    busyTimeout = r.quadlet();
                }
                responder.respond(RCODE_COMPLETE, null);
            }
            return ACK_PENDING;
        }
        responder.respond(RCODE_ADDRESS_ERROR, null);
        return ACK_PENDING;
    }

    private byte[] agentReadData(AsyncRequest r, int reg) {
        if (!r.isRead()) {
            return null;
        }
        byte[] d = new byte[r.length()];
        if (reg == 0 && d.length >= 4) {
            GuestDma.putBe(d, 0, agentState);
        }
        return d;
    }

    /** A fetch agent register access; returns the rcode. */
    private int commandAgent(AsyncRequest r, int reg, Responder responder) {
        if (r.isRead()) {
            return RCODE_COMPLETE;
        }
        if (!r.isWrite()) {
            return RCODE_TYPE_ERROR;
        }
        if (!loggedIn || r.source() != initiator) {
            return RCODE_ADDRESS_ERROR;   // only the logged-in initiator owns the agent
        }
        switch (reg) {
            case 0x04 -> agentReset();
            case 0x08 -> {
                if (r.data().length != 8) {
                    return RCODE_TYPE_ERROR;
                }
                if (agentState == AGENT_ACTIVE || agentState == AGENT_DEAD) {
                    warn("ORB_POINTER written while the fetch agent is {}; the agent is dead until AGENT_RESET",
                            agentState == AGENT_ACTIVE ? "active" : "dead");
                    agentState = AGENT_DEAD;
                    return RCODE_COMPLETE;
                }
                long orb = (GuestDma.be(r.data(), 0) & 0xFFFFL) << 32 | GuestDma.be(r.data(), 4) & 0xFFFF_FFFFL;
                agentState = AGENT_ACTIVE;
                int epoch = agentEpoch;
                fetchOrb = orb;
                ctx.executor().execute(() -> fetch(epoch, orb));
            }
            case 0x10 -> {
                if (agentState == AGENT_SUSPENDED && lastOrb >= 0) {
                    agentState = AGENT_ACTIVE;
                    int epoch = agentEpoch;
                    long last = lastOrb;
                    doorbellOrb = last;
                    ctx.executor().execute(() -> doorbell(epoch, last));
                }
            }
            case 0x14 -> unsolicitedEnabled = r.quadlet() != 0;
            default -> {
                return RCODE_ADDRESS_ERROR;
            }
        }
        return RCODE_COMPLETE;
    }

    private void agentReset() {
        agentState = AGENT_RESET_STATE;
        lastOrb = -1;
        agentEpoch++;
        fetching = false;
        unsolicitedEnabled = false;
        fetchOrb = -1;
        doorbellOrb = -1;
    }

    private void logout() {
        loggedIn = false;
        reconnectPending = false;
    }

    // ---- transactions to the initiator ----

    private CompletableFuture<byte[]> read(int node, long address, int length) {
        CompletableFuture<byte[]> f = new CompletableFuture<>();
        if (port == null) {
            f.complete(null);
            return f;
        }
        AsyncRequest r = length == 4 ? AsyncRequest.readQuadlet(0, node, nextLabel(), address)
                : AsyncRequest.readBlock(0, node, nextLabel(), address, length);
        int ack = port.send(r, resp -> f.complete(resp.rcode() == RCODE_COMPLETE && resp.data().length == length
                ? resp.data() : null));
        if (ack != ACK_PENDING) {
            f.complete(null);
        }
        return f;
    }

    private CompletableFuture<Boolean> write(int node, long address, byte[] data) {
        CompletableFuture<Boolean> f = new CompletableFuture<>();
        if (port == null) {
            f.complete(false);
            return f;
        }
        int ack = port.send(AsyncRequest.write(0, node, nextLabel(), address, data),
                resp -> f.complete(resp.rcode() == RCODE_COMPLETE));
        if (ack == ACK_COMPLETE) {
            f.complete(true);
        } else if (ack != ACK_PENDING) {
            f.complete(false);
        }
        return f;
    }

    private int nextLabel() {
        tlabel = tlabel + 1 & 63;
        return tlabel;
    }

    private static long address48(int hi, int lo) {
        return (hi & 0xFFFFL) << 32 | lo & 0xFFFF_FFFFL;
    }

    // ---- management agent ----

    private void management(int from, long orbAddress) {
        read(from, orbAddress, ORB_SIZE).thenAccept(orb -> managementOrb(from, orbAddress, orb)).exceptionally(err -> {
            ctx.log().warn("sbp2-disk '" + ctx.id() + "': management ORB at 0x" + Long.toHexString(orbAddress) + " failed",
                    err);
            return null;
        });
    }

    private void managementOrb(int from, long orbAddress, byte[] orb) {
        if (managementOrb == orbAddress) {
            managementOrb = -1;
        }
        if (orb == null) {
            warn("cannot fetch the management ORB at 0x{}", Long.toHexString(orbAddress));
            return;
        }
        int misc = GuestDma.be(orb, 16);
        int function = misc >>> 16 & 15;
        long fifo = address48(GuestDma.be(orb, 24), GuestDma.be(orb, 28));
        switch (function) {
            case FN_LOGIN -> login(from, orbAddress, orb, fifo);
            case FN_QUERY_LOGINS -> queryLogins(from, orbAddress, orb, fifo);
            case FN_RECONNECT -> {
                if (loggedIn && (misc & 0xFFFF) == loginId) {
                    initiator = from;
                    statusFifo = fifo;
                    reconnectPending = false;
                    status(from, fifo, orbAddress, RESP_COMPLETE, 0, false, null);
                } else {
                    status(from, fifo, orbAddress, RESP_COMPLETE, SBP_LOGIN_ID_NOT_RECOGNIZED, false, null);
                }
            }
            case FN_LOGOUT -> {
                if (loggedIn && (misc & 0xFFFF) == loginId) {
                    logout();
                    agentReset();
                    status(from, fifo, orbAddress, RESP_COMPLETE, 0, false, null);
                } else {
                    status(from, fifo, orbAddress, RESP_COMPLETE, SBP_LOGIN_ID_NOT_RECOGNIZED, false, null);
                }
            }
            default -> {
                // ABORT TASK, ABORT TASK SET, LOGICAL UNIT RESET, TARGET RESET: nothing is queued; reset the agent
                if (function == 0xB || function == 0xC || function == 0xE || function == 0xF) {
                    agentReset();
                    status(from, fifo, orbAddress, RESP_COMPLETE, 0, false, null);
                } else {
                    status(from, fifo, orbAddress, 2 /* illegal request */, 1, false, null);
                }
            }
        }
    }

    private void login(int from, long orbAddress, byte[] orb, long fifo) {
        int misc = GuestDma.be(orb, 16);
        int lun = misc & 0xFFFF;
        if (lun != 0) {
            status(from, fifo, orbAddress, RESP_COMPLETE, SBP_LUN_NOT_SUPPORTED, false, null);
            return;
        }
        if (loggedIn && !reconnectPending && initiator != from) {
            status(from, fifo, orbAddress, RESP_COMPLETE, SBP_ACCESS_DENIED, false, null);
            return;
        }
        loggedIn = true;
        reconnectPending = false;
        loginId = nextLoginId++ & 0xFFFF;
        initiator = from;
        statusFifo = fifo;
        agentReset();
        int reconnectHold = misc >>> 20 & 15;
        long response = address48(GuestDma.be(orb, 8), GuestDma.be(orb, 12));
        int length = GuestDma.be(orb, 20) & 0xFFFF;
        byte[] resp = new byte[16];
        GuestDma.putBe(resp, 0, 16 << 16 | loginId);
        long agent = CSR_REGISTER_BASE + COMMAND_AGENT;
        GuestDma.putBe(resp, 4, (int) (agent >>> 32));
        GuestDma.putBe(resp, 8, (int) agent);
        GuestDma.putBe(resp, 12, (1 << reconnectHold) - 1 & 0xFFFF);
        write(from, response, java.util.Arrays.copyOf(resp, Math.min(16, length & ~3)))
                .thenAccept(ok -> status(from, fifo, orbAddress, ok ? RESP_COMPLETE : RESP_TRANSPORT_FAILURE,
                        ok ? 0 : SBP_UNSPECIFIED, false, null));
    }

    private void queryLogins(int from, long orbAddress, byte[] orb, long fifo) {
        long response = address48(GuestDma.be(orb, 8), GuestDma.be(orb, 12));
        int length = GuestDma.be(orb, 20) & 0xFFFF;
        byte[] resp = new byte[loggedIn ? 20 : 4];
        GuestDma.putBe(resp, 0, resp.length << 16 | 1);   // length, max_logins 1
        if (loggedIn) {
            GuestDma.putBe(resp, 4, loginId);               // LUN 0, login_ID
            GuestDma.putBe(resp, 16, initiator << 16);
        }
        write(from, response, java.util.Arrays.copyOf(resp, Math.min(resp.length, length & ~3)))
                .thenAccept(ok -> status(from, fifo, orbAddress, ok ? RESP_COMPLETE : RESP_TRANSPORT_FAILURE,
                        ok ? 0 : SBP_UNSPECIFIED, false, null));
    }

    /**
     * Writes a status block (SBP-2 5.3): src, resp, dead, len, sbp_status, ORB offset, and for a
     * SCSI CHECK CONDITION the sense data of annex B.
     */
    private void status(int node, long fifo, long orbAddress, int resp, int sbpStatus, boolean suspended,
            ScsiDisk.Result scsi) {
        boolean sense = scsi != null && scsi.status() != ScsiDisk.GOOD;
        byte[] b = new byte[sense ? 32 : 8];
        int src = suspended ? 1 : 0;
        boolean dead = agentState == AGENT_DEAD;
        GuestDma.putBe(b, 0, src << 30 | (resp & 3) << 28 | (dead ? 1 << 27 : 0) | (b.length / 4 - 1) << 24
                | (sbpStatus & 0xFF) << 16 | (int) (orbAddress >>> 32) & 0xFFFF);
        GuestDma.putBe(b, 4, (int) orbAddress);
        if (sense) {
            GuestDma.putBe(b, 8, (scsi.status() & 0x3F) << 24 | (scsi.senseKey() & 15) << 16 | (scsi.asc() & 0xFF) << 8
                    | scsi.ascq() & 0xFF);
        }
        write(node, fifo, b).thenAccept(ok -> {
            if (!ok) {
                warn("status block write to 0x{} failed", Long.toHexString(fifo));
            }
        });
    }

    // ---- fetch agent ----

    private void doorbell(int epoch, long last) {
        read(initiator, last, 8).thenAccept(next -> {
            if (epoch != agentEpoch) {
                return;
            }
            doorbellOrb = -1;
            if (next == null) {
                agentState = AGENT_DEAD;
                return;
            }
            if ((GuestDma.be(next, 0) & 0x8000_0000) != 0) {
                agentState = AGENT_SUSPENDED;
                return;
            }
            fetch(epoch, address48(GuestDma.be(next, 0), GuestDma.be(next, 4)));
        });
    }

    /** Fetches and executes ORBs from {@code orbAddress} along next_ORB until a null one (or a reset). */
    private void fetch(int epoch, long orbAddress) {
        if (epoch != agentEpoch || fetching) {
            return;
        }
        fetching = true;
        fetchOrb = orbAddress;
        int node = initiator;
        read(node, orbAddress, ORB_SIZE).thenCompose(orb -> {
            if (epoch != agentEpoch) {
                return CompletableFuture.completedFuture(null);
            }
            if (orb == null) {
                agentState = AGENT_DEAD;
                warn("cannot fetch the command ORB at 0x{} (the initiator did not allow physical DMA?)",
                        Long.toHexString(orbAddress));
                status(node, statusFifo, orbAddress, RESP_TRANSPORT_FAILURE, SBP_UNSPECIFIED, false, null);
                return CompletableFuture.completedFuture(null);
            }
            return command(epoch, node, orbAddress, orb).thenApply(v -> orb);
        }).whenComplete((orb, err) -> {
            if (err != null) {
                // a bug, not a guest error: say so, and leave the agent dead rather than stuck
                ctx.log().warn("sbp2-disk '" + ctx.id() + "': command ORB at 0x" + Long.toHexString(orbAddress)
                        + " failed", err);
            }
            if (epoch != agentEpoch) {
                return;
            }
            fetching = false;
            fetchOrb = -1;
            if (err != null) {
                agentState = AGENT_DEAD;
                return;
            }
            if (orb == null || agentState == AGENT_DEAD) {
                return;
            }
            int nextHi = GuestDma.be(orb, 0);
            if ((nextHi & 0x8000_0000) != 0) {
                lastOrb = orbAddress;
                agentState = AGENT_SUSPENDED;
            } else {
                long next = address48(nextHi, GuestDma.be(orb, 4));
                fetchOrb = next;
                ctx.executor().execute(() -> fetch(epoch, next));
            }
        });
    }

    /** One command block ORB: data out, the SCSI command, data in, status. */
    private CompletableFuture<Void> command(int epoch, int node, long orbAddress, byte[] orb) {
        int misc = GuestDma.be(orb, 16);
        boolean nullNext = (GuestDma.be(orb, 0) & 0x8000_0000) != 0;
        boolean toInitiator = (misc & 1 << 27) != 0;
        int maxPayload = 1 << ((misc >>> 20 & 15) + 2);
        boolean pageTable = (misc & 1 << 19) != 0;
        int pageSize = misc >>> 16 & 7;
        int dataSize = misc & 0xFFFF;
        long data = address48(GuestDma.be(orb, 8), GuestDma.be(orb, 12));
        byte[] cdb = java.util.Arrays.copyOfRange(orb, 20, 32);
        if (pageTable && pageSize != 0) {
            status(node, statusFifo, orbAddress, RESP_COMPLETE, SBP_PAGE_SIZE_NOT_SUPPORTED, nullNext, null);
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<List<long[]>> segments;
        if (dataSize == 0) {
            segments = CompletableFuture.completedFuture(List.of());
        } else if (!pageTable) {
            segments = CompletableFuture.completedFuture(List.of(new long[] {data, dataSize}));
        } else {
            segments = transferIn(node, List.of(new long[] {data, dataSize * 8L}), dataSize * 8, maxPayload).thenApply(pt -> {
                if (pt == null) {
                    return null;
                }
                List<long[]> s = new ArrayList<>();
                for (int i = 0; i < dataSize; i++) {
                    int q0 = GuestDma.be(pt, 8 * i);
                    s.add(new long[] {address48(q0, GuestDma.be(pt, 8 * i + 4)), q0 >>> 16});
                }
                return s;
            });
        }
        return segments.thenCompose(seg -> {
            if (seg == null) {
                status(node, statusFifo, orbAddress, RESP_TRANSPORT_FAILURE, SBP_UNSPECIFIED, nullNext, null);
                return CompletableFuture.completedFuture(null);
            }
            long total = seg.stream().mapToLong(s -> s[1]).sum();
            CompletableFuture<byte[]> out;
            long wanted = ScsiDisk.dataOutLength(cdb);
            if (!toInitiator && wanted > 0) {
                if (wanted > total || wanted > ScsiDisk.MAX_TRANSFER) {
                    out = CompletableFuture.completedFuture(null);
                } else {
                    out = transferIn(node, seg, (int) wanted, maxPayload);
                }
            } else {
                out = CompletableFuture.completedFuture(null);
            }
            return out.thenCompose(dataOut -> {
                if (epoch != agentEpoch) {   // AGENT_RESET or a bus reset while the data moved
                    return CompletableFuture.completedFuture(null);
                }
                ScsiDisk.Result r = disk.execute(cdb, dataOut);
                CompletableFuture<Boolean> in = CompletableFuture.completedFuture(true);
                if (toInitiator && r.data() != null && r.data().length > 0) {
                    int n = (int) Math.min(r.data().length, total);
                    in = transferOut(node, seg, r.data(), n, maxPayload);
                }
                return in.thenAccept(ok -> status(node, statusFifo, orbAddress, ok ? RESP_COMPLETE : RESP_TRANSPORT_FAILURE,
                        ok ? 0 : SBP_UNSPECIFIED, nullNext, ok ? r : null));
            });
        });
    }

    /** Reads {@code length} bytes of the initiator's buffer described by {@code seg} in max_payload pieces. */
    private CompletableFuture<byte[]> transferIn(int node, List<long[]> seg, int length, int maxPayload) {
        byte[] buf = new byte[length];
        List<long[]> pieces = pieces(seg, length, maxPayload);
        CompletableFuture<Boolean> chain = CompletableFuture.completedFuture(true);
        for (long[] p : pieces) {
            chain = chain.thenCompose(ok -> !ok ? CompletableFuture.completedFuture(false)
                    : read(node, p[0], (int) p[1]).thenApply(d -> {
                        if (d == null) {
                            return false;
                        }
                        System.arraycopy(d, 0, buf, (int) p[2], d.length);
                        return true;
                    }));
        }
        return chain.thenApply(ok -> ok ? buf : null);
    }

    /** Writes {@code length} bytes of {@code data} into the initiator's buffer in max_payload pieces. */
    private CompletableFuture<Boolean> transferOut(int node, List<long[]> seg, byte[] data, int length, int maxPayload) {
        CompletableFuture<Boolean> chain = CompletableFuture.completedFuture(true);
        for (long[] p : pieces(seg, length, maxPayload)) {
            chain = chain.thenCompose(ok -> !ok ? CompletableFuture.completedFuture(false)
                    : write(node, p[0], java.util.Arrays.copyOfRange(data, (int) p[2], (int) (p[2] + p[1]))));
        }
        return chain;
    }

    /** {address, length, offset in the transfer} pieces of at most maxPayload bytes, in order. */
    static List<long[]> pieces(List<long[]> seg, long length, int maxPayload) {
        List<long[]> out = new ArrayList<>();
        long done = 0;
        for (long[] s : seg) {
            long at = 0;
            while (at < s[1] && done < length) {
                long n = Math.min(Math.min(s[1] - at, maxPayload), length - done);
                out.add(new long[] {s[0] + at, n, done});
                at += n;
                done += n;
            }
        }
        return out;
    }

    // ---- state ----

    @Override
    public Class<State> stateType() {
        return State.class;
    }

    @Override
    public int stateVersion() {
        return 1;
    }

    @Override
    public State saveState() {
        return new State(loggedIn, loginId, initiator, statusFifo, reconnectPending, nextLoginId, agentState, lastOrb,
                unsolicitedEnabled, fetchOrb, doorbellOrb, managementOrb, managementFrom, tlabel, busyTimeout, stateBits,
                disk.sense());
    }

    @Override
    public void loadState(State s) {
        if (s.sense().length != 3 || s.agentState() < AGENT_RESET_STATE || s.agentState() > AGENT_DEAD) {
            throw new StateException("sbp2-disk state: agent state " + s.agentState() + " and " + s.sense().length
                    + " sense fields (0..3 and 3 expected)");
        }
        loggedIn = s.loggedIn();
        loginId = s.loginId();
        initiator = s.initiator();
        statusFifo = s.statusFifo();
        reconnectPending = s.reconnectPending();
        nextLoginId = s.nextLoginId();
        agentState = s.agentState();
        lastOrb = s.lastOrb();
        unsolicitedEnabled = s.unsolicitedEnabled();
        tlabel = s.tlabel();
        busyTimeout = s.busyTimeout();
        stateBits = s.stateBits();
        disk.restoreSense(s.sense()[0], s.sense()[1], s.sense()[2]);
        agentEpoch++;
        fetching = false;
        fetchOrb = s.fetchOrb();
        doorbellOrb = s.doorbellOrb();
        managementOrb = s.managementOrb();
        managementFrom = s.managementFrom();
        // the work the old instance had taken on starts again here (its own tasks find it detached)
        int epoch = agentEpoch;
        if (agentState == AGENT_ACTIVE && fetchOrb >= 0) {
            long orb = fetchOrb;
            ctx.executor().execute(() -> fetch(epoch, orb));
        } else if (agentState == AGENT_ACTIVE && doorbellOrb >= 0) {
            long last = doorbellOrb;
            ctx.executor().execute(() -> doorbell(epoch, last));
        }
        if (managementOrb >= 0) {
            long orb = managementOrb;
            int from = managementFrom;
            ctx.executor().execute(() -> management(from, orb));
        }
    }

    private void warn(String format, Object arg) {
        if (warnings < MAX_WARNINGS) {
            warnings++;
            ctx.log().warn("sbp2-disk '" + ctx.id() + "': " + format
                    + (warnings == MAX_WARNINGS ? " (further errors are not logged)" : ""), arg);
        }
    }
}
