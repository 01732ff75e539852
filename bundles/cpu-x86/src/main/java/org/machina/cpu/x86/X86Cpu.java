package org.machina.cpu.x86;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import org.machina.api.cpu.Cpu;
import org.machina.api.cpu.CpuContext;
import org.machina.api.cpu.CpuDebug;
import org.machina.api.irq.IrqLine;
import org.machina.api.state.Stateful;

/**
 * An IA-32 CPU: the run loop (interrupt acceptance, deadline checks every few hundred
 * instructions, exception delivery with double and triple fault), reset and the pins.
 */
public final class X86Cpu extends Extended implements Cpu, Stateful<X86CpuState> {
    /**
     * Instructions between two deadline checks, each a read of the guest clock (a host clock
     * read, about 20 ns) and of the address space's map generation. 256 until 2026-12-06: the
     * checks were then about 6 % of the machine thread's perf samples while the kernel
     * decompresses itself (the host clock read 3.6 %, {@link #run} 2.3 %);
     * {@code GuestClock.RECENT_READS} is the same number (see there).
     */
    private static final int CHECK_INTERVAL = 1024;

    private volatile boolean exitRequested;
    private volatile boolean intrLevel;
    private volatile boolean nmiPending;
    private boolean shutdown;
    private long retired;
    /** The deadline of the current {@link #run}, for repeated string instructions. */
    private long runDeadline;
    /**
     * A repeated string instruction stopped between iterations, or a debug register was written:
     * end the burst, check the deadline.
     */
    private boolean repeatYielded;
    private final Set<String> warned = new HashSet<>();
    private final AtomicLong undefinedCount = new AtomicLong();
    final X86Debug debug = new X86Debug(this);

    private final IrqLine intr = new IrqLine() {
        @Override
        public void set(boolean level) {
            intrLevel = level;
        }

        @Override
        public boolean level() {
            return intrLevel;
        }
    };

    private final IrqLine nmi = new IrqLine() {
        private volatile boolean level;

        @Override
        public void set(boolean l) {
            if (l && !level) nmiPending = true;
            level = l;
        }

        @Override
        public boolean level() {
            return level;
        }
    };

    /** The A20 gate input; a change takes effect before the next memory access. */
    private final IrqLine a20 = new IrqLine() {
        private boolean level = true;

        @Override
        public void set(boolean l) {
            level = l;
            setA20(l);
        }

        @Override
        public boolean level() {
            return level;
        }
    };

    /** Creates a CPU of {@code model} in its reset state. */
    public X86Cpu(CpuContext ctx, String model) {
        this(ctx, model, Accel.fromSystemProperties());
    }

    /** Creates a CPU of {@code model} that executes with {@code accel}. */
    public X86Cpu(CpuContext ctx, String model, Accel accel) {
        this(ctx, CpuFeatures.parse(model), accel);
    }

    private X86Cpu(CpuContext ctx, CpuFeatures features, Accel accel) {
        super(ctx, features.model());
        apicFeature = features.apic();
        if (accel.translate()) {
            JitDirectives.install();
            compiler = new BlockCompiler(this.model.hasCmov(), accel.region());
            translateThreshold = accel.threshold();
            translateInBackground = accel.background();
            hotRuns = accel.hot();
            if (accel.lockstep()) lockstep = new Lockstep(this);
        }
        refreshWatch();
        reset();
        PcSampler.startIfAsked(this);
    }

