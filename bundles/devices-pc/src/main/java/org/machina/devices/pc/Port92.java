package org.machina.devices.pc;

import org.machina.api.device.Device;
import org.machina.api.device.DeviceContext;
import org.machina.api.irq.IrqLine;
import org.machina.api.memory.AccessSpec;
import org.machina.api.memory.MemoryRegion;
import org.machina.api.memory.Mmio;
import org.machina.api.state.Stateful;

/**
 * System control port A at I/O port 0x92 (PS/2 "fast A20 and reset").
 *
 * <pre>
 * bit  name        access  meaning
 *  0   FAST_RESET  rw      a 0 -> 1 transition resets the machine ({@code requestReset}); reads back 0
 *  1   A20         rw      A20 gate: drives input 0 of the "a20" controller (the board ORs it
 *                          with the i8042's output port bit 1 into the CPU's A20 input)
 * 2-7  -           rw      stored and read back (reserved)
 * </pre>
 *
 * <p>With the bit clear (and the i8042's gate closed too) the CPU's addresses wrap at 1 MiB.
 */
public final class Port92 implements Device, Stateful<Port92.State>, Mmio {
    static final int PORT = 0x92;
    static final int FAST_RESET = 0x01;
    static final int A20 = 0x02;

    /**
     * Saved state, version 1.
     *
     * @param value the last value written, reset bit cleared
     */
    public record State(int value) {
    }

    private final DeviceContext context;
    private int value;
    private IrqLine a20Line = IrqLine.NONE;

    Port92(DeviceContext context) {
        this.context = context;
    }

    @Override
    public void realize() {
        a20Line = context.irq("a20", 0);
        context.io().map(PORT, new MemoryRegion.Io("port92", 1, this, AccessSpec.BYTES));
    }

    @Override
    public void reset() {
        value = 0;
        a20Line.set(false);
    }

    @Override
    public long read(long offset, int size) {
        return value;
    }

    @Override
    public void write(long offset, int size, long data) {
        int v = (int) data & 0xff;
        boolean resetEdge = (v & FAST_RESET) != 0 && (value & FAST_RESET) == 0;
        value = v & ~FAST_RESET;
        a20Line.set(a20());
        if (resetEdge) {
            context.machine().requestReset("port 0x92 fast reset");
        }
    }

    /** Whether the guest has set the A20 gate bit. */
    boolean a20() {
        return (value & A20) != 0;
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
        return new State(value);
    }

    @Override
    public void loadState(State state) {
        value = state.value() & 0xfe;
        a20Line.set(a20());
    }
}
