package org.machina.cpu.x86;

import org.machina.api.memory.AddressSpace;

/**
 * Segmentation and control transfers between privilege levels: descriptor loads with their
 * checks, the stack, interrupt and exception delivery through the IVT/IDT (with the TSS stack
 * switch and V86 exits), IRET, far JMP/CALL/RET through code segments and call gates, and the
 * TSS I/O permission bitmap. Hardware task switches are not implemented (logged, #GP).
 */
abstract class Protection extends Mmu {
    private static final int[] DATA_SEGS = {ES, DS, FS, GS};

    // ---- rollback of a control transfer that faults halfway (CS/SS/CPL/EFLAGS already changed) ----
    /** Set when {@link #saveForRollback} captured the state of the current instruction. */
    boolean rollbackValid;
    private final int[] rbSel = new int[6], rbBase = new int[6], rbLimit = new int[6], rbAttr = new int[6];
    private int rbCpl, rbEflags;

    /** Captures segment caches, CPL and EFLAGS before a protected-mode control transfer. */
    final void saveForRollback() {
        if (rollbackValid) return;
        System.arraycopy(segSel, 0, rbSel, 0, 6);
        System.arraycopy(segBase, 0, rbBase, 0, 6);
        System.arraycopy(segLimit, 0, rbLimit, 0, 6);
        System.arraycopy(segAttr, 0, rbAttr, 0, 6);
        rbCpl = cpl;
        rbEflags = getEflags();
        rollbackValid = true;
    }

    /** Restores what {@link #saveForRollback} captured (the instruction faulted). */
    final void rollback() {
        if (!rollbackValid) return;
        System.arraycopy(rbSel, 0, segSel, 0, 6);
        System.arraycopy(rbBase, 0, segBase, 0, 6);
        System.arraycopy(rbLimit, 0, segLimit, 0, 6);
        System.arraycopy(rbAttr, 0, segAttr, 0, 6);
        cpl = rbCpl;
        eflags = rbEflags;
        lfOp = OP_NONE;
        rollbackValid = false;
    }

    Protection(AddressSpace mem) {
        super(mem);
    }

    // ---- stack ----
    final boolean stack32() {
        return (segAttr[SS] & 0x4000) != 0;
    }

    final int sp() {
        return stack32() ? r[ESP] : r[ESP] & 0xffff;
    }

    final void setSp(int v) {
        if (stack32()) r[ESP] = v;
        else setReg16(ESP, v);
    }

    final void push16(int v) {
        int sp = sp() - 2;
        int off = stack32() ? sp : sp & 0xffff;
        checkStack(off, 2);
        write16(segBase[SS] + off, v);
        setSp(sp);
    }

    final void push32(int v) {
        int sp = sp() - 4;
        int off = stack32() ? sp : sp & 0xffff;
        checkStack(off, 4);
        write32(segBase[SS] + off, v);
        setSp(sp);
    }

    final void push(boolean op32, int v) {
        if (op32) push32(v);
        else push16(v);
    }

    /**
     * Checks {@code count} pushes of {@code bytes} bytes each (2 or 4) below the stack top without
     * making them: the SS limit (#SS with {@code ssError}) and every page for writing (#PF), in
     * the order the pushes would be made. Instructions that push several values (PUSHA, ENTER,
     * far CALL, interrupt frames) call it first, so a fault on a later push leaves nothing written.
     */
    final void probePushes(int count, int bytes, int ssError) {
        int sp = sp();
        boolean s32 = stack32();
        for (int k = 1; k <= count; k++) {
            int off = sp - k * bytes;
            if (!s32) off &= 0xffff;
            int room;
            try {
                room = roomAt(SS, off);
            } catch (CpuFault f) { // #SS(0) from the limit check
                throw raise(12, ssError);
            }
            if (Integer.compareUnsigned(room, bytes - 1) < 0) throw raise(12, ssError);
            probeWrite(segBase[SS] + off, bytes);
        }
    }

    final int pop16() {
        int sp = sp();
        checkStack(sp, 2);
        int v = read16(segBase[SS] + sp);
        setSp(sp + 2);
        return v;
    }

