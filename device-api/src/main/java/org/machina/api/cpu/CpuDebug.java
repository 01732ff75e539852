package org.machina.api.cpu;

import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The debugger's view of a CPU, as a GDB stub needs it. All methods are called on the machine
 * thread while the CPU is not running.
 */
@ProviderType
public interface CpuDebug {
    /** Register names in the debugger's order (for x86: GDB's i386 order). */
    List<RegisterInfo> registers();

    long readRegister(int index);

    void writeRegister(int index, long value);

    /** Reads guest memory at a virtual (linear, paged) address; returns the bytes read (short at a fault). */
    int readVirtual(long address, byte[] buffer, int offset, int length);

    int writeVirtual(long address, byte[] buffer, int offset, int length);

    /** Translates a virtual address to physical, or -1 when not mapped. */
    long virtualToPhysical(long address);

    void addBreakpoint(long address);

    void removeBreakpoint(long address);

    /** Adds a watchpoint on {@code length} bytes at virtual {@code address}. */
    void addWatchpoint(long address, int length, WatchKind kind);

    void removeWatchpoint(long address, int length, WatchKind kind);

    /** Arms a single step: the next {@link Cpu#run} executes one instruction and returns DEBUG. */
    void singleStep();

    /** What stopped the CPU last time {@link Cpu#run} returned DEBUG. */
    StopEvent lastStop();

    /** Register description. */
    record RegisterInfo(String name, int bits) {
    }

    /** Watchpoint kinds. */
    enum WatchKind { WRITE, READ, ACCESS }

    /** A debug stop: a breakpoint or watchpoint hit, or a completed step, at {@code pc}. */
    record StopEvent(Kind kind, long pc, long dataAddress) {
        /** Stop kinds. */
        public enum Kind { BREAKPOINT, WATCHPOINT, STEP }
    }
}
