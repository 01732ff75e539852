package org.machina.runtime.irq;

import org.machina.api.irq.IrqLine;

/** A line to a CPU pin that may not exist yet (CPU-less machines, or before the CPU is created). */
public final class PinLine implements IrqLine {
    private volatile IrqLine target = IrqLine.NONE;
    private volatile boolean level;

    public void connect(IrqLine pin) {
        this.target = pin;
        pin.set(level);
    }

    @Override
    public void set(boolean newLevel) {
        level = newLevel;
        target.set(newLevel);
    }

    @Override
    public boolean level() {
        return level;
    }
}
