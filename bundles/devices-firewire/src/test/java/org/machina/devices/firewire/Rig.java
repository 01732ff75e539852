package org.machina.devices.firewire;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import org.machina.api.block.BlockNode;
import org.machina.api.bus.pci.PciBus;
import org.machina.api.bus.pci.PciEndpoint;
import org.machina.api.bus.pci.PciSlot;
import org.machina.api.chardev.CharBackend;
import org.machina.api.device.DeviceContext;
import org.machina.api.device.MachineControl;
import org.machina.api.io.IoSpace;
import org.machina.api.irq.InterruptAcknowledge;
import org.machina.api.irq.IrqLine;
import org.machina.api.irq.IrqSink;
import org.machina.api.memory.AddressSpace;
import org.machina.api.memory.Mapping;
import org.machina.api.memory.MemoryRegion;
import org.machina.api.memory.RamBlock;
import org.machina.api.memory.Translation;
import org.machina.api.time.MachineExecutor;
import org.machina.api.time.Timer;
import org.machina.api.time.VirtualClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Test doubles for the FireWire devices: 1 MiB of RAM at 0 in a 4 GiB space, an executor whose
 * tasks run when the test says so, a settable clock, a PCI bus with one recorded slot, a bus
 * registry shared by the contexts of one machine, and an in-memory disk.
 */
final class Rig {
    final Ram ram = new Ram(1 << 20);
    final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
    /** With {@link #threaded}: the machine thread that runs the posted tasks (null: the test runs them). */
    private java.util.concurrent.ExecutorService machineThread;
    long now;
    final Map<String, Object> buses = new HashMap<>();
    final Map<String, BlockNode> drives = new HashMap<>();
    boolean intx;
    boolean busMaster = true;
    PciEndpoint endpoint;

    /** Timers by name (the last one created under a name). */
    final Map<String, TestTimer> timers = new HashMap<>();

    /** A timer that fires when the test advances the clock past its deadline. */
    final class TestTimer implements Timer {
        final Runnable callback;
        long deadline = Long.MAX_VALUE;
        int fired;

        TestTimer(Runnable callback) {
            this.callback = callback;
        }

        @Override
        public void armAt(long d) {
            deadline = d;
        }

        @Override
        public void cancel() {
            deadline = Long.MAX_VALUE;
        }

        @Override
        public boolean isArmed() {
            return deadline != Long.MAX_VALUE;
        }

        @Override
        public long deadline() {
            return deadline;
        }

        @Override
        public VirtualClock clock() {
            return clock;
        }
    }

    /** Moves guest time forward by {@code nanos}, firing due timers in deadline order (and the tasks they queue). */
    void advance(long nanos) {
        long target = now + nanos;
        for (int n = 0; ; n++) {
            if (n > 10_000_000) {
                throw new AssertionError("timers keep firing without time passing");
            }
            TestTimer next = null;
            for (TestTimer t : timers.values()) {
                if (t.deadline <= target && (next == null || t.deadline < next.deadline)) {
                    next = t;
                }
            }
            if (next == null) {
                break;
            }
            now = Math.max(now, next.deadline);
            next.deadline = Long.MAX_VALUE;
            next.fired++;
            next.callback.run();
            runTasks();
        }
        now = target;
    }

    /** Runs queued tasks until none are left (bounded). */
    int runTasks() {
        int n = 0;
        while (!tasks.isEmpty()) {
            if (++n > 100_000) {
                throw new AssertionError("tasks keep queueing themselves");
            }
            tasks.poll().run();
        }
        return n;
    }

