package org.machina.devices.pc;

import java.util.HashSet;
import java.util.Set;
import org.machina.api.cpu.LocalApic;
import org.machina.api.device.Device;
import org.machina.api.device.DeviceContext;
import org.machina.api.irq.InterruptAcknowledge;
import org.machina.api.irq.IrqLine;
import org.machina.api.irq.IrqSink;
import org.machina.api.memory.AccessSpec;
import org.machina.api.memory.Mapping;
import org.machina.api.memory.MemoryRegion;
import org.machina.api.memory.Mmio;
import org.machina.api.state.Stateful;
import org.machina.api.time.Timer;

/**
 * The local APIC of the machine's single CPU (Intel SDM vol. 3, chapter "Advanced Programmable
 * Interrupt Controller"), as a device between the interrupt sources and the CPU: it drives the
 * CPU's INTR and NMI pins and answers its interrupt acknowledge. It registers
 * <ul>
 * <li>IA32_APIC_BASE ({@link LocalApic}, MSR 0x1B through the CPU): base 0xFEE00000, BSP, global
 *     enable. While globally disabled the APIC is out of the way, as a P6 without APIC: LINT0 is
 *     the INTR pin (acknowledged by the 8259), LINT1 the NMI pin, and the register page is unmapped.</li>
 * <li>interrupt sink {@value #SINK}: input 0 is LINT0 (the 8259's INTR), input 1 LINT1.</li>
 * <li>bus {@link ApicBus#LOCAL}: interrupt messages from the I/O APIC; level-triggered EOIs go
 *     back to bus {@link ApicBus#IO}. ExtINT deliveries take their vector from the 8259's
 *     acknowledge, offered as bus {@value #EXTINT_BUS}.</li>
 * </ul>
 *
 * <pre>
 * offset  register                       offset       register
 * 0x020   ID (bits 24-31)                0x100-0x170  ISR (read-only)
 * 0x030   version 0x00040014 (read-only) 0x180-0x1F0  TMR (read-only)
 * 0x080   TPR                            0x200-0x270  IRR (read-only)
 * 0x090   APR (read-only)                0x280        ESR (a write latches the errors)
 * 0x0A0   PPR (read-only)                0x300/0x310  ICR low (a write sends) / high
 * 0x0B0   EOI (write-only)               0x320        LVT timer (bit 17: periodic)
 * 0x0C0   RRD (read-only, 0)             0x350/0x360  LVT LINT0 / LINT1
 * 0x0D0   LDR (bits 24-31)               0x370        LVT error
 * 0x0E0   DFR (bits 28-31)               0x380/0x390  timer initial / current count
 * 0x0F0   SVR (bit 8: software enable)   0x3E0        timer divide configuration
 * 0x340   LVT performance counter (stored; this CPU has no counter overflow to signal)
 * </pre>
 *
 * Registers are 32 bits wide at 16-byte boundaries; other offsets and the registers a P6 does
 * not have (the thermal LVT) are logged once, read as 0 and set the ESR's
 * illegal register address bit. Writes to read-only registers are logged once and ignored. The
 * ICR delivers to this APIC only (fixed, lowest priority and NMI; no other CPU accepts, so a
 * message to another destination sets the send accept error). The LVT polarity bits are
 * stored; inputs are logical levels (asserted or not), as the board wires them.
 */
