package org.machina.runtime.machine;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.machina.api.board.BoardContext;
import org.machina.api.cpu.Cpu;
import org.machina.api.device.DeviceConfig;
import org.machina.runtime.description.Description;

/** What a board sees while it builds the machine. */
final class BoardContextImpl extends DeviceContextImpl implements BoardContext {
    private final Description description;
    private final DeviceConfig boardConfig;
    private final boolean hasCpu;
    private final DeviceAdder adder;

    /** Adds a board default device. */
    interface DeviceAdder {
        void add(String type, String id, Map<String, String> properties);
    }

    BoardContextImpl(MachineImpl machine, String boardType, Description description, DeviceConfig boardConfig, Cpu cpu,
            DeviceAdder adder) {
        super(machine, "board", boardType);
        this.description = description;
        this.boardConfig = boardConfig;
        this.hasCpu = cpu != null;
        this.adder = adder;
    }

    /** The board's RAM lives as long as the machine (in the machine's arena). */
    @Override
    public org.machina.api.memory.RamBlock allocateRam(String name, long size) {
        return machine.allocateRam(name, size);
    }

    /** The machine's current CPU: after a CPU hot-swap, the new one. */
    @Override
    public Cpu cpu() {
        if (!hasCpu) {
            throw new IllegalStateException("this machine has no CPU (\"cpu\": \"none\")");
        }
        return machine.cpu().orElseThrow(() -> new IllegalStateException("the CPU is out for a hot-swap"));
    }

    @Override
    public long ramSize() {
        return description.memoryBytes();
    }

    @Override
    public DeviceConfig boardConfig() {
        return boardConfig;
    }

    @Override
    public Optional<Path> firmware() {
        return description.firmware();
    }

    @Override
    public Optional<Path> kernel() {
        return description.kernel();
    }

    @Override
    public Optional<Path> initrd() {
        return description.initrd();
    }

    @Override
    public String kernelCommandLine() {
        return description.append();
    }

    @Override
    public boolean hasChardev(String id) {
        return machine.hasChardev(id);
    }

    @Override
    public void addDevice(String type, String id, Map<String, String> properties) {
        adder.add(type, id, properties);
    }
}