    @Override
    public void reset() {
        java.util.Arrays.fill(r, 0);
        r[EDX] = (model.family << 8) | (model.model << 4) | model.stepping;
        eflags = 2;
        lfOp = OP_NONE;
        eip = 0xfff0;
        cr0 = 0x60000010;
        cr2 = cr3 = cr4 = 0;
        java.util.Arrays.fill(dr, 0);
        dr[6] = 0xffff0ff0;
        dr[7] = 0x400;
        cpl = 0;
        for (int s = 0; s < 6; s++) {
            segSel[s] = 0;
            segBase[s] = 0;
            segLimit[s] = 0xffff;
            segAttr[s] = 0x93;
        }
        segSel[CS] = 0xf000;
        segBase[CS] = 0xffff0000;
        segAttr[CS] = 0x9b;
        gdtBase = idtBase = 0;
        gdtLimit = idtLimit = 0xffff;
        idtLimit = 0x3ff;
        ldtSel = ldtBase = trSel = trBase = 0;
        ldtLimit = trLimit = 0xffff;
        trAttr = 0x8b;
        sysenterCs = sysenterEsp = sysenterEip = 0;
        tscOffset = 0;
        halted = false;
        irqShadow = false;
        nmiBlocked = false;
        nmiPending = false;
        shutdown = false;
        retired = 0;
        fpu.reset();
        flushTlb();
        code.clear();
        dataBreakpointsArmed = false;
        pendingDataBreakpoints = 0;
        refreshWatch();
    }

    @Override
    public ExitReason run(long deadlineNanos) {
        checkMapGeneration();
        syncCode();
        if (shutdown) return ExitReason.SHUTDOWN;
        int budget = 0;
        runDeadline = deadlineNanos;
        boolean skipBreakpoint = debug.resumeFromBreakpoint;
        debug.resumeFromBreakpoint = false;
        while (true) {
            if (exitRequested) {
                exitRequested = false;
                return ExitReason.EXIT_REQUESTED;
            }
            if (irqShadow) {
                irqShadow = false;
            } else if (nmiPending && !nmiBlocked) {
                nmiPending = false;
                nmiBlocked = true;
                halted = false;
                nmisDelivered++;
                deliver(2, false, 0, false);
                if (shutdown) return ExitReason.SHUTDOWN;
            } else if (intrLevel && (eflags & IF) != 0) {
                halted = false;
                int vec = ctx.interruptAcknowledge().acknowledge() & 0xff;
                interruptsDelivered++;
                deliver(vec, false, 0, false);
                if (shutdown) return ExitReason.SHUTDOWN;
            }
            if (halted) {
                halts++;
                return ExitReason.HALTED;
            }
            if (--budget <= 0 || repeatYielded) {
                repeatYielded = false;
                budget = CHECK_INTERVAL;
                if (ctx.clock().nanos() >= deadlineNanos) return ExitReason.DEADLINE;
                checkMapGeneration();
                syncCode();
            }
            if (debug.breakpointCount > 0 && !skipBreakpoint && debug.isBreakpoint(segBase[CS] + eip)) {
                debug.stop(CpuDebug.StopEvent.Kind.BREAKPOINT, segBase[CS] + eip, 0);
                return ExitReason.DEBUG;
            }
            skipBreakpoint = false;
            if ((dr[7] & 0xff) != 0 && (eflags & RF) == 0 && hardwareBreakpoint(segBase[CS] + eip)) {
                if (shutdown) return ExitReason.SHUTDOWN;
                continue;
            }
            if (budget > 1 && (eflags & (TF | RF)) == 0 && debug.breakpointCount == 0 && (dr[7] & 0xff) == 0
                    && !debug.stepping) {
                budget -= burst(Math.min(budget - 1, BURST));
                if (pendingDataBreakpoints != 0 && !shutdown) debugTrap(false);
            } else {
                stepChecked();
            }
            if (shutdown) return ExitReason.SHUTDOWN;
            if (debug.pendingWatch) {
                debug.pendingWatch = false;
                debug.stop(CpuDebug.StopEvent.Kind.WATCHPOINT, segBase[CS] + eip, debug.watchAddress);
                return ExitReason.DEBUG;
            }
            if (debug.stepping) {
                debug.stepping = false;
                debug.stop(CpuDebug.StopEvent.Kind.STEP, segBase[CS] + eip, 0);
                return ExitReason.DEBUG;
            }
        }
    }

    /**
     * The most instructions a burst runs: the check interval, so the run loop's checks and the
     * burst's own set-up (the DMA check of the code pages) come once per interval. Interrupts are
     * not delayed by it (a burst ends when one is pending and IF is set). 64 until 2026-12-05:
     * the kernel's decompressor then ran 8 % slower (machine-thread CPU, boot-phases.py); 256
     * until 2026-12-06 (see {@link #CHECK_INTERVAL}).
     */
    private static final int BURST = CHECK_INTERVAL;