    final int pop32() {
        int sp = sp();
        checkStack(sp, 4);
        int v = read32(segBase[SS] + sp);
        setSp(sp + 4);
        return v;
    }

    /**
     * The SS limit check for a stack access of {@code bytes} bytes at offset {@code off}
     * (expand-up or expand-down, 16- or 32-bit upper bound): #SS(0) when any byte is outside
     * (SDM vol. 3 5.3; in real mode too, where the limit is normally 0xFFFF).
     */
    final void checkStack(int off, int bytes) {
        if (Integer.compareUnsigned(roomAt(SS, off), bytes - 1) < 0) throw limitFault(SS);
    }

    /**
     * The segment checks of a memory access at {@code off} in segment {@code s} (see
     * {@link Decoder#checkLimit}, which records the result): returns how many bytes
     * past {@code off} still fit in segment {@code s} (unsigned; -1 for a segment with no
     * limit in real mode), or raises #GP(0)/#SS(0).
     */
    /** Attribute bits (P, S, code, expand-down) and their values for an open segment: a present expand-up data segment. */
    static final int OPEN_MASK = 0x9c, OPEN_DATA = 0x90;

    /**
     * Whether segment {@code s} is a present expand-up data segment with a 4 GiB limit (writable
     * when {@code write}): no offset of a 32-bit address is outside it, so accesses through it need
     * no limit checks (the translator's inline operands test the same at block entry).
     */
    final boolean openSegment(int s, boolean write) {
        int a = segAttr[s];
        return segLimit[s] == -1 && (a & OPEN_MASK) == OPEN_DATA && (!write || (a & 2) != 0);
    }

    final int roomAt(int s, int off) {
        int a = segAttr[s];
        if ((a & 0x80) == 0) {
            if (protectedMode() && !v86()) throw limitFault(s);
            return -1;
        }
        if (s == CS && (a & 0x0a) == 0x08 && protectedMode() && !v86()) throw limitFault(s); // execute-only
        int limit = segLimit[s];
        if ((a & 0x1c) == 0x14) { // expand-down: valid offsets are limit+1 .. upper
            int upper = (a & 0x4000) != 0 ? 0xffffffff : 0xffff;
            if (Integer.compareUnsigned(off, limit) <= 0 || Integer.compareUnsigned(off, upper) > 0) {
                throw limitFault(s);
            }
            return upper - off;
        }
        if (Integer.compareUnsigned(off, limit) > 0) throw limitFault(s);
        return limit - off;
    }

    /** #SS(0) for the stack segment, #GP(0) for the others. */
    final CpuFault limitFault(int s) {
        return raise(s == SS ? 12 : 13, 0);
    }

    final int pop(boolean op32) {
        return op32 ? pop32() : pop16();
    }

    // ---- descriptors ----
    static int descBase(int lo, int hi) {
        return (lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000);
    }

    static int descLimit(int lo, int hi) {
        int l = (lo & 0xffff) | (hi & 0xf0000);
        return (hi & 0x800000) != 0 ? (l << 12) | 0xfff : l;
    }

    int descLo, descHi; // last descriptor read

    /** Reads the descriptor of {@code sel} into descLo/descHi; raises #GP(sel) when outside its table. */
    final int readDescriptor(int sel, int vec) {
        int base, limit;
        if ((sel & 4) != 0) {
            base = ldtBase;
            limit = ldtLimit;
            if (ldtSel == 0) throw raise(vec, sel & 0xfffc);
        } else {
            base = gdtBase;
            limit = gdtLimit;
        }
        int off = sel & 0xfff8;
        if (off + 7 > limit) throw raise(vec, sel & 0xfffc);
        int addr = base + off;
        descLo = sysRead32(addr);
        descHi = sysRead32(addr + 4);
        return addr;
    }

    final void setSegment(int s, int sel, int lo, int hi) {
        segSel[s] = sel & 0xffff;
        segBase[s] = descBase(lo, hi);
        segLimit[s] = descLimit(lo, hi);
        segAttr[s] = (hi >>> 8) & 0xffff;
    }

