package org.machina.runtime.machine;

import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;
import org.machina.api.device.DeviceType;

/**
 * One machine's part in a hot-swap: pause it, save and detach the affected devices, later
 * re-attach them from (new or old) types with the saved state, and resume if it was running.
 */
public final class Swapper {
    private final MachineImpl machine;
    private final boolean wasRunning;
    private final List<MachineImpl.Detached> detached;
    private boolean attached;

    private Swapper(MachineImpl machine, boolean wasRunning, List<MachineImpl.Detached> detached) {
        this.machine = machine;
        this.wasRunning = wasRunning;
        this.detached = detached;
    }

    /** Pauses {@code machine} and detaches devices whose type matches; null when it has none. */
    public static Swapper pauseAndDetach(MachineImpl machine, Predicate<String> types) {
        return machine.call(() -> {
            if (machine.devicesOfTypes(types).isEmpty()) {
                return null;
            }
            boolean running = machine.isRunning();
            machine.pauseForSwap();
            try {
                return new Swapper(machine, running, machine.detach(types));
            } catch (RuntimeException e) {
                if (running) {
                    machine.resumeAfterSwap();
                }
                throw e;
            }
        });
    }

    public int count() {
        return detached.size();
    }

    /** Re-creates the devices from {@code types} with their saved state. */
    public void attach(Function<String, TypeRegistry.Provided<DeviceType>> types) {
        machine.call(() -> {
            machine.attach(detached, types);
            attached = true;
            return null;
        });
    }

    /** Undoes a successful {@link #attach} (for a rollback); the saved state stays as it was. */
    public void detachAgainIfAttached() {
        if (attached) {
            java.util.Set<String> ids = new java.util.HashSet<>();
            detached.forEach(d -> ids.add(d.id()));
            machine.call(() -> machine.detachById(ids::contains));
            attached = false;
        }
    }

    public void resume() {
        if (wasRunning) {
            machine.call(() -> {
                machine.resumeAfterSwap();
                return null;
            });
        }
    }
}
