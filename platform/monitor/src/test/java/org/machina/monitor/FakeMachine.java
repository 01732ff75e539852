package org.machina.monitor;

import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.machina.api.cpu.Cpu;
import org.machina.api.cpu.CpuDebug;
import org.machina.api.io.IoSpace;
import org.machina.api.machine.DeviceInfo;
import org.machina.api.machine.Machine;
import org.machina.api.machine.MachineListener;
import org.machina.api.machine.MachineState;
import org.machina.api.memory.AddressSpace;
import org.machina.api.state.SavedState;
import org.machina.api.time.MachineExecutor;
import org.machina.api.time.Timer;
import org.machina.api.time.VirtualClock;

/** A machine that records calls and raises events the way the runtime does. */
public final class FakeMachine implements Machine {
    public volatile MachineState state = MachineState.RUNNING;
    public final Map<String, DeviceInfo> devices = new LinkedHashMap<>();
    public final List<MachineListener> listeners = new CopyOnWriteArrayList<>();
    public final List<String> calls = new CopyOnWriteArrayList<>();
    /** Whether removeDevice raises DEVICE_DELETED itself (the runtime does). */
    public volatile boolean raisesDeviceDeleted = true;
    public volatile boolean hasCpu = true;

    public FakeMachine() {
        devices.put("serial0", new DeviceInfo("serial0", "isa-serial", "org.machina.devices.pc 0.1.0",
                Map.of("iobase", "0x3f8", "irq", "4"), 1));
    }

    private void emit(String event, Map<String, Object> data) {
        for (MachineListener l : listeners) {
            l.event(this, event, data);
        }
    }

    @Override
    public String name() {
        return "fake";
    }

    @Override
    public MachineState state() {
        return state;
    }

    @Override
    public String description() {
        return "{}";
    }

    @Override
    public String boardType() {
        return "pc";
    }

    @Override
    public long ramSize() {
        return 1 << 20;
    }

    @Override
    public void start() {
        calls.add("start");
        state = MachineState.RUNNING;
        emit("RESUME", Map.of());
    }

    @Override
    public void pause(String reason) {
        calls.add("pause " + reason);
        state = MachineState.PAUSED;
        emit("STOP", Map.of("reason", reason));
    }

    @Override
    public void resume() {
        start();
    }

    @Override
    public void reset(String reason) {
        calls.add("reset " + reason);
        emit("RESET", Map.of("guest", false, "reason", reason));
    }

    public volatile boolean fastPath = true;

    @Override
    public boolean fastPath(boolean enable) {
        boolean was = fastPath;
        fastPath = enable;
        return was;
    }

    @Override
    public boolean fastPathEnabled() {
        return fastPath;
    }

    /** The CD-ROM's drive and device id, and whether the guest locked it. */
    public volatile boolean cdLocked;

    private void requireCd(String id, boolean force) {
        if (!id.equals("ide1-cd0") && !id.equals("cd0")) {
            throw new IllegalArgumentException("Device '" + id + "' not found or has no removable media; removable drives: ide1-cd0");
        }
        if (cdLocked && !force) {
            throw new IllegalStateException("Device '" + id + "' is locked and force was not specified, wait for tray to open and try again");
        }
    }

    @Override
    public void ejectMedium(String id, boolean force) {
        requireCd(id, force);
        calls.add("eject " + id + " " + force);
    }

    @Override
    public void changeMedium(String id, String file, String format, boolean force) {
        requireCd(id, force);
        calls.add("change " + id + " " + file + " " + format + " " + force);
    }

    @Override
    public void powerButton() {
        calls.add("powerButton");
        emit("POWERDOWN", Map.of());
    }

    @Override
    public void shutdown(String reason, int exitStatus) {
        calls.add("shutdown " + reason + " " + exitStatus);
        state = MachineState.SHUT_DOWN;
        emit("SHUTDOWN", Map.of("guest", false, "reason", reason));
    }

    @Override
    public Optional<Integer> awaitShutdown(Duration timeout) {
        return Optional.empty();
    }

    @Override
    public Optional<String> shutdownReason() {
        return Optional.empty();
    }

    @Override
    public Optional<Cpu> cpu() {
        if (!hasCpu) {
            return Optional.empty();
        }
        CpuDebug debug = (CpuDebug) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {CpuDebug.class}, (p, m, a) -> switch (m.getName()) {
                    case "registers" -> List.of(new CpuDebug.RegisterInfo("eax", 32),
                            new CpuDebug.RegisterInfo("ebx", 32), new CpuDebug.RegisterInfo("ecx", 32),
                            new CpuDebug.RegisterInfo("edx", 32), new CpuDebug.RegisterInfo("eip", 32),
                            new CpuDebug.RegisterInfo("cs", 16));
                    case "readRegister" -> switch ((Integer) a[0]) {
                        case 0 -> 0x12345678L;
                        case 4 -> 0xfff0L;
                        case 5 -> 0xf000L;
                        default -> 0L;
                    };
                    default -> throw new UnsupportedOperationException(m.getName());
                });
        Cpu cpu = (Cpu) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Cpu.class},
                (p, m, a) -> {
                    if (m.getName().equals("debug")) {
                        return debug;
                    }
                    throw new UnsupportedOperationException(m.getName());
                });
        return Optional.of(cpu);
    }

    @Override
    public synchronized List<DeviceInfo> devices() {
        return new ArrayList<>(devices.values());
    }

    @Override
    public DeviceInfo addDevice(String type, String id, Map<String, String> properties) {
        calls.add("addDevice " + type + " " + id + " " + properties);
        if (!type.equals("isa-debugcon") && !type.equals("isa-serial")) {
            throw new IllegalArgumentException("no device type '" + type + "'; installed: isa-debugcon, isa-serial");
        }
        DeviceInfo info = new DeviceInfo(id, type, "org.machina.devices.pc 0.1.0", properties, 0);
        synchronized (this) {
            devices.put(id, info);
        }
        return info;
    }

    @Override
    public void removeDevice(String id) {
        calls.add("removeDevice " + id);
        synchronized (this) {
            if (devices.remove(id) == null) {
                throw new IllegalArgumentException("no device '" + id + "'");
            }
        }
        if (raisesDeviceDeleted) {
            emit("DEVICE_DELETED", Map.of("device", id, "path", "/machine/peripheral/" + id));
        }
    }

    @Override
    public List<SavedState> saveStates() {
        return List.of();
    }

    @Override
    public MachineExecutor executor() {
        return new MachineExecutor() {
            @Override
            public void execute(Runnable task) {
                task.run();
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
                throw new UnsupportedOperationException();
            }

            @Override
            public VirtualClock clock() {
                throw new UnsupportedOperationException();
            }
        };
    }

    @Override
    public AddressSpace memory() {
        throw new UnsupportedOperationException();
    }

    @Override
    public IoSpace io() {
        throw new UnsupportedOperationException();
    }

    @Override
    public void addListener(MachineListener listener) {
        listeners.add(listener);
    }

    @Override
    public void removeListener(MachineListener listener) {
        listeners.remove(listener);
    }
}