    /**
     * Makes this rig a machine with a real machine thread: posted tasks run there, and every access
     * to its RAM from another thread is counted in {@link Ram#foreign}.
     */
    Rig threaded(String name) {
        Thread[] t = new Thread[1];
        machineThread = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
            t[0] = Thread.ofPlatform().name(name).daemon().unstarted(r);
            return t[0];
        });
        on(() -> {
            ram.owner = Thread.currentThread();
            return null;
        });
        return this;
    }

    /** Runs {@code task} on the machine thread (see {@link #threaded}) and waits for its result. */
    <T> T on(Callable<T> task) {
        try {
            return machineThread.submit(task).get(60, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new AssertionError(e.getCause());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    void stop() {
        if (machineThread != null) {
            machineThread.shutdownNow();
        }
    }

    DeviceContext context(String id) {
        return new Ctx(id);
    }

    static final class Ram implements AddressSpace {
        final ByteBuffer bytes;
        /** The machine thread when threaded; accesses from other threads are counted. */
        volatile Thread owner;
        final java.util.concurrent.atomic.AtomicInteger foreign = new java.util.concurrent.atomic.AtomicInteger();
        final RamBlock block = (RamBlock) Proxy.newProxyInstance(Rig.class.getClassLoader(), new Class<?>[] {RamBlock.class},
                (p, m, a) -> switch (m.getName()) {
                    case "name" -> "ram";
                    case "size" -> 1L << 20;
                    case "hashCode" -> 1;
                    case "equals" -> p == a[0];
                    default -> null;
                });

        Ram(int size) {
            bytes = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        }

        @Override
        public String name() {
            return "memory";
        }

        @Override
        public long limit() {
            return 1L << 32;
        }

        @Override
        public Mapping map(long base, MemoryRegion region, int priority) {
            throw new UnsupportedOperationException();
        }

        private boolean in(long a) {
            if (owner != null && Thread.currentThread() != owner) {
                foreign.incrementAndGet();
            }
            return a >= 0 && a < bytes.capacity();
        }

        @Override
        public long read(long address, int size) {
            long v = 0;
            for (int i = size - 1; i >= 0; i--) {
                v = v << 8 | (in(address + i) ? bytes.get((int) (address + i)) & 0xFF : 0xFF);
            }
            return v;
        }

        @Override
        public void write(long address, int size, long value) {
            for (int i = 0; i < size; i++) {
                if (in(address + i)) {
                    bytes.put((int) (address + i), (byte) (value >>> 8 * i));
                }
            }
        }

        @Override
        public void read(long address, byte[] buffer, int offset, int length) {
            for (int i = 0; i < length; i++) {
                buffer[offset + i] = (byte) read(address + i, 1);
            }
        }

        @Override
        public void write(long address, byte[] buffer, int offset, int length) {
            for (int i = 0; i < length; i++) {
                write(address + i, 1, buffer[offset + i]);
            }
        }

        @Override
        public void load(long address, byte[] buffer, int offset, int length) {
            write(address, buffer, offset, length);
        }

        @Override
        public Translation translate(long address) {
            if (in(address)) {
                return new Translation(0, bytes.capacity(), block, 0, true);
            }
            return new Translation(bytes.capacity(), 1L << 32, null, 0, false);
        }

        @Override
        public long mapGeneration() {
            return 0;
        }

        int le(long a) {
            return (int) read(a, 4);
        }

        void le(long a, int v) {
            write(a, 4, v & 0xFFFF_FFFFL);
        }
    }

    static final class Disk implements BlockNode {
        final byte[] data;
        int flushes;

        Disk(int size) {
            data = new byte[size];
            for (int i = 0; i < size; i++) {
                data[i] = (byte) (i * 13 + (i >> 9));
            }
        }

        @Override
        public String name() {
            return "d0";
        }

        @Override
        public long size() {
            return data.length;
        }

        @Override
        public boolean readOnly() {
            return false;
        }

        @Override
        public void read(long offset, ByteBuffer dst) {
            dst.put(data, (int) offset, dst.remaining());
        }

        @Override
        public void write(long offset, ByteBuffer src) {
            src.get(data, (int) offset, src.remaining());
        }

        @Override
        public void flush() throws IOException {
            flushes++;
        }

        @Override
        public void close() {
        }
    }

    private final class Ctx implements DeviceContext {
        final String id;

        Ctx(String id) {
            this.id = id;
        }

        @Override
        public String id() {
            return id;
        }

        @Override
        public AddressSpace memory() {
            return ram;
        }

        @Override
        public IoSpace io() {
            throw new UnsupportedOperationException();
        }

        @Override
        public IrqLine irq(String controller, int index) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void registerIrqSink(String controller, IrqSink sink) {
            throw new UnsupportedOperationException();
        }

        @Override
        public IrqLine cpuInterruptPin() {
            throw new UnsupportedOperationException();
        }

        @Override
        public void registerInterruptAcknowledge(InterruptAcknowledge ack) {
            throw new UnsupportedOperationException();
        }

        @Override
        public RamBlock allocateRam(String name, long size) {
            throw new UnsupportedOperationException();
        }

        @Override
        public CharBackend chardev(String cid) {
            throw new UnsupportedOperationException();
        }

        @Override
        public BlockNode blockdev(String did) {
            return drives.get(did);
        }

        @Override
        public MachineExecutor executor() {
            return executor;
        }

        @Override
        public MachineControl machine() {
            throw new UnsupportedOperationException();
        }

        @Override
        public Logger log() {
            return LoggerFactory.getLogger("test." + id);
        }

        @Override
        public void registerBus(String name, Object bus) {
            buses.put(name, bus);
        }

        @Override
        public <T> T bus(String name, Class<T> type) {
            if (name.equals(PciBus.NAME)) {
                return type.cast(pci);
            }
            Object b = buses.get(name);
            if (b == null) {
                throw new IllegalStateException("no bus '" + name + "'");
            }
            return type.cast(b);
        }
    }

    final VirtualClock clock = () -> now;

    final MachineExecutor executor = new MachineExecutor() {
        @Override
        public void execute(Runnable task) {
            if (machineThread != null) {
                machineThread.execute(task);
            } else {
                tasks.add(task);
            }
        }

        @Override
        public <T> CompletableFuture<T> submit(Callable<T> task) {
            throw new UnsupportedOperationException();
        }

        @Override
        public boolean inMachineThread() {
            return true;
        }

        @Override
        public Timer newTimer(String name, Runnable callback) {
            TestTimer t = new TestTimer(callback);
            timers.put(name, t);
            return t;
        }

        @Override
        public VirtualClock clock() {
            return clock;
        }
    };

    final PciBus pci = (name, e, slot) -> {
        endpoint = e;
        return new PciSlot() {
            @Override
            public int devfn() {
                return 3 << 3;
            }

            @Override
            public IrqLine intx() {
                return new IrqLine() {
                    @Override
                    public void set(boolean level) {
                        intx = level;
                    }

                    @Override
                    public boolean level() {
                        return intx;
                    }
                };
            }

            @Override
            public boolean busMaster() {
                return busMaster;
            }

            @Override
            public byte[] saveConfig() {
                return new byte[256];
            }

            @Override
            public void loadConfig(byte[] config) {
            }

            @Override
            public void unplug() {
                endpoint = null;
            }
        };
    };

    static List<Integer> ints(int... v) {
        return java.util.Arrays.stream(v).boxed().toList();
    }

    @SuppressWarnings("unused")
    private static MemorySegment unused() {
        return null;
    }
}
