package org.machina.cpu.x86;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * The translator checked against the interpreter on the running guest ({@code -accel
 * tcg,lockstep=on}). Each translated block runs with its RAM stores recorded; then registers,
 * flags and those bytes are put back and the interpreter runs the same number of instructions
 * from the same state. Registers, EIP, EFLAGS and every byte either of them stored must agree;
 * the interpreter's result is the one the guest keeps. At the first difference the machine
 * pauses and the log names the block, the instruction count and what differs.
 *
 * <p>What cannot be run twice is not compared, and counted: a block that read or wrote a device,
 * stored into a page holding code, or faulted (the interpreter then runs from the block's start,
 * as without the translator). Every access takes the slow path while lockstep is on.
 */
final class Lockstep {
    private final X86Cpu cpu;
    private final WriteLog log;
    long checked, unverifiable, faulted, mismatches;
    /** The first difference found, or null. */
    String failure;

    Lockstep(X86Cpu cpu) {
        this.cpu = cpu;
        this.log = new WriteLog(cpu.mem);
    }

    /**
     * Runs {@code b} and, where it can, the interpreter over the same instructions; returns the
     * number of instructions retired, or -1 when the block faulted and nothing was run (the
     * caller interprets).
     */
    int run(TranslatedBlock b) {
        int[] r0 = cpu.r.clone();
        int eip0 = cpu.eip, eflags0 = cpu.eflags;
        int[] lf0 = lazyFlags();
        log.clear();
        cpu.writeLog = log;
        int k;
        try {
            k = b.code().run(cpu);
        } catch (RuntimeException e) { // CpuFault too: the interpreter will run it from the start
            cpu.writeLog = null;
            log.undo();
            restore(r0, eip0, eflags0, lf0);
            faulted++;
            return -1;
        }
        if (log.unverifiable) {
            cpu.writeLog = null;
            unverifiable++;
            return k;
        }
        int[] rT = cpu.r.clone();
        int eipT = cpu.eip, eflagsT = cpu.getEflags();
        int n = log.count;
        long[] written = Arrays.copyOf(log.address, n);
        byte[] afterT = new byte[n];
        for (int i = 0; i < n; i++) afterT[i] = log.read(written[i]);
        log.undo();
        restore(r0, eip0, eflags0, lf0);

        log.clear();
        String fault = null;
        try {
            for (int i = 0; i < k; i++) {
                cpu.rollbackValid = false;
                cpu.step();
            }
        } catch (RuntimeException e) {
            fault = e.toString();
        }
        cpu.writeLog = null;
        checked++;
        String diff = fault != null ? "the interpreter faulted (" + fault + ") where the block did not"
                : compare(rT, eipT, eflagsT, written, afterT);
        if (diff != null) {
            mismatches++;
            if (failure == null) {
                failure = "block at " + Integer.toHexString(b.csBase() + b.eip()) + " (" + k + " instructions): " + diff;
            }
        }
        return k;
    }

    private String compare(int[] rT, int eipT, int eflagsT, long[] written, byte[] afterT) {
        StringBuilder d = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (rT[i] != cpu.r[i]) d.append(String.format(" %s translated %08x interpreted %08x;", REG[i], rT[i], cpu.r[i]));
        }
        if (eipT != cpu.eip) d.append(String.format(" EIP translated %08x interpreted %08x;", eipT, cpu.eip));
        int e = cpu.getEflags();
        if (eflagsT != e) d.append(String.format(" EFLAGS translated %08x interpreted %08x;", eflagsT, e));
        Set<Long> byTranslation = new HashSet<>();
        for (int i = 0; i < written.length; i++) {
            byTranslation.add(written[i]);
            byte now = log.read(written[i]);
            if (now != afterT[i]) {
                d.append(String.format(" byte at %x translated %02x interpreted %02x;", written[i], afterT[i], now));
                break;
            }
        }
        for (int i = 0; i < log.count; i++) { // stored by the interpreter alone: the translation left it as it was
            if (byTranslation.add(log.address[i]) && log.read(log.address[i]) != log.before[i]) {
                d.append(String.format(" byte at %x stored by the interpreter only;", log.address[i]));
                break;
            }
        }
        return d.isEmpty() ? null : d.toString().trim();
    }

    private static final String[] REG = {"EAX", "ECX", "EDX", "EBX", "ESP", "EBP", "ESI", "EDI"};

    private int[] lazyFlags() {
        return new int[] {cpu.lfOp, cpu.lfA, cpu.lfB, cpu.lfRes, cpu.lfSize, cpu.lfCarryIn};
    }

    private void restore(int[] r0, int eip0, int eflags0, int[] lf) {
        System.arraycopy(r0, 0, cpu.r, 0, r0.length);
        cpu.eip = eip0;
        cpu.eflags = eflags0;
        cpu.lfOp = lf[0];
        cpu.lfA = lf[1];
        cpu.lfB = lf[2];
        cpu.lfRes = lf[3];
        cpu.lfSize = lf[4];
        cpu.lfCarryIn = lf[5];
    }
}
