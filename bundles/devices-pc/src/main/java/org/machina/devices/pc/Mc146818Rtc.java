package org.machina.devices.pc;

import java.time.DateTimeException;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import org.machina.api.device.Device;
import org.machina.api.device.DeviceContext;
import org.machina.api.irq.IrqLine;
import org.machina.api.memory.AccessSpec;
import org.machina.api.memory.MemoryRegion;
import org.machina.api.memory.Mmio;
import org.machina.api.state.StateException;
import org.machina.api.state.Stateful;
import org.machina.api.time.Timer;
import org.machina.api.time.VirtualClock;

/**
 * MC146818 real-time clock with 128 bytes of CMOS RAM. The time follows the virtual clock from a
 * base taken at creation; every flag is computed from time when read, and a timer is armed only
 * for the next interrupt an enabled source can raise.
 *
 * <pre>
 * port 0x70 (write)  bit7 NMI disable (stored; NMIs are not delivered), bits 6-0 index
 * port 0x71          CMOS byte at index
 *
 * index  register
 * 0x00   seconds          0x01 seconds alarm   (alarm bytes 0xC0-0xFF = don't care)
 * 0x02   minutes          0x03 minutes alarm
 * 0x04   hours (bit7 PM in 12h mode)           0x05 hours alarm
 * 0x06   day of week (1 = Sunday)  0x07 day of month  0x08 month  0x09 year (2 digits)
 * 0x0A   A: bit7 UIP (ro), bits 6-4 divider (010 = running), bits 3-0 periodic rate
 * 0x0B   B: bit7 SET, bit6 PIE, bit5 AIE, bit4 UIE, bit3 SQWE, bit2 DM (1 = binary), bit1 24h, bit0 DSE
 * 0x0C   C (ro, cleared by reading): bit7 IRQF, bit6 PF, bit5 AF, bit4 UF
 * 0x0D   D (ro): bit7 VRT = 1
 * 0x0E-0x7F  CMOS RAM: 0x15/0x16 base memory KiB, 0x17/0x18 and 0x30/0x31 extended KiB,
 *            0x2E/0x2F checksum of 0x10-0x2D, 0x32 century, 0x34/0x35 64 KiB blocks above 16 MiB
 * </pre>
 *
 * <p>Not emulated: the square-wave output, daylight-saving adjustment (DSE is stored only) and
 * stopping the clock through the divider bits. The alarm is checked at each second boundary
 * while the alarm interrupt is enabled; a guest polling register C for AF with AIE off sees only
 * the latest boundary.
 */
public final class Mc146818Rtc implements Device, Stateful<Mc146818Rtc.State>, Mmio {
    static final int PORT = 0x70;
    static final int REG_A = 0x0a;
    static final int REG_B = 0x0b;
    static final int REG_C = 0x0c;
    static final int REG_D = 0x0d;
    static final int CENTURY = 0x32;
    static final int A_UIP = 0x80;
    static final int B_SET = 0x80;
    static final int B_PIE = 0x40;
    static final int B_AIE = 0x20;
    static final int B_UIE = 0x10;
    static final int B_BINARY = 0x04;
    static final int B_24H = 0x02;
    static final int C_IRQF = 0x80;
    static final int C_PF = 0x40;
    static final int C_AF = 0x20;
    static final int C_UF = 0x10;
    static final long SECOND = 1_000_000_000L;
    /** UIP is set this long before each second update. */
    static final long UIP_NANOS = 244_000;

    /**
     * Saved state, version 1.
     *
     * @param cmos the 128 CMOS bytes (time bytes as last latched)
     * @param index selected CMOS index
     * @param nmiDisabled bit 7 of the last index write
     * @param baseSeconds epoch seconds of the RTC time at {@code baseNanos}
     * @param baseNanos virtual time at which the RTC showed {@code baseSeconds}
     * @param checkedNanos virtual time up to which register C flags have been computed
     * @param irqLevel level driven on IRQ8
     * @param timerDeadline deadline of the interrupt timer, or {@link Long#MAX_VALUE}
     */
    public record State(int[] cmos, int index, boolean nmiDisabled, long baseSeconds, long baseNanos,
            long checkedNanos, boolean irqLevel, long timerDeadline) {
    }

