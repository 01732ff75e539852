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

    /**
     * Takes the medium out of a removable-media drive (a CD-ROM) and leaves its tray open, as
     * QMP {@code eject}: {@code id} is the drive's id or its device's id. Fails with an
     * {@link IllegalArgumentException} naming the removable drives when {@code id} is none of
     * them, and with an {@link IllegalStateException} when the guest locked the medium in and
     * {@code force} is false. The medium's image is closed.
     *
     * @since 1.2.0
     */
    default void ejectMedium(String id, boolean force) {
        throw new UnsupportedOperationException("this machine has no removable media");
    }

    /**
     * Replaces the medium of a removable-media drive, as QMP {@code blockdev-change-medium}:
     * opens the tray (refused as in {@link #ejectMedium} while the guest holds the medium locked
     * and {@code force} is false), opens {@code file} read-only as {@code format} (empty: probed
     * from its header), puts it in and closes the tray; the guest sees a new medium. The drive's
     * id then names the new image ({@link #drives()}).
     *
     * @since 1.2.0
     */
    default void changeMedium(String id, String file, String format, boolean force) {
        throw new UnsupportedOperationException("this machine has no removable media");
    }

    /**
     * Switches the fast path ({@link org.machina.api.fastpath}) of the whole machine on or off
     * while it runs, as QMP {@code x-machina-fastpath}: off, every device access takes the normal
     * path, as with each device's {@code fastpath=off} but without a restart. Returns whether it
     * was on.
     *
     * @since 1.2.0
     */
    default boolean fastPath(boolean enable) {
        throw new UnsupportedOperationException("this machine has no fast path");
    }

    /** Whether the fast path is on (see {@link #fastPath(boolean)}). @since 1.2.0 */
    default boolean fastPathEnabled() {
        return false;
    }

    /** The guest physical address space (qtest-style access; call on the machine thread). */
    AddressSpace memory();

    /** The port I/O space (call on the machine thread). */
    IoSpace io();

    void addListener(MachineListener listener);

    void removeListener(MachineListener listener);
}