    final void setSegmentReal(int s, int sel) {
        segSel[s] = sel & 0xffff;
        segBase[s] = (sel & 0xffff) << 4;
        if (v86()) {
            segLimit[s] = 0xffff;
            segAttr[s] = 0xf3 | (s == CS ? 0x8 : 0);
        } else if (s == CS) {
            segAttr[s] = 0x9b;
            segLimit[s] = 0xffff;
        } else if ((segAttr[s] & 0x80) == 0) {
            segAttr[s] = 0x93;
            segLimit[s] = 0xffff;
        }
    }

    private void setAccessed(int addr) {
        if ((descHi & 0x100) == 0) {
            descHi |= 0x100;
            sysWrite32(addr + 4, descHi);
        }
    }

    /** MOV/POP/LxS to a data or stack segment register, with protected-mode checks. */
    final void loadSegment(int s, int sel) {
        sel &= 0xffff;
        if (!protectedMode() || v86()) {
            setSegmentReal(s, sel);
            return;
        }
        if ((sel & 0xfffc) == 0) {
            if (s == SS) throw raise(13, 0);
            segSel[s] = sel;
            segBase[s] = 0;
            segLimit[s] = 0;
            segAttr[s] = 0; // unusable
            return;
        }
        int addr = readDescriptor(sel, 13);
        int type = (descHi >>> 8) & 0x1f;
        int dpl = (descHi >>> 13) & 3;
        int rpl = sel & 3;
        if (s == SS) {
            if (rpl != cpl || dpl != cpl || (type & 0x1a) != 0x12) throw raise(13, sel & 0xfffc);
            if ((descHi & 0x8000) == 0) throw raise(12, sel & 0xfffc);
        } else {
            if ((type & 0x10) == 0 || (type & 0x1a) == 0x18) throw raise(13, sel & 0xfffc); // system or exec-only
            boolean conformingCode = (type & 0x1c) == 0x1c;
            if (!conformingCode && dpl < Math.max(cpl, rpl)) throw raise(13, sel & 0xfffc);
            if ((descHi & 0x8000) == 0) throw raise(11, sel & 0xfffc);
        }
        setAccessed(addr);
        setSegment(s, sel, descLo, descHi);
    }

    /** Loads CS from a validated descriptor and sets CPL. */
    final void loadCs(int sel, int lo, int hi, int newCpl) {
        setSegment(CS, (sel & 0xfffc) | newCpl, lo, hi);
        cpl = newCpl;
    }

    /** Checks a code segment descriptor for a far JMP/CALL/RET target; returns its DPL. */
    final void checkCodeTarget(int sel, int vec) {
        if ((sel & 0xfffc) == 0) throw raise(13, 0);
        readDescriptor(sel, vec);
        if ((descHi & 0x1800) != 0x1800) throw raise(13, sel & 0xfffc);
        if ((descHi & 0x8000) == 0) throw raise(11, sel & 0xfffc);
    }

