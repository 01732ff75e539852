package org.machina.runtime.machine;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import org.machina.api.block.BlockNode;
import org.machina.api.board.Board;
import org.machina.api.chardev.CharBackend;
import org.machina.api.cpu.Cpu;
import org.machina.api.cpu.CpuType;
import org.machina.api.device.DeviceConfig;
import org.machina.api.device.DeviceType;
import org.machina.api.device.MachineControl;
import org.machina.api.device.PowerButton;
import org.machina.api.io.IoSpace;
import org.machina.api.irq.InterruptAcknowledge;
import org.machina.api.irq.IrqLine;
import org.machina.api.machine.DescriptionException;
import org.machina.api.machine.DeviceInfo;
import org.machina.api.machine.Machine;
import org.machina.api.machine.MachineListener;
import org.machina.api.machine.MachineState;
import org.machina.api.memory.AddressSpace;
import org.machina.api.memory.RamBlock;
import org.machina.api.net.Netdev;
import org.machina.api.state.SavedState;
import org.machina.api.state.StateException;
import org.machina.api.state.Stateful;
import org.machina.api.time.MachineExecutor;
import org.machina.runtime.irq.IrqRouter;
import org.machina.runtime.irq.PinLine;
import org.machina.runtime.memory.PhysicalAddressSpace;
import org.machina.runtime.memory.PortSpace;
import org.machina.runtime.memory.RamBlockImpl;
import org.machina.runtime.time.EventLoop;
import org.machina.runtime.time.GuestClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running machine: its machine thread and event loop, address spaces, interrupt routing,
 * CPU, board and devices. Every change to device state happens on the machine thread; public
 * methods post there and wait.
 */
public final class MachineImpl implements Machine {
    private static final Logger LOG = LoggerFactory.getLogger(MachineImpl.class);
    private static final long CALL_TIMEOUT_SECONDS = 30;

    private final String name;
    private final String descriptionJson;
    private final String boardType;
    private final long ramSize;
    private final boolean noReboot;
    private final Arena arena = Arena.ofShared();
    /** The PCI device number each device's function 0 last had, by device id (machine thread). */
    private final Map<String, Integer> pciSlots = new java.util.HashMap<>();
    /** RAM of devices swapped out, by device id and block name, until their new instance takes it. */
    private final Map<String, Map<String, DeviceContextImpl.OwnedRam>> carriedRam = new LinkedHashMap<>();
    private final PhysicalAddressSpace memory = new PhysicalAddressSpace("memory", 1L << 32);
    private final PortSpace io = new PortSpace("io");
    private final MachineFastPath fastPath = new MachineFastPath(memory, io);
    private final IrqRouter irqRouter = new IrqRouter();
    private final PinLine cpuPin = new PinLine();
    /** The CPU's NMI pin, as a local APIC device drives it. */
    private final PinLine nmiPin = new PinLine();
    /** The local APIC a device registered (IA32_APIC_BASE for the CPU), or null. */
    private volatile org.machina.api.cpu.LocalApic localApic;
    private final EventLoop loop = new EventLoop(new GuestClock());
    private final Map<String, DeviceInstance> devices = new LinkedHashMap<>();
    private final Map<String, CharBackend> chardevs = new LinkedHashMap<>();
    private final Map<String, BlockNode> drives = new LinkedHashMap<>();
    private final Map<String, Netdev> netdevs = new LinkedHashMap<>();
    /** Which device uses each netdev. */
    private final Map<String, String> netdevUsers = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<String, Map<String, Integer>> instanceIndexes = new java.util.HashMap<>();
    private final Map<String, Object> buses = new java.util.concurrent.ConcurrentHashMap<>();
    private final List<MachineListener> listeners = new CopyOnWriteArrayList<>();
    private final CompletableFuture<Integer> exit = new CompletableFuture<>();
    private final Thread thread;
    private final Control control = new Control();
    private volatile MachineState state = MachineState.CREATED;
    /**
     * Why the machine is paused: every reason it was paused for and not yet released (machine
     * thread only). It runs again only when none is left. A user's {@code cont} releases the
     * reasons a user may override (their own stop, a debugger stop, a device's request); it is
     * refused while an exclusive operation holds the machine.
     */
    private final Set<String> pauseHolds = new LinkedHashSet<>();
    /** The reason a hot-swap holds the machine paused; exclusive: no cont, reset or device change meanwhile. */
    static final String HOT_SWAP = "hot-swap";
    private static final Set<String> EXCLUSIVE = Set.of(HOT_SWAP);
    private volatile String shutdownReason;
    private volatile InterruptAcknowledge interruptAcknowledge = () -> {
        throw new IllegalStateException("no interrupt controller registered");
    };
    private volatile Cpu cpu;
    /** How {@link #cpu} was created; kept while a hot-swap has the CPU out. */
    private volatile CpuIdentity cpuIdentity;
    private Board board;
    /** The device implementing the power button, or null: the button then powers off at once. */
    private PowerButton powerButton;