    private final DeviceContext context;
    private final int[] cmos = new int[128];
    private VirtualClock clock;
    private final String irqController;
    private IrqLine irq = IrqLine.NONE;
    private Timer timer;
    private int index;
    private boolean nmiDisabled;
    private long baseSeconds;
    private long baseNanos;
    private long checkedNanos;
    private boolean irqLevel;
    private boolean loggedBadTime;

    Mc146818Rtc(DeviceContext context, long baseSeconds, long memoryBytes) {
        this(context, baseSeconds, memoryBytes, "isa");
    }

    /** An RTC whose IRQ output drives input 8 of {@code irqController} ("isa", or the HPET's legacy switch). */
    Mc146818Rtc(DeviceContext context, long baseSeconds, long memoryBytes, String irqController) {
        this.context = context;
        this.irqController = irqController;
        this.baseSeconds = baseSeconds;
        cmos[REG_A] = 0x26;
        cmos[REG_B] = B_24H;
        cmos[REG_D] = 0x80;
        writeMemorySize(memoryBytes);
    }

    private void writeMemorySize(long bytes) {
        final long mib = 1L << 20;
        cmos[0x15] = 640 & 0xff;
        cmos[0x16] = 640 >> 8;
        long ext = Math.min(0xffff, Math.max(0, bytes - mib) / 1024);
        cmos[0x17] = cmos[0x30] = (int) ext & 0xff;
        cmos[0x18] = cmos[0x31] = (int) ext >> 8;
        long high = Math.min(0xffff, Math.max(0, bytes - 16 * mib) / 65536);
        cmos[0x34] = (int) high & 0xff;
        cmos[0x35] = (int) high >> 8;
        updateChecksum();
    }

    private void updateChecksum() {
        int sum = 0;
        for (int i = 0x10; i <= 0x2d; i++) {
            sum += cmos[i];
        }
        cmos[0x2e] = (sum >> 8) & 0xff;
        cmos[0x2f] = sum & 0xff;
    }

    @Override
    public void realize() {
        clock = context.executor().clock();
        irq = context.irq(irqController, 8);
        timer = context.executor().newTimer("rtc", this::onTimer);
        baseNanos = clock.nanos();
        checkedNanos = baseNanos;
        latchTime(baseSeconds);
        context.io().map(PORT, new MemoryRegion.Io("rtc", 2, this, AccessSpec.BYTES));
    }

    @Override
    public void reset() {
        catchUp();
        cmos[REG_B] &= ~(B_PIE | B_AIE | B_UIE | 0x08);
        cmos[REG_C] = 0;
        setIrq(false);
        rearm();
    }

    @Override
    public long read(long offset, int size) {
        if (offset == 0) {
            return 0xff;
        }
        return switch (index) {
            case 0, 2, 4, 6, 7, 8, 9 -> {
                if ((cmos[REG_B] & B_SET) == 0) {
                    latchTime(seconds(clock.nanos()));
                }
                yield cmos[index];
            }
            case REG_A -> cmos[REG_A] | (updateInProgress() ? A_UIP : 0);
            case REG_C -> readC();
            case REG_D -> 0x80;
            case CENTURY -> {
                if ((cmos[REG_B] & B_SET) == 0) {
                    latchTime(seconds(clock.nanos()));
                }
                yield cmos[CENTURY];
            }
            default -> cmos[index];
        };
    }

    @Override
    public void write(long offset, int size, long value) {
        int v = (int) value & 0xff;
        if (offset == 0) {
            index = v & 0x7f;
            nmiDisabled = (v & 0x80) != 0;
            return;
        }
        switch (index) {
            case 0, 2, 4, 6, 7, 8, 9, CENTURY -> writeTime(v);
            case REG_A -> {
                catchUp();
                cmos[REG_A] = v & 0x7f;
                rearm();
            }
            case REG_B -> writeB(v);
            case REG_C, REG_D -> {
            }
            default -> cmos[index] = v;
        }
    }

