package org.machina.devices.pc;

import org.machina.api.irq.IrqLine;
import org.machina.api.irq.IrqSink;

/** An IRQ line that records its level and rising edges and forwards to a sink when one is set. */
final class FakeIrqLine implements IrqLine {
    private boolean level;
    int rises;
    IrqSink sink;
    int input;

    @Override
    public void set(boolean level) {
        if (level && !this.level) {
            rises++;
        }
        this.level = level;
        if (sink != null) {
            sink.setInput(input, level);
        }
    }

    @Override
    public boolean level() {
        return level;
    }
}