    // ---- far transfers ----
    final void farJump(int sel, int off, boolean op32, boolean call, int retEip) {
        if (!protectedMode() || v86()) {
            if (call) {
                probePushes(2, op32 ? 4 : 2, 0);
                push(op32, segSel[CS]);
                push(op32, retEip);
            }
            setSegmentReal(CS, sel);
            eip = op32 ? off : off & 0xffff;
            return;
        }
        if ((sel & 0xfffc) == 0) throw raise(13, 0);
        saveForRollback();
        int addr = readDescriptor(sel, 13);
        int lo = descLo, hi = descHi;
        int dpl = (hi >>> 13) & 3;
        int rpl = sel & 3;
        if ((hi & 0x1000) != 0) { // code segment
            if ((hi & 0x800) == 0) throw raise(13, sel & 0xfffc);
            if ((hi & 0x400) != 0) {
                if (dpl > cpl) throw raise(13, sel & 0xfffc);
            } else if (rpl > cpl || dpl != cpl) {
                throw raise(13, sel & 0xfffc);
            }
            if ((hi & 0x8000) == 0) throw raise(11, sel & 0xfffc);
            if (call) {
                probePushes(2, op32 ? 4 : 2, 0);
                push(op32, segSel[CS]);
                push(op32, retEip);
            }
            setAccessed(addr);
            loadCs(sel, lo, hi, cpl);
            eip = op32 ? off : off & 0xffff;
            return;
        }
        int type = (hi >>> 8) & 0xf;
        if (type == 4 || type == 0xc) { // call gate
            if (dpl < cpl || dpl < rpl) throw raise(13, sel & 0xfffc);
            if ((hi & 0x8000) == 0) throw raise(11, sel & 0xfffc);
            boolean gate32 = type == 0xc;
            int target = lo >>> 16;
            int gOff = gate32 ? (hi & 0xffff0000) | (lo & 0xffff) : lo & 0xffff;
            int params = hi & 0x1f;
            checkCodeTarget(target, 13);
            int clo = descLo, chi = descHi;
            int cdpl = (chi >>> 13) & 3;
            if (cdpl > cpl) throw raise(13, target & 0xfffc);
            if (call && (chi & 0x400) == 0 && cdpl < cpl) {
                int oldSs = segSel[SS], oldEsp = r[ESP], oldCs = segSel[CS];
                int oldSsBase = segBase[SS];
                boolean oldStack32 = stack32();
                int[] tmp = paramScratch;
                for (int i = 0; i < params; i++) {
                    int a = oldSsBase + (oldStack32 ? oldEsp : oldEsp & 0xffff) + i * (gate32 ? 4 : 2);
                    tmp[i] = gate32 ? read32(a) : read16(a);
                }
                switchToInnerStack(cdpl);
                // pushes onto the inner stack are made at the new (supervisor) privilege level
                boolean sa = supervisorAccess;
                supervisorAccess = true;
                try {
                    probePushes(4 + params, gate32 ? 4 : 2, segSel[SS] & 0xfffc); // #SS(new SS), SDM CALL
                    push(gate32, oldSs);
                    push(gate32, oldEsp);
                    for (int i = params - 1; i >= 0; i--) push(gate32, tmp[i]);
                    push(gate32, oldCs);
                    push(gate32, retEip);
                } finally {
                    supervisorAccess = sa;
                }
                loadCs(target, clo, chi, cdpl);
            } else {
                if (call) {
                    probePushes(2, gate32 ? 4 : 2, 0);
                    push(gate32, segSel[CS]);
                    push(gate32, retEip);
                }
                loadCs(target, clo, chi, cpl);
            }
            eip = gOff;
            return;
        }
        if (type == 5) { // task gate
            if (dpl < cpl || dpl < rpl) throw raise(13, sel & 0xfffc);
            if ((hi & 0x8000) == 0) throw raise(11, sel & 0xfffc);
            TaskSwitch.run(this, lo >>> 16, call ? TaskSwitch.CALL : TaskSwitch.JMP, retEip, false, 0);
            return;
        }
        if (type == 9 || type == 1) { // available 32- or 16-bit TSS
            if (dpl < cpl || dpl < rpl) throw raise(13, sel & 0xfffc);
            TaskSwitch.run(this, sel, call ? TaskSwitch.CALL : TaskSwitch.JMP, retEip, false, 0);
            return;
        }
        throw raise(13, sel & 0xfffc);
    }

    private final int[] paramScratch = new int[32];

    /** Loads SS:ESP for privilege level {@code dpl} from the current TSS. */
    final void switchToInnerStack(int dpl) {
        int ss, esp;
        if ((trAttr & 0x8) != 0) { // 32-bit TSS
            if (4 + dpl * 8 + 5 > trLimit) throw raise(10, trSel & 0xfffc);
            esp = sysRead32(trBase + 4 + dpl * 8);
            ss = sysRead16(trBase + 8 + dpl * 8);
        } else {
            if (2 + dpl * 4 + 3 > trLimit) throw raise(10, trSel & 0xfffc);
            esp = sysRead16(trBase + 2 + dpl * 4);
            ss = sysRead16(trBase + 4 + dpl * 4);
        }
        if ((ss & 0xfffc) == 0) throw raise(10, ss & 0xfffc);
        readDescriptor(ss, 10);
        int sdpl = (descHi >>> 13) & 3;
        if ((ss & 3) != dpl || sdpl != dpl || ((descHi >>> 8) & 0x1a) != 0x12) throw raise(10, ss & 0xfffc);
        if ((descHi & 0x8000) == 0) throw raise(12, ss & 0xfffc);
        setSegment(SS, ss, descLo, descHi);
        r[ESP] = esp;
    }

