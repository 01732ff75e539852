package org.machina.runtime.machine;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.machina.api.bus.pci.PciBus;
import org.machina.api.bus.pci.PciEndpoint;
import org.machina.api.bus.pci.PciSlot;
import org.machina.api.block.BlockNode;
import org.machina.api.chardev.CharBackend;
import org.machina.api.device.DeviceContext;
import org.machina.api.device.MachineControl;
import org.machina.api.device.PowerButton;
import org.machina.api.fastpath.FastPathRegistry;
import org.machina.api.io.IoSpace;
import org.machina.api.irq.InterruptAcknowledge;
import org.machina.api.irq.IrqLine;
import org.machina.api.irq.IrqSink;
import org.machina.api.memory.AddressSpace;
import org.machina.api.memory.Mapping;
import org.machina.api.memory.MemoryRegion;
import org.machina.api.memory.RamBlock;
import org.machina.api.memory.Translation;
import org.machina.api.net.Netdev;
import org.machina.api.time.MachineExecutor;
import org.machina.api.time.Timer;
import org.machina.api.time.VirtualClock;
import org.machina.runtime.memory.RamBlockImpl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The context of one device instance. It records what the device maps, arms, plugs, allocates
 * and registers, so that {@link #release} can take it all back when the device is removed or
 * swapped, whatever the device's own {@code unrealize} forgot: regions are unmapped, timers
 * cancelled, PCI functions unplugged, work the device posted and that has not run yet is dropped,
 * and RAM it allocated is freed (on removal) or handed to the instance that replaces it (on a
 * swap).
 */
class DeviceContextImpl implements DeviceContext {
    private final String id;
    protected final MachineImpl machine;
    private final Logger log;
    private final List<Mapping> mappings = new ArrayList<>();
    private final List<Timer> timers = new ArrayList<>();
    private final List<Runnable> releases = new ArrayList<>();
    private final TrackedSpace memory;
    private final TrackedIo io;
    private final TrackedExecutor executor = new TrackedExecutor();
    /** RAM this device allocated, by block name, each in its own arena. */
    private final Map<String, OwnedRam> ram = new LinkedHashMap<>();
    private volatile boolean released;
    private final AtomicLong dropped = new AtomicLong();

    /** A RAM block and the arena that frees it. */
    record OwnedRam(RamBlock block, Arena arena) {
    }

    /** What becomes of a released device's RAM. */
    enum Release {
        /** The device is gone: its RAM is freed. */
        REMOVED,
        /** The device is being swapped: its RAM waits for the instance that replaces it. */
        SWAPPED
    }

    DeviceContextImpl(MachineImpl machine, String id, String type) {
        this.machine = machine;
        this.id = id;
        this.log = LoggerFactory.getLogger("machina.device." + type + "." + id);
        this.memory = new TrackedSpace(machine.memory());
        this.io = new TrackedIo(machine.io());
    }

    @Override
    public String id() {
        return id;
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
    public IrqLine irq(String controller, int index) {
        return machine.irqRouter().line(controller, index, id);
    }

    @Override
    public void registerIrqSink(String controller, IrqSink sink) {
        machine.irqRouter().register(controller, sink);
        releases.add(() -> machine.irqRouter().unregister(controller, sink));
    }

    @Override
    public IrqLine cpuInterruptPin() {
        return machine.cpuPin();
    }

    @Override
    public IrqLine cpuNmiPin() {
        return machine.nmiPin();
    }

    @Override
    public void registerLocalApic(org.machina.api.cpu.LocalApic apic) {
        machine.setLocalApic(apic);
        releases.add(() -> machine.clearLocalApic(apic));
    }

    @Override
    public void registerInterruptAcknowledge(InterruptAcknowledge ack) {
        machine.setInterruptAcknowledge(ack);
        releases.add(() -> machine.clearInterruptAcknowledge(ack));
    }

    /**
     * RAM owned by this device: freed when it is removed; across a hot-swap the new instance
     * asking for the same name and size gets the same block, contents intact.
     */
    @Override
    public RamBlock allocateRam(String name, long size) {
        if (ram.containsKey(name)) {
            throw new IllegalArgumentException("device '" + id + "' already allocated RAM block '" + name + "'");
        }
        OwnedRam r = machine.takeCarriedRam(id, name, size);
        if (r == null) {
            Arena arena = Arena.ofShared();
            r = new OwnedRam(new RamBlockImpl(name, size, arena), arena);
        }
        ram.put(name, r);
        return r.block();
    }

    @Override
    public CharBackend chardev(String chardevId) {
        CharBackend backend = machine.chardev(chardevId);
        releases.add(() -> backend.setReceiver(null));
        return backend;
    }

    @Override
    public BlockNode blockdev(String driveId) {
        return machine.blockdev(driveId);
    }

    @Override
    public Netdev netdev(String netdevId) {
        Netdev n = machine.netdev(netdevId, id);
        releases.add(() -> {
            n.attach(null);
            machine.releaseNetdev(netdevId, id);
        });
        return n;
    }

    @Override
    public int instanceIndex(String kind) {
        return machine.instanceIndex(kind, id);
    }

    @Override
    public void registerPowerButton(PowerButton button) {
        machine.setPowerButton(button);
        releases.add(() -> machine.clearPowerButton(button));
    }

    @Override
    public void registerRemovableMedium(String drive, org.machina.api.block.RemovableMedium medium, String... aliases) {
        machine.media().register(drive, id, medium, aliases);
        releases.add(() -> machine.media().unregister(drive, medium));
    }

    @Override
    public void registerBus(String name, Object bus) {
        machine.registerBus(name, bus);
        releases.add(() -> machine.unregisterBus(name, bus));
    }

    /**
     * The machine's fast-path registry; what this device attaches is detached when it is
     * released (and by the address space as soon as the mapping is unmapped).
     */
    @Override
    public FastPathRegistry fastPath() {
        return (mapping, offset, length, handler) -> {
            FastPathRegistry.Attachment a = machine.fastPath().attach(mapping, offset, length, handler);
            releases.add(a::detach);
            return a;
        };
    }

    @Override
    public void onRelease(Runnable release) {
        releases.add(release);
    }

    /**
     * The bus; a {@link PciBus} is handed out as a view that owns what the device plugs (unplugged
     * on release) and gives a device re-created by a swap the slot it had when it asks for any.
     */
    @Override
    public <T> T bus(String name, Class<T> type) {
        T bus = machine.bus(name, type);
        if (type == PciBus.class) {
            return type.cast(new OwnedPciBus((PciBus) bus));
        }
        return bus;
    }

    @Override
    public MachineExecutor executor() {
        return executor;
    }

    @Override
    public MachineControl machine() {
        return machine.control();
    }

    @Override
    public Logger log() {
        return log;
    }

    /**
     * Unmaps, cancels, unplugs and unregisters everything the device acquired through this
     * context; work it posted that has not run yet is dropped from now on.
     */
    void release(Release why) {
        released = true;
        synchronized (mappings) {
            mappings.forEach(Mapping::unmap);
            mappings.clear();
        }
        synchronized (timers) {
            timers.forEach(Timer::cancel);
            timers.clear();
        }
        releases.forEach(Runnable::run);
        releases.clear();
        if (why == Release.SWAPPED) {
            machine.carryRam(id, ram);
        } else {
            ram.values().forEach(r -> r.arena().close());
        }
        ram.clear();
    }

    /**
     * Runs a task the device posted unless the device was released meanwhile (removed or
     * swapped out): such work would act on an object the machine no longer has.
     */
    private Runnable owned(Runnable task) {
        return () -> {
            if (!released) {
                task.run();
            } else if (dropped.getAndIncrement() == 0) {
                log.info("work posted by the released device '{}' is dropped", id);
            }
        };
    }

    /** A PCI bus through which every function plugged is owned by this device. */
    private final class OwnedPciBus implements PciBus {
        private final PciBus bus;

        OwnedPciBus(PciBus bus) {
            this.bus = bus;
        }

        @Override
        public PciSlot plug(String name, PciEndpoint endpoint, int slot) {
            return plug(name, endpoint, slot, 0);
        }

        @Override
        public PciSlot plug(String name, PciEndpoint endpoint, int slot, int function) {
            PciSlot plugged = null;
            Integer before = slot == -1 && function == 0 ? machine.pciSlotOf(id) : null;
            if (before != null) {
                try {
                    plugged = bus.plug(name, endpoint, before);
                } catch (RuntimeException taken) {
                    plugged = null; // the slot went to another device meanwhile: take the first free one
                }
            }
            if (plugged == null) {
                plugged = function == 0 ? bus.plug(name, endpoint, slot) : bus.plug(name, endpoint, slot, function);
            }
            if (function == 0) {
                machine.rememberPciSlot(id, plugged.devfn() >> 3);
            }
            releases.add(plugged::unplug);
            return plugged;
        }
    }
    private Mapping track(Mapping m) {
        synchronized (mappings) {
            mappings.add(m);
        }
        return m;
    }

    /** The machine's memory, with mappings recorded. */
    private class TrackedSpace implements AddressSpace {
        final AddressSpace target;

        TrackedSpace(AddressSpace target) {
            this.target = target;
        }

        @Override
        public String name() {
            return target.name();
        }

        @Override
        public long limit() {
            return target.limit();
        }

        @Override
        public Mapping map(long base, MemoryRegion region, int priority) {
            return track(target.map(base, region, priority));
        }

        @Override
        public long read(long address, int size) {
            return target.read(address, size);
        }

        @Override
        public void write(long address, int size, long value) {
            target.write(address, size, value);
        }

        @Override
        public void read(long address, byte[] buffer, int offset, int length) {
            target.read(address, buffer, offset, length);
        }

        @Override
        public void write(long address, byte[] buffer, int offset, int length) {
            target.write(address, buffer, offset, length);
        }

        @Override
        public void load(long address, byte[] buffer, int offset, int length) {
            target.load(address, buffer, offset, length);
        }

        @Override
        public Translation translate(long address) {
            return target.translate(address);
        }

        @Override
        public long mapGeneration() {
            return target.mapGeneration();
        }
    }

    /** The machine's port space, with mappings recorded. */
    private final class TrackedIo extends TrackedSpace implements IoSpace {
        TrackedIo(IoSpace target) {
            super(target);
        }
    }

    /** The machine executor, with timers recorded. */
    private final class TrackedExecutor implements MachineExecutor {
        @Override
        public void execute(Runnable task) {
            machine.loop().execute(owned(task));
        }

        @Override
        public <T> CompletableFuture<T> submit(Callable<T> task) {
            return machine.loop().submit(() -> {
                if (released) {
                    throw new IllegalStateException("device '" + id + "' was released before its work ran");
                }
                return task.call();
            });
        }

        @Override
        public boolean inMachineThread() {
            return machine.loop().inMachineThread();
        }

        @Override
        public Timer newTimer(String name, Runnable callback) {
            Timer t = machine.loop().newTimer(id + "." + name, callback);
            synchronized (timers) {
                timers.add(t);
            }
            return t;
        }

        @Override
        public VirtualClock clock() {
            return machine.loop().clock();
        }
    }
}