    /**
     * For the translated block running: instructions it retired beyond the index of the one it
     * is at (its jumps back add to it, see {@link BlockCompiler}); 0 when it started.
     */
    int blockBias;
    /** Instructions retired by translated blocks (statistics). */
    private long retiredTranslated;
    /** For the translated block running: a jump back leaves it once it retired this many. */
    int blockBudget;
    /**
     * The most a translated block's loop runs before it returns to the run loop (its jumps back
     * check {@link #blockBudget}). 256, as when bursts were 256 long: a block's runs from the jump
     * cache decide when it becomes hot code, and HotSpot's tiers count the runs of its method, so
     * longer runs made C2 compile the hot loops later and often by OSR. With blocks looping up to
     * a whole burst of 1024 (and a long run counted once per 256 instructions towards hot code),
     * {@code cpu-bench.sh}'s memory kernel ran at 730 and 738 MIPS against 786 and 795 before;
     * with this budget, 903 and 924.
     */
    private static final int BLOCK_BUDGET = 256;

    /** One instruction with the trap flag, RF and data breakpoints handled as the SDM says. */
    private void stepChecked() {
        boolean trap = (eflags & TF) != 0;
        int rfBefore = eflags & RF;
        rollbackValid = false;
        try {
            step();
            retired++;
            if (rfBefore != 0) eflags &= ~RF;
            if (trap || pendingDataBreakpoints != 0) debugTrap(trap);
        } catch (CpuFault f) {
            fault(f);
        } catch (RuntimeException e) {
            internalError(e);
        }
    }

    /** #DB after an instruction: the data breakpoints it hit and, for TF, the single-step bit (DR6.BS). */
    private void debugTrap(boolean singleStep) {
        dr[6] = (dr[6] & ~0xf) | pendingDataBreakpoints | (singleStep ? 0x4000 : 0);
        pendingDataBreakpoints = 0;
        deliver(1, false, 0, false);
    }

    /** The instruction faulted: undo its register and memory effects and deliver the exception. */
    private void fault(CpuFault f) {
        pendingDataBreakpoints = 0;
        int vec = f.vector, err = f.errorCode;
        boolean hasErr = f.hasError;
        exceptions[vec & 31]++;
        undoInstruction();
        deliver(vec, hasErr, err, true);
    }

    /** A device or a bug threw: never let it escape into the machine loop; the guest gets #UD. */
    private void internalError(RuntimeException e) {
        warnOnce("internal" + e.getClass().getName(), "internal error at " + Integer.toHexString(startEip)
                + " executing guest code: " + e + "; raising #UD");
        undoInstruction();
        deliver(6, false, 0, true);
    }

    /** Puts registers and memory back as they were before the instruction that did not complete. */
    private void undoInstruction() {
        rollback();
        eip = startEip;
        r[ESP] = startEsp;
    }

    /**
     * The longest x86 instruction. EIP moved ahead by 1 to this many bytes is taken as an
     * instruction run on to the next (a short jump ahead looks the same: its target is then
     * interpreted without a lookup, which costs speed, never exactness).
     */
    private static final int MAX_INSN_LENGTH = 15;

