package org.machina.cpu.x86;

import org.machina.api.cpu.CpuContext;

/**
 * The two-byte (0F) opcode map: system instructions (descriptor tables, control and debug
 * registers, MSRs, CPUID, SYSENTER/SYSEXIT) and the i386..P6 integer additions.
 */
abstract class Extended extends Interpreter {
    static final int MSR_SYSENTER_CS = 0x174, MSR_SYSENTER_ESP = 0x175, MSR_SYSENTER_EIP = 0x176, MSR_TSC = 0x10;
    static final int MSR_PLATFORM_ID = 0x17, MSR_EBL_CR_POWERON = 0x2a, MSR_BIOS_SIGN_ID = 0x8b;
    static final int MSR_APIC_BASE = 0x1b;
    /** Nominal core frequency used to scale the virtual clock into TSC ticks. */
    static final long TSC_HZ = 1_000_000_000L;

    final CpuModel model;
    /** The {@code apic} feature ({@code -cpu MODEL,+apic}): IA32_APIC_BASE and CPUID go to the machine's local APIC. */
    boolean apicFeature;
    int sysenterCs, sysenterEsp, sysenterEip;
    long tscOffset;

    Extended(CpuContext ctx, CpuModel model) {
        super(ctx);
        this.model = model;
    }

    final long tsc() {
        return ctx.clock().nanos() * (TSC_HZ / 1_000_000_000L) + tscOffset;
    }

    /** The machine's local APIC when this CPU has the {@code apic} feature and a device registered one. */
    final org.machina.api.cpu.LocalApic localApic() {
        return apicFeature ? ctx.localApic().orElse(null) : null;
    }

    /** Called after a MOV to a debug register. */
    abstract void debugRegistersChanged();

    private void requireCpl0() {
        if (v86() || (protectedMode() && cpl != 0)) throw raise(13, 0);
    }

