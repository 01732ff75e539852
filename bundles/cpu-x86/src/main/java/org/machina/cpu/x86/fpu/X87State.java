package org.machina.cpu.x86.fpu;

/**
 * Saved x87 state for snapshots and migration (embed it in the CPU's state record).
 * Registers are in physical order R0..R7 as 20 hex digits each (sign/exponent word, then
 * significand), so 64-bit significands survive a JSON round trip exactly.
 *
 * @param version     layout version of this record (currently {@link #VERSION})
 * @param controlWord the FPU control word
 * @param statusWord  the FPU status word including TOP
 * @param tagWord     the full two-bit-per-register tag word (only "empty" is significant)
 * @param registers   R0..R7
 * @param fip         last instruction pointer
 * @param fcs         last instruction code segment selector
 * @param fop         last opcode (11 bits)
 * @param fdp         last data pointer
 * @param fds         last data segment selector
 */
public record X87State(int version, int controlWord, int statusWord, int tagWord, String[] registers,
                       int fip, int fcs, int fop, int fdp, int fds) {
    public static final int VERSION = 1;
}