    private void writeTime(int v) {
        boolean running = (cmos[REG_B] & B_SET) == 0;
        if (running) {
            long now = clock.nanos();
            catchUp();
            latchTime(seconds(now));
            cmos[index] = v;
            long phase = Math.floorMod(now - baseNanos, SECOND);
            rebase(now - phase);
        } else {
            cmos[index] = v;
        }
    }

    private void writeB(int v) {
        catchUp();
        int old = cmos[REG_B];
        long now = clock.nanos();
        if ((v & B_SET) != 0 && (old & B_SET) == 0) {
            latchTime(seconds(now));
        }
        if ((v & B_SET) != 0) {
            v &= ~B_UIE;
        }
        cmos[REG_B] = v;
        if ((v & B_SET) == 0 && (old & B_SET) != 0) {
            rebase(now);
        }
        evaluateIrq();
        rearm();
    }

    /** Makes the time in the CMOS time bytes the current time from virtual time {@code at} on. */
    private void rebase(long at) {
        try {
            baseSeconds = parseTime();
        } catch (DateTimeException e) {
            if (!loggedBadTime) {
                loggedBadTime = true;
                context.log().warn("guest set an invalid RTC time ({}); keeping the previous time", e.getMessage());
            }
            baseSeconds = seconds(at);
        }
        baseNanos = at;
        checkedNanos = Math.max(checkedNanos, at);
    }

    private boolean binary() {
        return (cmos[REG_B] & B_BINARY) != 0;
    }

    private int encode(int v) {
        return binary() ? v : (v / 10) << 4 | v % 10;
    }

    private int decode(int v) {
        return binary() ? v : (v >> 4) * 10 + (v & 0xf);
    }

    private int encodeHour(int hour) {
        if ((cmos[REG_B] & B_24H) != 0) {
            return encode(hour);
        }
        int h = hour % 12 == 0 ? 12 : hour % 12;
        return encode(h) | (hour >= 12 ? 0x80 : 0);
    }

    private int decodeHour(int v) {
        if ((cmos[REG_B] & B_24H) != 0) {
            return decode(v);
        }
        return decode(v & 0x7f) % 12 + ((v & 0x80) != 0 ? 12 : 0);
    }

    /** Writes the calendar time {@code epochSeconds} into the time bytes in the current format. */
    private void latchTime(long epochSeconds) {
        LocalDateTime t = LocalDateTime.ofEpochSecond(epochSeconds, 0, ZoneOffset.UTC);
        cmos[0] = encode(t.getSecond());
        cmos[2] = encode(t.getMinute());
        cmos[4] = encodeHour(t.getHour());
        cmos[6] = encode(t.getDayOfWeek().getValue() % 7 + 1);
        cmos[7] = encode(t.getDayOfMonth());
        cmos[8] = encode(t.getMonthValue());
        cmos[9] = encode(t.getYear() % 100);
        cmos[CENTURY] = encode(t.getYear() / 100);
    }

    private long parseTime() {
        int century = decode(cmos[CENTURY]);
        if (century < 19 || century > 99) {
            century = 20;
        }
        LocalDateTime t = LocalDateTime.of(century * 100 + decode(cmos[9]), decode(cmos[8]), decode(cmos[7]),
                decodeHour(cmos[4]), decode(cmos[2]), decode(cmos[0]));
        return t.toEpochSecond(ZoneOffset.UTC);
    }

    /** RTC epoch seconds at virtual time {@code nanos}. */
    private long seconds(long nanos) {
        return baseSeconds + Math.floorDiv(nanos - baseNanos, SECOND);
    }

    private boolean updateInProgress() {
        return (cmos[REG_B] & B_SET) == 0 && Math.floorMod(clock.nanos() - baseNanos, SECOND) >= SECOND - UIP_NANOS;
    }

    /** Periodic interrupt period in 32.768 kHz ticks, or 0 when off. */
    private int periodTicks() {
        int rs = cmos[REG_A] & 0x0f;
        if (rs == 0 || (cmos[REG_A] & 0x70) != 0x20) {
            return 0;
        }
        return rs <= 2 ? 1 << (rs + 6) : 1 << (rs - 1);
    }

    private long ticks32k(long nanos) {
        long e = nanos - baseNanos;
        return Math.floorDiv(e, SECOND) * 32768 + Math.floorMod(e, SECOND) * 32768 / SECOND;
    }

