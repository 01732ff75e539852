package org.machina.devices.pc;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.machina.api.device.Device;
import org.machina.api.device.DeviceContext;
import org.machina.api.irq.IrqSink;
import org.machina.api.memory.AccessSpec;
import org.machina.api.memory.MemoryRegion;
import org.machina.api.memory.Mmio;
import org.machina.api.state.StateException;
import org.machina.api.state.Stateful;

/**
 * An 82093AA I/O APIC (Intel datasheet 290566): 24 interrupt inputs (interrupt sink
 * {@value #SINK}), each with a redirection table entry that turns it into a message to the local
 * APIC (bus {@link ApicBus#LOCAL}); it takes EOI broadcasts as bus {@link ApicBus#IO}.
 *
 * <pre>
 * base+0x00  IOREGSEL: index of the register IOWIN shows (8 bits)
 * base+0x10  IOWIN:    the selected register (32 bits)
 *
 * index      register
 * 0x00       IOAPICID   (bits 24-27)
 * 0x01       IOAPICVER  0x00170011 (read-only: version 0x11, maximum redirection entry 23)
 * 0x02       IOAPICARB  (read-only: the arbitration id, here the APIC id)
 * 0x10+2n    redirection entry n, bits 0-31: vector, delivery mode, destination mode,
 *            delivery status (ro), polarity, remote IRR (ro), trigger mode, mask
 * 0x11+2n    redirection entry n, bits 32-63: destination (bits 56-63)
 * </pre>
 *
 * Inputs are the electrical levels of the INTIN pins (high or low), as the board drives them; an
 * entry's interrupt input pin polarity (INTPOL, bit 13: 0 high active, 1 low active) says which
 * level asserts it. An edge-triggered input sends a message when it becomes asserted (a rising
 * edge, or a falling one when low active) while unmasked; a change of INTPOL alone is not an edge.
 * A level-triggered input sends while asserted and unmasked unless its remote IRR is set, which
 * the local APIC's EOI for the entry's vector clears (sending again if the input is still
 * asserted); it is looked at again when its entry is written, so a new polarity or an unmask
 * takes effect at once. Remote IRR is set only when a local APIC accepted the message. Only fixed
 * and lowest-priority entries are level-sensitive: the datasheet requires edge trigger mode for
 * ExtINT, and NMI, SMI and INIT messages carry no vector an EOI could match, so these send on
 * edges whatever bit 15 says. Messages are delivered at once, so delivery status reads 0 (idle).
 * Indexes without a register and accesses to other offsets are logged once, read as 0 and ignore
 * writes.
 */
public final class Ioapic implements Device, Mmio, IrqSink, ApicBus.EoiListener, Stateful<Ioapic.State> {
    static final long DEFAULT_BASE = 0xFEC0_0000L;
    static final String SINK = "ioapic";
    static final int PINS = 24;
    static final int VERSION = 0x11 | (PINS - 1) << 16;
    static final int SIZE = 0x20;
    static final long MASKED = 1L << 16, LEVEL = 1L << 15, REMOTE_IRR = 1L << 14, LOW_ACTIVE = 1L << 13;
    /** Writable bits of an entry: vector, delivery mode, destination mode, polarity, trigger, mask, destination. */
    static final long WRITABLE = 0xFF00_0000_0000_0000L | MASKED | LEVEL | LOW_ACTIVE | 0xFFF;

    /**
     * Saved state, version 2 (see {@link #stateVersion}).
     *
     * @param select IOREGSEL
     * @param id IOAPICID
     * @param entries the redirection table
     * @param inputs the electrical levels of the inputs (true: high)
     */
    public record State(int select, int id, long[] entries, boolean[] inputs) {
    }

    private final DeviceContext context;
    private final long base;
    private int select;
    private int id;
    private final long[] entries = new long[PINS];
    private final boolean[] inputs = new boolean[PINS];
    private final Set<String> warned = new HashSet<>();

    Ioapic(DeviceContext context, long base) {
        this.context = context;
        this.base = base;
        resetRegisters();
    }

    @Override
    public void realize() {
        context.memory().map(base, new MemoryRegion.Io("ioapic", SIZE, this, AccessSpec.DWORDS));
        context.registerIrqSink(SINK, this);
        context.registerBus(ApicBus.IO, (ApicBus.EoiListener) this);
    }

    @Override
    public void reset() {
        resetRegisters();
    }

    private void resetRegisters() {
        select = 0;
        id = 0;
        java.util.Arrays.fill(entries, MASKED);
    }

    @Override
    public long read(long offset, int size) {
        if (offset == 0) {
            return select;
        }
        if (offset == 0x10) {
            return readRegister(select) & 0xFFFF_FFFFL;
        }
        warnOnce("offset" + offset, "I/O APIC read at undefined offset 0x" + Long.toHexString(offset) + ": 0");
        return 0;
    }

    @Override
    public void write(long offset, int size, long value) {
        if (offset == 0) {
            select = (int) value & 0xFF;
        } else if (offset == 0x10) {
            writeRegister(select, (int) value);
        } else {
            warnOnce("offset" + offset, "I/O APIC write at undefined offset 0x" + Long.toHexString(offset) + " ignored");
        }
    }

    int readRegister(int index) {
        switch (index) {
            case 0x00:
                return id;
            case 0x01:
                return VERSION;
            case 0x02:
                return id;
            default:
                if (index >= 0x10 && index < 0x10 + 2 * PINS) {
                    long e = entries[(index - 0x10) >> 1];
                    return (int) ((index & 1) == 0 ? e : e >>> 32);
                }
                warnOnce("index" + index, "read of I/O APIC register index 0x" + Integer.toHexString(index)
                        + ", which does not exist: 0");
                return 0;
        }
    }