    /**
     * Runs up to {@code n} instructions without the per-instruction checks of {@link #run}:
     * only while nothing those checks look at changes (interrupt shadow, IF/TF/RF, halt,
     * shutdown, data breakpoints, watchpoints). Returns the number of instructions attempted.
     * Pending interrupts are taken at the latest when the burst ends.
     */
    private int burst(int n) {
        int flags = eflags & (IF | TF | RF);
        int done = 0;
        TranslatedBlock b = null;
        // code pages written by others (DMA on a device thread) are dropped before the burst runs
        // blocks, as a page change of instruction fetch would, not before each block
        if (code.writtenSinceSync()) syncCode();
        // true while the instructions run straight on from a start that was counted cold: no lookup
        boolean straight = false;
        // data breakpoints and watchpoints are checked only while armed (the run loop enters a burst
        // with DR7's enables clear, and MOV to a debug register ends the burst, debugRegistersChanged):
        // the loop's test after each instruction then reads two fields less and no array
        boolean watching = watchActive;
        try {
            do {
                rollbackValid = false;
                // a block runs several instructions: not when an interrupt is due after this one
                boolean lookUp = compiler != null && !straight && !watchActive && !(intrLevel && (eflags & IF) != 0)
                        && !nmiPending;
                b = lookUp ? block(segBase[CS], eip, code32()) : null;
                if (b != null && Integer.compareUnsigned(eip + b.bytes() - 1, segLimit[CS]) <= 0) {
                    code.blocksDropped = false;
                    blockBias = 0;
                    blockInsn = 0;
                    blockBudget = Math.min(n - done, BLOCK_BUDGET);
                    int k = lockstep == null ? b.code().run(this) : lockstep(b);
                    if (k < 0) {
                        b = null;
                        done++;
                        step();
                        retired++;
                        continue;
                    }
                    retired += k;
                    retiredTranslated += k;
                    done += k;
                    blocksRun++;
                    b = null;
                } else {
                    // An instruction interpreted because its start is still cold (or one run on to
                    // from such a start) counts heat at the start of a run alone: the instructions
                    // it runs on to are not looked up until a jump, call, return or fault, so the
                    // interpreter does not pay a jump-cache probe and a heat count for each.
                    boolean cold = straight || (lookUp && coldStart);
                    b = null;
                    done++;
                    step();
                    retired++;
                    straight = cold && Integer.compareUnsigned(eip - startEip - 1, MAX_INSN_LENGTH) < 0;
                }
            } while (done < n && !irqShadow && !halted && !shutdown && (eflags & (IF | TF | RF)) == flags
                    && (!watching || (pendingDataBreakpoints == 0 && !debug.pendingWatch))
                    && ((flags & IF) == 0 || !intrLevel) && !repeatYielded);
        } catch (CpuFault f) {
            if (b != null) leftBlock(b);
            fault(f);
        } catch (RuntimeException e) {
            if (b != null) leftBlock(b);
            internalError(e);
        }
        return done;
    }

    /**
     * For the translated block running: the index of the last instruction it started that may
     * fault, with {@link #KEEP_START_ESP} when that instruction set {@code startEsp} itself.
     */
    int blockInsn;
    static final int KEEP_START_ESP = 0x10000;

    /** A fault or error left block {@code b}: the state of the instruction that raised it, and what retired before. */
    private void leftBlock(TranslatedBlock b) {
        int k = blockInsn & 0xffff;
        startEip = b.eips()[k];
        if ((blockInsn & KEEP_START_ESP) == 0) startEsp = r[ESP];
        retiredInBlock(blockBias + k);
    }

    /** Lockstep mode ({@code -accel tcg,lockstep=on}), or null. */
    private Lockstep lockstep;

    /** Runs {@code b} checked by the interpreter; pauses the machine at the first difference. */
    private int lockstep(TranslatedBlock b) {
        long before = lockstep.mismatches;
        int k = lockstep.run(b);
        if (lockstep.mismatches != before && before == 0) {
            ctx.log().error("x86 lockstep: the translator and the interpreter differ: {}; pausing the machine",
                    lockstep.failure);
            ctx.machine().requestPause("lockstep difference: " + lockstep.failure);
        }
        return k;
    }

    /** Port I/O instructions run by translated blocks (statistics). */
    private long portIoTranslated;

    /**
     * IN for translated code: the I/O permission check, then the fast path or the port space, as
     * the interpreter; in lockstep the block is then not run a second time by the interpreter (a
     * device access). Returns the value (zero-extended), with {@link #LEAVE_BLOCK} set when the
     * access took the normal path: the device may have raised an interrupt or changed memory, so
     * the block ends after the IN and the run loop looks. A served access can do neither (the
     * fast-path rules), so the block goes on.
     */
    long translatedIn(int port, int size) {
        checkIo(port, size);
        if (writeLog != null) writeLog.unverifiable = true;
        portIoTranslated++;
        long served = fastPathServed;
        long v = portIn(port, size) & 0xffffffffL;
        return fastPathServed != served ? v : v | LEAVE_BLOCK;
    }

