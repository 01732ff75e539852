package org.machina.api.cpu;

import org.machina.api.device.MachineControl;
import org.machina.api.fastpath.FastPathDispatch;
import org.machina.api.io.IoSpace;
import org.machina.api.irq.InterruptAcknowledge;
import org.machina.api.memory.AddressSpace;
import org.machina.api.time.VirtualClock;
import org.osgi.annotation.versioning.ProviderType;
import org.slf4j.Logger;

/** What the runtime gives a CPU: its buses, the interrupt controller, time and machine control. */
@ProviderType
public interface CpuContext {
    AddressSpace memory();

    IoSpace io();

    /** The current interrupt acknowledge handler (may change when the controller is hot-swapped). */
    InterruptAcknowledge interruptAcknowledge();

    VirtualClock clock();

    MachineControl machine();

    Logger log();

    /**
     * How the machine description asks the CPU to execute guest code, in QEMU's {@code -accel}
     * spelling (the x86 CPU knows {@code tcg[,thresh=N]}, its translator, and {@code interp});
     * empty for the CPU's default. A CPU refuses a value it does not know when it is created.
     *
     * @since 1.2.0
     */
    default String accelerator() {
        return "";
    }

    /**
     * Where the CPU offers port I/O and non-RAM memory accesses before the normal path
     * ({@link org.machina.api.fastpath}): the machine's attached fast-path handlers.
     * {@link FastPathDispatch#NONE} for contexts without a fast path.
     *
     * @since 1.3.0
     */
    default FastPathDispatch fastPath() {
        return FastPathDispatch.NONE;
    }

    /**
     * The local APIC a device of the machine implements for this CPU (IA32_APIC_BASE), or empty
     * when the machine has none: a CPU reports an APIC (CPUID) only while one is registered.
     *
     * @since 1.4.0
     */
    default java.util.Optional<LocalApic> localApic() {
        return java.util.Optional.empty();
    }
}
