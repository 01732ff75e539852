package org.machina.runtime.machine;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import org.machina.api.device.DeviceType;
import org.osgi.framework.Bundle;

/**
 * One machine's part in a hot-swap: hold it paused for the swap, save and detach the affected
 * devices, later re-attach them from (new or old) types with the saved state, and release the
 * hold. While held, the machine refuses a user's cont, reset and device changes
 * ({@link MachineImpl#HOT_SWAP} is an exclusive pause reason), so nothing runs the guest with its
 * devices detached.
 */
public final class Swapper {
    private final MachineImpl machine;
    private final List<MachineImpl.Detached> detached;
    private final long pausedAt = System.nanoTime();
    private boolean attached;

    private Swapper(MachineImpl machine, List<MachineImpl.Detached> detached) {
        this.machine = machine;
        this.detached = detached;
    }

    /** Holds {@code machine} paused and detaches devices whose type matches; null when it has none. */
    public static Swapper pauseAndDetach(MachineImpl machine, Predicate<String> types) {
        return machine.call(() -> {
            if (machine.devicesOfTypes(types).isEmpty()) {
                return null;
            }
            machine.pauseForSwap();
            try {
                return new Swapper(machine, machine.detach(types));
            } catch (RuntimeException e) {
                machine.resumeAfterSwap();
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
            Set<String> ids = new HashSet<>();
            detached.forEach(d -> ids.add(d.id()));
            machine.call(() -> machine.detachById(ids::contains));
            attached = false;
        }
    }

    /**
     * Releases the swap's hold: the machine runs again if it ran before and nothing else holds it.
     * Emits {@code X_MACHINA_BUNDLE_SWAPPED} with how long the swap held the machine, in
     * microseconds of host time ({@code outcome}: updated, rolled-back, save-failed, failed).
     */
    public void resume(Bundle bundle, String outcome) {
        machine.call(() -> {
            machine.resumeAfterSwap();
            long pauseMicros = (System.nanoTime() - pausedAt) / 1000;
            machine.swapEnded(Map.of("bundle", String.valueOf(bundle.getSymbolicName()),
                    "version", bundle.getVersion().toString(), "outcome", outcome,
                    "devices", detached.stream().map(MachineImpl.Detached::id).toList(), "pause-us", pauseMicros));
            return null;
        });
    }
}