    /** {@link #translatedIn}'s mark of an access that took the normal path. */
    static final long LEAVE_BLOCK = 1L << 32;

    /**
     * A string instruction without REP (MOVS, CMPS, STOS, LODS, SCAS: {@code op}) in a translated
     * block: the interpreter's {@link Strings#exec}, given the decode the block folded in
     * ({@code form}: bit 0 a 32-bit operand, bit 1 32-bit addresses, bits 2 and up the segment
     * override plus one, 0 for none). It faults as the interpreter's (the block stored the
     * instruction's index first).
     */
    void translatedString(int op, int form) {
        op32 = (form & 1) != 0;
        addr32 = (form & 2) != 0;
        segOvr = (form >>> 2) - 1;
        rep = 0;
        Strings.exec(this, op);
    }

    /** OUT for translated code, as {@link #translatedIn}; returns whether the block must end after it. */
    boolean translatedOut(int port, int size, int value) {
        checkIo(port, size);
        if (writeLog != null) writeLog.unverifiable = true;
        portIoTranslated++;
        long served = fastPathServed;
        portOut(port, size, value);
        return fastPathServed == served;
    }

    private void retiredInBlock(int k) {
        retired += k;
        retiredTranslated += k;
    }

    @Override
    boolean yieldRepeat() {
        boolean stop = (intrLevel && (eflags & IF) != 0) || (nmiPending && !nmiBlocked) || exitRequested
                || ctx.clock().nanos() >= runDeadline;
        if (stop) repeatYielded = true;
        return stop;
    }

    /** DR0-DR3 instruction breakpoints (R/W = 00, enabled locally or globally): raises #DB as a fault. */
    private boolean hardwareBreakpoint(int lin) {
        int hit = 0;
        for (int i = 0; i < 4; i++) {
            if ((dr[7] & (3 << (i * 2))) != 0 && ((dr[7] >>> (16 + i * 4)) & 3) == 0 && dr[i] == lin) hit |= 1 << i;
        }
        if (hit == 0) return false;
        dr[6] = (dr[6] & ~0xf) | hit;
        eflags |= RF; // the pushed EFLAGS carry RF so the handler's IRET does not hit again
        deliver(1, false, 0, false);
        return true;
    }

    private static boolean contributory(int v) {
        return v == 0 || (v >= 10 && v <= 13);
    }

    private final int[] savedSeg = new int[8];

    /** Delivers an exception or interrupt, escalating to #DF and to a triple fault (shutdown). */
    private void deliver(int vec, boolean hasErr, int err, boolean exception) {
        savedSeg[0] = r[ESP];
        savedSeg[1] = segSel[SS];
        savedSeg[2] = segBase[SS];
        savedSeg[3] = segLimit[SS];
        savedSeg[4] = segAttr[SS];
        savedSeg[5] = cpl;
        savedSeg[6] = eflags;
        try {
            interrupt(vec, false, hasErr, err, eip);
        } catch (CpuFault f2) {
            int v2 = f2.vector, e2 = f2.errorCode;
            boolean h2 = f2.hasError;
            r[ESP] = savedSeg[0];
            segSel[SS] = savedSeg[1];
            segBase[SS] = savedSeg[2];
            segLimit[SS] = savedSeg[3];
            segAttr[SS] = savedSeg[4];
            cpl = savedSeg[5];
            eflags = savedSeg[6];
            if (vec == 8) {
                tripleFault();
                return;
            }
            boolean df = exception && ((contributory(vec) && contributory(v2))
                    || (vec == 14 && (contributory(v2) || v2 == 14)));
            if (df) deliver(8, true, 0, true);
            else deliver(v2, h2, e2, true);
        }
    }

    private void tripleFault() {
        shutdown = true;
        ctx.log().warn("x86: triple fault at {}:{} (CR0={}, CR3={}); requesting a machine reset",
                Integer.toHexString(segSel[CS]), Integer.toHexString(startEip), Integer.toHexString(cr0),
                Integer.toHexString(cr3));
        ctx.machine().requestReset("x86 triple fault at 0x" + Integer.toHexString(segBase[CS] + startEip));
    }