    @Override
    final void exec0F(int b) {
        int os = osize();
        if (b >= 0x80 && b <= 0x8f) {
            jcc(b & 15, fetchImm(os));
            return;
        }
        if (b >= 0x40 && b <= 0x4f) {
            cmov(b, os);
            return;
        }
        if (b >= 0x90 && b <= 0x9f) {
            setcc(b & 15);
            return;
        }
        if (b >= 0xc8 && b <= 0xcf) {
            r[b & 7] = Integer.reverseBytes(r[b & 7]);
            return;
        }
        switch (b) {
            case 0x00: group6(); return;
            case 0x01: group7(); return;
            case 0x02: case 0x03: larLsl(b == 0x02); return;
            case 0x06: requireCpl0(); cr0 &= ~CR0_TS; return;
            case 0x08: case 0x09: requireCpl0(); return;
            case 0x0b: throw raise(6);
            case 0x18: case 0x19: case 0x1a: case 0x1b: case 0x1c: case 0x1d: case 0x1e: case 0x1f:
                decodeModrmNoAccess(); return; // hint NOPs access no memory
            case 0x20: case 0x22: movCr(b == 0x22); return;
            case 0x21: case 0x23: movDr(b == 0x23); return;
            case 0x30: if (!model.hasTsc()) throw undefined(0x0f30); wrmsr(); return;
            case 0x31:
                if ((cr4 & CR4_TSD) != 0 && cpl != 0) throw raise(13, 0);
                if (!model.hasTsc()) throw undefined(0x0f31);
                long t = tsc();
                r[EAX] = (int) t;
                r[EDX] = (int) (t >>> 32);
                return;
            case 0x32: if (!model.hasTsc()) throw undefined(0x0f32); rdmsr(); return;
            case 0x34: if (!model.hasSep()) throw undefined(0x0f34); sysenter(); return;
            case 0x35: if (!model.hasSep()) throw undefined(0x0f35); sysexit(); return;
            case 0xa0: push(op32, segSel[FS]); return;
            case 0xa1: loadSegment(FS, pop(op32)); return;
            case 0xa2: if (!model.hasCpuid()) throw undefined(0x0fa2); Cpuid.execute(this); return;
            case 0xa3: case 0xab: case 0xb3: case 0xbb: bitOp(b); return;
            case 0xa4: case 0xa5: case 0xac: case 0xad: {
                decodeModrm();
                int c = b == 0xa4 || b == 0xac ? fetch8() : r[ECX];
                writeRm(os, doubleShift(b < 0xa8, readRmw(os), readReg(reg, os), c, os));
                return;
            }
            case 0xa8: push(op32, segSel[GS]); return;
            case 0xa9: loadSegment(GS, pop(op32)); return;
            case 0xaf: imulRegRm(os); return;
            case 0xb0: case 0xb1: {
                int sz = b == 0xb0 ? 0 : os;
                decodeModrm();
                int d = readRmw(sz); // always written: a read-only destination faults before the flags change
                int a = readReg(EAX, sz);
                alu(7, a, d, sz);
                if (((a ^ d) & MASK[sz]) == 0) writeRm(sz, readReg(reg, sz));
                else {
                    writeRm(sz, d); // the destination is always written
                    writeReg(EAX, sz, d);
                }
                return;
            }
            case 0xb2: case 0xb4: case 0xb5: {
                decodeModrm();
                if (mod == 3) throw undefined(0x0f00 | b);
                int off = readMem(eaLin, os);
                int sel = read16(eaLin + (op32 ? 4 : 2));
                loadSegment(b == 0xb2 ? SS : b == 0xb4 ? FS : GS, sel);
                writeReg(reg, os, off);
                return;
            }
            case 0xb6: case 0xb7: case 0xbe: case 0xbf: movExtend(b, os); return;
            case 0xba: {
                decodeModrm();
                if (reg < 4) throw undefined(0x0fba);
                int bit = fetch8() & (op32 ? 31 : 15);
                int v = reg == 4 ? readRm(os) : readRmw(os);
                writeBit(reg & 3, v, bit, mod == 3 ? -1 : eaLin, os);
                return;
            }
            case 0xbc: case 0xbd: {
                decodeModrm();
                int i = bitScan(readRm(os), os, b == 0xbd);
                if (i >= 0) writeReg(reg, os, i);
                return;
            }
            case 0xc0: case 0xc1: {
                int sz = b == 0xc0 ? 0 : os;
                decodeModrm();
                int d = readRmw(sz), s = readReg(reg, sz);
                int sum = alu(0, d, s, sz);
                writeReg(reg, sz, d);
                writeRm(sz, sum); // last: for XADD r, r with the same register the sum wins
                return;
            }
            case 0xc7: {
                if (!model.hasTsc()) throw undefined(0x0fc7); // CMPXCHG8B came with the Pentium
                decodeModrm();
                if (reg != 1 || mod == 3) throw undefined(0x0fc7);
                checkEnd(3);
                requireWritableSegment(); // it always writes, also when the comparison fails
                probeWrite(eaLin, 8);
                long v = read64(eaLin);
                long cmp = (r[EAX] & 0xffffffffL) | ((long) r[EDX] << 32);
                int f = getEflags() & ARITH & ~ZF;
                if (v == cmp) {
                    write64(eaLin, (r[EBX] & 0xffffffffL) | ((long) r[ECX] << 32));
                    f |= ZF;
                } else {
                    write64(eaLin, v);
                    r[EAX] = (int) v;
                    r[EDX] = (int) (v >>> 32);
                }
                setArith(f);
                return;
            }
            default: throw undefined(0x0f00 | b);
        }
    }

    /*
     * The common instructions' bodies, one small method each (see Interpreter#aluRmReg): C2
     * inlines the helpers they call, which it does not at the cases of exec0F.
     */

    private void cmov(int b, int os) {
        if (!model.hasCmov()) throw undefined(0x0f00 | b);
        decodeModrm();
        int v = readRm(os);
        if (cond(b & 15)) writeReg(reg, os, v);
    }

    private void setcc(int cc) {
        decodeModrm();
        writeRm(0, cond(cc) ? 1 : 0);
    }

    private void imulRegRm(int os) {
        decodeModrm();
        writeReg(reg, os, imul(readReg(reg, os), readRm(os), os));
    }

    /** MOVZX (B6, B7) and MOVSX (BE, BF). */
    private void movExtend(int b, int os) {
        decodeModrm();
        int v = readRm((b & 1) == 0 ? 0 : 1);
        if (b >= 0xbe) v = (b & 1) == 0 ? (byte) v : (short) v;
        writeReg(reg, os, v);
    }

