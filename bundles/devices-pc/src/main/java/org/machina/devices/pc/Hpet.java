package org.machina.devices.pc;

import org.machina.api.device.Device;
import org.machina.api.device.DeviceContext;
import org.machina.api.fastpath.FastPathHandler;
import org.machina.api.fastpath.FastPathRead;
import org.machina.api.irq.IrqLine;
import org.machina.api.irq.IrqSink;
import org.machina.api.memory.AccessSpec;
import org.machina.api.memory.Mapping;
import org.machina.api.memory.MemoryRegion;
import org.machina.api.memory.Mmio;
import org.machina.api.state.Stateful;
import org.machina.api.time.VirtualClock;

/**
 * High Precision Event Timer (IA-PC HPET specification 1.0a): a 64-bit main counter at 100 MHz
 * from the virtual clock and three comparators, memory-mapped at {@code base} (1 KiB).
 *
 * <pre>
 * 0x000 GCAP_ID       RO  rev 1, 3 timers, 64-bit counter, legacy route capable, period 10^7 fs
 * 0x010 GEN_CONF      RW  ENABLE_CNF(0) LEG_RT_CNF(1)
 * 0x020 GINTR_STA     RW1C  Tn_INT_STS for level-triggered timers
 * 0x0F0 MAIN_COUNTER  RW  writable while the counter is halted
 * 0x100 + 0x20n  Tn_CONF_CAP, 0x108 + 0x20n Tn_COMPARATOR (FSB delivery not supported)
 * </pre>
 *
 * Interrupts go to ISA IRQs through {@code irq("isa", n)}: a timer's route field, or with
 * legacy replacement timer 0 to IRQ 0 and timer 1 to IRQ 8. The HPET is also the legacy
 * replacement switch: the PIT and the RTC give their outputs to the interrupt controller this
 * device registers as {@value #LEGACY_SINK} (inputs 0 and 8; the board sets their
 * {@code irq-controller} property), and it passes them on to the ISA IRQs unless LEG_RT_CNF is
 * set. Edge-triggered interrupts are pulses; level-triggered ones hold the line while the
 * timer's status bit is set. Registers are 64 bits wide; 32-bit halves may be read and written.
 * Reads of the main counter and of GINTR_STA are served on the fast path
 * ({@link org.machina.api.fastpath}): they depend only on volatile fields and the virtual clock.
 */
public final class Hpet implements Device, Mmio, Stateful<Hpet.State> {
    static final String LEGACY_SINK = "hpet-legacy";
    static final int SIZE = 0x400;
    static final int TIMERS = 3;
    static final long PERIOD_FS = 10_000_000L;   // 10 ns: 100 MHz
    static final long NANOS_PER_TICK = 10;
    static final long VENDOR = 0x8086;
    static final long CAPABILITIES = 0x01 | (TIMERS - 1) << 8 | 1 << 13 | 1 << 15 | VENDOR << 16 | PERIOD_FS << 32;
    /** ISA IRQs a timer may be routed to (not 0-2, 8 or 13: the PIT, cascade, RTC and FPU). */
    static final long ROUTE_CAPABILITY = 0b1101_1110_1111_1000L;
    static final int GCAP_ID = 0x000;
    static final int GEN_CONF = 0x010;
    static final int GINTR_STA = 0x020;
    static final int MAIN_COUNTER = 0x0F0;
    static final int TIMER_BASE = 0x100;
    static final int TIMER_STRIDE = 0x20;
    static final long ENABLE_CNF = 1;
    static final long LEG_RT_CNF = 2;

    /**
     * Saved state, version 1.
     *
     * @param config GEN_CONF
     * @param status GINTR_STA
     * @param counter main counter value at {@code counterNanos} (when enabled) or its held value
     * @param counterNanos virtual-clock time of {@code counter}
     * @param timerConfig Tn configuration bits
     * @param comparators Tn comparators
     * @param periods Tn periods
     */
    public record State(long config, long status, long counter, long counterNanos, long[] timerConfig,
            long[] comparators, long[] periods) {
    }

    private final DeviceContext context;
    private final long base;
    private final HpetTimer[] timers = new HpetTimer[TIMERS];
    private VirtualClock clock;
    // volatile: read by the fast-path handler (main counter, status), see org.machina.api.fastpath
    private volatile long config;
    private volatile long status;
    private volatile long counterBase;
    private volatile long counterNanos;
    /** Levels of the PIT (input 0) and RTC (input 8) outputs given to the legacy switch. */
    private final boolean[] legacyInputs = new boolean[16];
    private final IrqLine[] isa = new IrqLine[16];
    private long warnedRoutes;

    private final boolean fastPath;

    Hpet(DeviceContext context, long base) {
        this(context, base, true);
    }

    /** With {@code fastPath} false, no fast-path handler is attached (the {@code fastpath=off} property). */
    Hpet(DeviceContext context, long base, boolean fastPath) {
        this.context = context;
        this.base = base;
        this.fastPath = fastPath;
        for (int i = 0; i < TIMERS; i++) {
            timers[i] = new HpetTimer(i, ROUTE_CAPABILITY);
        }
    }

