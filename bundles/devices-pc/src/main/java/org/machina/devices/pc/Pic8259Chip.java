package org.machina.devices.pc;

/**
 * One 8259A programmable interrupt controller (the master or the slave of the PC pair): request,
 * in-service and mask registers, priority resolution with rotation, and the ICW/OCW command
 * decoding of its two ports. The pair logic (cascade, INTA, ELCR ports) lives in {@link I8259}.
 *
 * <pre>
 * port A0=0 write: bit4=1 ICW1 (bit0 IC4, bit1 SNGL, bit3 LTIM)
 *                  bit4=0 bit3=0 OCW2 (bits 7-5 R SL EOI, bits 2-0 level)
 *                  bit4=0 bit3=1 OCW3 (bit6 ESMM, bit5 SMM, bit2 POLL, bit1 RR, bit0 RIS)
 * port A0=0 read:  poll byte after an OCW3 poll, else IRR or ISR (OCW3 RIS)
 * port A0=1 write: ICW2 (vector base) / ICW3 (cascade) / ICW4 (bit1 AEOI, bit4 SFNM) during init,
 *                  OCW1 (IMR) otherwise
 * port A0=1 read:  IMR
 * </pre>
 */
final class Pic8259Chip {
    /**
     * Saved registers of one chip.
     *
     * @param irr interrupt request register
     * @param isr in-service register
     * @param imr interrupt mask register
     * @param inputs last level seen on each input (edge detection)
     * @param elcr level-triggered inputs (edge/level control register)
     * @param lowestPriority the input with the lowest priority (7 after init; rotation moves it)
     * @param vectorBase ICW2 vector base (low 3 bits zero)
     * @param initStep 0 = operational, 1..3 = waiting for ICW2..ICW4
     * @param icw4Needed ICW1 IC4
     * @param single ICW1 SNGL (no ICW3)
     * @param ltim ICW1 LTIM (all inputs level triggered)
     * @param autoEoi ICW4 AEOI
     * @param rotateOnAutoEoi OCW2 rotate in automatic EOI mode
     * @param specialFullyNested ICW4 SFNM
     * @param specialMask OCW3 special mask mode
     * @param poll an OCW3 poll command is pending for the next read
     * @param readIsr OCW3 RIS: the next read returns ISR instead of IRR
     */
    public record State(int irr, int isr, int imr, int inputs, int elcr, int lowestPriority, int vectorBase, int initStep,
            boolean icw4Needed, boolean single, boolean ltim, boolean autoEoi, boolean rotateOnAutoEoi,
            boolean specialFullyNested, boolean specialMask, boolean poll, boolean readIsr) {
    }

    private final boolean master;
    private final int elcrMask;
    int irr;
    int isr;
    int imr;
    int inputs;
    int elcr;
    int lowestPriority = 7;
    int vectorBase;
    int initStep;
    boolean icw4Needed;
    boolean single;
    boolean ltim;
    boolean autoEoi;
    boolean rotateOnAutoEoi;
    boolean specialFullyNested;
    boolean specialMask;
    boolean poll;
    boolean readIsr;

    Pic8259Chip(boolean master, int elcrMask) {
        this.master = master;
        this.elcrMask = elcrMask;
    }

    /** Power-on values; input levels are kept (they belong to the devices driving them). */
    void reset() {
        irr = 0;
        isr = 0;
        imr = 0;
        elcr = 0;
        lowestPriority = 7;
        vectorBase = 0;
        initStep = 0;
        icw4Needed = false;
        single = false;
        ltim = false;
        autoEoi = false;
        rotateOnAutoEoi = false;
        specialFullyNested = false;
        specialMask = false;
        poll = false;
        readIsr = false;
        relatchLevels();
    }

    /** Input {@code n} changed to {@code level}. */
    void setInput(int n, boolean level) {
        int bit = 1 << n;
        boolean was = (inputs & bit) != 0;
        if (level) {
            inputs |= bit;
            if (!was || levelTriggered(bit)) {
                irr |= bit;
            }
        } else {
            inputs &= ~bit;
            if (levelTriggered(bit)) {
                irr &= ~bit;
            }
        }
    }

    private boolean levelTriggered(int bit) {
        return ltim || (elcr & bit) != 0;
    }

    /** In level mode a request follows the input; after a mode change latch what is high. */
    private void relatchLevels() {
        int level = ltim ? 0xff : elcr;
        irr = (irr & ~level) | (inputs & level);
    }

    /** Priority rank of input {@code n}: 0 is highest. */
    private int rank(int n) {
        return (n - lowestPriority - 1) & 7;
    }

    /** The highest-priority input set in {@code bits}, or -1. */
    private int highest(int bits) {
        if (bits == 0) {
            return -1;
        }
        for (int r = 0; r < 8; r++) {
            int n = (r + lowestPriority + 1) & 7;
            if ((bits & (1 << n)) != 0) {
                return n;
            }
        }
        return -1;
    }

