package org.machina.board.pc;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.machina.api.block.BlockNode;
import org.machina.api.board.BoardContext;
import org.machina.api.chardev.CharBackend;
import org.machina.api.cpu.Cpu;
import org.machina.api.device.DeviceConfig;
import org.machina.api.device.MachineControl;
import org.machina.api.io.IoSpace;
import org.machina.api.irq.InterruptAcknowledge;
import org.machina.api.irq.IrqLine;
import org.machina.api.irq.IrqSink;
import org.machina.api.memory.AddressSpace;
import org.machina.api.memory.DirtyLog;
import org.machina.api.memory.RamBlock;
import org.machina.api.time.MachineExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A BoardContext for tests: real off-heap RAM blocks, recording address spaces and device list. */
final class FakeBoardContext implements BoardContext {
    record AddedDevice(String type, String id, Map<String, String> properties) {
    }

    final FakeSpace memory = new FakeSpace(1L << 32);
    final FakeSpace io = new FakeSpace(IoSpace.PORTS);
    final Map<String, RamBlock> blocks = new LinkedHashMap<>();
    final List<AddedDevice> devices = new ArrayList<>();
    /** Validated board properties, as the runtime gives them (defaults filled in). */
    Map<String, String> boardProperties = Map.of("acpi", "true", "hpet", "true");
    final Arena arena = Arena.ofAuto();
    long ramSize = 64L << 20;
    Path firmware;
    Path kernel;
    Path initrd;
    String cmdline = "console=ttyS0";
    Set<String> chardevs = Set.of("serial0");

    @Override
    public String id() {
        return "board";
    }

    @Override
    public AddressSpace memory() {
        return memory;
    }

    @Override
    public IoSpace io() {
        return io;
    }

    /** Lines the board asked for, by "controller:index", recording their level. */
    final Map<String, boolean[]> lines = new java.util.HashMap<>();
    /** What {@link #cpu()} returns (null: the board gets no CPU object). */
    Cpu cpu;

    @Override
    public IrqLine irq(String controller, int index) {
        boolean[] level = lines.computeIfAbsent(controller + ":" + index, k -> new boolean[1]);
        return new IrqLine() {
            @Override
            public void set(boolean l) {
                level[0] = l;
            }

            @Override
            public boolean level() {
                return level[0];
            }
        };
    }

    @Override
    public void registerIrqSink(String controller, IrqSink sink) {
        sinks.put(controller, sink);
    }

    /** The interrupt sinks the board registered, by controller name. */
    final java.util.Map<String, IrqSink> sinks = new java.util.HashMap<>();

    @Override
    public IrqLine cpuInterruptPin() {
        return IrqLine.NONE;
    }

    @Override
    public void registerInterruptAcknowledge(InterruptAcknowledge ack) {
        throw new UnsupportedOperationException();
    }

    @Override
    public RamBlock allocateRam(String name, long size) {
        MemorySegment seg = arena.allocate(size, RamBlock.PAGE_SIZE);
        RamBlock block = new RamBlock() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public long size() {
                return size;
            }

            @Override
            public MemorySegment segment() {
                return seg;
            }

            @Override
            public void markDirty(long offset, long length) {
            }

            @Override
            public DirtyLog dirtyLog() {
                throw new UnsupportedOperationException();
            }

            @Override
            public long codeGeneration() {
                return 0;
            }

            @Override
            public void markCodePage(long offset) {
            }

            @Override
            public boolean isCodePage(long offset) {
                return false;
            }
        };
        blocks.put(name, block);
        return block;
    }

    @Override
    public CharBackend chardev(String id) {
        throw new UnsupportedOperationException();
    }

    @Override
    public BlockNode blockdev(String id) {
        throw new UnsupportedOperationException();
    }

    @Override
    public MachineExecutor executor() {
        throw new UnsupportedOperationException();
    }

    @Override
    public MachineControl machine() {
        throw new UnsupportedOperationException();
    }

    @Override
    public Logger log() {
        return LoggerFactory.getLogger("test.board");
    }

    @Override
    public Cpu cpu() {
        return cpu;
    }

    @Override
    public long ramSize() {
        return ramSize;
    }

    @Override
    public DeviceConfig boardConfig() {
        return new DeviceConfig("board", boardProperties);
    }

    @Override
    public Optional<Path> firmware() {
        return Optional.ofNullable(firmware);
    }

    @Override
    public Optional<Path> kernel() {
        return Optional.ofNullable(kernel);
    }

    @Override
    public Optional<Path> initrd() {
        return Optional.ofNullable(initrd);
    }

    @Override
    public String kernelCommandLine() {
        return cmdline;
    }

    @Override
    public boolean hasChardev(String id) {
        return chardevs.contains(id);
    }

    @Override
    public void addDevice(String type, String id, Map<String, String> properties) {
        devices.add(new AddedDevice(type, id, Map.copyOf(properties)));
    }
}