    MachineImpl(String name, String descriptionJson, String boardType, long ramSize, boolean noReboot) {
        this.name = name;
        this.descriptionJson = descriptionJson;
        this.boardType = boardType;
        this.ramSize = ramSize;
        this.noReboot = noReboot;
        this.thread = Thread.ofPlatform().name("machine-" + name).daemon().unstarted(this::threadMain);
    }

    private void threadMain() {
        try {
            loop.run(() -> state == MachineState.RUNNING && cpu != null);
        } catch (Throwable t) {
            LOG.error("machine '{}': the machine thread failed", name, t);
            finish("internal error: " + t, 1);
        }
    }

    void startThread() {
        thread.start();
    }

    // ---- wiring used by contexts and the assembler ----

    EventLoop loop() {
        return loop;
    }

    IrqRouter irqRouter() {
        return irqRouter;
    }

    PinLine cpuPin() {
        return cpuPin;
    }

    PinLine nmiPin() {
        return nmiPin;
    }

    org.machina.api.cpu.LocalApic localApic() {
        return localApic;
    }

    void setLocalApic(org.machina.api.cpu.LocalApic apic) {
        this.localApic = apic;
    }

    void clearLocalApic(org.machina.api.cpu.LocalApic apic) {
        if (this.localApic == apic) {
            this.localApic = null;
        }
    }

    MachineControl control() {
        return control;
    }

    InterruptAcknowledge interruptAcknowledge() {
        return interruptAcknowledge;
    }

    void setInterruptAcknowledge(InterruptAcknowledge ack) {
        this.interruptAcknowledge = ack;
    }

    void clearInterruptAcknowledge(InterruptAcknowledge ack) {
        if (this.interruptAcknowledge == ack) {
            this.interruptAcknowledge = () -> 0xff;
        }
    }

    RamBlock allocateRam(String blockName, long size) {
        return new RamBlockImpl(blockName, size, arena, true); // the arena closes in dispose(), after the thread
    }

    void addChardev(String id, CharBackend backend) {
        chardevs.put(id, backend);
    }

    java.util.Set<String> chardevIds() {
        return java.util.Set.copyOf(chardevs.keySet());
    }

    java.util.Set<String> driveIds() {
        return java.util.Set.copyOf(drives.keySet());
    }

    boolean hasChardev(String id) {
        return chardevs.containsKey(id);
    }

    CharBackend chardev(String id) {
        CharBackend b = chardevs.get(id);
        if (b == null) {
            throw new DescriptionException("chardev", "no character backend with id '" + id + "'; defined: "
                    + (chardevs.isEmpty() ? "(none)" : String.join(", ", chardevs.keySet())));
        }
        return b;
    }

    void addDrive(String id, BlockNode node) {
        drives.put(id, node);
    }

    BlockNode blockdev(String id) {
        BlockNode b = drives.get(id);
        if (b == null) {
            throw new DescriptionException("drive", "no drive with id '" + id + "'; defined: "
                    + (drives.isEmpty() ? "(none)" : String.join(", ", drives.keySet())));
        }
        return b;
    }

    void addNetdev(String id, Netdev netdev) {
        netdevs.put(id, netdev);
    }

    java.util.Set<String> netdevIds() {
        return java.util.Set.copyOf(netdevs.keySet());
    }

