package org.machina.cpu.x86.fpu;

/**
 * Guest memory as the x87 unit sees it: linear addresses, little-endian. Implemented by the CPU; any
 * method may throw the CPU's fault exception, which the FPU lets propagate untouched (the FPU state
 * is only changed after all memory reads of an instruction have succeeded).
 */
public interface FpuMemory {
    int read8(int linear);
    int read16(int linear);
    int read32(int linear);
    long read64(int linear);
    void write8(int linear, int v);
    void write16(int linear, int v);
    void write32(int linear, int v);
    void write64(int linear, long v);
}
