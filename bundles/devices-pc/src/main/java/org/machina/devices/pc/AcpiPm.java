package org.machina.devices.pc;

import org.machina.api.device.Device;
import org.machina.api.device.DeviceContext;
import org.machina.api.fastpath.FastPathHandler;
import org.machina.api.fastpath.FastPathRead;
import org.machina.api.irq.IrqLine;
import org.machina.api.memory.AccessSpec;
import org.machina.api.memory.Mapping;
import org.machina.api.memory.MemoryRegion;
import org.machina.api.memory.Mmio;
import org.machina.api.state.Stateful;
import org.machina.api.time.Timer;
import org.machina.api.time.VirtualClock;

/**
 * The ACPI fixed-hardware power management registers of a PIIX4-style PM function (ACPI 6.5,
 * section 4.8), in I/O space from {@code base}:
 *
 * <pre>
 * base+0  PM1a_STS  16  TMR_STS(0) PWRBTN_STS(8): write 1 to clear
 * base+2  PM1a_EN   16  TMR_EN(0) PWRBTN_EN(8); GBL_EN(5), SLPBTN_EN(9), RTC_EN(10) are kept
 *                       (ACPICA checks that they stick) but their events never happen
 * base+4  PM1a_CNT  16  SCI_EN(0, set at reset: the machine is always in ACPI mode),
 *                       SLP_TYP(10-12), SLP_EN(13, write-only): SLP_TYP 0 is S5 = power off
 * base+8  PM_TMR    32  24-bit counter at 3.579545 MHz from the virtual clock (read-only)
 * </pre>
 *
 * The SCI is level-triggered: high while SCI_EN is set and an enabled status bit is set.
 * TMR_STS is set each time bit 23 of the timer changes. Pressing the power button sets
 * PWRBTN_STS when the OS has enabled PWRBTN_EN; otherwise the press is refused (returns false)
 * and the runtime powers the machine off. Entering S5 shuts the machine down with status 0;
 * other sleep states are logged and ignored. PM_TMR reads are served on the fast path
 * ({@link org.machina.api.fastpath}).
 */
public final class AcpiPm implements Device, Mmio, Stateful<AcpiPm.State> {
    static final int SIZE = 12;
    static final int STS = 0;
    static final int EN = 2;
    static final int CNT = 4;
    static final int TMR = 8;
    static final int TMR_STS = 1;
    static final int PWRBTN_STS = 1 << 8;
    static final int STS_BITS = TMR_STS | PWRBTN_STS;
    /** PM1_EN bits that hold what is written: TMR_EN, GBL_EN, PWRBTN_EN, SLPBTN_EN, RTC_EN. */
    static final int EN_BITS = TMR_STS | 1 << 5 | PWRBTN_STS | 1 << 9 | 1 << 10;
    static final int SCI_EN = 1;
    static final int SLP_TYP_SHIFT = 10;
    static final int SLP_TYP_MASK = 7 << SLP_TYP_SHIFT;
    static final int SLP_EN = 1 << 13;
    static final int CNT_BITS = SCI_EN | SLP_TYP_MASK;
    static final int SLP_TYP_S5 = 0;
    static final long TIMER_HZ = 3_579_545;
    static final long NANOS = 1_000_000_000L;
    static final int TIMER_BITS = 24;

    /**
     * Saved state, version 1.
     *
     * @param status PM1a_STS latched bits (PWRBTN_STS)
     * @param enable PM1a_EN
     * @param control PM1a_CNT (SCI_EN, SLP_TYP)
     * @param timerStsEpoch value of (timer ticks >> 23) when TMR_STS was last cleared
     */
    public record State(int status, int enable, int control, long timerStsEpoch) {
    }

    private final DeviceContext context;
    private final int base;
    private final int sciIrq;
    private VirtualClock clock;
    private IrqLine sci = IrqLine.NONE;
    private Timer timer;
    private int status;
    private int enable;
    private int control = SCI_EN;
    private long timerStsEpoch;
    private boolean warnedTimerWrite;

    private final boolean fastPath;

    AcpiPm(DeviceContext context, int base, int sciIrq) {
        this(context, base, sciIrq, true);
    }

    /** With {@code fastPath} false, no fast-path handler is attached (the {@code fastpath=off} property). */
    AcpiPm(DeviceContext context, int base, int sciIrq, boolean fastPath) {
        this.fastPath = fastPath;
        this.context = context;
        this.base = base;
        this.sciIrq = sciIrq;
    }

    @Override
    public void realize() {
        clock = context.executor().clock();
        sci = context.irq("isa", sciIrq);
        timer = context.executor().newTimer("acpi-pm-tmr", this::updateSci);
        Mapping mapping = context.io().map(base,
                new MemoryRegion.Io("acpi-pm", SIZE, this, new AccessSpec(1, 4, 1, 4, true)));
        if (fastPath) {
            context.fastPath().attach(mapping, TMR, 4, new FastPathHandler() {
                @Override
                public boolean read(long offset, int size, FastPathRead result) {
                    result.set(timerRead(offset, size));
                    return true;
                }
            });
        }
        context.registerPowerButton(this::pressPowerButton);
    }

