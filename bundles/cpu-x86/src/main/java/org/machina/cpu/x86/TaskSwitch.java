package org.machina.cpu.x86;

/**
 * Hardware task switches (JMP/CALL to a TSS or task gate, INT/exception through a task gate,
 * IRET with NT): the outgoing state is saved in the current TSS, the incoming one loaded, busy
 * bits and the back link maintained, CR0.TS set. Both TSS formats are handled; the outgoing
 * task is saved in the format of its own TSS, the incoming one read in the format of the new
 * TSS (SDM vol. 3 8.2.1, 8.3, 8.6).
 *
 * <pre>
 * 32-bit TSS (type 9/0xB)                          16-bit TSS (type 1/3, the 80286 format)
 *   0x00 back link   0x1c CR3   0x20 EIP            0x00 back link   0x0e IP   0x10 FLAGS
 *   0x24 EFLAGS      0x28..0x44 EAX..EDI            0x12..0x20 AX..DI
 *   0x48 ES  0x4c CS  0x50 SS  0x54 DS  0x58 FS     0x22 ES  0x24 CS  0x26 SS  0x28 DS
 *   0x5c GS  0x60 LDT  0x66 I/O map base            0x2a LDT
 * </pre>
 *
 * A 16-bit TSS has no CR3 (the paging structures stay), no FS/GS (a switch to it loads null
 * selectors there, as QEMU does) and no I/O bitmap; the upper halves of EIP, EFLAGS and the
 * general registers are lost (the SDM leaves the registers' upper halves undefined; they are
 * cleared here).
 */
final class TaskSwitch {
    static final int JMP = 0, CALL = 1, IRET = 2;

    /** Where a TSS format keeps each field; {@code width} is 2 or 4 bytes per register. */
    private record Layout(int width, int minLimit, int cr3, int eip, int eflags, int regs, int[] segs, int ldt) {
    }

    private static final Layout TSS32 = new Layout(4, 0x67, 0x1c, 0x20, 0x24, 0x28,
            new int[] {0x48, 0x4c, 0x50, 0x54, 0x58, 0x5c}, 0x60); // ES CS SS DS FS GS
    private static final Layout TSS16 = new Layout(2, 0x2b, -1, 0x0e, 0x10, 0x12,
            new int[] {0x22, 0x24, 0x26, 0x28, -1, -1}, 0x2a);

    private TaskSwitch() {
    }

    /** Switches to the TSS {@code sel}; {@code retEip} is saved as the outgoing task's EIP. */
    static void run(Protection c, int sel, int reason, int retEip, boolean hasErr, int err) {
        if ((sel & 4) != 0 || (sel & 0xfffc) == 0) throw c.raise(13, sel & 0xfffc);
        int descAddr = c.readDescriptor(sel, 13);
        int lo = c.descLo, hi = c.descHi;
        int type = (hi >>> 8) & 0x1f;
        if ((type & 0x15) != 1) throw c.raise(13, sel & 0xfffc); // 1, 3, 9, 0xB: a TSS
        boolean busy = (type & 2) != 0;
        if (reason == IRET ? !busy : busy) throw c.raise(13, sel & 0xfffc);
        if ((hi & 0x8000) == 0) throw c.raise(11, sel & 0xfffc);
        Layout in = (type & 8) != 0 ? TSS32 : TSS16;
        Layout out = (c.trAttr & 8) != 0 ? TSS32 : TSS16;
        int base = Protection.descBase(lo, hi);
        int limit = Protection.descLimit(lo, hi);
        if (limit < in.minLimit) throw c.raise(10, sel & 0xfffc);

        // save the outgoing task
        int old = c.trBase;
        int flags = c.getEflags();
        if (reason == IRET) flags &= ~X86State.NT;
        write(c, out, old + out.eip, retEip);
        write(c, out, old + out.eflags, flags);
        for (int i = 0; i < 8; i++) write(c, out, old + out.regs + i * out.width, c.r[i]);
        for (int s = 0; s < 6; s++) {
            if (out.segs[s] >= 0) c.sysWrite16(old + out.segs[s], c.segSel[s]);
        }
        if (reason != CALL) setBusy(c, c.trSel, false);

        // read the incoming task
        int ncr3 = in.cr3 < 0 ? c.cr3 : c.sysRead32(base + in.cr3);
        int neip = read(c, in, base + in.eip);
        int nflags = read(c, in, base + in.eflags);
        int[] regs = new int[8];
        for (int i = 0; i < 8; i++) regs[i] = read(c, in, base + in.regs + i * in.width);
        int[] sels = new int[6];
        for (int s = 0; s < 6; s++) sels[s] = in.segs[s] < 0 ? 0 : c.sysRead16(base + in.segs[s]);
        int nldt = c.sysRead16(base + in.ldt);
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
        if ((c.cr0 & Mmu.CR0_PG) != 0 && in.cr3 >= 0) {
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
        if (hasErr) c.push(in == TSS32, err); // the error code has the new TSS's width
    }

    private static int read(Protection c, Layout l, int addr) {
        return l.width == 4 ? c.sysRead32(addr) : c.sysRead16(addr);
    }

    private static void write(Protection c, Layout l, int addr, int v) {
        if (l.width == 4) c.sysWrite32(addr, v);
        else c.sysWrite16(addr, v);
    }

    private static void setBusy(Protection c, int sel, boolean busy) {
        if ((sel & 0xfffc) == 0) return;
        int addr = c.readDescriptor(sel, 13);
        c.sysWrite32(addr + 4, busy ? c.descHi | 0x200 : c.descHi & ~0x200);
    }
}