    /** The input that would be delivered now (above everything in service), or -1. */
    int pending() {
        int req = highest(irr & ~imr);
        if (req < 0) {
            return -1;
        }
        int inService = specialMask ? isr & ~imr : isr;
        if (master && specialFullyNested) {
            inService &= ~(1 << 2);
        }
        int cur = highest(inService);
        return cur < 0 || rank(req) < rank(cur) ? req : -1;
    }

    /** INTA for input {@code n} (from {@link #pending()}): moves it from IRR to ISR. */
    void acknowledge(int n) {
        int bit = 1 << n;
        if (!levelTriggered(bit)) {
            irr &= ~bit;
        }
        if (autoEoi) {
            if (rotateOnAutoEoi) {
                lowestPriority = n;
            }
        } else {
            isr |= bit;
        }
    }

    int vector(int n) {
        return vectorBase | n;
    }

    int read(int offset) {
        if (offset == 0) {
            if (poll) {
                poll = false;
                int n = pending();
                if (n < 0) {
                    return 0;
                }
                acknowledge(n);
                return 0x80 | n;
            }
            return readIsr ? isr : irr;
        }
        return imr;
    }

    /** Handles a port write; returns false when the write was not understood (logged by the caller). */
    boolean write(int offset, int value) {
        if (offset == 0) {
            if ((value & 0x10) != 0) {
                icw1(value);
            } else if ((value & 0x08) != 0) {
                ocw3(value);
            } else {
                return ocw2(value);
            }
            return true;
        }
        switch (initStep) {
            case 1 -> {
                vectorBase = value & 0xf8;
                initStep = single ? (icw4Needed ? 3 : 0) : 2;
            }
            case 2 -> initStep = icw4Needed ? 3 : 0;
            case 3 -> {
                autoEoi = (value & 0x02) != 0;
                specialFullyNested = (value & 0x10) != 0;
                initStep = 0;
            }
            default -> imr = value;
        }
        return true;
    }

    private void icw1(int value) {
        icw4Needed = (value & 0x01) != 0;
        single = (value & 0x02) != 0;
        ltim = (value & 0x08) != 0;
        initStep = 1;
        imr = 0;
        isr = 0;
        irr = 0;
        lowestPriority = 7;
        specialMask = false;
        readIsr = false;
        poll = false;
        autoEoi = false;
        rotateOnAutoEoi = false;
        specialFullyNested = false;
        relatchLevels();
    }

    private void ocw3(int value) {
        if ((value & 0x40) != 0) {
            specialMask = (value & 0x20) != 0;
        }
        poll = (value & 0x04) != 0;
        if ((value & 0x02) != 0) {
            readIsr = (value & 0x01) != 0;
        }
    }

    private boolean ocw2(int value) {
        int level = value & 7;
        switch (value >> 5) {
            case 0b001 -> eoi(highest(isr), false);
            case 0b011 -> eoi(level, false);
            case 0b101 -> eoi(highest(isr), true);
            case 0b111 -> eoi(level, true);
            case 0b100 -> rotateOnAutoEoi = true;
            case 0b000 -> rotateOnAutoEoi = false;
            case 0b110 -> lowestPriority = level;
            default -> {
                return value >> 5 == 0b010;
            }
        }
        return true;
    }

    private void eoi(int n, boolean rotate) {
        if (n < 0) {
            return;
        }
        isr &= ~(1 << n);
        if (rotate) {
            lowestPriority = n;
        }
    }

    int elcr() {
        return elcr;
    }

    void setElcr(int value) {
        elcr = value & elcrMask;
        relatchLevels();
    }

    State save() {
        return new State(irr, isr, imr, inputs, elcr, lowestPriority, vectorBase, initStep, icw4Needed, single, ltim,
                autoEoi, rotateOnAutoEoi, specialFullyNested, specialMask, poll, readIsr);
    }

    void load(State s) {
        irr = s.irr() & 0xff;
        isr = s.isr() & 0xff;
        imr = s.imr() & 0xff;
        inputs = s.inputs() & 0xff;
        elcr = s.elcr() & elcrMask;
        lowestPriority = s.lowestPriority() & 7;
        vectorBase = s.vectorBase() & 0xf8;
        initStep = s.initStep() & 3;
        icw4Needed = s.icw4Needed();
        single = s.single();
        ltim = s.ltim();
        autoEoi = s.autoEoi();
        rotateOnAutoEoi = s.rotateOnAutoEoi();
        specialFullyNested = s.specialFullyNested();
        specialMask = s.specialMask();
        poll = s.poll();
        readIsr = s.readIsr();
    }
}