    void writeRegister(int index, int value) {
        if (index == 0x00) {
            id = value & 0x0F00_0000;
            return;
        }
        if (index < 0x10 || index >= 0x10 + 2 * PINS) {
            warnOnce("index" + index, (index <= 2 ? "write to read-only" : "write to nonexistent")
                    + " I/O APIC register index 0x" + Integer.toHexString(index) + " ignored");
            return;
        }
        int pin = (index - 0x10) >> 1;
        long e = entries[pin];
        long v = (index & 1) == 0 ? (e & ~0xFFFF_FFFFL) | (value & 0xFFFF_FFFFL) : (e & 0xFFFF_FFFFL) | ((long) value << 32);
        e = (v & WRITABLE) | (e & REMOTE_IRR);
        if (!levelSensitive(e)) {
            e &= ~REMOTE_IRR; // remote IRR is meaningful for level-triggered entries only
        }
        entries[pin] = e;
        if (levelSensitive(e)) {
            service(pin);
        }
    }

    @Override
    public int inputs() {
        return PINS;
    }

    @Override
    public void setInput(int pin, boolean level) {
        boolean was = asserted(pin);
        inputs[pin] = level;
        long e = entries[pin];
        if (levelSensitive(e)) {
            service(pin);
        } else if (!was && asserted(pin) && (e & MASKED) == 0) {
            send(pin, false);
        }
    }

    /** Whether input {@code pin} is at its entry's active level. */
    private boolean asserted(int pin) {
        return throughPolarity(inputs[pin], entries[pin]);
    }

    /**
     * {@code value} seen through {@code entry}'s INTPOL (inverted when low active): an electrical
     * level's asserted state, and an asserted state's electrical level.
     */
    private static boolean throughPolarity(boolean value, long entry) {
        return value != ((entry & LOW_ACTIVE) != 0);
    }

    /** Whether an entry is level-triggered: trigger mode level and a vectored (fixed or lowest-priority) delivery. */
    private static boolean levelSensitive(long e) {
        int mode = (int) (e >> 8) & 7;
        return (e & LEVEL) != 0 && (mode == ApicBus.FIXED || mode == ApicBus.LOWEST);
    }

    /** A level-triggered pin: sends while asserted, unmasked and not waiting for an EOI. */
    private void service(int pin) {
        long e = entries[pin];
        if (asserted(pin) && (e & MASKED) == 0 && (e & REMOTE_IRR) == 0 && send(pin, true)) {
            entries[pin] |= REMOTE_IRR;
        }
    }

    /** Sends entry {@code pin}'s message; whether a local APIC accepted it. */
    private boolean send(int pin, boolean level) {
        long e = entries[pin];
        int mode = (int) (e >> 8) & 7;
        if (mode == 3 || mode == 6) {
            warnOnce("mode" + pin, "I/O APIC pin " + pin + " has reserved delivery mode " + mode + ": not delivered");
            return false;
        }
        ApicBus.Receiver lapic;
        try {
            lapic = context.bus(ApicBus.LOCAL, ApicBus.Receiver.class);
        } catch (RuntimeException none) {
            warnOnce("no-lapic", "I/O APIC pin " + pin + " raised, but the machine has no local APIC: not delivered");
            return false;
        }
        return lapic.deliver((int) e & 0xFF, mode, (e & 1L << 11) != 0, (int) (e >>> 56), level);
    }

    @Override
    public void eoi(int vector) {
        for (int pin = 0; pin < PINS; pin++) {
            long e = entries[pin];
            if ((e & REMOTE_IRR) != 0 && (e & 0xFF) == vector) {
                entries[pin] = e & ~REMOTE_IRR;
                service(pin);
            }
        }
    }

    private void warnOnce(String key, String message) {
        if (warned.add(key)) {
            context.log().warn(message);
        }
    }

    @Override
    public Class<State> stateType() {
        return State.class;
    }

    /** Version 2: {@code inputs} are the pins' electrical levels; version 1 saved whether each was asserted. */
    @Override
    public int stateVersion() {
        return 2;
    }

    /**
     * Version 1 (same shape, inputs as asserted or not, every pin then active high): the level of
     * an active-low pin is the inverse.
     */
    @Override
    public State migrate(int fromVersion, Map<String, Object> fields) {
        if (fromVersion != 1) return Stateful.super.migrate(fromVersion, fields);
        if (!(fields.get("entries") instanceof List<?> saved) || saved.size() != PINS
                || !(fields.get("inputs") instanceof List<?> asserted) || asserted.size() != PINS
                || !(fields.get("select") instanceof Number select) || !(fields.get("id") instanceof Number ioapicId)) {
            throw new StateException("I/O APIC state version 1 without " + PINS
                    + " entries and inputs, select and id: " + fields.keySet());
        }
        long[] table = new long[PINS];
        boolean[] levels = new boolean[PINS];
        for (int pin = 0; pin < PINS; pin++) {
            table[pin] = ((Number) saved.get(pin)).longValue();
            levels[pin] = throughPolarity(Boolean.TRUE.equals(asserted.get(pin)), table[pin]);
        }
        return new State(select.intValue(), ioapicId.intValue(), table, levels);
    }

    @Override
    public State saveState() {
        return new State(select, id, entries.clone(), inputs.clone());
    }

    @Override
    public void loadState(State s) {
        select = s.select();
        id = s.id();
        System.arraycopy(s.entries(), 0, entries, 0, PINS);
        System.arraycopy(s.inputs(), 0, inputs, 0, PINS);
    }
}
