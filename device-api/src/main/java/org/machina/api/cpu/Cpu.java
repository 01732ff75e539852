package org.machina.api.cpu;

import java.util.Map;
import org.machina.api.irq.IrqLine;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * One virtual CPU. {@link #run} executes guest code on the calling thread (the machine thread
 * for an interpreter) until a deadline, a halt, a debug event or an exit request.
 */
@ConsumerType
public interface Cpu {
    /** Runs until the virtual clock reaches {@code deadlineNanos} or another reason to stop. */
    ExitReason run(long deadlineNanos);

    /** Asks {@link #run} to return soon; callable from any thread. */
    void requestExit();

    /** Power-on/reset state (architectural reset values). */
    void reset();

    /** The maskable interrupt pin (INTR), driven by the interrupt controller. */
    IrqLine intr();

    /** The non-maskable interrupt pin. */
    IrqLine nmi();

    /**
     * The A20 gate input (the inverse of the x86 A20M# pin): while it is low the CPU clears bit 20
     * of every physical address it generates, so addresses wrap at 1 MiB as on an 8086. It is
     * high until driven; a CPU without such an input ignores it.
     */
    default IrqLine a20() {
        return IrqLine.NONE;
    }

    /**
     * Whether the CPU is halted and nothing it currently accepts can wake it (e.g. HLT with
     * interrupts disabled and no NMI): the machine can never continue.
     */
    boolean isStuck();

    /** Guest instructions retired since reset. */
    long instructionsRetired();

    /**
     * Profiling counters by name (instructions, interrupts, exceptions, TLB and code-cache
     * events: whatever the implementation counts), for {@code x-machina-query-cpu-stats}. Read
     * them on the machine thread for a consistent view.
     *
     * @since 1.2.0
     */
    default Map<String, Long> statistics() {
        return Map.of();
    }

    /**
     * The optional features this CPU was created with, by the names the model string enables
     * them with in QEMU's {@code -cpu MODEL,+FEATURE} spelling (for example {@code apic}); a board
     * builds the parts a feature needs outside the CPU (the x86 {@code apic} needs a local APIC,
     * an I/O APIC and their ACPI description).
     *
     * @since 1.4.0
     */
    default java.util.Set<String> features() {
        return java.util.Set.of();
    }

    /** The debug view: registers, memory as the CPU sees it, breakpoints, stepping. */
    CpuDebug debug();

    /** Why {@link #run} returned. */
    enum ExitReason {
        /** The deadline was reached. */
        DEADLINE,
        /** {@link #requestExit()} was called. */
        EXIT_REQUESTED,
        /** The CPU halted and waits for an interrupt. */
        HALTED,
        /** A breakpoint, watchpoint or single step completed; see {@link CpuDebug#lastStop()}. */
        DEBUG,
        /** The CPU shut down (triple fault) and asked the machine for a reset. */
        SHUTDOWN
    }
}