public final class Lapic implements Device, Mmio, LocalApic, InterruptAcknowledge, IrqSink, ApicBus.Receiver,
        Stateful<Lapic.State> {
    static final long DEFAULT_BASE = 0xFEE0_0000L;
    static final long BSP = 1L << 8;
    static final String SINK = "lapic";
    static final String EXTINT_BUS = "extint";
    static final int PAGE = 0x1000;
    /** Over RAM, should the guest move the page there. */
    static final int PRIORITY = 2;
    /** Integrated APIC (0x1X) with the P6's 5 LVT entries (max LVT entry 4). */
    static final int VERSION = 0x0004_0014;

    static final int LVT_TIMER = 0, LVT_LINT0 = 1, LVT_LINT1 = 2, LVT_ERROR = 3, LVT_PERF = 4;
    static final int MASKED = 1 << 16, LEVEL = 1 << 15, REMOTE_IRR = 1 << 14, PERIODIC = 1 << 17;
    static final int SVR_ENABLE = 1 << 8;
    /** ESR bits. */
    static final int SEND_ACCEPT_ERROR = 1 << 2, SEND_ILLEGAL_VECTOR = 1 << 5, RECEIVE_ILLEGAL_VECTOR = 1 << 6,
            ILLEGAL_REGISTER = 1 << 7;

    /**
     * Saved state, version 1.
     *
     * @param apicBase IA32_APIC_BASE
     * @param registers id, tpr, ldr, dfr, svr, esr, pending errors, ICR low, ICR high, timer divide configuration
     * @param lvt the LVT entries: timer, LINT0, LINT1, error, performance counter
     * @param irr the IRR, 8 words
     * @param isr the ISR, 8 words
     * @param tmr the TMR, 8 words
     * @param lint the LINT0 and LINT1 input levels
     * @param timerInitial the timer's initial count
     * @param timerStart virtual time of the current period's start
     * @param timerRunning whether the count runs
     * @param extIntMessage an ExtINT message from the I/O APIC waits for the acknowledge
     */
    public record State(long apicBase, int[] registers, int[] lvt, int[] irr, int[] isr, int[] tmr, boolean[] lint,
            long timerInitial, long timerStart, boolean timerRunning, boolean extIntMessage) {
    }

    private final DeviceContext context;
    private long apicBase = DEFAULT_BASE | BSP | ENABLE;
    private int id;
    private int tpr;
    private int ldr;
    private int dfr = 0xFFFF_FFFF;
    private int svr = 0xFF;
    private int esr;
    private int pendingErrors;
    private int icrLow;
    private int icrHigh;
    private final int[] lvt = new int[5];
    private final int[] irr = new int[8];
    private final int[] isr = new int[8];
    private final int[] tmr = new int[8];
    private final boolean[] lint = new boolean[2];
    private boolean extIntMessage;
    private final LapicTimer counter = new LapicTimer();
    private Timer timer;
    private IrqLine intr = IrqLine.NONE;
    private IrqLine nmi = IrqLine.NONE;
    private boolean output;
    private Mapping mapping;
    private final MemoryRegion.Io region = new MemoryRegion.Io("lapic", PAGE, this, AccessSpec.DWORDS);
    private final Set<String> warned = new HashSet<>();

    Lapic(DeviceContext context) {
        this.context = context;
        resetRegisters();
    }

    @Override
    public void realize() {
        intr = context.cpuInterruptPin();
        nmi = context.cpuNmiPin();
        timer = context.executor().newTimer("lapic-timer", this::onTimer);
        context.registerInterruptAcknowledge(this);
        context.registerIrqSink(SINK, this);
        context.registerBus(ApicBus.LOCAL, (ApicBus.Receiver) this);
        context.registerLocalApic(this);
        remap();
        update();
    }

    @Override
    public void unrealize() {
        if (mapping != null) {
            mapping.unmap();
            mapping = null;
        }
        if (timer != null) {
            timer.cancel();
        }
    }

    @Override
    public void reset() {
        apicBase = DEFAULT_BASE | BSP | ENABLE;
        resetRegisters();
        if (timer != null) {
            timer.cancel();
        }
        remap();
        update();
    }

    /** The power-up state of the registers (SDM: "Local APIC State After Power-Up or Reset"). */
    private void resetRegisters() {
        id = 0;
        tpr = 0;
        ldr = 0;
        dfr = 0xFFFF_FFFF;
        svr = 0xFF;
        esr = 0;
        pendingErrors = 0;
        icrLow = 0;
        icrHigh = 0;
        java.util.Arrays.fill(lvt, MASKED);
        java.util.Arrays.fill(irr, 0);
        java.util.Arrays.fill(isr, 0);
        java.util.Arrays.fill(tmr, 0);
        extIntMessage = false;
        counter.load(0, 0);
        counter.divideConfig = 0;
    }

    // ---- IA32_APIC_BASE ----

    @Override
    public long apicBase() {
        return apicBase;
    }

    @Override
    public boolean writeApicBase(long value) {
        // bits 0-7 and 9-10 are reserved, and the base must be below 4 GiB (32-bit physical addresses)
        if ((value & 0x6FFL) != 0 || (value >>> 32) != 0) {
            warnOnce("apic-base", "WRMSR IA32_APIC_BASE 0x" + Long.toHexString(value) + " sets reserved bits: #GP");
            return false;
        }
        boolean wasEnabled = enabled();
        apicBase = (value & 0xFFFF_F000L) | (value & ENABLE) | BSP;
        if (wasEnabled && !enabled()) {
            // globally disabled: the APIC returns to its power-up state, out of the way
            resetRegisters();
            timer.cancel();
        }
        remap();
        update();
        return true;
    }

    private boolean enabled() {
        return (apicBase & ENABLE) != 0;
    }

    private boolean softwareEnabled() {
        return enabled() && (svr & SVR_ENABLE) != 0;
    }

    private void remap() {
        long base = apicBase & 0xFFFF_F000L;
        if (mapping != null && (!enabled() || mapping.base() != base)) {
            mapping.unmap();
            mapping = null;
        }
        if (mapping == null && enabled()) {
            mapping = context.memory().map(base, region, PRIORITY);
        }
    }

    // ---- registers ----

    @Override
    public long read(long offset, int size) {
        if ((offset & 0xF) != 0) {
            illegal(offset, "read");
            return 0;
        }
        int reg = (int) offset >> 4;
        if (reg >= 0x10 && reg < 0x28) {
            int[] bits = reg < 0x18 ? isr : reg < 0x20 ? tmr : irr;
            return bits[reg & 7] & 0xFFFF_FFFFL;
        }
        long now = context.executor().clock().nanos();
        int v = switch (reg) {
            case 0x02 -> id;
            case 0x03 -> VERSION;
            case 0x08 -> tpr;
            case 0x09 -> apr();
            case 0x0A -> ppr();
            case 0x0B -> 0; // EOI: write-only
            case 0x0C -> 0; // remote read: no remote reads on this bus
            case 0x0D -> ldr;
            case 0x0E -> dfr;
            case 0x0F -> svr;
            case 0x28 -> esr;
            case 0x30 -> icrLow;
            case 0x31 -> icrHigh;
            case 0x32 -> lvt[LVT_TIMER];
            case 0x35 -> lvt[LVT_LINT0];
            case 0x36 -> lvt[LVT_LINT1];
            case 0x37 -> lvt[LVT_ERROR];
            case 0x34 -> lvt[LVT_PERF];
            case 0x38 -> (int) counter.initial;
            case 0x39 -> (int) counter.current(now, periodic());
            case 0x3E -> counter.divideConfig;
            default -> {
                illegal(offset, "read");
                yield 0;
            }
        };
        return v & 0xFFFF_FFFFL;
    }

    @Override
    public void write(long offset, int size, long value) {
        if ((offset & 0xF) != 0) {
            illegal(offset, "write");
            return;
        }
        int v = (int) value;
        int reg = (int) offset >> 4;
        long now = context.executor().clock().nanos();
        switch (reg) {
            case 0x02 -> id = v & 0xFF00_0000;
            case 0x08 -> tpr = v & 0xFF;
            case 0x0B -> eoi();
            case 0x0D -> ldr = v & 0xFF00_0000;
            case 0x0E -> dfr = v | 0x0FFF_FFFF;
            case 0x0F -> writeSvr(v);
            case 0x28 -> { // a write latches the errors detected since the last one
                esr = pendingErrors;
                pendingErrors = 0;
            }
            case 0x30 -> {
                icrLow = v & 0x000C_CFFF;
                sendIpi();
            }
            case 0x31 -> icrHigh = v & 0xFF00_0000;
            case 0x32 -> writeLvt(LVT_TIMER, v & (0xFF | MASKED | PERIODIC));
            case 0x35 -> writeLvt(LVT_LINT0, v & (MASKED | LEVEL | 1 << 13 | 0x7FF));
            case 0x36 -> writeLvt(LVT_LINT1, v & (MASKED | LEVEL | 1 << 13 | 0x7FF));
            case 0x37 -> writeLvt(LVT_ERROR, v & (MASKED | 0xFF));
            case 0x34 -> writeLvt(LVT_PERF, v & (MASKED | 0x7FF));
            case 0x38 -> {
                counter.load(value, now);
                armTimer();
            }
            case 0x3E -> {
                counter.setDivideConfig(v, now, periodic());
                armTimer();
            }
            case 0x03, 0x09, 0x0A, 0x0C, 0x39 -> warnOnce("ro" + reg, "write of 0x" + Integer.toHexString(v)
                    + " to read-only local APIC register 0x" + Long.toHexString(offset) + " ignored");
            default -> {
                if (reg >= 0x10 && reg < 0x28) {
                    warnOnce("ro" + reg, "write to read-only local APIC register 0x" + Long.toHexString(offset)
                            + " (ISR/TMR/IRR) ignored");
                } else {
                    illegal(offset, "write");
                }
            }
        }
        update();
    }

    private void illegal(long offset, String what) {
        warnOnce("illegal" + offset, what + " of undefined local APIC register 0x" + Long.toHexString(offset)
                + ": ignored (ESR illegal register address)");
        error(ILLEGAL_REGISTER);
    }

    private void writeSvr(int v) {
        svr = v & 0x3FF | 0xF; // P6: vector bits 0-3 are hardwired to 1
        if ((svr & SVR_ENABLE) == 0) {
            for (int i = 0; i < lvt.length; i++) {
                lvt[i] |= MASKED;
            }
        }
    }

    private void writeLvt(int index, int v) {
        int keep = lvt[index] & REMOTE_IRR;
        if ((svr & SVR_ENABLE) == 0) {
            v |= MASKED; // software disabled: the mask bits cannot be cleared
        }
        if ((v & LEVEL) == 0) {
            keep = 0;
        }
        lvt[index] = v | keep;
        if (index == LVT_LINT0 || index == LVT_LINT1) {
            lintChanged(index - LVT_LINT0, false);
        }
    }

    private boolean periodic() {
        return (lvt[LVT_TIMER] & PERIODIC) != 0;
    }

    // ---- priorities ----

    private static int highest(int[] bits) {
        for (int w = 7; w >= 0; w--) {
            if (bits[w] != 0) {
                return w * 32 + 31 - Integer.numberOfLeadingZeros(bits[w]);
            }
        }
        return -1;
    }

    private static boolean test(int[] bits, int v) {
        return (bits[v >> 5] >>> (v & 31) & 1) != 0;
    }

    private static void set(int[] bits, int v, boolean on) {
        if (on) {
            bits[v >> 5] |= 1 << (v & 31);
        } else {
            bits[v >> 5] &= ~(1 << (v & 31));
        }
    }

    /** The processor priority: the task priority, or the class of the highest in-service vector if higher. */
    int ppr() {
        int isrv = Math.max(0, highest(isr));
        return (tpr >> 4) >= (isrv >> 4) ? tpr : isrv & 0xF0;
    }

    /** The arbitration priority. */
    int apr() {
        int isrv = Math.max(0, highest(isr));
        int irrv = Math.max(0, highest(irr));
        if ((tpr >> 4) >= (irrv >> 4) && (tpr >> 4) > (isrv >> 4)) {
            return tpr;
        }
        return Math.max(tpr >> 4, Math.max(isrv >> 4, irrv >> 4)) << 4;
    }

    /** The highest requested vector that the processor priority lets through, or -1. */
    private int deliverable() {
        int v = highest(irr);
        return v >= 0 && (v >> 4) > (ppr() >> 4) ? v : -1;
    }

    private boolean extIntPending() {
        if (extIntMessage) {
            return true;
        }
        for (int i = 0; i < 2; i++) {
            int e = lvt[LVT_LINT0 + i];
            if (lint[i] && (e & MASKED) == 0 && (e >> 8 & 7) == ApicBus.EXTINT) {
                return true;
            }
        }
        return false;
    }

    /** Recomputes the INTR output. */
    private void update() {
        boolean out = wantsInterrupt();
        if (out != output) {
            output = out;
            intr.set(out);
        }
    }

    private boolean wantsInterrupt() {
        if (!enabled()) {
            return lint[0];
        }
        return extIntPending() || softwareEnabled() && deliverable() >= 0;
    }

    // ---- accepting interrupts ----

    /** A fixed interrupt for this APIC: requested in the IRR, its trigger mode in the TMR. */
    private void accept(int vector, boolean level) {
        if (vector < 16) {
            error(RECEIVE_ILLEGAL_VECTOR);
            return;
        }
        set(irr, vector, true);
        set(tmr, vector, level);
        update();
    }

    /** Records an error; an unmasked error LVT entry interrupts. */
    private void error(int bit) {
        pendingErrors |= bit;
        int e = lvt[LVT_ERROR];
        if ((e & MASKED) == 0 && softwareEnabled() && (e & 0xFF) >= 16) {
            set(irr, e & 0xFF, true);
            set(tmr, e & 0xFF, false);
            update();
        }
    }

    @Override
    public int acknowledge() {
        if (!enabled() || extIntPending()) {
            extIntMessage = false;
            int v = extIntAcknowledge();
            update();
            return v;
        }
        int v = softwareEnabled() ? deliverable() : -1;
        if (v < 0) { // withdrawn (TPR raised, masked) since INTR rose: the spurious vector, nothing in service
            update();
            return svr & 0xFF;
        }
        set(irr, v, false);
        set(isr, v, true);
        update();
        return v;
    }

    /** The 8259's acknowledge (an ExtINT delivery takes its vector from the INTA cycle). */
    private int extIntAcknowledge() {
        InterruptAcknowledge pic;
        try {
            pic = context.bus(EXTINT_BUS, InterruptAcknowledge.class);
        } catch (RuntimeException none) {
            warnOnce("no-extint", "ExtINT delivery without an 8259 on bus '" + EXTINT_BUS + "': spurious vector");
            return svr & 0xFF;
        }
        return pic.acknowledge();
    }

    private void eoi() {
        int v = highest(isr);
        if (v < 0) {
            return; // an EOI with nothing in service
        }
        set(isr, v, false);
        if (test(tmr, v)) {
            broadcastEoi(v);
        }
    }

    /** A level-triggered interrupt ended: LINT entries and the I/O APIC clear their remote IRR. */
    private void broadcastEoi(int vector) {
        for (int i = 0; i < 2; i++) {
            int e = lvt[LVT_LINT0 + i];
            if ((e & REMOTE_IRR) != 0 && (e & 0xFF) == vector) {
                lvt[LVT_LINT0 + i] = e & ~REMOTE_IRR;
                lintChanged(i, false);
            }
        }
        ApicBus.EoiListener io;
        try {
            io = context.bus(ApicBus.IO, ApicBus.EoiListener.class);
        } catch (RuntimeException none) {
            return; // no I/O APIC
        }
        io.eoi(vector);
    }

    // ---- LINT0 and LINT1 ----

    @Override
    public int inputs() {
        return 2;
    }

    @Override
    public void setInput(int index, boolean level) {
        boolean rising = level && !lint[index];
        lint[index] = level;
        if (!enabled()) {
            if (index == 1) {
                nmi.set(level);
            }
            update();
            return;
        }
        lintChanged(index, rising);
        update();
    }

    /** Applies LINT{@code index}'s level through its LVT entry. */
    private void lintChanged(int index, boolean rising) {
        int e = lvt[LVT_LINT0 + index];
        if ((e & MASKED) != 0 || !enabled()) {
            return;
        }
        switch (e >> 8 & 7) {
            case ApicBus.FIXED -> {
                if ((e & LEVEL) != 0 && index == 0) {
                    if (lint[index] && (e & REMOTE_IRR) == 0) {
                        lvt[LVT_LINT0 + index] = e | REMOTE_IRR;
                        accept(e & 0xFF, true);
                    }
                } else if (rising) {
                    accept(e & 0xFF, false);
                }
            }
            case ApicBus.NMI -> {
                if (rising) {
                    nmi.pulse();
                }
            }
            case ApicBus.EXTINT -> {
                // the INTR output follows the pin (update)
            }
            default -> {
                if (rising) {
                    warnOnce("lint-mode" + (e >> 8 & 7), "LINT" + index + " delivery mode " + (e >> 8 & 7)
                            + " (SMI, INIT or reserved) is not supported: ignored");
                }
            }
        }
    }

    // ---- messages from the I/O APIC and the ICR ----

    /** Whether a message's destination includes this APIC. */
    private boolean matches(boolean logical, int destination) {
        destination &= 0xFF;
        if (!logical) {
            return destination == 0xFF || destination == id >>> 24;
        }
        int mine = ldr >>> 24;
        if ((dfr >>> 28) == 0xF) { // flat model: a bit per APIC
            return (mine & destination) != 0;
        }
        // cluster model: cluster in the high nibble (0xF: all clusters), members in the low one
        return ((destination >> 4) == 0xF || (destination >> 4) == (mine >> 4)) && (mine & destination & 0xF) != 0;
    }

    @Override
    public boolean deliver(int vector, int mode, boolean logical, int destination, boolean level) {
        if (!enabled() || !matches(logical, destination)) {
            return false;
        }
        switch (mode) {
            case ApicBus.FIXED, ApicBus.LOWEST -> {
                if (!softwareEnabled()) {
                    return false;
                }
                accept(vector & 0xFF, level);
            }
            case ApicBus.NMI -> nmi.pulse();
            case ApicBus.EXTINT -> {
                extIntMessage = true;
                update();
            }
            default -> {
                warnOnce("msg-mode" + mode, "interrupt message with delivery mode " + mode
                        + " (SMI, INIT, start-up or reserved) is not supported: ignored");
                return false;
            }
        }
        return true;
    }

    /** The ICR low word was written: send the IPI it describes. */
    private void sendIpi() {
        int vector = icrLow & 0xFF;
        int mode = icrLow >> 8 & 7;
        boolean logical = (icrLow & 1 << 11) != 0;
        int shorthand = icrLow >> 18 & 3;
        boolean self = switch (shorthand) {
            case 0 -> matches(logical, icrHigh >>> 24);
            case 1, 2 -> true;
            default -> false; // all excluding self: there is no other CPU
        };
        if ((mode == ApicBus.FIXED || mode == ApicBus.LOWEST) && vector < 16) {
            error(SEND_ILLEGAL_VECTOR);
            return;
        }
        if (!self) {
            if (shorthand == 0) {
                error(SEND_ACCEPT_ERROR); // no APIC on the bus has that destination
            }
            return;
        }
        switch (mode) {
            case ApicBus.FIXED, ApicBus.LOWEST -> accept(vector, false);
            case ApicBus.NMI -> nmi.pulse();
            default -> warnOnce("ipi-mode" + mode, "IPI to self with delivery mode " + mode
                    + " (SMI, INIT, start-up or reserved) is not supported: ignored");
        }
    }

    // ---- timer ----

    private void armTimer() {
        if (timer == null) {
            return;
        }
        long at = counter.nextExpiry();
        if (at == Long.MAX_VALUE) {
            timer.cancel();
        } else {
            timer.armAt(at);
        }
    }

    private void onTimer() {
        long now = context.executor().clock().nanos();
        if (!counter.running || now < counter.nextExpiry()) {
            armTimer();
            return;
        }
        counter.expired(now, periodic());
        armTimer();
        int e = lvt[LVT_TIMER];
        if ((e & MASKED) == 0 && softwareEnabled()) {
            accept(e & 0xFF, false);
        }
    }

    private void warnOnce(String key, String message) {
        if (warned.add(key)) {
            context.log().warn(message);
        }
    }

    // ---- state ----

    @Override
    public Class<State> stateType() {
        return State.class;
    }

    @Override
    public int stateVersion() {
        return 1;
    }

    @Override
    public State saveState() {
        return new State(apicBase, new int[] {id, tpr, ldr, dfr, svr, esr, pendingErrors, icrLow, icrHigh,
            counter.divideConfig}, lvt.clone(), irr.clone(), isr.clone(), tmr.clone(), lint.clone(), counter.initial,
                counter.start, counter.running, extIntMessage);
    }

    @Override
    public void loadState(State s) {
        apicBase = s.apicBase();
        int[] r = s.registers();
        id = r[0];
        tpr = r[1];
        ldr = r[2];
        dfr = r[3];
        svr = r[4];
        esr = r[5];
        pendingErrors = r[6];
        icrLow = r[7];
        icrHigh = r[8];
        counter.divideConfig = r[9];
        System.arraycopy(s.lvt(), 0, lvt, 0, Math.min(lvt.length, s.lvt().length));
        System.arraycopy(s.irr(), 0, irr, 0, 8);
        System.arraycopy(s.isr(), 0, isr, 0, 8);
        System.arraycopy(s.tmr(), 0, tmr, 0, 8);
        lint[0] = s.lint()[0];
        lint[1] = s.lint()[1];
        counter.initial = s.timerInitial();
        counter.start = s.timerStart();
        counter.running = s.timerRunning();
        extIntMessage = s.extIntMessage();
        remap();
        armTimer();
        output = wantsInterrupt(); // drive the pin whatever it was
        intr.set(output);
    }
}
