package org.machina.api.machine;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.machina.api.block.BlockNode;
import org.machina.api.cpu.Cpu;
import org.machina.api.io.IoSpace;
import org.machina.api.memory.AddressSpace;
import org.machina.api.state.SavedState;
import org.machina.api.time.MachineExecutor;
import org.osgi.annotation.versioning.ProviderType;

/** A machine the runtime has assembled. Methods are thread-safe; they post to the machine thread. */
@ProviderType
public interface Machine {
    String name();

    MachineState state();

    /** The description it was built from, as JSON. */
    String description();

    String boardType();

    long ramSize();

    /** Starts a created machine, or resumes a paused one. */
    void start();

    void pause(String reason);

    void resume();

    /** Resets every device and the CPU, then the board reloads firmware or kernel. */
    void reset(String reason);

    /** Presses the guest's power button (ACPI); the guest decides what to do. */
    void powerButton();

    /** Stops the machine for good with {@code exitStatus}. */
    void shutdown(String reason, int exitStatus);

    /** Waits until the machine is shut down; returns its exit status, or empty on time-out. */
    Optional<Integer> awaitShutdown(Duration timeout) throws InterruptedException;

    /** Why the machine shut down, once it has. */
    Optional<String> shutdownReason();

    Optional<Cpu> cpu();

    List<DeviceInfo> devices();

    /** Adds a device to a running or paused machine (hot-plug). */
    DeviceInfo addDevice(String type, String id, Map<String, String> properties);

    /** Removes a device; fails naming the id when there is none. */
    void removeDevice(String id);

    /** The state of every stateful device (machine paused for the duration). */
    List<SavedState> saveStates();

    MachineExecutor executor();

    /** The machine's drives (block nodes) by id, for exports and monitor commands. */
    default Map<String, BlockNode> drives() {
        return Map.of();
    }

    /** The guest physical address space (qtest-style access; call on the machine thread). */
    AddressSpace memory();

    /** The port I/O space (call on the machine thread). */
    IoSpace io();

    void addListener(MachineListener listener);

    void removeListener(MachineListener listener);
}