    final void farReturn(boolean op32, int imm) {
        if (!protectedMode() || v86()) {
            int off = pop(op32);
            int sel = pop(op32) & 0xffff;
            setSp(sp() + imm);
            setSegmentReal(CS, sel);
            eip = op32 ? off : off & 0xffff;
            return;
        }
        saveForRollback();
        int sp0 = sp();
        int ssb = segBase[SS];
        int s = op32 ? 4 : 2;
        int off = op32 ? read32(ssb + sp0) : read16(ssb + sp0);
        int sel = (op32 ? read32(ssb + sp0 + s) : read16(ssb + sp0 + s)) & 0xffff;
        int rpl = sel & 3;
        if (rpl < cpl) throw raise(13, sel & 0xfffc);
        checkCodeTarget(sel, 13);
        int lo = descLo, hi = descHi;
        if (rpl == cpl) {
            setSp(sp0 + 2 * s + imm);
            loadCs(sel, lo, hi, cpl);
            eip = op32 ? off : off & 0xffff;
            return;
        }
        int nsp = op32 ? read32(ssb + sp0 + 2 * s + imm) : read16(ssb + sp0 + 2 * s + imm);
        int nss = (op32 ? read32(ssb + sp0 + 3 * s + imm) : read16(ssb + sp0 + 3 * s + imm)) & 0xffff;
        loadCs(sel, lo, hi, rpl);
        loadSegment(SS, nss);
        setSp(nsp + imm);
        eip = op32 ? off : off & 0xffff;
        invalidateDataSegments();
    }

    /** After a return to an outer level, data segments the new CPL may not use become null. */
    final void invalidateDataSegments() {
        for (int s : DATA_SEGS) {
            int a = segAttr[s];
            int dpl = (a >>> 5) & 3;
            boolean conformingCode = (a & 0x1c) == 0x1c;
            if ((segSel[s] & 0xfffc) != 0 && !conformingCode && dpl < cpl) {
                segSel[s] = 0;
                segAttr[s] = 0;
            }
        }
    }

    /** Writes EFLAGS from a POPF/IRET image, honouring which bits this CPL may change. */
    final void writeEflags(int v, int changeable) {
        int mask = changeable;
        if (protectedMode() && cpl > 0) mask &= ~(IOPL | VM | VIF | VIP);
        if (protectedMode() && cpl > ((eflags >>> 12) & 3)) mask &= ~IF;
        int cur = getEflags();
        eflags = (cur & ~mask) | (v & mask) | 2;
        eflags &= ~(0x8 | 0x20 | 0x8000 | 0xffc00000);
        lfOp = OP_NONE;
    }

    // ---- interrupts ----
    /** Delivers interrupt {@code vec}; {@code software} for INT n (privilege checks), returning to {@code retEip}. */
    final void interrupt(int vec, boolean software, boolean hasErr, int err, int retEip) {
        if (!protectedMode()) {
            if (vec * 4 + 3 > idtLimit) throw raise(13, vec * 8 + 2);
            int flags = getEflags();
            probePushes(3, 2, 0);
            push16(flags);
            push16(segSel[CS]);
            push16(retEip);
            int ip = read16(idtBase + vec * 4);
            int cs = read16(idtBase + vec * 4 + 2);
            eflags = getEflags() & ~(IF | TF | AC | RF);
            lfOp = OP_NONE;
            setSegmentReal(CS, cs);
            eip = ip;
            return;
        }
        if (software && v86() && ((eflags >>> 12) & 3) < 3) throw raise(13, 0);
        if (software) saveForRollback(); // exceptions and IRQs are rolled back by the CPU's delivery
        try {
            interruptProtected(vec, software, hasErr, err, retEip);
        } catch (CpuFault f) {
            // SDM vol. 3 6.13: an exception raised while delivering an external event (an
            // interrupt or an earlier exception, not INT n/INT3/INTO) has EXT (bit 0) set in its
            // selector error code
            if (!software && f.hasError && f.vector >= 10 && f.vector <= 13) f.errorCode |= 1;
            throw f;
        }
    }