    @Override
    void warnOnce(String key, String message) {
        if (warned.add(key)) ctx.log().warn("x86: {}", message);
    }

    @Override
    CpuFault undefined(int opcode) {
        undefinedCount.incrementAndGet();
        warnOnce("ud" + opcode, "opcode 0x" + Integer.toHexString(opcode) + " at " + Integer.toHexString(segSel[CS])
                + ":" + Integer.toHexString(startEip) + " is not implemented or invalid; raising #UD");
        return raise(6);
    }

    /** How many #UD were raised for unimplemented or invalid opcodes. */
    public long undefinedOpcodes() {
        return undefinedCount.get();
    }

    /** DR0-DR3 hit by data accesses of the current instruction (a #DB trap follows it). */
    private int pendingDataBreakpoints;
    private boolean dataBreakpointsArmed;

    @Override
    void watch(int lin, int size, boolean write) {
        if (debug.hasWatchpoints()) debug.checkWatch(lin, size, write);
        if (dataBreakpointsArmed) {
            for (int i = 0; i < 4; i++) {
                int rw = (dr[7] >>> (16 + i * 4)) & 3;
                if ((dr[7] & (3 << (i * 2))) == 0 || rw == 0 || rw == 2 || (rw == 1 && !write)) continue;
                int len = ((dr[7] >>> (18 + i * 4)) & 3) + 1;
                long a = lin & 0xffffffffL, b = dr[i] & 0xffffffffL & ~(len - 1L);
                if (a < b + len && b < a + size) pendingDataBreakpoints |= 1 << i;
            }
        }
    }

    @Override
    void debugRegistersChanged() {
        repeatYielded = true; // ends a burst: its loop does not look at DR7 after each instruction
        boolean armed = false;
        for (int i = 0; i < 4; i++) {
            int rw = (dr[7] >>> (16 + i * 4)) & 3;
            if ((dr[7] & (3 << (i * 2))) != 0 && (rw == 1 || rw == 3)) armed = true;
        }
        dataBreakpointsArmed = armed;
        refreshWatch();
    }

    /** Data accesses take the slow path while debugger watchpoints or DR data breakpoints are armed. */
    void refreshWatch() {
        watchActive = dataBreakpointsArmed || debug.hasWatchpoints();
        slowAccesses = watchActive || lockstep != null;
    }

    @Override
    public void requestExit() {
        exitRequested = true;
    }

    @Override
    public IrqLine intr() {
        return intr;
    }

    @Override
    public IrqLine nmi() {
        return nmi;
    }

    @Override
    public IrqLine a20() {
        return a20;
    }

    @Override
    public boolean isStuck() {
        return halted && (eflags & IF) == 0 && !nmiPending;
    }

    @Override
    public long instructionsRetired() {
        return retired;
    }

    /** Profiling counters; see {@link #statistics}. */
    private long interruptsDelivered, nmisDelivered, halts, blocksRun;
    private final long[] exceptions = new long[32];

    /** The {@code apic} feature when the model string asked for it ({@code -cpu MODEL,+apic}). */
    @Override
    public Set<String> features() {
        return apicFeature ? Set.of("apic") : Set.of();
    }

