package org.machina.runtime.machine;

import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import org.machina.api.cpu.CpuType;
import org.machina.api.device.DeviceType;
import org.osgi.framework.Bundle;

/**
 * One machine's part in a hot-swap: hold it paused for the swap, save and detach the affected
 * devices (and the CPU when its type is swapped), later re-attach them from (new or old) types
 * with the saved state, and release the hold. While held, the machine refuses a user's cont, reset and device changes
 * ({@link MachineImpl#HOT_SWAP} is an exclusive pause reason), so nothing runs the guest with its
 * devices detached.
 */
public final class Swapper {
    private final MachineImpl machine;
    private final List<MachineImpl.Detached> detached;
    /** The CPU taken out, or null when its type is not swapped. */
    private final MachineImpl.DetachedCpu cpu;
    private final long pausedAt = System.nanoTime();
    private boolean attached;
    private boolean cpuAttached;

    private Swapper(MachineImpl machine, MachineImpl.DetachedCpu cpu, List<MachineImpl.Detached> detached) {
        this.machine = machine;
        this.cpu = cpu;
        this.detached = detached;
    }

    /**
     * Holds {@code machine} paused and detaches devices whose type matches {@code types}, and the
     * CPU when its type matches {@code cpuTypes}; null when nothing matches.
     */
    public static Swapper pauseAndDetach(MachineImpl machine, Predicate<String> types, Predicate<String> cpuTypes) {
        return machine.call(() -> {
            boolean swapCpu = machine.cpuTypeName().filter(cpuTypes).isPresent();
            if (!swapCpu && machine.devicesOfTypes(types).isEmpty()) {
                return null;
            }
            machine.pauseForSwap();
            MachineImpl.DetachedCpu savedCpu = null;
            try {
                savedCpu = swapCpu ? machine.detachCpu() : null;
                return new Swapper(machine, savedCpu, machine.detach(types));
            } catch (RuntimeException e) {
                if (savedCpu != null) {
                    machine.reinstateCpu(savedCpu);
                }
                machine.resumeAfterSwap();
                throw e;
            }
        });
    }

    /** How many devices (and the CPU) the swap took out. */
    public int count() {
        return detached.size() + (cpu != null ? 1 : 0);
    }

    /** What the swap took out, by id ({@code cpu} for the CPU), for the swap's event. */
    List<String> ids() {
        List<String> ids = new java.util.ArrayList<>();
        if (cpu != null) {
            ids.add("cpu");
        }
        detached.forEach(d -> ids.add(d.id()));
        return ids;
    }

    /**
     * Re-creates the CPU from {@code cpuTypes} and the devices from {@code types}, with their
     * saved state.
     */
    public void attach(Function<String, TypeRegistry.Provided<CpuType>> cpuTypes,
            Function<String, TypeRegistry.Provided<DeviceType>> types) {
        machine.call(() -> {
            if (cpu != null) {
                machine.attachCpu(cpu, cpuTypes.apply(cpu.identity().typeName()));
                cpuAttached = true;
            }
            machine.attach(detached, types);
            attached = true;
            return null;
        });
    }

    /** Undoes a successful {@link #attach} (for a rollback); the saved state stays as it was. */
    public void detachAgainIfAttached() {
        machine.call(() -> {
            if (attached) {
                Set<String> ids = new HashSet<>();
                detached.forEach(d -> ids.add(d.id()));
                machine.detachById(ids::contains);
                attached = false;
            }
            if (cpuAttached) {
                machine.dropCpu();
                cpuAttached = false;
            }
            return null;
        });
    }

    /**
     * Releases the swap's hold: the machine runs again if it ran before and nothing else holds it.
     * Emits {@code X_MACHINA_BUNDLE_SWAPPED} with how long the swap held the machine, in
     * microseconds of host time ({@code outcome}: updated, rolled-back, save-failed, failed).
     */
    public void resume(Bundle bundle, String outcome) {
        resume(String.valueOf(bundle.getSymbolicName()), bundle.getVersion().toString(), outcome);
    }

    /** {@link #resume(Bundle, String)} for the bundle {@code bsn} at {@code version}. */
    public void resume(String bsn, String version, String outcome) {
        machine.call(() -> {
            machine.resumeAfterSwap();
            long pauseMicros = (System.nanoTime() - pausedAt) / 1000;
            machine.swapEnded(Map.of("bundle", bsn, "version", version, "outcome", outcome,
                    "devices", ids(), "pause-us", pauseMicros));
            return null;
        });
    }

    /**
     * Holds and detaches every machine of {@code machines} that uses one of the types. If that
     * fails on some machine, the machines held so far get their CPU and devices back from the old
     * types ({@code oldCpus}, {@code oldDevices}) and run again (reported as {@code save-failed}
     * for {@code bsn} {@code version}), and the failure is thrown.
     */
    public static List<Swapper> pauseAll(Collection<MachineImpl> machines, Predicate<String> types, Predicate<String> cpuTypes,
            Function<String, TypeRegistry.Provided<CpuType>> oldCpus, Function<String, TypeRegistry.Provided<DeviceType>> oldDevices,
            String bsn, String version) {
        List<Swapper> swaps = new java.util.ArrayList<>();
        try {
            for (MachineImpl m : machines) {
                Swapper s = pauseAndDetach(m, types, cpuTypes);
                if (s != null) {
                    swaps.add(s);
                }
            }
        } catch (RuntimeException e) {
            try {
                for (Swapper s : swaps) {
                    s.attach(oldCpus, oldDevices);
                }
            } catch (RuntimeException reattach) {
                e.addSuppressed(reattach);
            } finally {
                swaps.forEach(sw -> sw.resume(bsn, version, "save-failed"));
            }
            throw e;
        }
        return swaps;
    }
}