    private void interruptProtected(int vec, boolean software, boolean hasErr, int err, int retEip) {
        if (vec * 8 + 7 > idtLimit) throw raise(13, vec * 8 + 2);
        int lo = sysRead32(idtBase + vec * 8);
        int hi = sysRead32(idtBase + vec * 8 + 4);
        int type = (hi >>> 8) & 0x1f;
        int dpl = (hi >>> 13) & 3;
        if (type != 5 && type != 6 && type != 7 && type != 0xe && type != 0xf) throw raise(13, vec * 8 + 2);
        if (software && dpl < cpl) throw raise(13, vec * 8 + 2);
        if ((hi & 0x8000) == 0) throw raise(11, vec * 8 + 2);
        if (type == 5) {
            TaskSwitch.run(this, lo >>> 16, TaskSwitch.CALL, retEip, hasErr, err);
            return;
        }
        boolean gate32 = (type & 8) != 0;
        int target = lo >>> 16;
        int off = gate32 ? (hi & 0xffff0000) | (lo & 0xffff) : lo & 0xffff;
        if ((target & 0xfffc) == 0) throw raise(13, 0);
        readDescriptor(target, 13);
        int clo = descLo, chi = descHi;
        int cdpl = (chi >>> 13) & 3;
        if ((chi & 0x1800) != 0x1800 || cdpl > cpl) throw raise(13, target & 0xfffc);
        if ((chi & 0x8000) == 0) throw raise(11, target & 0xfffc);
        int flags = getEflags();
        boolean fromV86 = v86();
        boolean sa = supervisorAccess;
        try {
            deliverFrame(gate32, type, target, off, clo, chi, cdpl, flags, fromV86, hasErr, err, retEip);
        } finally {
            supervisorAccess = sa;
        }
    }

    /** Pushes the interrupt frame (switching stacks for an inner level) and enters the handler. */
    private void deliverFrame(boolean gate32, int type, int target, int off, int clo, int chi, int cdpl,
            int flags, boolean fromV86, boolean hasErr, int err, int retEip) {
        int n = gate32 ? 4 : 2, frame = hasErr ? 4 : 3;
        if ((chi & 0x400) == 0 && cdpl < cpl) {
            if (fromV86 && cdpl != 0) throw raise(13, target & 0xfffc);
            int oldSs = segSel[SS], oldEsp = r[ESP];
            switchToInnerStack(cdpl);
            supervisorAccess = true; // the frame goes onto the inner stack at the new privilege level
            // no room for the frame on the new stack: #SS(new SS) (SDM vol. 2 INT n, inter-privilege)
            probePushes(frame + (fromV86 ? 6 : 2), n, segSel[SS] & 0xfffc);
            if (fromV86) {
                eflags &= ~VM;
                push(gate32, segSel[GS]);
                push(gate32, segSel[FS]);
                push(gate32, segSel[DS]);
                push(gate32, segSel[ES]);
                for (int s : DATA_SEGS) {
                    segSel[s] = 0;
                    segAttr[s] = 0;
                    segBase[s] = 0;
                }
            }
            push(gate32, oldSs);
            push(gate32, oldEsp);
        } else if (fromV86) {
            throw raise(13, target & 0xfffc);
        } else {
            probePushes(frame, n, 0); // #SS(0), EXT added for external events
        }
        push(gate32, flags);
        push(gate32, segSel[CS]);
        push(gate32, retEip);
        if (hasErr) push(gate32, err);
        int newCpl = (chi & 0x400) != 0 ? cpl : cdpl;
        loadCs(target, clo, chi, newCpl);
        eip = gate32 ? off : off & 0xffff;
        eflags = getEflags() & ~(TF | NT | RF | VM | ((type & 1) == 0 ? IF : 0));
        lfOp = OP_NONE;
    }

