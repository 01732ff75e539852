package org.machina.cpu.x86;

import org.machina.cpu.x86.fpu.X87State;

/**
 * The saved architectural state of an {@link X86Cpu} (version {@link #VERSION}), for hot-swap,
 * snapshots and migration. Segment arrays are indexed ES, CS, SS, DS, FS, GS; {@code segAttr}
 * holds descriptor bits 40..55. The TLB and caches are not state: they are rebuilt.
 */
public record X86CpuState(int[] regs, int eip, int eflags, int[] segSel, int[] segBase, int[] segLimit,
        int[] segAttr, int cpl, int cr0, int cr2, int cr3, int cr4, int[] dr, int gdtBase, int gdtLimit,
        int idtBase, int idtLimit, int ldtSel, int ldtBase, int ldtLimit, int trSel, int trBase, int trLimit,
        int trAttr, int sysenterCs, int sysenterEsp, int sysenterEip, long tscOffset, boolean halted,
        boolean irqShadow, boolean nmiBlocked, boolean nmiPending, X87State fpu) {
    /** Current layout version. */
    public static final int VERSION = 1;
}
