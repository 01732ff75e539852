package org.machina.devices.pc;

import org.machina.api.device.Device;
import org.machina.api.device.DeviceContext;
import org.machina.api.irq.IrqLine;
import org.machina.api.memory.AccessSpec;
import org.machina.api.memory.MemoryRegion;
import org.machina.api.memory.Mmio;
import org.machina.api.state.Stateful;
import org.machina.api.time.Timer;
import org.machina.api.time.VirtualClock;

/**
 * The 8254 programmable interval timer of the PC, clocked at 1.193182 MHz derived from the
 * virtual clock, and the port 0x61 bits that belong to it.
 *
 * <pre>
 * port  register
 * 0x40  counter 0 (OUT0 -> ISA IRQ0)                       read/write per access mode
 * 0x41  counter 1 (DRAM refresh, unused)
 * 0x42  counter 2 (speaker; GATE2 and OUT2 via port 0x61)
 * 0x43  control word: bits 7-6 counter (3 = read-back), 5-4 access (0 = latch), 3-1 mode, 0 BCD
 *       read-back: bit5 0 = latch count, bit4 0 = latch status, bits 3-1 counters 2..0
 * 0x61  bit0 GATE2 (rw), bit1 speaker data (rw), bits 2-3 stored (NMI check enables),
 *       bit4 refresh toggle (ro, flips every 15.085 us of virtual time), bit5 OUT2 (ro)
 * </pre>
 *
 * <p>Counters are computed from time, never stepped. Only counter 0 has a timer, armed for the
 * next rising edge of OUT0 (the edge the edge-triggered IRQ0 input sees). A periodic edge is
 * delivered as a low-high pulse; edges missed while the machine thread was late are dropped, as
 * an 8259 would merge them. The speaker itself makes no sound.
 */
public final class I8254 implements Device, Stateful<I8254.State> {
    static final int PORT = 0x40;
    static final int PORT_61 = 0x61;
    static final long FREQUENCY = 1_193_182;
    static final long NANOS = 1_000_000_000L;
    static final long REFRESH_NANOS = 15_085;

    /**
     * Saved state, version 1.
     *
     * @param counters the three counters
     * @param port61 port 0x61 bits 0-3
     * @param irqDeadline virtual-nanosecond deadline of the next IRQ0 edge, or {@link Long#MAX_VALUE}
     * @param irqLevel the level IRQ0 is driven to
     */
    public record State(Pit8254Channel.State[] counters, int port61, long irqDeadline, boolean irqLevel) {
    }

    private final DeviceContext context;
    private final Pit8254Channel[] counters = {new Pit8254Channel(true), new Pit8254Channel(true),
        new Pit8254Channel(false)};
    private VirtualClock clock;
    private final String irqController;
    private IrqLine irq = IrqLine.NONE;
    private Timer timer;
    private int port61;
    private boolean irqLevel;

    I8254(DeviceContext context) {
        this(context, "isa");
    }

    /** A PIT whose OUT0 drives input 0 of {@code irqController} ("isa", or the HPET's legacy switch). */
    I8254(DeviceContext context, String irqController) {
        this.context = context;
        this.irqController = irqController;
    }

    @Override
    public void realize() {
        clock = context.executor().clock();
        irq = context.irq(irqController, 0);
        timer = context.executor().newTimer("pit-irq0", this::onEdge);
        context.io().map(PORT, new MemoryRegion.Io("pit", 4, new Mmio() {
            @Override
            public long read(long offset, int size) {
                return offset == 3 ? 0xff : counters[(int) offset].read(tick());
            }

            @Override
            public void write(long offset, int size, long value) {
                writePort((int) offset, (int) value & 0xff);
            }
        }, AccessSpec.BYTES));
        context.io().map(PORT_61, new MemoryRegion.Io("port61", 1, new Mmio() {
            @Override
            public long read(long offset, int size) {
                return readPort61();
            }

            @Override
            public void write(long offset, int size, long value) {
                port61 = (int) value & 0x0f;
                counters[2].setGate((port61 & 1) != 0, tick());
            }
        }, AccessSpec.BYTES));
    }

    @Override
    public void reset() {
        counters[0].reset(true);
        counters[1].reset(true);
        counters[2].reset(false);
        port61 = 0;
        counter0Changed();
    }

    /** Input-clock ticks at the current virtual time. */
    private long tick() {
        return ticks(clock.nanos());
    }

    static long ticks(long nanos) {
        return nanos / NANOS * FREQUENCY + nanos % NANOS * FREQUENCY / NANOS;
    }

    /** The first virtual nanosecond at which {@link #ticks} reaches {@code tick}. */
    static long nanos(long tick) {
        return tick / FREQUENCY * NANOS + (tick % FREQUENCY * NANOS + FREQUENCY - 1) / FREQUENCY;
    }

    private void writePort(int offset, int value) {
        long t = tick();
        if (offset < 3) {
            counters[offset].write(value, t);
        } else if ((value & 0xc0) == 0xc0) {
            for (int i = 0; i < 3; i++) {
                if ((value & (2 << i)) != 0) {
                    if ((value & 0x20) == 0) {
                        counters[i].latchCount(t);
                    }
                    if ((value & 0x10) == 0) {
                        counters[i].latchStatus(t);
                    }
                }
            }
            return;
        } else {
            counters[value >> 6].control(value & 0x3f, t);
            offset = value >> 6;
        }
        if (offset == 0) {
            counter0Changed();
        }
    }

    private int readPort61() {
        long now = clock.nanos();
        int refresh = (int) (now / REFRESH_NANOS) & 1;
        return port61 | refresh << 4 | (counters[2].out(ticks(now)) ? 0x20 : 0);
    }

    /** Drives IRQ0 to OUT0 and arms the timer for OUT0's next rising edge. */
    private void counter0Changed() {
        long t = tick();
        setIrq(counters[0].out(t));
        armNext(t);
    }

    private void armNext(long t) {
        long next = counters[0].nextRise(t);
        if (next == Pit8254Channel.NEVER) {
            timer.cancel();
        } else {
            timer.armAt(nanos(next));
        }
    }

    private void onEdge() {
        long t = tick();
        if (irqLevel) {
            irq.lower();
        }
        irqLevel = true;
        irq.raise();
        armNext(t);
    }

    private void setIrq(boolean level) {
        if (level != irqLevel) {
            irqLevel = level;
            irq.set(level);
        }
    }

    /** OUT of counter {@code n} now (for tests and the board). */
    boolean out(int n) {
        return counters[n].out(tick());
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
        Pit8254Channel.State[] s = new Pit8254Channel.State[3];
        for (int i = 0; i < 3; i++) {
            s[i] = counters[i].save();
        }
        return new State(s, port61, timer.deadline(), irqLevel);
    }

    @Override
    public void loadState(State state) {
        if (state.counters() == null || state.counters().length != 3) {
            throw new org.machina.api.state.StateException("i8254 state needs 3 counters");
        }
        for (int i = 0; i < 3; i++) {
            counters[i].load(state.counters()[i]);
        }
        port61 = state.port61() & 0x0f;
        irqLevel = state.irqLevel();
        irq.set(irqLevel);
        if (state.irqDeadline() == Long.MAX_VALUE) {
            timer.cancel();
        } else {
            timer.armAt(state.irqDeadline());
        }
    }
}