    private void bitOp(int b) {
        int os = osize();
        decodeModrm();
        int bitOff = readReg(reg, os);
        int kind = b == 0xa3 ? 0 : b == 0xab ? 1 : b == 0xb3 ? 2 : 3;
        if (mod == 3) {
            writeBit(kind, readReg(rm, os), bitOff & (op32 ? 31 : 15), -1, os);
            return;
        }
        int bits = op32 ? 32 : 16;
        int sbit = op32 ? bitOff : (short) bitOff;
        int lin = eaLin + (Math.floorDiv(sbit, bits) * (bits / 8));
        if (kind != 0) { // BTS/BTR/BTC: the write is checked before CF changes
            requireWritableSegment();
            probeWrite(lin, bits / 8);
        }
        writeBit(kind, readMem(lin, os), Math.floorMod(sbit, bits), lin, os);
    }

    /** BT/BTS/BTR/BTC (kind 0..3) of {@code bit} in {@code v}; writes back to memory or r/m register. */
    private void writeBit(int kind, int v, int bit, int lin, int os) {
        if (kind != 0 && lin != -1) requireWritableSegment();
        boolean set = ((v >>> bit) & 1) != 0;
        setArith((getEflags() & ~CF) | (set ? CF : 0));
        if (kind == 0) return;
        int nv = kind == 1 ? v | (1 << bit) : kind == 2 ? v & ~(1 << bit) : v ^ (1 << bit);
        if (lin == -1) writeReg(rm, os, nv);
        else writeMem(lin, os, nv);
    }

    private void group6() {
        decodeModrm();
        if (!protectedMode() || v86()) throw undefined(0x0f00);
        switch (reg) {
            case 0: writeSel(ldtSel); return;
            case 1: writeSel(trSel); return;
            case 2: {
                requireCpl0();
                int sel = readRm(1);
                if ((sel & 0xfffc) == 0) {
                    ldtSel = 0;
                    return;
                }
                if ((sel & 4) != 0) throw raise(13, sel & 0xfffc);
                readDescriptor(sel, 13);
                if (((descHi >>> 8) & 0x1f) != 2) throw raise(13, sel & 0xfffc);
                if ((descHi & 0x8000) == 0) throw raise(11, sel & 0xfffc);
                ldtSel = sel;
                ldtBase = descBase(descLo, descHi);
                ldtLimit = descLimit(descLo, descHi);
                return;
            }
            case 3: {
                requireCpl0();
                int sel = readRm(1);
                if ((sel & 0xfffc) == 0 || (sel & 4) != 0) throw raise(13, sel & 0xfffc);
                int addr = readDescriptor(sel, 13);
                int type = (descHi >>> 8) & 0x1f;
                if (type != 1 && type != 9) throw raise(13, sel & 0xfffc);
                if ((descHi & 0x8000) == 0) throw raise(11, sel & 0xfffc);
                descHi |= 0x200; // busy
                sysWrite32(addr + 4, descHi);
                trSel = sel;
                trBase = descBase(descLo, descHi);
                trLimit = descLimit(descLo, descHi);
                trAttr = (descHi >>> 8) & 0xffff;
                return;
            }
            case 4: case 5: { // VERR / VERW
                int sel = readRm(1);
                boolean ok = false;
                if ((sel & 0xfffc) != 0) {
                    try {
                        readDescriptor(sel, 13);
                        int type = (descHi >>> 8) & 0x1f;
                        int dpl = (descHi >>> 13) & 3;
                        boolean conforming = (type & 0x1c) == 0x1c;
                        boolean priv = conforming || dpl >= Math.max(cpl, sel & 3);
                        ok = priv && (type & 0x10) != 0
                                && (reg == 4 ? ((type & 8) == 0 || (type & 2) != 0) : (type & 0x1a) == 0x12);
                    } catch (CpuFault f) {
                        if (f.vector != 13) throw f;
                    }
                }
                setArith((getEflags() & ~ZF) | (ok ? ZF : 0));
                return;
            }
            default: throw undefined(0x0f00);
        }
    }

    private void writeSel(int sel) {
        if (mod == 3) {
            writeReg(rm, osize(), sel);
        } else {
            requireWritableSegment();
            write16(eaLin, sel);
        }
    }