    final void iret(boolean op32) {
        nmiBlocked = false;
        if (!protectedMode()) {
            int ip = pop(op32), cs = pop(op32), fl = pop(op32);
            setSegmentReal(CS, cs);
            eip = op32 ? ip : ip & 0xffff;
            writeEflags(fl, op32 ? 0x257fd5 : 0x7fd5);
            return;
        }
        if (v86()) {
            if (((eflags >>> 12) & 3) < 3) throw raise(13, 0);
            int ip = pop(op32), cs = pop(op32), fl = pop(op32);
            setSegmentReal(CS, cs);
            eip = op32 ? ip : ip & 0xffff;
            writeEflags(fl, (op32 ? 0x254dd5 : 0x4dd5) & ~IOPL);
            return;
        }
        if ((eflags & NT) != 0) {
            TaskSwitch.run(this, sysRead16(trBase), TaskSwitch.IRET, eip, false, 0);
            return;
        }
        saveForRollback();
        int sp0 = sp();
        int ssb = segBase[SS];
        int s = op32 ? 4 : 2;
        int ip = op32 ? read32(ssb + sp0) : read16(ssb + sp0);
        int cs = (op32 ? read32(ssb + sp0 + s) : read16(ssb + sp0 + s)) & 0xffff;
        int fl = op32 ? read32(ssb + sp0 + 2 * s) : read16(ssb + sp0 + 2 * s);
        if (op32 && (fl & VM) != 0 && cpl == 0) {
            int nesp = read32(ssb + sp0 + 12), nss = read32(ssb + sp0 + 16);
            int es = read32(ssb + sp0 + 20), ds = read32(ssb + sp0 + 24);
            int fs = read32(ssb + sp0 + 28), gs = read32(ssb + sp0 + 32);
            writeEflags(fl, 0x3f7fd5);
            cpl = 3;
            setSegmentReal(CS, cs);
            setSegmentReal(SS, nss);
            setSegmentReal(ES, es);
            setSegmentReal(DS, ds);
            setSegmentReal(FS, fs);
            setSegmentReal(GS, gs);
            segAttr[SS] &= ~0x4000;
            r[ESP] = nesp;
            eip = ip & 0xffff;
            return;
        }
        int rpl = cs & 3;
        if (rpl < cpl) throw raise(13, cs & 0xfffc);
        checkCodeTarget(cs, 13);
        int lo = descLo, hi = descHi;
        int dpl = (hi >>> 13) & 3;
        if ((hi & 0x400) != 0 ? dpl > rpl : dpl != rpl) throw raise(13, cs & 0xfffc);
        int mask = op32 ? 0x257fd5 : 0x7fd5;
        int oldCpl = cpl;
        if (rpl == cpl) {
            setSp(sp0 + 3 * s);
            loadCs(cs, lo, hi, cpl);
        } else {
            int nsp = op32 ? read32(ssb + sp0 + 3 * s) : read16(ssb + sp0 + 3 * s);
            int nss = (op32 ? read32(ssb + sp0 + 4 * s) : read16(ssb + sp0 + 4 * s)) & 0xffff;
            loadCs(cs, lo, hi, rpl);
            loadSegment(SS, nss);
            setSp(nsp);
        }
        eip = op32 ? ip : ip & 0xffff;
        int saved = cpl;
        cpl = oldCpl; // privilege of the IRET decides which flags change
        writeEflags(fl, mask);
        cpl = saved;
        if (rpl != oldCpl) invalidateDataSegments();
    }

    /** The I/O permission check for IN/OUT/INS/OUTS. */
    final void checkIo(int port, int size) {
        if (!protectedMode() || (!v86() && cpl <= ((eflags >>> 12) & 3))) return;
        if ((trAttr & 0xd) != 0x9 || trLimit < 0x67) throw raise(13, 0);
        int base = sysRead16(trBase + 0x66);
        int byteOff = base + (port >>> 3);
        if (byteOff + 1 > trLimit) throw raise(13, 0);
        int bits = sysRead16(trBase + byteOff);
        int need = ((1 << size) - 1) << (port & 7);
        if ((bits & need) != 0) throw raise(13, 0);
    }
}
