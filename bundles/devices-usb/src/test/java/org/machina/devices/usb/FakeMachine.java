package org.machina.devices.usb;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
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
 * A machine for USB tests: RAM in the first {@code ramSize} bytes of a 4 GiB space (elsewhere reads
 * all ones), one PCI bus with one function whose INTx level is recorded, a bus registry shared by
 * the contexts it makes, drives by id, and release hooks run by {@link Ctx#release()}.
 */
public final class FakeMachine {
    public final ByteBuffer ram;
    public final Map<String, Object> buses = new HashMap<>();
    public final Map<String, BlockNode> drives = new HashMap<>();
    public PciEndpoint pciFunction;
    public boolean intx;
    public long nanos;

    public final List<FakeTimer> timers = new ArrayList<>();
    /** Tasks posted with {@code executor().execute}, run by {@link #runTasks()}. */
    public final List<Runnable> tasks = new ArrayList<>();

    public void runTasks() {
        while (!tasks.isEmpty()) {
            tasks.remove(0).run();
        }
    }


    /** A timer that fires when the test advances the clock with {@link #advance}. */
    public final class FakeTimer implements Timer {
        final Runnable callback;
        long deadline = -1;

        FakeTimer(Runnable callback) {
            this.callback = callback;
        }

        @Override
        public void armAt(long deadlineNanos) {
            deadline = deadlineNanos;
        }

        @Override
        public void cancel() {
            deadline = -1;
        }

        @Override
        public boolean isArmed() {
            return deadline >= 0;
        }

        @Override
        public long deadline() {
            return deadline;
        }

        @Override
        public VirtualClock clock() {
            return () -> nanos;
        }
    }

    /**
     * Moves guest time to {@code to} with the timers held back, as on a busy host, then fires the
     * ones due, late, at {@code to} (in deadline order).
     */
    public void advanceLate(long to) {
        nanos = Math.max(nanos, to);
        advance(to);
    }

    /** Moves guest time to {@code to}, firing the timers due on the way in deadline order. */
    public void advance(long to) {
        while (true) {
            FakeTimer next = null;
            for (FakeTimer t : timers) {
                if (t.deadline >= 0 && t.deadline <= to && (next == null || t.deadline < next.deadline)) {
                    next = t;
                }
            }
            if (next == null) {
                nanos = Math.max(nanos, to);
                return;
            }
            nanos = Math.max(nanos, next.deadline);
            next.deadline = -1;
            next.callback.run();
        }
    }

    public FakeMachine(int ramSize) {
        ram = ByteBuffer.allocate(ramSize).order(ByteOrder.LITTLE_ENDIAN);
        buses.put(PciBus.NAME, (PciBus) (name, endpoint, slot) -> {
            pciFunction = endpoint;
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
                    return true;
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
                    pciFunction = null;
                }
            };
        });
    }

    public Ctx context(String id) {
        return new Ctx(id);
    }

    /** A RAM-backed in-memory drive. */
    public static final class Disk implements BlockNode {
        public final byte[] data;
        public int flushes;

        public Disk(int size) {
            data = new byte[size];
            for (int i = 0; i < size; i++) {
                data[i] = (byte) (i * 31 + (i >> 9));
            }
        }

        @Override
        public String name() {
            return "disk";
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
        public void flush() {
            flushes++;
        }

        @Override
        public void close() throws IOException {
        }
    }

    private final AddressSpace memory = new AddressSpace() {
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
            return a >= 0 && a < ram.capacity();
        }

        @Override
        public long read(long address, int size) {
            long v = 0;
            for (int i = size - 1; i >= 0; i--) {
                v = v << 8 | (in(address + i) ? ram.get((int) (address + i)) & 0xFF : 0xFF);
            }
            return v;
        }

        @Override
        public void write(long address, int size, long value) {
            for (int i = 0; i < size; i++) {
                if (in(address + i)) {
                    ram.put((int) (address + i), (byte) (value >>> 8 * i));
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
                return new Translation(0, ram.capacity(), BLOCK, 0, true);
            }
            return new Translation(ram.capacity(), 1L << 32, null, 0, false);
        }

        @Override
        public long mapGeneration() {
            return 0;
        }
    };

    /** Only "is RAM" matters to the controller: a proxy that answers nothing else. */
    private static final RamBlock BLOCK = (RamBlock) java.lang.reflect.Proxy.newProxyInstance(
            RamBlock.class.getClassLoader(), new Class<?>[] {RamBlock.class}, (proxy, method, args) -> {
                throw new UnsupportedOperationException(method.getName());
            });

    /** One device's context. */
    public final class Ctx implements DeviceContext {
        private final String id;
        public final List<Runnable> releases = new ArrayList<>();

        Ctx(String id) {
            this.id = id;
        }

        public void release() {
            releases.forEach(Runnable::run);
            releases.clear();
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
        public CharBackend chardev(String chardevId) {
            throw new UnsupportedOperationException();
        }

        @Override
        public BlockNode blockdev(String driveId) {
            BlockNode b = drives.get(driveId);
            if (b == null) {
                throw new IllegalArgumentException("no drive " + driveId);
            }
            return b;
        }

        @Override
        public MachineExecutor executor() {
            return new MachineExecutor() {
                @Override
                public void execute(Runnable task) {
                    tasks.add(task);
                }

                @Override
                public <T> CompletableFuture<T> submit(Callable<T> task) {
                    try {
                        return CompletableFuture.completedFuture(task.call());
                    } catch (Exception e) {
                        return CompletableFuture.failedFuture(e);
                    }
                }

                @Override
                public boolean inMachineThread() {
                    return true;
                }

                @Override
                public Timer newTimer(String name, Runnable callback) {
                    FakeTimer t = new FakeTimer(callback);
                    timers.add(t);
                    return t;
                }

                @Override
                public VirtualClock clock() {
                    return () -> nanos;
                }
            };
        }

        @Override
        public MachineControl machine() {
            throw new UnsupportedOperationException();
        }

        @Override
        public Logger log() {
            return LoggerFactory.getLogger("test.usb." + id);
        }

        @Override
        public void onRelease(Runnable release) {
            releases.add(release);
        }

        @Override
        public void registerBus(String name, Object bus) {
            if (buses.putIfAbsent(name, bus) != null) {
                throw new IllegalStateException("bus '" + name + "' is already registered");
            }
            releases.add(() -> buses.remove(name, bus));
        }

        @Override
        public <T> T bus(String name, Class<T> type) {
            Object b = buses.get(name);
            if (b == null) {
                throw new IllegalStateException("no bus '" + name + "'");
            }
            return type.cast(b);
        }
    }
}