    private void group7() {
        decodeModrm();
        switch (reg) {
            case 0: case 1: {
                if (mod == 3) throw undefined(0x0f01);
                int lim = reg == 0 ? gdtLimit : idtLimit, base = reg == 0 ? gdtBase : idtBase;
                checkOperandPart(eaLin, 6);
                requireWritableSegment();
                probeWrite(eaLin, 6); // both parts, before the limit is written
                write16(eaLin, lim);
                write32(eaLin + 2, op32 ? base : base & 0xffffff);
                return;
            }
            case 2: case 3: {
                if (mod == 3) throw undefined(0x0f01);
                requireCpl0();
                int lim = read16(eaLin);
                int base = read32(eaLin + 2);
                if (!op32) base &= 0xffffff;
                if (reg == 2) {
                    gdtLimit = lim;
                    gdtBase = base;
                } else {
                    idtLimit = lim;
                    idtBase = base;
                }
                return;
            }
            case 4: writeRm(mod == 3 ? osize() : 1, cr0); return;
            case 6: {
                requireCpl0();
                int v = readRm(1);
                setCr0((cr0 & ~0xe) | (v & 0xf) | (cr0 & 1)); // LMSW cannot clear PE
                return;
            }
            case 7: {
                if (mod == 3) throw undefined(0x0f01);
                requireCpl0();
                flushTlbPage(eaLin);
                return;
            }
            default: throw undefined(0x0f01);
        }
    }

    final void setCr0(int v) {
        v |= 0x10; // ET
        if ((v & CR0_PG) != 0 && (v & CR0_PE) == 0) throw raise(13, 0);
        if (((v ^ cr0) & (CR0_PG | CR0_WP | CR0_PE)) != 0) flushTlb();
        cr0 = v;
    }

    private void movCr(boolean toCr) {
        modrm = fetch8();
        reg = (modrm >>> 3) & 7;
        rm = modrm & 7;
        requireCpl0();
        if (toCr) {
            int v = r[rm];
            switch (reg) {
                case 0: setCr0(v); return;
                case 2: cr2 = v; return;
                case 3: cr3 = v; flushTlbNonGlobal(); return;
                case 4:
                    if ((v & ~(CR4_VME | CR4_PVI | CR4_TSD | CR4_DE | CR4_PSE | CR4_PGE | 0x100 | 0x200)) != 0) {
                        throw raise(13, 0);
                    }
                    if ((v & (CR4_VME | CR4_PVI)) != 0) {
                        warnOnce("cr4vme", "CR4.VME/PVI set at " + Integer.toHexString(startEip)
                                + ": virtual-8086 mode extensions are not implemented (nor advertised by CPUID);"
                                + " virtual-8086 mode and protected-mode interrupts behave as without them");
                    }
                    cr4 = v;
                    flushTlb();
                    return;
                default: throw undefined(0x0f22);
            }
        }
        switch (reg) {
            case 0: r[rm] = cr0; return;
            case 2: r[rm] = cr2; return;
            case 3: r[rm] = cr3; return;
            case 4: r[rm] = cr4; return;
            default: throw undefined(0x0f20);
        }
    }

    private void movDr(boolean toDr) {
        modrm = fetch8();
        reg = (modrm >>> 3) & 7;
        rm = modrm & 7;
        requireCpl0();
        int d = reg;
        if (d == 4 || d == 5) {
            if ((cr4 & CR4_DE) != 0) throw raise(6);
            d += 2;
        }
        if (toDr) {
            dr[d] = d == 7 ? (r[rm] | 0x400) : d == 6 ? (r[rm] | 0xffff0ff0) : r[rm];
            debugRegistersChanged();
        } else {
            r[rm] = d == 6 ? dr[6] | 0xffff0ff0 : d == 7 ? dr[7] | 0x400 : dr[d];
        }
    }

