package org.machina.devices.pc;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.machina.api.block.BlockNode;
import org.machina.api.chardev.CharBackend;
import org.machina.api.device.Device;
import org.machina.api.device.DeviceConfig;
import org.machina.api.device.DeviceContext;
import org.machina.api.device.DeviceType;
import org.machina.api.device.MachineControl;
import org.machina.api.device.PowerButton;
import org.machina.api.device.PropertySpec;
import org.machina.api.fastpath.FastPathHandler;
import org.machina.api.fastpath.FastPathRead;
import org.machina.api.fastpath.FastPathRegistry;
import org.machina.api.io.IoSpace;
import org.machina.api.irq.InterruptAcknowledge;
import org.machina.api.irq.IrqLine;
import org.machina.api.irq.IrqSink;
import org.machina.api.memory.AddressSpace;
import org.machina.api.memory.RamBlock;
import org.machina.api.time.MachineExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A {@link DeviceContext} for unit tests: fake port space, manual clock, recording lines and backends. */
final class FakeContext implements DeviceContext {
    final FakeIoSpace io = new FakeIoSpace();
    /** Memory space for MMIO devices: the same region rules, no RAM. */
    final FakeIoSpace mem = new FakeIoSpace();
    final FakeExecutor executor;
    final Map<String, IrqSink> sinks = new HashMap<>();
    final Map<String, FakeIrqLine> lines = new HashMap<>();
    final FakeIrqLine cpuPin = new FakeIrqLine();
    final Map<String, FakeCharBackend> chardevs = new HashMap<>();
    final List<String> resets = new ArrayList<>();
    /** Shutdown requests as "reason/status"; null until a test allows shutdowns. */
    List<String> shutdowns;
    PowerButton powerButton;
    /** Fast-path handlers the device attached: region name, range start and length. */
    final List<FastPath> fastPaths = new ArrayList<>();

    record FastPath(String region, long offset, long length, FastPathHandler handler) {
    }
    InterruptAcknowledge ack;
    final FakeIrqLine nmiPin = new FakeIrqLine();
    org.machina.api.cpu.LocalApic localApic;
    /** Buses registered by the device (or put here by a test). */
    final Map<String, Object> buses = new HashMap<>();

    FakeContext() {
        this(new FakeExecutor());
    }

    /** A context sharing a clock with another (a second device instance on the same machine). */
    FakeContext(FakeExecutor executor) {
        this.executor = executor;
    }

    /** Creates a device of {@code type} with the type's defaults overridden by {@code props}. */
    static Device create(DeviceType type, FakeContext ctx, Map<String, String> props) {
        Map<String, String> values = new LinkedHashMap<>();
        for (PropertySpec p : type.properties()) {
            if (p.defaultValue() != null) {
                values.put(p.name(), p.defaultValue());
            }
        }
        values.putAll(props);
        return type.create(ctx, new DeviceConfig(type.name() + "0", values));
    }

    FakeIrqLine line(String controller, int index) {
        return lines.computeIfAbsent(controller + ":" + index, k -> {
            FakeIrqLine l = new FakeIrqLine();
            l.input = index;
            return l;
        });
    }

    FakeCharBackend backend(String id) {
        return chardevs.computeIfAbsent(id, FakeCharBackend::new);
    }

    @Override
    public String id() {
        return "test";
    }

    @Override
    public AddressSpace memory() {
        return mem;
    }

    @Override
    public IoSpace io() {
        return io;
    }

    @Override
    public IrqLine irq(String controller, int index) {
        FakeIrqLine l = line(controller, index);
        l.sink = sinks.get(controller);
        return l;
    }

    @Override
    public void registerIrqSink(String controller, IrqSink sink) {
        sinks.put(controller, sink);
        for (Map.Entry<String, FakeIrqLine> e : lines.entrySet()) {
            if (e.getKey().startsWith(controller + ":")) {
                e.getValue().sink = sink;
            }
        }
    }

    @Override
    public IrqLine cpuInterruptPin() {
        return cpuPin;
    }

    @Override
    public IrqLine cpuNmiPin() {
        return nmiPin;
    }

    @Override
    public void registerLocalApic(org.machina.api.cpu.LocalApic apic) {
        localApic = apic;
    }

    @Override
    public void registerBus(String name, Object bus) {
        if (buses.putIfAbsent(name, bus) != null) {
            throw new IllegalStateException("bus '" + name + "' is already registered");
        }
    }

    @Override
    public <T> T bus(String name, Class<T> type) {
        Object b = buses.get(name);
        if (b == null) {
            throw new IllegalStateException("no bus '" + name + "'");
        }
        return type.cast(b);
    }

    @Override
    public void registerInterruptAcknowledge(InterruptAcknowledge ack) {
        this.ack = ack;
    }

    @Override
    public RamBlock allocateRam(String name, long size) {
        throw new UnsupportedOperationException("no RAM in device tests");
    }

    @Override
    public CharBackend chardev(String id) {
        FakeCharBackend b = chardevs.get(id);
        if (b == null) {
            throw new IllegalArgumentException("no chardev '" + id + "'");
        }
        return b;
    }

    @Override
    public BlockNode blockdev(String id) {
        throw new UnsupportedOperationException("no block nodes in device tests");
    }

    @Override
    public MachineExecutor executor() {
        return executor;
    }

    @Override
    public MachineControl machine() {
        return new MachineControl() {
            @Override
            public void requestReset(String reason) {
                resets.add(reason);
            }

            @Override
            public void requestShutdown(String reason, int exitStatus) {
                if (shutdowns == null) {
                    throw new AssertionError("unexpected shutdown: " + reason);
                }
                shutdowns.add(reason + "/" + exitStatus);
            }

            @Override
            public void requestPause(String reason) {
                throw new AssertionError("unexpected pause: " + reason);
            }
        };
    }

    @Override
    public FastPathRegistry fastPath() {
        return (mapping, offset, length, handler) -> {
            if (length <= 0 || offset < 0 || offset + length > mapping.region().size()) {
                throw new IllegalArgumentException("fast-path range outside the region");
            }
            fastPaths.add(new FastPath(mapping.region().name(), offset, length, handler));
            return () -> fastPaths.removeIf(f -> f.handler() == handler);
        };
    }

    /** Reads through the fast-path handler covering {@code offset} of {@code region}; fails if none serves it. */
    long fastRead(String region, long offset, int size) {
        FastPathRead out = new FastPathRead();
        for (FastPath f : fastPaths) {
            if (f.region().equals(region) && offset >= f.offset() && offset + size <= f.offset() + f.length()) {
                if (!f.handler().read(offset, size, out)) {
                    throw new AssertionError("fast path declined " + region + "+" + offset);
                }
                return out.value();
            }
        }
        throw new AssertionError("no fast path for " + region + "+" + offset + " in " + fastPaths);
    }

    @Override
    public void registerPowerButton(PowerButton button) {
        if (powerButton != null) {
            throw new AssertionError("a second power button");
        }
        powerButton = button;
    }

    @Override
    public Logger log() {
        return LoggerFactory.getLogger("test");
    }

    int in(int port) {
        return io.in(port, 1);
    }

    void out(int port, int value) {
        io.out(port, 1, value);
    }
}
