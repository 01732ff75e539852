package org.machina.cpu.x86;

/**
 * Hardware task switches to a 32-bit TSS (JMP/CALL to a TSS or task gate, INT/exception through
 * a task gate, IRET with NT): the outgoing state is saved in the current TSS, the incoming one
 * loaded, busy bits and the back link maintained, CR0.TS set. 16-bit TSSs are refused (#GP).
 *
 * <pre>
 * 32-bit TSS layout used here
 *   0x00 back link   0x1c CR3   0x20 EIP   0x24 EFLAGS   0x28..0x44 EAX..EDI
 *   0x48 ES  0x4c CS  0x50 SS  0x54 DS  0x58 FS  0x5c GS  0x60 LDT  0x66 I/O map base
 * </pre>
 */
final class TaskSwitch {
    static final int JMP = 0, CALL = 1, IRET = 2;
    private static final int[] SEG_OFFSET = {0x48, 0x4c, 0x50, 0x54, 0x58, 0x5c}; // ES CS SS DS FS GS

    private TaskSwitch() {
    }

    /** Switches to the TSS {@code sel}; {@code retEip} is saved as the outgoing task's EIP. */
    static void run(Protection c, int sel, int reason, int retEip, boolean hasErr, int err) {
        if ((sel & 4) != 0 || (sel & 0xfffc) == 0) throw c.raise(13, sel & 0xfffc);
        int descAddr = c.readDescriptor(sel, 13);
        int lo = c.descLo, hi = c.descHi;
        int type = (hi >>> 8) & 0x1f;
        if (type != 9 && type != 0xb) {
            if (type == 1 || type == 3) {
                c.warnOnce("tss16", "task switch to a 16-bit TSS (selector 0x" + Integer.toHexString(sel)
                        + ") is not implemented; raising #GP");
            }
            throw c.raise(13, sel & 0xfffc);
        }
        if (reason == IRET ? type != 0xb : type != 9) throw c.raise(13, sel & 0xfffc);
        if ((hi & 0x8000) == 0) throw c.raise(11, sel & 0xfffc);
        int base = Protection.descBase(lo, hi);
        int limit = Protection.descLimit(lo, hi);
        if (limit < 0x67) throw c.raise(10, sel & 0xfffc);

        // save the outgoing task
        int old = c.trBase;
        int flags = c.getEflags();
        if (reason == IRET) flags &= ~X86State.NT;
        c.sysWrite32(old + 0x20, retEip);
        c.sysWrite32(old + 0x24, flags);
        for (int i = 0; i < 8; i++) c.sysWrite32(old + 0x28 + i * 4, c.r[i]);
        for (int s = 0; s < 6; s++) c.sysWrite16(old + SEG_OFFSET[s], c.segSel[s]);
        if (reason != CALL) setBusy(c, c.trSel, false);

        // read the incoming task
        int ncr3 = c.sysRead32(base + 0x1c);
        int neip = c.sysRead32(base + 0x20);
        int nflags = c.sysRead32(base + 0x24);
        int[] regs = new int[8];
        for (int i = 0; i < 8; i++) regs[i] = c.sysRead32(base + 0x28 + i * 4);
        int[] sels = new int[6];
        for (int s = 0; s < 6; s++) sels[s] = c.sysRead16(base + SEG_OFFSET[s]);
        int nldt = c.sysRead16(base + 0x60);
        if (reason == CALL) {
            c.sysWrite16(base, c.trSel);
            nflags |= X86State.NT;
        }
        if (reason != IRET) {
            c.descHi = c.sysRead32(descAddr + 4) | 0x200;
            c.sysWrite32(descAddr + 4, c.descHi);
            hi |= 0x200;
        }
        c.trSel = sel;
        c.trBase = base;
        c.trLimit = limit;
        c.trAttr = (hi >>> 8) & 0xffff;
        c.cr0 |= Mmu.CR0_TS;
        if ((c.cr0 & Mmu.CR0_PG) != 0) {
            c.cr3 = ncr3;
            c.flushTlb();
        }
        c.eip = neip;
        c.eflags = nflags | 2;
        c.lfOp = X86State.OP_NONE;
        System.arraycopy(regs, 0, c.r, 0, 8);

        // LDT, then segments (faults here are taken in the new task)
        if ((nldt & 0xfffc) == 0) {
            c.ldtSel = 0;
        } else {
            if ((nldt & 4) != 0) throw c.raise(10, nldt & 0xfffc);
            c.readDescriptor(nldt, 10);
            if (((c.descHi >>> 8) & 0x1f) != 2) throw c.raise(10, nldt & 0xfffc);
            c.ldtSel = nldt;
            c.ldtBase = Protection.descBase(c.descLo, c.descHi);
            c.ldtLimit = Protection.descLimit(c.descLo, c.descHi);
        }
        if ((nflags & X86State.VM) != 0) {
            c.cpl = 3;
            for (int s = 0; s < 6; s++) c.setSegmentReal(s, sels[s]);
        } else {
            int ncs = sels[X86State.CS];
            c.checkCodeTarget(ncs, 10);
            c.loadCs(ncs, c.descLo, c.descHi, ncs & 3);
            c.loadSegment(X86State.SS, sels[X86State.SS]);
            for (int s : new int[] {X86State.ES, X86State.DS, X86State.FS, X86State.GS}) c.loadSegment(s, sels[s]);
        }
        if (hasErr) c.push(true, err);
    }

    private static void setBusy(Protection c, int sel, boolean busy) {
        if ((sel & 0xfffc) == 0) return;
        int addr = c.readDescriptor(sel, 13);
        c.sysWrite32(addr + 4, busy ? c.descHi | 0x200 : c.descHi & ~0x200);
    }
}