    /** The netdev {@code id} for device {@code deviceId}, which becomes its only user until {@link #releaseNetdev}. */
    Netdev netdev(String id, String deviceId) {
        Netdev n = netdevs.get(id);
        if (n == null) {
            throw new DescriptionException("netdev", "no netdev with id '" + id + "'; defined: "
                    + (netdevs.isEmpty() ? "(none)" : String.join(", ", netdevs.keySet())));
        }
        String user = netdevUsers.putIfAbsent(id, deviceId);
        if (user != null && !user.equals(deviceId)) {
            throw new IllegalArgumentException("netdev '" + id + "' is already used by device '" + user
                    + "'; a netdev serves one NIC");
        }
        return n;
    }

    void releaseNetdev(String id, String deviceId) {
        netdevUsers.remove(id, deviceId);
    }

    /**
     * The index of device {@code deviceId} among the devices of {@code kind} (0, 1, ... in the
     * order they first ask); the same device gets the same index again (a hot-swapped NIC keeps its
     * default MAC address).
     */
    synchronized int instanceIndex(String kind, String deviceId) {
        Map<String, Integer> ids = instanceIndexes.computeIfAbsent(kind, k -> new java.util.HashMap<>());
        return ids.computeIfAbsent(deviceId, k -> ids.size());
    }

    void registerBus(String busName, Object bus) {
        Object old = buses.putIfAbsent(busName, bus);
        if (old != null && old != bus) {
            throw new IllegalStateException("bus '" + busName + "' is already registered");
        }
    }

    void unregisterBus(String busName, Object bus) {
        buses.remove(busName, bus);
    }

    <T> T bus(String busName, Class<T> type) {
        Object b = buses.get(busName);
        if (b == null) {
            throw new DescriptionException("bus", "this machine (board '" + boardType + "') has no bus '" + busName
                    + "'; buses: " + (buses.isEmpty() ? "(none)" : String.join(", ", new java.util.TreeSet<>(buses.keySet()))));
        }
        if (!type.isInstance(b)) {
            throw new DescriptionException("bus", "bus '" + busName + "' is a " + b.getClass().getName() + ", not a "
                    + type.getName());
        }
        return type.cast(b);
    }

    /**
     * Installs the machine's CPU: created by CPU type {@code typeName} as {@code model} with
     * accelerator {@code accel} (remembered so a hot-swap can create it again from a new bundle).
     */
    void setCpu(Cpu cpu, String typeName, String model, String accel) {
        this.cpu = cpu;
        this.cpuIdentity = new CpuIdentity(typeName, model, accel);
        cpuPin.connect(cpu.intr());
        nmiPin.connect(cpu.nmi());
        loop.setRunner(this::runCpu, cpu::requestExit);
    }

    /** The type name of the machine's CPU, or empty without a CPU (also while a swap has it out). */
    public Optional<String> cpuTypeName() {
        return cpu == null ? Optional.empty() : Optional.of(cpuIdentity.typeName());
    }

    void setBoard(Board board) {
        this.board = board;
    }

    boolean hasDevice(String id) {
        return devices.containsKey(id);
    }

    /** Creates and realizes a device (machine thread). */
    DeviceInstance createDevice(TypeRegistry.Provided<DeviceType> type, DeviceConfig config) {
        DeviceInstance inst = new DeviceInstance(type.name(), config);
        instantiate(inst, type, DeviceContextImpl.Release.REMOVED);
        devices.put(inst.id(), inst);
        return inst;
    }

    private void instantiate(DeviceInstance inst, TypeRegistry.Provided<DeviceType> type, DeviceContextImpl.Release onFailure) {
        inst.type = type;
        inst.context = new DeviceContextImpl(this, inst.id(), type.name());
        try {
            inst.device = type.service().create(inst.context, inst.config);
            inst.device.realize();
        } catch (RuntimeException e) {
            inst.context.release(onFailure);
            throw e;
        }
    }

    /** The PCI device number a device's function 0 last had (to keep it across a swap), or null. */
    Integer pciSlotOf(String deviceId) {
        return pciSlots.get(deviceId);
    }