    @Override
    public void realize() {
        clock = context.executor().clock();
        for (HpetTimer t : timers) {
            t.timer = context.executor().newTimer("hpet-t" + t.index, () -> onMatch(t));
        }
        context.registerIrqSink(LEGACY_SINK, new IrqSink() {
            @Override
            public int inputs() {
                return legacyInputs.length;
            }

            @Override
            public void setInput(int index, boolean level) {
                legacyInputs[index] = level;
                if (!legacyRouted(index)) {
                    isa(index).set(level);
                }
            }
        });
        Mapping mapping = context.memory().map(base,
                new MemoryRegion.Io("hpet", SIZE, this, new AccessSpec(1, 8, 4, 8, false)));
        if (!fastPath) {
            return;
        }
        FastPathHandler hot = new FastPathHandler() {
            @Override
            public boolean read(long offset, int size, FastPathRead result) {
                if ((size != 4 && size != 8) || (offset & (size - 1)) != 0) {
                    return false; // the normal path adapts odd sizes
                }
                result.set(Hpet.this.read(offset, size));
                return true;
            }
        };
        context.fastPath().attach(mapping, GINTR_STA, 8, hot);
        context.fastPath().attach(mapping, MAIN_COUNTER, 8, hot);
    }

    @Override
    public void reset() {
        config = 0;
        status = 0;
        counterBase = 0;
        counterNanos = clock.nanos();
        for (HpetTimer t : timers) {
            t.reset();
            t.timer.cancel();
        }
        updateLegacySwitch();
        for (int i = 0; i < TIMERS; i++) {
            updateLevel(timers[i]);
        }
    }

    private IrqLine isa(int irq) {
        if (isa[irq] == null) {
            isa[irq] = context.irq("isa", irq);
        }
        return isa[irq];
    }

    private boolean enabled() {
        return (config & ENABLE_CNF) != 0;
    }

    /** Whether ISA IRQ {@code irq} is taken from the PIT/RTC by legacy replacement. */
    private boolean legacyRouted(int irq) {
        return (config & LEG_RT_CNF) != 0 && (irq == 0 || irq == 8);
    }

    /**
     * The main counter now, from the clock's {@linkplain VirtualClock#recentNanos recent time}
     * (no host clock read on most reads of a polling guest; never before {@code counterNanos}).
     */
    long counter() {
        return enabled() ? counterBase + (clock.recentNanos() - counterNanos) / NANOS_PER_TICK : counterBase;
    }

    /** The ISA IRQ timer {@code t} interrupts, or -1. */
    private int irqOf(HpetTimer t) {
        if ((config & LEG_RT_CNF) != 0 && t.index < 2) {
            return t.index == 0 ? 0 : 8;
        }
        int r = t.route();
        return r < 16 && (ROUTE_CAPABILITY >>> r & 1) != 0 ? r : -1;
    }

    @Override
    public long read(long offset, int size) {
        long reg = offset & ~7L;
        long v = register((int) reg);
        v >>>= 8 * (offset - reg);
        return size == 8 ? v : v & ((1L << (8 * size)) - 1);
    }

    private long register(int reg) {
        if (reg >= TIMER_BASE && reg < TIMER_BASE + TIMERS * TIMER_STRIDE) {
            HpetTimer t = timers[(reg - TIMER_BASE) / TIMER_STRIDE];
            return switch ((reg - TIMER_BASE) % TIMER_STRIDE) {
                case 0 -> t.confCap();
                case 8 -> t.readComparator();
                default -> 0; // FSB route: not supported
            };
        }
        return switch (reg) {
            case GCAP_ID -> CAPABILITIES;
            case GEN_CONF -> config;
            case GINTR_STA -> status;
            case MAIN_COUNTER -> counter();
            default -> 0;
        };
    }

    @Override
    public void write(long offset, int size, long data) {
        long reg = offset & ~7L;
        int shift = (int) (8 * (offset - reg));
        long mask = (size == 8 ? -1L : (1L << (8 * size)) - 1) << shift;
        long old = register((int) reg);
        long value = old & ~mask | data << shift & mask;
        writeRegister((int) reg, value, mask);
    }