    private void rdmsr() {
        requireCpl0();
        int msr = r[ECX];
        long v;
        switch (msr) {
            case MSR_SYSENTER_CS: v = sysenterCs; break;
            case MSR_SYSENTER_ESP: v = sysenterEsp; break;
            case MSR_SYSENTER_EIP: v = sysenterEip; break;
            case MSR_TSC: v = tsc(); break;
            case MSR_PLATFORM_ID: case MSR_EBL_CR_POWERON: case MSR_BIOS_SIGN_ID: v = 0; break; // no microcode update
            case MSR_APIC_BASE:
                if (localApic() != null) {
                    v = localApic().apicBase();
                    break;
                }
                // no APIC: unsupported
            default:
                warnOnce("rdmsr" + msr, "RDMSR of unsupported MSR 0x" + Integer.toHexString(msr) + " at "
                        + Integer.toHexString(startEip) + ": #GP (supported: 0x10, 0x17, 0x2a, 0x8b, 0x174-0x176)");
                throw raise(13, 0);
        }
        r[EAX] = (int) v;
        r[EDX] = (int) (v >>> 32);
    }

    private void wrmsr() {
        requireCpl0();
        int msr = r[ECX];
        long v = (r[EAX] & 0xffffffffL) | ((long) r[EDX] << 32);
        switch (msr) {
            case MSR_SYSENTER_CS: sysenterCs = (int) v & 0xffff; return;
            case MSR_SYSENTER_ESP: sysenterEsp = (int) v; return;
            case MSR_SYSENTER_EIP: sysenterEip = (int) v; return;
            case MSR_TSC: tscOffset = v - ctx.clock().nanos() * (TSC_HZ / 1_000_000_000L); return;
            case MSR_BIOS_SIGN_ID: return; // written before CPUID to read the microcode revision
            case MSR_APIC_BASE:
                if (localApic() != null) {
                    if (!localApic().writeApicBase(v)) throw raise(13, 0); // reserved bits
                    return;
                }
                // no APIC: unsupported
            default:
                warnOnce("wrmsr" + msr, "WRMSR of unsupported MSR 0x" + Integer.toHexString(msr) + " at "
                        + Integer.toHexString(startEip) + ": #GP (supported: 0x10, 0x8b, 0x174-0x176)");
                throw raise(13, 0);
        }
    }

    /** Flat segments as SYSENTER/SYSEXIT define them. */
    private void flat(int s, int sel, int dpl, boolean code) {
        segSel[s] = sel & 0xffff;
        segBase[s] = 0;
        segLimit[s] = 0xffffffff;
        segAttr[s] = 0xc000 | 0x90 | (dpl << 5) | (code ? 0xb : 0x3);
    }

    private void sysenter() {
        if (!protectedMode() || !model.hasSep()) throw raise(13, 0);
        if ((sysenterCs & 0xfffc) == 0) throw raise(13, 0);
        eflags &= ~(VM | IF | RF);
        flat(CS, sysenterCs & 0xfffc, 0, true);
        flat(SS, (sysenterCs + 8) & 0xfffc, 0, false);
        cpl = 0;
        r[ESP] = sysenterEsp;
        eip = sysenterEip;
    }

    private void sysexit() {
        if (!protectedMode() || v86() || cpl != 0 || (sysenterCs & 0xfffc) == 0) throw raise(13, 0);
        flat(CS, (sysenterCs + 16) | 3, 3, true);
        flat(SS, (sysenterCs + 24) | 3, 3, false);
        cpl = 3;
        r[ESP] = r[ECX];
        eip = r[EDX];
    }

    private void larLsl(boolean lar) {
        if (!protectedMode() || v86()) throw undefined(0x0f02);
        decodeModrm();
        int sel = readRm(1);
        boolean ok = false;
        if ((sel & 0xfffc) != 0) {
            try {
                readDescriptor(sel, 13);
                int type = (descHi >>> 8) & 0x1f;
                int dpl = (descHi >>> 13) & 3;
                boolean conforming = (type & 0x1c) == 0x1c;
                boolean validSys = lar ? (type == 1 || type == 2 || type == 3 || type == 4 || type == 5
                        || type == 9 || type == 0xb || type == 0xc) : (type == 1 || type == 2 || type == 3
                        || type == 9 || type == 0xb);
                ok = ((type & 0x10) != 0 || validSys) && (conforming || dpl >= Math.max(cpl, sel & 3));
            } catch (CpuFault f) {
                if (f.vector != 13) throw f;
            }
        }
        if (ok) writeReg(reg, osize(), lar ? descHi & 0x00ffff00 : descLimit(descLo, descHi));
        setArith((getEflags() & ~ZF) | (ok ? ZF : 0));
    }
}