    void rememberPciSlot(String deviceId, int slot) {
        pciSlots.put(deviceId, slot);
    }

    /** Keeps the RAM of a device swapped out for the instance that replaces it (machine thread). */
    void carryRam(String deviceId, Map<String, DeviceContextImpl.OwnedRam> blocks) {
        if (!blocks.isEmpty()) {
            carriedRam.computeIfAbsent(deviceId, k -> new LinkedHashMap<>()).putAll(blocks);
        }
    }

    /** The block a swapped-out device had under {@code name} with {@code size}, or null. */
    DeviceContextImpl.OwnedRam takeCarriedRam(String deviceId, String name, long size) {
        Map<String, DeviceContextImpl.OwnedRam> blocks = carriedRam.get(deviceId);
        DeviceContextImpl.OwnedRam r = blocks == null ? null : blocks.get(name);
        if (r == null || r.block().size() != size) {
            return null;
        }
        blocks.remove(name);
        return r;
    }

    /** Frees RAM carried for devices that did not come back (end of a swap, shutdown). */
    private void freeCarriedRam() {
        carriedRam.values().forEach(m -> m.values().forEach(r -> r.arena().close()));
        carriedRam.clear();
    }

    // ---- the CPU between loop turns ----

    private boolean runCpu(long deadline) {
        Cpu.ExitReason r = cpu.run(deadline);
        switch (r) {
            case HALTED -> {
                if (cpu.isStuck()) {
                    control.requestShutdown("the CPU halted with interrupts disabled; nothing can wake it", 0);
                }
                return false;
            }
            case DEBUG -> {
                pauseNow("debug");
                return false;
            }
            default -> {
                return true;
            }
        }
    }

    // ---- life cycle (machine thread) ----

    void resetNow(String reason) {
        for (DeviceInstance d : devices.values()) {
            d.device.reset();
        }
        if (cpu != null) {
            cpu.reset();
        }
        if (board != null) {
            board.reset();
        }
        LOG.info("machine '{}' reset: {}", name, reason);
    }

    private void pauseNow(String reason) {
        if (state == MachineState.SHUT_DOWN) {
            return;
        }
        pauseHolds.add(reason);
        if (state == MachineState.RUNNING) {
            loop.guestClock().freeze();
            state = MachineState.PAUSED;
            // timers due before the freeze (a device behind by a slice) fire now, not after pause() returns
            loop.runDueTimers();
            emit("STOP", Map.of("reason", reason));
        }
    }

    /** A user's start or cont: releases every hold but an exclusive operation's, which refuses it. */
    private void resumeNow() {
        refuseDuringExclusive("resume");
        pauseHolds.clear();
        runIfFree();
    }

    private void runIfFree() {
        if (pauseHolds.isEmpty() && (state == MachineState.PAUSED || state == MachineState.CREATED)) {
            state = MachineState.RUNNING;
            loop.guestClock().resume();
            emit("RESUME", Map.of());
        }
    }

    private void finish(String reason, int status) {
        if (state == MachineState.SHUT_DOWN) {
            return;
        }
        loop.guestClock().freeze();
        state = MachineState.SHUT_DOWN;
        shutdownReason = reason;
        emit("SHUTDOWN", Map.of("guest", false, "reason", reason));
        for (DeviceInstance d : devices.values()) {
            try {
                d.device.unrealize();
            } catch (RuntimeException e) {
                LOG.warn("device '{}' failed to unrealize", d.id(), e);
            }
            d.context.release(DeviceContextImpl.Release.REMOVED);
        }
        freeCarriedRam();
        chardevs.values().forEach(CharBackend::close);
        for (Netdev n : netdevs.values()) {
            try {
                n.close();
            } catch (RuntimeException e) {
                LOG.warn("netdev '{}' failed to close", n.id(), e);
            }
        }
        for (BlockNode b : drives.values()) {
            try {
                b.close();
            } catch (IOException e) {
                LOG.warn("drive '{}' failed to close", b.name(), e);
            }
        }
        loop.stop();
        exit.complete(status);
        LOG.info("machine '{}' shut down: {} (exit status {}); guest time {} ms, {} ms of host stalls hidden ({} stalls)",
                name, reason, status, loop.guestClock().nanos() / 1_000_000, loop.guestClock().hiddenNanos() / 1_000_000,
                loop.guestClock().stalls());
    }