    private void writeRegister(int reg, long value, long mask) {
        if (reg >= TIMER_BASE && reg < TIMER_BASE + TIMERS * TIMER_STRIDE) {
            HpetTimer t = timers[(reg - TIMER_BASE) / TIMER_STRIDE];
            switch ((reg - TIMER_BASE) % TIMER_STRIDE) {
                case 0 -> {
                    int bad = t.writeConfig(value);
                    if (bad >= 0 && (warnedRoutes >>> bad & 1) == 0) {
                        warnedRoutes |= 1L << bad;
                        context.log().warn("HPET timer {} routed to IRQ {}, which it cannot drive (capable: 0x{});"
                                + " its interrupts are dropped", t.index, bad, Long.toHexString(ROUTE_CAPABILITY));
                    }
                    updateLevel(t);
                    schedule(t);
                }
                case 8 -> {
                    t.writeComparator(value);
                    schedule(t);
                }
                default -> {
                }
            }
            return;
        }
        switch (reg) {
            case GEN_CONF -> writeConfig(value);
            case GINTR_STA -> {
                status &= ~(value & mask);
                for (HpetTimer t : timers) {
                    updateLevel(t);
                }
            }
            case MAIN_COUNTER -> {
                if (enabled()) {
                    context.log().warn("guest wrote the HPET main counter while it runs; ignored (halt it first)");
                } else {
                    counterBase = value;
                }
            }
            default -> {
            }
        }
    }

    private void writeConfig(long value) {
        long counter = counter();
        boolean wasEnabled = enabled();
        boolean wasLegacy = (config & LEG_RT_CNF) != 0;
        config = value & (ENABLE_CNF | LEG_RT_CNF);
        if (wasEnabled && !enabled()) {
            counterBase = counter; // halted: holds its value
        } else if (!wasEnabled && enabled()) {
            counterNanos = clock.nanos(); // counts from here
        }
        if (wasLegacy != ((config & LEG_RT_CNF) != 0)) {
            updateLegacySwitch();
        }
        for (HpetTimer t : timers) {
            updateLevel(t);
            schedule(t);
        }
    }

    /** Drives IRQ 0 and 8 from the PIT/RTC or leaves them to timers 0 and 1. */
    private void updateLegacySwitch() {
        for (int irq : new int[] {0, 8}) {
            if (legacyRouted(irq)) {
                isa(irq).set(false);
            } else {
                isa(irq).set(legacyInputs[irq]);
            }
        }
    }

    /** Arms timer {@code t} for the time the counter reaches its next match, or cancels it. */
    private void schedule(HpetTimer t) {
        t.armedMatch = -1;
        if (!enabled()) {
            t.timer.cancel();
            return;
        }
        long match = t.nextMatch(counter());
        long ticks = match - counterBase;
        if (match == -1 || ticks < 0 || ticks > (Long.MAX_VALUE - counterNanos) / NANOS_PER_TICK) {
            t.timer.cancel(); // no match, or none within the virtual clock's range
            return;
        }
        t.armedMatch = match;
        t.timer.armAt(counterNanos + ticks * NANOS_PER_TICK);
    }

    private void onMatch(HpetTimer t) {
        long match = t.armedMatch;
        if (!enabled() || match == -1) {
            return;
        }
        long counter = counter();
        if (Long.compareUnsigned(counter, match) < 0) {
            schedule(t);
            return;
        }
        fire(t);
        t.advanceAfterMatch(match, counter);
        schedule(t);
    }

    private void fire(HpetTimer t) {
        if (!t.interruptEnabled()) {
            return;
        }
        int irq = irqOf(t);
        if (t.level()) {
            status |= 1L << t.index;
            updateLevel(t);
        } else if (irq >= 0) {
            IrqLine line = isa(irq);
            boolean keep = !legacyRouted(irq) && legacyInputs[irq];
            line.set(true);
            line.set(keep);
        }
    }

    /** A level-triggered timer holds its IRQ while its status bit is set and its interrupt enabled. */
    private void updateLevel(HpetTimer t) {
        int irq = irqOf(t);
        if (irq < 0 || !t.level()) {
            return;
        }
        boolean high = (status >>> t.index & 1) != 0 && t.interruptEnabled();
        boolean passThrough = !legacyRouted(irq) && legacyInputs[irq];
        isa(irq).set(high || passThrough);
    }

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
        long[] cfg = new long[TIMERS];
        long[] cmp = new long[TIMERS];
        long[] per = new long[TIMERS];
        for (int i = 0; i < TIMERS; i++) {
            cfg[i] = timers[i].config;
            cmp[i] = timers[i].comparator;
            per[i] = timers[i].period;
        }
        return new State(config, status, counterBase, counterNanos, cfg, cmp, per);
    }

    @Override
    public void loadState(State s) {
        if (s.timerConfig() == null || s.timerConfig().length != TIMERS || s.comparators() == null
                || s.comparators().length != TIMERS || s.periods() == null || s.periods().length != TIMERS) {
            throw new org.machina.api.state.StateException("hpet state must carry " + TIMERS + " timers");
        }
        config = s.config() & (ENABLE_CNF | LEG_RT_CNF);
        status = s.status() & ((1L << TIMERS) - 1);
        counterBase = s.counter();
        counterNanos = s.counterNanos();
        for (int i = 0; i < TIMERS; i++) {
            timers[i].config = s.timerConfig()[i] & HpetTimer.WRITABLE;
            timers[i].comparator = s.comparators()[i];
            timers[i].period = s.periods()[i];
        }
        updateLegacySwitch();
        for (HpetTimer t : timers) {
            updateLevel(t);
            schedule(t);
        }
    }
}