    @Override
    public void reset() {
        status = 0;
        enable = 0;
        control = SCI_EN;
        timerStsEpoch = ticks() >>> (TIMER_BITS - 1);
        updateSci();
    }

    /**
     * PM timer ticks since the machine was created: floor(nanos * 3579545 / 10^9), without
     * overflow, from the clock's {@linkplain VirtualClock#recentNanos recent time} (no host clock
     * read on most reads of a polling guest).
     */
    long ticks() {
        long n = clock.recentNanos();
        return n / NANOS * TIMER_HZ + n % NANOS * TIMER_HZ / NANOS;
    }

    /** The first virtual-clock time at which {@link #ticks} reaches {@code t}. */
    static long nanosForTicks(long t) {
        return t / TIMER_HZ * NANOS + (t % TIMER_HZ * NANOS + TIMER_HZ - 1) / TIMER_HZ;
    }

    private int statusNow() {
        boolean tmr = ticks() >>> (TIMER_BITS - 1) != timerStsEpoch;
        return status | (tmr ? TMR_STS : 0);
    }

    /**
     * A read inside PM_TMR: the fast path (a function of the virtual clock only). Bytes past
     * bit 23 read 0.
     */
    long timerRead(long offset, int size) {
        long v = (ticks() & 0xFFFFFF) >>> (8 * (offset - TMR));
        return size >= 4 ? v : v & ((1L << (8 * size)) - 1);
    }

    @Override
    public long read(long offset, int size) {
        if (offset >= TMR) {
            return timerRead(offset, size); // the hot register: the recent guest time, nothing else
        }
        int sts = offset < EN ? statusNow() : status;
        long v = 0;
        for (int i = 0; i < size; i++) {
            int o = (int) offset + i;
            int b = switch (o) {
                case STS, STS + 1 -> sts >>> (8 * (o - STS));
                case EN, EN + 1 -> enable >>> (8 * (o - EN));
                case CNT, CNT + 1 -> control >>> (8 * (o - CNT));
                case TMR, TMR + 1, TMR + 2, TMR + 3 -> (int) timerRead(o, 1); // an unaligned read into PM_TMR
                default -> 0;
            };
            v |= (long) (b & 0xFF) << (8 * i);
        }
        return v;
    }

    @Override
    public void write(long offset, int size, long data) {
        int[] value = new int[SIZE / 2];
        int[] mask = new int[SIZE / 2];
        for (int i = 0; i < size; i++) {
            int o = (int) offset + i;
            int b = (int) (data >>> (8 * i)) & 0xFF;
            value[o / 2] |= b << (8 * (o & 1));
            mask[o / 2] |= 0xFF << (8 * (o & 1));
        }
        if (mask[STS / 2] != 0) {
            int clear = value[STS / 2] & mask[STS / 2];
            status &= ~clear;
            if ((clear & TMR_STS) != 0) {
                timerStsEpoch = ticks() >>> (TIMER_BITS - 1);
            }
        }
        if (mask[EN / 2] != 0) {
            enable = (enable & ~mask[EN / 2] | value[EN / 2] & mask[EN / 2]) & EN_BITS;
        }
        if (mask[CNT / 2] != 0) {
            int v = value[CNT / 2];
            control = (control & ~mask[CNT / 2] | v & mask[CNT / 2]) & CNT_BITS;
            if ((v & mask[CNT / 2] & SLP_EN) != 0) {
                sleep((control & SLP_TYP_MASK) >>> SLP_TYP_SHIFT);
            }
        }
        if ((mask[TMR / 2] | mask[TMR / 2 + 1]) != 0 && !warnedTimerWrite) {
            warnedTimerWrite = true;
            context.log().warn("guest wrote the read-only PM timer (port 0x{}); ignored", Integer.toHexString(base + TMR));
        }
        updateSci();
    }

    private void sleep(int slpTyp) {
        if (slpTyp == SLP_TYP_S5) {
            context.machine().requestShutdown("guest entered ACPI S5 (soft off)", 0);
        } else {
            context.log().warn("guest asked for sleep type {} (SLP_TYP); only S5 (SLP_TYP {}) is supported: ignored",
                    slpTyp, SLP_TYP_S5);
        }
    }

    /** Drives the SCI and, while TMR_EN is set, arms the timer for the next TMR_STS. */
    private void updateSci() {
        int sts = statusNow();
        sci.set((control & SCI_EN) != 0 && (sts & enable) != 0);
        if ((enable & TMR_STS) != 0 && (sts & TMR_STS) == 0) {
            timer.armAt(nanosForTicks((timerStsEpoch + 1) << (TIMER_BITS - 1)));
        } else {
            timer.cancel();
        }
    }

    /** The power button: latches PWRBTN_STS when the OS listens for it. */
    boolean pressPowerButton() {
        if ((control & SCI_EN) == 0 || (enable & PWRBTN_STS) == 0) {
            return false;
        }
        status |= PWRBTN_STS;
        updateSci();
        return true;
    }

    boolean sciLevel() {
        return sci.level();
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
        return new State(status, enable, control, timerStsEpoch);
    }

    @Override
    public void loadState(State s) {
        status = s.status() & STS_BITS;
        enable = s.enable() & EN_BITS;
        control = s.control() & CNT_BITS;
        timerStsEpoch = s.timerStsEpoch();
        updateSci();
    }
}