    /** Runs {@code task} on the machine thread and waits for it, unwrapping failures. */
    <T> T call(java.util.concurrent.Callable<T> task) {
        if (loop.inMachineThread()) {
            try {
                return task.call();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        try {
            return loop.submit(task).get(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for machine '" + name + "'", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("machine '" + name + "' did not answer within " + CALL_TIMEOUT_SECONDS + " s");
        }
    }

    private void run(Runnable r) {
        call(() -> {
            r.run();
            return null;
        });
    }

    private void emit(String event, Map<String, Object> data) {
        for (MachineListener l : listeners) {
            try {
                l.event(this, event, data);
            } catch (RuntimeException e) {
                LOG.warn("machine listener failed on {}", event, e);
            }
        }
    }

    // ---- hot-swap support (machine thread) ----

    /** A device taken out for a swap: its identity, config and saved state. */
    record Detached(String id, String typeName, DeviceConfig config, SavedState state, TypeRegistry.Provided<DeviceType> oldType) {
    }

    /** Whether any device uses a type matching {@code typeFilter}. */
    public List<DeviceInfo> devicesOfTypes(Predicate<String> typeFilter) {
        return call(() -> devices.values().stream().filter(d -> typeFilter.test(d.typeName)).map(DeviceInstance::info).toList());
    }

    /** Pauses, saves state and unrealizes every device whose type matches. Machine thread. */
    List<Detached> detach(Predicate<String> typeFilter) {
        List<Detached> out = new ArrayList<>();
        List<DeviceInstance> chosen = devices.values().stream().filter(d -> typeFilter.test(d.typeName)).toList();
        for (DeviceInstance d : chosen) {
            SavedState s = d.device instanceof Stateful<?> st ? StateCodec.save(d.id(), d.typeName, st) : null;
            out.add(new Detached(d.id(), d.typeName, d.config, s, d.type));
        }
        for (DeviceInstance d : chosen) {
            unrealizeForSwap(d);
        }
        return out;
    }

    /**
     * Takes a device out for a swap. Its state is saved already, and releasing its context unmaps
     * its regions and cancels its timers whatever its own unrealize does, so an unrealize that
     * throws is logged and the swap goes on: stopping half-way would leave devices detached.
     */
    private void unrealizeForSwap(DeviceInstance d) {
        try {
            d.device.unrealize();
        } catch (RuntimeException e) {
            LOG.warn("machine '{}': device '{}' failed to unrealize for a hot-swap; its resources are released anyway",
                    name, d.id(), e);
        } finally {
            d.context.release(DeviceContextImpl.Release.SWAPPED);
            d.device = null;
        }
    }

    /** Unrealizes devices by id without saving state (undoing an attach during a rollback). Machine thread. */
    int detachById(Predicate<String> ids) {
        int n = 0;
        for (DeviceInstance d : devices.values()) {
            if (ids.test(d.id()) && d.device != null) {
                unrealizeForSwap(d);
                n++;
            }
        }
        return n;
    }

    /** Re-creates detached devices from {@code types}, loading their saved state. Machine thread. */
    void attach(List<Detached> detached, java.util.function.Function<String, TypeRegistry.Provided<DeviceType>> types) {
        List<DeviceInstance> done = new ArrayList<>();
        try {
            for (Detached d : detached) {
                DeviceInstance inst = devices.get(d.id());
                instantiate(inst, types.apply(d.typeName()), DeviceContextImpl.Release.SWAPPED);
                done.add(inst);
                if (d.state() != null) {
                    if (!(inst.device instanceof Stateful<?> st)) {
                        throw new StateException("device '" + d.id() + "' kept state, but the new '" + d.typeName()
                                + "' is not stateful");
                    }
                    StateCodec.load(st, d.state());
                }
            }
        } catch (RuntimeException e) {
            for (DeviceInstance inst : done) {
                try {
                    inst.device.unrealize();
                } catch (RuntimeException x) {
                    e.addSuppressed(x);
                }
                inst.context.release(DeviceContextImpl.Release.SWAPPED);
                inst.device = null;
            }
            throw e;
        }
    }

    /** The CPU type, model and accelerator a machine's CPU was created with. */
    record CpuIdentity(String typeName, String model, String accel) {
    }

    /**
     * The CPU taken out for a swap: how to create it again, its saved architectural state, and
     * the level of its A20 input (wiring the runtime re-drives, like the INTR pin). {@code old} is
     * the object taken out, put back only when the swap fails before the bundle changed.
     */
    record DetachedCpu(CpuIdentity identity, SavedState state, boolean a20, Cpu old) {
    }

    /**
     * Saves the CPU's state and takes it out (machine thread, machine held by a swap). Fails,
     * leaving the CPU in place, when its type is not {@link Stateful}.
     */
    DetachedCpu detachCpu() {
        if (!(cpu instanceof Stateful<?> st)) {
            throw new StateException("the CPU (type '" + cpuIdentity.typeName() + "') keeps no state, so it cannot be swapped");
        }
        SavedState s = StateCodec.save("cpu", cpuIdentity.typeName(), st);
        DetachedCpu out = new DetachedCpu(cpuIdentity, s, cpu.a20().level(), cpu);
        cpu = null;
        cpuPin.connect(IrqLine.NONE);
        nmiPin.connect(IrqLine.NONE);
        return out;
    }

    /**
     * Creates the CPU again from {@code type} and loads the saved state (machine thread). The
     * new CPU starts with empty caches: TLB and translations are rebuilt as it runs.
     */
    void attachCpu(DetachedCpu d, TypeRegistry.Provided<CpuType> type) {
        CpuIdentity id = d.identity();
        Cpu created = type.service().create(new CpuContextImpl(this, id.accel()), id.model());
        if (!(created instanceof Stateful<?> st)) {
            throw new StateException("the CPU kept state, but the new CPU type '" + id.typeName() + "' is not stateful");
        }
        StateCodec.load(st, d.state());
        created.a20().set(d.a20());
        setCpu(created, id.typeName(), id.model(), id.accel());
    }

    /** Puts the very CPU {@link #detachCpu} took out back (the swap failed before the bundle changed). */
    void reinstateCpu(DetachedCpu d) {
        setCpu(d.old(), d.identity().typeName(), d.identity().model(), d.identity().accel());
    }

    /** Takes out a CPU {@link #attachCpu} put in, without saving (a rollback). Machine thread. */
    void dropCpu() {
        cpu = null;
        cpuPin.connect(IrqLine.NONE);
        nmiPin.connect(IrqLine.NONE);
    }

    /** Holds the machine for a hot-swap (machine thread). */
    void pauseForSwap() {
        refuseDuringExclusive("start a hot-swap");
        pauseNow(HOT_SWAP);
    }

    /**
     * Releases the hot-swap's hold (machine thread). The machine runs again only if it ran before
     * and nothing else paused it meanwhile; a machine never started stays unstarted.
     */
    void resumeAfterSwap() {
        boolean started = state != MachineState.CREATED;
        freeCarriedRam();
        pauseHolds.remove(HOT_SWAP);
        if (started) {
            runIfFree();
        }
    }

    /** Reports the end of a hot-swap of this machine's devices (machine thread). */
    void swapEnded(Map<String, Object> data) {
        LOG.info("machine '{}': hot-swap of {} {}: {}, guest paused {} us", name, data.get("bundle"), data.get("devices"),
                data.get("outcome"), data.get("pause-us"));
        emit("X_MACHINA_BUNDLE_SWAPPED", data);
    }

    /** The reasons the machine is paused for now (a copy; for status and tests). */
    Set<String> pauseReasons() {
        return call(() -> Set.copyOf(pauseHolds));
    }

    private void refuseDuringExclusive(String what) {
        for (String hold : pauseHolds) {
            if (EXCLUSIVE.contains(hold)) {
                throw new IllegalStateException("cannot " + what + " machine '" + name + "': it is paused for a "
                        + hold + " in progress; try again when it ends");
            }
        }
    }

    // ---- Machine ----

    @Override
    public String name() {
        return name;
    }

    @Override
    public MachineState state() {
        return state;
    }

    @Override
    public String description() {
        return descriptionJson;
    }

    @Override
    public String boardType() {
        return boardType;
    }

    @Override
    public long ramSize() {
        return ramSize;
    }

    @Override
    public void start() {
        run(this::resumeNow);
        loop.poke();
    }

    @Override
    public void pause(String reason) {
        if (cpu != null) {
            cpu.requestExit();
        }
        run(() -> pauseNow(reason));
    }

    @Override
    public void resume() {
        start();
    }

    @Override
    public void reset(String reason) {
        if (cpu != null) {
            cpu.requestExit();
        }
        run(() -> {
            refuseDuringExclusive("reset");
            resetNow(reason);
            emit("RESET", Map.of("guest", false, "reason", reason));
        });
    }

    @Override
    public void powerButton() {
        emit("POWERDOWN", Map.of());
        loop.execute(() -> {
            PowerButton button = powerButton;
            if (button == null) {
                control.requestShutdown("power button pressed (no ACPI on this board)", 0);
            } else if (!button.press()) {
                control.requestShutdown("power button pressed (the guest has not enabled ACPI power button events)", 0);
            }
        });
    }

    /** Installs the device that implements the power button (machine thread). */
    void setPowerButton(PowerButton button) {
        if (powerButton != null && powerButton != button) {
            throw new IllegalStateException("this machine already has a power button");
        }
        powerButton = button;
    }

    void clearPowerButton(PowerButton button) {
        if (powerButton == button) {
            powerButton = null;
        }
    }

    @Override
    public void shutdown(String reason, int exitStatus) {
        if (state == MachineState.SHUT_DOWN) {
            return;
        }
        if (cpu != null) {
            cpu.requestExit();
        }
        run(() -> finish(reason, exitStatus));
    }

    @Override
    public Optional<Integer> awaitShutdown(Duration timeout) throws InterruptedException {
        try {
            return Optional.of(exit.get(timeout.toNanos(), TimeUnit.NANOSECONDS));
        } catch (TimeoutException e) {
            return Optional.empty();
        } catch (ExecutionException e) {
            return Optional.of(1);
        }
    }

    @Override
    public Optional<String> shutdownReason() {
        return Optional.ofNullable(shutdownReason);
    }

    @Override
    public Optional<Cpu> cpu() {
        return Optional.ofNullable(cpu);
    }

    @Override
    public List<DeviceInfo> devices() {
        return call(() -> devices.values().stream().filter(d -> d.device != null).map(DeviceInstance::info).toList());
    }

    /** Creates a device from a type name and properties, checked like a description entry. */
    interface HotPlug {
        DeviceInstance create(String type, String id, Map<String, String> properties);
    }

    /** Set by the assembler. */
    HotPlug hotPlug;

    /** The CD-ROMs' media (machine thread). */
    private final RemovableMedia media = new RemovableMedia();
    /** Opens an image for {@link #changeMedium}; set by the assembler. */
    RemovableMedia.Opener openMedium = (drive, file, format) -> {
        throw new java.io.IOException("this machine cannot open images");
    };

    RemovableMedia media() {
        return media;
    }

    @Override
    public void ejectMedium(String id, boolean force) {
        run(() -> media.eject(id, force));
    }

    @Override
    public void changeMedium(String id, String file, String format, boolean force) {
        String drive = call(() -> media.drive(id));
        java.nio.file.Path path = java.nio.file.Path.of(file).toAbsolutePath();
        BlockNode node;
        try {
            node = openMedium.open(drive, path, format);
        } catch (IOException e) {
            throw new IllegalArgumentException("Could not open '" + file + "': "
                    + (e instanceof java.nio.file.NoSuchFileException ? "No such file" : e.getMessage()), e);
        }
        BlockNode old;
        try {
            old = call(() -> {
                BlockNode before = drives.get(drive);
                media.change(id, node, force, drives);
                return before;
            });
        } catch (RuntimeException e) {
            closeQuietly(node);
            throw e;
        }
        if (old != null && old != node) {
            closeQuietly(old);
        }
        LOG.info("machine '{}': drive '{}' now holds {}", name, drive, path);
    }

    private static void closeQuietly(BlockNode node) {
        try {
            node.close();
        } catch (IOException | RuntimeException e) {
            LOG.warn("drive '{}' failed to close", node.name(), e);
        }
    }

    @Override
    public DeviceInfo addDevice(String type, String id, Map<String, String> properties) {
        if (state == MachineState.SHUT_DOWN) {
            throw new IllegalStateException("machine '" + name + "' is shut down");
        }
        return call(() -> {
            refuseDuringExclusive("add a device to");
            if (devices.containsKey(id)) {
                throw new IllegalArgumentException("machine '" + name + "' already has a device '" + id + "'");
            }
            DeviceInstance inst = hotPlug.create(type, id, properties);
            inst.device.reset();
            return inst.info();
        });
    }

    @Override
    public void removeDevice(String id) {
        run(() -> {
            refuseDuringExclusive("remove a device from");
            DeviceInstance d = devices.remove(id);
            if (d == null) {
                throw new IllegalArgumentException("machine '" + name + "' has no device '" + id + "'; devices: "
                        + String.join(", ", devices.keySet()));
            }
            try {
                d.device.unrealize();
            } finally {
                d.context.release(DeviceContextImpl.Release.REMOVED);
                irqRouter.releaseOwner(id);
            }
            emit("DEVICE_DELETED", Map.of("device", id, "path", "/machine/peripheral/" + id));
        });
    }

    @Override
    public List<SavedState> saveStates() {
        return call(() -> {
            refuseDuringExclusive("save the device states of");
            List<SavedState> out = new ArrayList<>();
            for (DeviceInstance d : devices.values()) {
                if (d.device instanceof Stateful<?> st) {
                    out.add(StateCodec.save(d.id(), d.typeName, st));
                }
            }
            return out;
        });
    }

    @Override
    public MachineExecutor executor() {
        return loop;
    }

    @Override
    public Map<String, BlockNode> drives() {
        return call(() -> Map.copyOf(drives));
    }

    @Override
    public AddressSpace memory() {
        return memory;
    }

    @Override
    public IoSpace io() {
        return io;
    }

    @Override
    public boolean fastPath(boolean enable) {
        boolean was = fastPath.enabled();
        fastPath.enable(enable);
        if (was != enable) {
            LOG.info("machine '{}': fast path {}", name, enable ? "on" : "off");
        }
        return was;
    }

    @Override
    public boolean fastPathEnabled() {
        return fastPath.enabled();
    }

    /** The fast-path handlers of this machine: devices attach, the CPU dispatches. */
    MachineFastPath fastPath() {
        return fastPath;
    }

    @Override
    public void addListener(MachineListener listener) {
        listeners.add(listener);
    }

    @Override
    public void removeListener(MachineListener listener) {
        listeners.remove(listener);
    }

    /** Frees off-heap memory once the machine thread has ended. */
    public void dispose() {
        try {
            thread.join(TimeUnit.SECONDS.toMillis(CALL_TIMEOUT_SECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!thread.isAlive()) {
            arena.close();
        }
    }

    /** Machine-wide requests from devices and the CPU; they take effect on the machine thread. */
    private final class Control implements MachineControl {
        @Override
        public void requestReset(String reason) {
            if (cpu != null) {
                cpu.requestExit();
            }
            loop.execute(() -> {
                if (noReboot) {
                    finish("guest reset (" + reason + ") with no-reboot", 0);
                } else {
                    resetNow(reason);
                    emit("RESET", Map.of("guest", true, "reason", reason));
                }
            });
        }

        @Override
        public void requestShutdown(String reason, int exitStatus) {
            if (cpu != null) {
                cpu.requestExit();
            }
            loop.execute(() -> finish(reason, exitStatus));
        }

        @Override
        public void requestPause(String reason) {
            if (cpu != null) {
                cpu.requestExit();
            }
            loop.execute(() -> pauseNow(reason));
        }
    }
}
