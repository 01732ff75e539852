package org.machina.cpu.x86;

/**
 * An architectural exception raised while executing an instruction (#GP, #PF, #UD, ...).
 * Preallocated and stackless: faults are control flow in an interpreter, not errors.
 */
final class CpuFault extends RuntimeException {
    int vector;
    int errorCode;
    boolean hasError;

    CpuFault() {
        super(null, null, false, false);
    }

    CpuFault set(int vector, int errorCode, boolean hasError) {
        this.vector = vector;
        this.errorCode = errorCode;
        this.hasError = hasError;
        return this;
    }
}
