package org.machina.devices.tick;

import org.machina.api.device.Device;
import org.machina.api.device.DeviceContext;
import org.machina.api.irq.IrqLine;
import org.machina.api.memory.AccessSpec;
import org.machina.api.memory.MemoryRegion;
import org.machina.api.memory.Mmio;
import org.machina.api.state.Stateful;
import org.machina.api.time.Timer;

/**
 * A counter that advances once per period of guest time. Register map (32-bit ports):
 * <pre>
 * 0x0  COUNT      R/W  ticks counted (write sets it)
 * 0x4  PERIOD_US  R/W  tick period in microseconds; 0 stops counting
 * 0x8  CTRL       R/W  bit 0: pulse the interrupt line on every tick
 * 0xC  ID         R    0x4d54434b ("MTCK")
 * </pre>
 * Reset: count 0, stopped, interrupts off. Other offsets read 0 and ignore writes.
 */
final class TickCounter implements Device, Stateful<TickState> {
    static final int SIZE = 16;
    static final int REG_COUNT = 0x0;
    static final int REG_PERIOD = 0x4;
    static final int REG_CTRL = 0x8;
    static final int REG_ID = 0xc;
    static final int ID = 0x4d54434b;

    private final DeviceContext context;
    private final int iobase;
    private final IrqLine irq;
    private Timer timer;
    private long count;
    private long periodNanos;
    private long nextTick;
    private boolean irqEnabled;

    TickCounter(DeviceContext context, int iobase, int irqNumber) {
        this.context = context;
        this.iobase = iobase;
        this.irq = irqNumber < 0 ? IrqLine.NONE : context.irq("isa", irqNumber);
    }

    @Override
    public void realize() {
        timer = context.executor().newTimer("tick", this::tick);
        context.io().map(iobase, new MemoryRegion.Io("tick-counter", SIZE, new Mmio() {
            @Override
            public long read(long offset, int size) {
                return readRegister((int) offset);
            }

            @Override
            public void write(long offset, int size, long value) {
                writeRegister((int) offset, value);
            }
        }, AccessSpec.DWORDS));
    }

    @Override
    public void reset() {
        count = 0;
        periodNanos = 0;
        irqEnabled = false;
        timer.cancel();
    }

    private long now() {
        return context.executor().clock().nanos();
    }

    private long readRegister(int offset) {
        return switch (offset) {
            case REG_COUNT -> count & 0xffffffffL;
            case REG_PERIOD -> periodNanos / 1000;
            case REG_CTRL -> irqEnabled ? 1 : 0;
            case REG_ID -> ID;
            default -> 0;
        };
    }

    private void writeRegister(int offset, long value) {
        switch (offset) {
            case REG_COUNT -> count = value & 0xffffffffL;
            case REG_PERIOD -> {
                periodNanos = (value & 0xffffffffL) * 1000;
                if (periodNanos == 0) {
                    timer.cancel();
                } else {
                    nextTick = now() + periodNanos;
                    timer.armAt(nextTick);
                }
            }
            case REG_CTRL -> irqEnabled = (value & 1) != 0;
            default -> context.log().debug("write 0x{} to read-only or unknown offset 0x{}", Long.toHexString(value),
                    Integer.toHexString(offset));
        }
    }

    private void tick() {
        if (periodNanos == 0) {
            return;
        }
        long now = now();
        long elapsed = 1 + Math.max(0, (now - nextTick) / periodNanos);
        count = (count + elapsed) & 0xffffffffL;
        nextTick += elapsed * periodNanos;
        if (irqEnabled) {
            irq.pulse();
        }
        timer.armAt(nextTick);
    }

    @Override
    public Class<TickState> stateType() {
        return TickState.class;
    }

    @Override
    public int stateVersion() {
        return 1;
    }

    @Override
    public TickState saveState() {
        return new TickState(count, periodNanos, nextTick, irqEnabled);
    }

    @Override
    public void loadState(TickState s) {
        count = s.count();
        periodNanos = s.periodNanos();
        nextTick = s.nextTick();
        irqEnabled = s.irqEnabled();
        if (periodNanos != 0) {
            timer.armAt(nextTick);
        } else {
            timer.cancel();
        }
    }
}