    /**
     * Counters since the CPU was made (instructions: since reset): interrupts and exceptions delivered (by vector),
     * halts, TLB fills (page walks) and flushes, device accesses served by fast-path handlers, and the decoded-code cache. Read on the
     * machine thread for a consistent view.
     */
    @Override
    public Map<String, Long> statistics() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("instructions", retired);
        m.put("interrupts", interruptsDelivered);
        m.put("nmis", nmisDelivered);
        m.put("halts", halts);
        long all = 0;
        for (long e : exceptions) all += e;
        m.put("exceptions", all);
        for (int v = 0; v < 32; v++) {
            if (exceptions[v] != 0) m.put("exceptions-vector-" + v, exceptions[v]);
        }
        m.put("undefined-opcodes", undefinedCount.get());
        m.put("tlb-fills", tlbFills);
        m.put("tlb-flushes", tlbFlushes);
        m.put("tlb-page-flushes", tlbPageFlushes);
        m.put("fastpath-served", fastPathServed);
        m.put("code-pages-decoded", code.pagesDecoded);
        m.put("code-pages-invalidated", code.pagesInvalidated);
        m.put("code-bytes-patched", code.bytesPatched);
        m.put("translator", compiler == null ? 0L : 1L);
        m.put("blocks-translated", compiler == null ? 0 : compiler.blocksCompiled);
        m.put("instructions-translated", compiler == null ? 0 : compiler.instructionsCompiled);
        m.put("translation-ns", compiler == null ? 0 : compiler.translationNanos);
        m.put("blocks-run", blocksRun);
        m.put("blocks-from-jump-cache", jumpHits);
        m.put("translations-dropped", code.drops);
        m.put("blocks-promoted", blocksPromoted);
        m.put("regions-translated", compiler == null ? 0 : compiler.regionsCompiled);
        m.put("port-io-translated", portIoTranslated);
        m.put("instructions-run-translated", retiredTranslated);
        if (lockstep != null) {
            m.put("lockstep-blocks-checked", lockstep.checked);
            m.put("lockstep-blocks-unverifiable", lockstep.unverifiable);
            m.put("lockstep-blocks-faulted", lockstep.faulted);
            m.put("lockstep-differences", lockstep.mismatches);
        }
        return m;
    }

    @Override
    public CpuDebug debug() {
        return debug;
    }

    @Override
    public Class<X86CpuState> stateType() {
        return X86CpuState.class;
    }

    @Override
    public int stateVersion() {
        return X86CpuState.VERSION;
    }

    @Override
    public X86CpuState saveState() {
        return new X86CpuState(r.clone(), eip, getEflags(), segSel.clone(), segBase.clone(), segLimit.clone(),
                segAttr.clone(), cpl, cr0, cr2, cr3, cr4, dr.clone(), gdtBase, gdtLimit, idtBase, idtLimit, ldtSel,
                ldtBase, ldtLimit, trSel, trBase, trLimit, trAttr, sysenterCs, sysenterEsp, sysenterEip, tscOffset,
                halted, irqShadow, nmiBlocked, nmiPending, fpu.saveState());
    }

    @Override
    public void loadState(X86CpuState s) {
        System.arraycopy(s.regs(), 0, r, 0, 8);
        eip = s.eip();
        eflags = s.eflags();
        lfOp = OP_NONE;
        System.arraycopy(s.segSel(), 0, segSel, 0, 6);
        System.arraycopy(s.segBase(), 0, segBase, 0, 6);
        System.arraycopy(s.segLimit(), 0, segLimit, 0, 6);
        System.arraycopy(s.segAttr(), 0, segAttr, 0, 6);
        cpl = s.cpl();
        cr0 = s.cr0();
        cr2 = s.cr2();
        cr3 = s.cr3();
        cr4 = s.cr4();
        System.arraycopy(s.dr(), 0, dr, 0, 8);
        gdtBase = s.gdtBase();
        gdtLimit = s.gdtLimit();
        idtBase = s.idtBase();
        idtLimit = s.idtLimit();
        ldtSel = s.ldtSel();
        ldtBase = s.ldtBase();
        ldtLimit = s.ldtLimit();
        trSel = s.trSel();
        trBase = s.trBase();
        trLimit = s.trLimit();
        trAttr = s.trAttr();
        sysenterCs = s.sysenterCs();
        sysenterEsp = s.sysenterEsp();
        sysenterEip = s.sysenterEip();
        tscOffset = s.tscOffset();
        halted = s.halted();
        irqShadow = s.irqShadow();
        nmiBlocked = s.nmiBlocked();
        nmiPending = s.nmiPending();
        if (s.fpu() != null) fpu.loadState(s.fpu());
        shutdown = false;
        flushTlb();
        code.clear(); // RAM restored beside the CPU need not have gone through markDirty
        debugRegistersChanged();
    }
}