    private long nanosOf32k(long ticks) {
        return baseNanos + Math.floorDiv(ticks, 32768) * SECOND + (Math.floorMod(ticks, 32768) * SECOND + 32767) / 32768;
    }

    /** Sets PF, UF and AF for the boundaries passed since the last check. */
    private void catchUp() {
        long now = clock.nanos();
        if (now <= checkedNanos) {
            return;
        }
        int period = periodTicks();
        if (period != 0 && Math.floorDiv(ticks32k(now), period) > Math.floorDiv(ticks32k(checkedNanos), period)) {
            cmos[REG_C] |= C_PF;
        }
        long lastSecond = Math.floorDiv(now - baseNanos, SECOND);
        if ((cmos[REG_B] & B_SET) == 0 && lastSecond > Math.floorDiv(checkedNanos - baseNanos, SECOND)) {
            cmos[REG_C] |= C_UF;
            if (alarmMatches(baseSeconds + lastSecond)) {
                cmos[REG_C] |= C_AF;
            }
        }
        checkedNanos = now;
    }

    private boolean alarmMatches(long epochSeconds) {
        LocalDateTime t = LocalDateTime.ofEpochSecond(epochSeconds, 0, ZoneOffset.UTC);
        return alarmField(cmos[1], encode(t.getSecond())) && alarmField(cmos[3], encode(t.getMinute()))
                && alarmField(cmos[5], encodeHour(t.getHour()));
    }

    private static boolean alarmField(int alarm, int value) {
        return (alarm & 0xc0) == 0xc0 || alarm == value;
    }

    private void evaluateIrq() {
        if ((cmos[REG_C] & cmos[REG_B] & (C_PF | C_AF | C_UF)) != 0) {
            cmos[REG_C] |= C_IRQF;
            setIrq(true);
        }
    }

    private int readC() {
        catchUp();
        evaluateIrq();
        int v = cmos[REG_C];
        cmos[REG_C] = 0;
        setIrq(false);
        rearm();
        return v;
    }

    private void setIrq(boolean level) {
        if (level != irqLevel) {
            irqLevel = level;
            irq.set(level);
        }
    }

    /** Arms the timer for the next boundary that can raise an enabled interrupt. */
    private void rearm() {
        int b = cmos[REG_B];
        long now = clock.nanos();
        long deadline = Long.MAX_VALUE;
        if (!irqLevel) {
            int period = periodTicks();
            if ((b & B_PIE) != 0 && period != 0) {
                long next = (Math.floorDiv(ticks32k(now), period) + 1) * period;
                deadline = nanosOf32k(next);
            }
            if ((b & (B_UIE | B_AIE)) != 0 && (b & B_SET) == 0) {
                long nextSecond = baseNanos + (Math.floorDiv(now - baseNanos, SECOND) + 1) * SECOND;
                deadline = Math.min(deadline, nextSecond);
            }
        }
        if (deadline == Long.MAX_VALUE) {
            timer.cancel();
        } else {
            timer.armAt(deadline);
        }
    }

    private void onTimer() {
        catchUp();
        evaluateIrq();
        rearm();
    }

    /** Whether the guest has masked NMIs through bit 7 of the index port. */
    boolean nmiDisabled() {
        return nmiDisabled;
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
        return new State(cmos.clone(), index, nmiDisabled, baseSeconds, baseNanos, checkedNanos, irqLevel,
                timer.deadline());
    }

    @Override
    public void loadState(State state) {
        if (state.cmos() == null || state.cmos().length != 128) {
            throw new StateException("mc146818rtc state needs 128 CMOS bytes");
        }
        for (int i = 0; i < 128; i++) {
            cmos[i] = state.cmos()[i] & 0xff;
        }
        index = state.index() & 0x7f;
        nmiDisabled = state.nmiDisabled();
        baseSeconds = state.baseSeconds();
        baseNanos = state.baseNanos();
        checkedNanos = state.checkedNanos();
        irqLevel = state.irqLevel();
        irq.set(irqLevel);
        if (state.timerDeadline() == Long.MAX_VALUE) {
            timer.cancel();
        } else {
            timer.armAt(state.timerDeadline());
        }
    }
}
