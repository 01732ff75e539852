package org.machina.devices.pc;

import org.machina.api.device.Device;
import org.machina.api.device.DeviceContext;
import org.machina.api.irq.InterruptAcknowledge;
import org.machina.api.irq.IrqLine;
import org.machina.api.irq.IrqSink;
import org.machina.api.memory.AccessSpec;
import org.machina.api.memory.MemoryRegion;
import org.machina.api.memory.Mmio;
import org.machina.api.state.Stateful;

/**
 * The PC's cascaded pair of 8259A interrupt controllers. It registers itself as interrupt sink
 * {@code "isa"} with 16 inputs (0-7 master, 8-15 slave; the slave's output is wired to master
 * input 2, so input 2 itself is not available to devices), drives the CPU's INTR pin and answers
 * the CPU's interrupt acknowledge with the vector.
 *
 * <pre>
 * port         register
 * 0x20, 0x21   master: ICW1/OCW2/OCW3, IRR/ISR/poll | ICW2-4/OCW1, IMR   (see {@link Pic8259Chip})
 * 0xA0, 0xA1   slave:  same
 * 0x4D0        ELCR1: level-triggered master inputs (bits 0-2 read as 0)
 * 0x4D1        ELCR2: level-triggered slave inputs (IRQ8 and IRQ13 read as 0)
 * </pre>
 *
 * <p>With a local APIC (device {@code apic}) the board sets property {@code output} to an
 * interrupt sink: the INTR output then drives its input 0 (the APIC's sink {@code lapic}: LINT0;
 * the pc board's {@code pic-intr}: LINT0 and I/O APIC input 0) and the acknowledge is
 * offered as bus {@value Lapic#EXTINT_BUS} for the APIC's ExtINT deliveries; property
 * {@code sink} renames the interrupt sink (the board then fans the ISA lines out to the 8259 and
 * the I/O APIC itself).
 *
 * <p>An acknowledge lowers the INTR output, which rises again at once when another request is
 * pending, so each request the 8259 delivers is an edge (the I/O APIC's ExtINT entry is edge
 * triggered; in automatic EOI mode two pending requests would otherwise share one edge).
 *
 * <p>A spurious acknowledge (nothing pending) returns vector base + 7 of the master (IRQ7), or
 * of the slave (IRQ15) when the master delivered the cascade input; as on the real chip the
 * spurious IRQ7 sets no in-service bit and the spurious IRQ15 sets only the master's bit 2.
 */
public final class I8259 implements Device, Stateful<I8259.State>, IrqSink, InterruptAcknowledge {
    static final int MASTER_PORT = 0x20;
    static final int SLAVE_PORT = 0xa0;
    static final int ELCR_PORT = 0x4d0;
    static final int CASCADE = 2;

    /**
     * Saved state, version 1.
     *
     * @param master the master chip
     * @param slave the slave chip
     */
    public record State(Pic8259Chip.State master, Pic8259Chip.State slave) {
    }

    private final DeviceContext context;
    private final Pic8259Chip master = new Pic8259Chip(true, 0xf8);
    private final Pic8259Chip slave = new Pic8259Chip(false, 0xde);
    private IrqLine intr = IrqLine.NONE;
    private boolean output;
    private boolean loggedCascadeInput;
    private boolean loggedBadCommand;

    /** Where the INTR output goes: {@value #CPU}, or the name of an interrupt sink (input 0). */
    private final String outputTo;
    private final String sink;
    static final String CPU = "cpu";

    I8259(DeviceContext context) {
        this(context, CPU, "isa");
    }

    I8259(DeviceContext context, String output, String sink) {
        this.context = context;
        this.outputTo = output;
        this.sink = sink;
    }

    @Override
    public void realize() {
        intr = CPU.equals(outputTo) ? context.cpuInterruptPin() : context.irq(outputTo, 0);
        context.io().map(MASTER_PORT, new MemoryRegion.Io("pic-master", 2, chipPorts(master), AccessSpec.BYTES));
        context.io().map(SLAVE_PORT, new MemoryRegion.Io("pic-slave", 2, chipPorts(slave), AccessSpec.BYTES));
        context.io().map(ELCR_PORT, new MemoryRegion.Io("elcr", 2, new Mmio() {
            @Override
            public long read(long offset, int size) {
                return offset == 0 ? master.elcr() : slave.elcr();
            }

            @Override
            public void write(long offset, int size, long value) {
                (offset == 0 ? master : slave).setElcr((int) value & 0xff);
                update();
            }
        }, AccessSpec.BYTES));
        context.registerIrqSink(sink, this);
        if (CPU.equals(outputTo)) {
            context.registerInterruptAcknowledge(this);
        } else {
            context.registerBus(Lapic.EXTINT_BUS, (InterruptAcknowledge) this);
        }
        update();
    }

    private Mmio chipPorts(Pic8259Chip chip) {
        return new Mmio() {
            @Override
            public long read(long offset, int size) {
                int v = chip.read((int) offset);
                update();
                return v;
            }

            @Override
            public void write(long offset, int size, long value) {
                if (!chip.write((int) offset, (int) value & 0xff) && !loggedBadCommand) {
                    loggedBadCommand = true;
                    context.log().warn("unsupported 8259 command 0x{}", Long.toHexString(value));
                }
                update();
            }
        };
    }

    @Override
    public void reset() {
        master.reset();
        slave.reset();
        update();
    }

    @Override
    public int inputs() {
        return 16;
    }

    @Override
    public void setInput(int index, boolean level) {
        if (index == CASCADE) {
            if (!loggedCascadeInput) {
                loggedCascadeInput = true;
                context.log().warn("ISA input 2 is the slave cascade and cannot be driven by a device; ignored");
            }
            return;
        }
        if (index < 8) {
            master.setInput(index, level);
        } else if (index < 16) {
            slave.setInput(index - 8, level);
        } else {
            throw new IndexOutOfBoundsException("i8259 has inputs 0-15, not " + index);
        }
        update();
    }

    /** Propagates the slave's output into master input 2 and the master's output to the CPU. */
    private void update() {
        int cascade = 1 << CASCADE;
        if (slave.pending() >= 0) {
            master.irr |= cascade;
            master.inputs |= cascade;
        } else {
            master.irr &= ~cascade;
            master.inputs &= ~cascade;
        }
        drive(master.pending() >= 0);
    }

    /** Sets the INTR output (a change only: the receiver sees edges). */
    private void drive(boolean out) {
        if (out != output) {
            output = out;
            intr.set(out);
        }
    }

    @Override
    public int acknowledge() {
        int n = master.pending();
        if (n < 0) {
            return master.vector(7);
        }
        master.acknowledge(n);
        int vector;
        if (n == CASCADE && !master.single) {
            int s = slave.pending();
            if (s < 0) {
                vector = slave.vector(7);
            } else {
                slave.acknowledge(s);
                vector = slave.vector(s);
            }
        } else {
            vector = master.vector(n);
        }
        drive(false); // the request is taken: see the class comment
        update();
        return vector;
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
        return new State(master.save(), slave.save());
    }

    @Override
    public void loadState(State state) {
        master.load(state.master());
        slave.load(state.slave());
        update();
        intr.set(output);
    }
}
