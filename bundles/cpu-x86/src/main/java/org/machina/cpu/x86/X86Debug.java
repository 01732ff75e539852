package org.machina.cpu.x86;

import java.util.ArrayList;
import java.util.List;

import org.machina.api.cpu.CpuDebug;

/** The debugger's view of an {@link X86Cpu}: GDB i386 register order, paged memory, stops. */
final class X86Debug implements CpuDebug {
    private static final List<RegisterInfo> REGS;
    private static final int[] SEG_ORDER = {X86State.CS, X86State.SS, X86State.DS, X86State.ES, X86State.FS,
        X86State.GS};

    static {
        List<RegisterInfo> l = new ArrayList<>();
        for (String n : new String[] {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "eip", "eflags", "cs",
            "ss", "ds", "es", "fs", "gs"}) {
            l.add(new RegisterInfo(n, 32));
        }
        REGS = List.copyOf(l);
    }

    private final X86Cpu cpu;
    private final List<Integer> breakpoints = new ArrayList<>();
    private final List<int[]> watchpoints = new ArrayList<>(); // address, length, kind ordinal
    int breakpointCount;
    boolean stepping, resumeFromBreakpoint, pendingWatch;
    int watchAddress;
    private StopEvent last;

    X86Debug(X86Cpu cpu) {
        this.cpu = cpu;
    }

    @Override
    public List<RegisterInfo> registers() {
        return REGS;
    }

    @Override
    public long readRegister(int index) {
        if (index < 8) return cpu.r[index] & 0xffffffffL;
        if (index == 8) return cpu.eip & 0xffffffffL;
        if (index == 9) return cpu.getEflags() & 0xffffffffL;
        if (index < 16) return cpu.segSel[SEG_ORDER[index - 10]];
        throw new IllegalArgumentException("no x86 register " + index + "; registers are 0.." + (REGS.size() - 1));
    }

    @Override
    public void writeRegister(int index, long value) {
        int v = (int) value;
        if (index < 8) cpu.r[index] = v;
        else if (index == 8) cpu.eip = v;
        else if (index == 9) {
            cpu.eflags = (v & ~0x28 & ~0x8000) | 2;
            cpu.lfOp = X86State.OP_NONE;
        } else if (index < 16) {
            int s = SEG_ORDER[index - 10];
            if (!cpu.protectedMode() || cpu.v86()) {
                cpu.setSegmentReal(s, v);
            } else {
                try {
                    cpu.readDescriptor(v, 13);
                    cpu.setSegment(s, v, cpu.descLo, cpu.descHi);
                } catch (CpuFault f) {
                    throw new IllegalArgumentException("selector 0x" + Integer.toHexString(v)
                            + " is outside the descriptor table");
                }
            }
        } else {
            throw new IllegalArgumentException("no x86 register " + index + "; registers are 0.." + (REGS.size() - 1));
        }
    }

    @Override
    public long virtualToPhysical(long address) {
        int cr2 = cpu.cr2;
        try {
            return cpu.translate((int) address, false, false);
        } catch (CpuFault f) {
            return -1;
        } finally {
            cpu.cr2 = cr2;
        }
    }

    @Override
    public int readVirtual(long address, byte[] buffer, int offset, int length) {
        for (int i = 0; i < length; i++) {
            long p = virtualToPhysical(address + i);
            if (p < 0) return i;
            buffer[offset + i] = (byte) cpu.mem.read(p, 1);
        }
        return length;
    }

    @Override
    public int writeVirtual(long address, byte[] buffer, int offset, int length) {
        for (int i = 0; i < length; i++) {
            long p = virtualToPhysical(address + i);
            if (p < 0) return i;
            cpu.mem.write(p, 1, buffer[offset + i] & 0xffL);
        }
        return length;
    }

    @Override
    public void addBreakpoint(long address) {
        if (!breakpoints.contains((int) address)) breakpoints.add((int) address);
        breakpointCount = breakpoints.size();
    }

    @Override
    public void removeBreakpoint(long address) {
        breakpoints.remove(Integer.valueOf((int) address));
        breakpointCount = breakpoints.size();
    }

    boolean isBreakpoint(int linear) {
        for (int i = 0; i < breakpoints.size(); i++) {
            if (breakpoints.get(i) == linear) return true;
        }
        return false;
    }

    @Override
    public void addWatchpoint(long address, int length, WatchKind kind) {
        watchpoints.add(new int[] {(int) address, length, kind.ordinal()});
        cpu.refreshWatch();
    }

    @Override
    public void removeWatchpoint(long address, int length, WatchKind kind) {
        watchpoints.removeIf(w -> w[0] == (int) address && w[1] == length && w[2] == kind.ordinal());
        cpu.refreshWatch();
    }

    boolean hasWatchpoints() {
        return !watchpoints.isEmpty();
    }

    void checkWatch(int lin, int size, boolean write) {
        for (int[] w : watchpoints) {
            WatchKind k = WatchKind.values()[w[2]];
            boolean kindOk = k == WatchKind.ACCESS || (k == WatchKind.WRITE) == write;
            long a = lin & 0xffffffffL, s = w[0] & 0xffffffffL;
            if (kindOk && a < s + w[1] && s < a + size) {
                pendingWatch = true;
                watchAddress = lin;
            }
        }
    }

    @Override
    public void singleStep() {
        stepping = true;
        resumeFromBreakpoint = true;
    }

    void stop(StopEvent.Kind kind, int pc, int data) {
        last = new StopEvent(kind, pc & 0xffffffffL, data & 0xffffffffL);
        if (kind == StopEvent.Kind.BREAKPOINT) resumeFromBreakpoint = true;
    }

    @Override
    public StopEvent lastStop() {
        return last;
    }
}
