package org.machina.devices.pc;

import org.machina.api.chardev.CharBackend;
import org.machina.api.device.Device;
import org.machina.api.device.DeviceContext;
import org.machina.api.irq.IrqLine;
import org.machina.api.memory.AccessSpec;
import org.machina.api.memory.MemoryRegion;
import org.machina.api.memory.Mmio;
import org.machina.api.state.Stateful;
import org.machina.api.time.Timer;

/**
 * 16550A UART with 16-byte FIFOs, attached to a character backend.
 *
 * <pre>
 * off DLAB read            write
 *  0   0   RBR receive     THR transmit
 *  0   1   DLL divisor low DLL
 *  1   0   IER             IER: bit0 RDA, bit1 THRE, bit2 line status, bit3 modem status
 *  1   1   DLM divisor hi  DLM
 *  2   -   IIR             FCR: bit0 FIFO enable, bit1 clear RX, bit2 clear TX, bits 7-6 RX trigger 1/4/8/14
 *          IIR: bit0 1 = none pending, bits 3-1 id (011 line status, 010 RX data, 110 char timeout,
 *               001 THRE, 000 modem status, in that priority), bits 7-6 11 with FIFOs
 *  3   -   LCR             LCR: bits 1-0 word length 5-8, bit2 stop bits, bit3 parity, bit6 break, bit7 DLAB
 *  4   -   MCR             MCR: bit0 DTR, bit1 RTS, bit2 OUT1, bit3 OUT2, bit4 loopback
 *  5   -   LSR (clears OE) bit0 DR, bit1 OE, bit5 THRE, bit6 TEMT, bit7 error in FIFO
 *  6   -   MSR (clears deltas) bits 3-0 deltas, bit4 CTS, bit5 DSR, bit6 RI, bit7 DCD
 *  7   -   SCR             SCR
 * </pre>
 *
 * <p>By default ({@code paced=false}, as QEMU) a byte is sent and THRE set as soon as THR is written.
 * With {@code paced=true}, transmission takes one character time of virtual time (start, data, parity and stop bits
 * at the programmed baud rate, 1.8432 MHz / 16 / divisor): a byte goes to the backend when its
 * transmission starts and THRE/TEMT rise when the last queued byte is done. Reception takes
 * bytes from the backend as fast as it delivers them while the FIFO has room ({@code canReceive}
 * is the back-pressure); the character timeout fires after four character times without
 * activity. Pacing a kernel console at 9600 baud holds the guest in its transmit-wait loop with
 * interrupts off, so timer ticks are lost. Not emulated: parity/framing errors and break, and gating of the interrupt output
 * by OUT2 (the line follows IIR, as most virtual machines do). Without a backend, output is
 * dropped and there is no input; the modem lines always show CTS, DSR and DCD.
 */
public final class Uart16550 implements Device, Stateful<Uart16550.State>, Mmio, CharBackend.Receiver {
    static final int IER_RDA = 0x01;
    static final int IER_THRE = 0x02;
    static final int IER_RLS = 0x04;
    static final int IER_MSR = 0x08;
    static final int IIR_NONE = 0x01;
    static final int IIR_RLS = 0x06;
    static final int IIR_RDA = 0x04;
    static final int IIR_TIMEOUT = 0x0c;
    static final int IIR_THRE = 0x02;
    static final int IIR_MSR = 0x00;
    static final int LCR_DLAB = 0x80;
    static final int MCR_LOOP = 0x10;
    static final int LSR_DR = 0x01;
    static final int LSR_OE = 0x02;
    static final int LSR_THRE = 0x20;
    static final int LSR_TEMT = 0x40;
    static final int FIFO_SIZE = 16;
    static final int MSR_PRESENT = 0xb0;
    static final long CLOCK_HZ = 1_843_200;

    /**
     * Saved state, version 1.
     *
     * @param rx received bytes not yet read, oldest first
     * @param tx bytes not yet fully transmitted, oldest (the one on the wire) first
     * @param ier interrupt enable register
     * @param lcr line control register
     * @param mcr modem control register
     * @param lsrErrors sticky LSR error bits (OE)
     * @param msr modem status register
     * @param scr scratch register
     * @param divisor baud rate divisor
     * @param fifoEnabled FCR bit 0
     * @param trigger receive FIFO trigger level
     * @param thrEmptyPending a THRE interrupt is pending
     * @param timeoutPending a character timeout interrupt is pending
     * @param txDeadline end of the character on the wire, or {@link Long#MAX_VALUE}
     * @param rxTimeoutDeadline character timeout deadline, or {@link Long#MAX_VALUE}
     */
    public record State(int[] rx, int[] tx, int ier, int lcr, int mcr, int lsrErrors, int msr, int scr, int divisor,
            boolean fifoEnabled, int trigger, boolean thrEmptyPending, boolean timeoutPending, long txDeadline,
            long rxTimeoutDeadline) {
    }

    private final DeviceContext context;
    private final int iobase;
    private final int irqNumber;
    private final String chardevId;
    private final boolean paced;
    private final IntFifo rx = new IntFifo(FIFO_SIZE);
    private final IntFifo tx = new IntFifo(FIFO_SIZE);
    private final byte[] oneByte = new byte[1];
    private int ier;
    private int lcr;
    private int mcr;
    private int lsrErrors;
    private int msr = MSR_PRESENT;
    private int scr;
    private int divisor = 12;
    private boolean fifoEnabled;
    private int trigger = 1;
    private boolean thrEmptyPending;
    private boolean timeoutPending;
    private boolean irqLevel;
    private boolean loggedOverflow;
    private CharBackend backend;
    private IrqLine irq = IrqLine.NONE;
    private Timer txTimer;
    private Timer rxTimer;

    Uart16550(DeviceContext context, int iobase, int irqNumber, String chardevId, boolean paced) {
        this.context = context;
        this.paced = paced;
        this.iobase = iobase;
        this.irqNumber = irqNumber;
        this.chardevId = chardevId;
    }

    @Override
    public void realize() {
        irq = context.irq("isa", irqNumber);
        txTimer = context.executor().newTimer("uart-tx", this::onCharacterSent);
        rxTimer = context.executor().newTimer("uart-rx-timeout", this::onReceiveTimeout);
        context.io().map(iobase, new MemoryRegion.Io("serial@" + Integer.toHexString(iobase), 8, this, AccessSpec.BYTES));
        if (chardevId != null) {
            backend = context.chardev(chardevId);
            backend.setReceiver(this);
        }
    }

    @Override
    public void unrealize() {
        if (backend != null) {
            backend.setReceiver(null);
        }
    }

    @Override
    public void reset() {
        boolean wasFull = !canReceive();
        ier = 0;
        lcr = 0;
        mcr = 0;
        lsrErrors = 0;
        msr = MSR_PRESENT;
        scr = 0;
        divisor = 12;
        fifoEnabled = false;
        trigger = 1;
        rx.clear();
        tx.clear();
        thrEmptyPending = false;
        timeoutPending = false;
        txTimer.cancel();
        rxTimer.cancel();
        updateIrq();
        if (wasFull && backend != null) {
            backend.acceptInput();
        }
    }

    // ---- register access ----

    @Override
    public long read(long offset, int size) {
        return switch ((int) offset) {
            case 0 -> (lcr & LCR_DLAB) != 0 ? divisor & 0xff : readRbr();
            case 1 -> (lcr & LCR_DLAB) != 0 ? divisor >> 8 : ier;
            case 2 -> readIir();
            case 3 -> lcr;
            case 4 -> mcr;
            case 5 -> readLsr();
            case 6 -> {
                int v = msr;
                msr &= 0xf0;
                updateIrq();
                yield v;
            }
            default -> scr;
        };
    }

    @Override
    public void write(long offset, int size, long value) {
        int v = (int) value & 0xff;
        switch ((int) offset) {
            case 0 -> {
                if ((lcr & LCR_DLAB) != 0) {
                    divisor = (divisor & 0xff00) | v;
                } else {
                    writeThr(v);
                }
            }
            case 1 -> {
                if ((lcr & LCR_DLAB) != 0) {
                    divisor = (divisor & 0xff) | v << 8;
                } else {
                    writeIer(v & 0x0f);
                }
            }
            case 2 -> writeFcr(v);
            case 3 -> lcr = v;
            case 4 -> writeMcr(v & 0x1f);
            case 5, 6 -> {
            }
            default -> scr = v;
        }
    }

    private int lsr() {
        int v = lsrErrors;
        if (!rx.isEmpty()) {
            v |= LSR_DR;
        }
        if (tx.isEmpty()) {
            v |= LSR_THRE | LSR_TEMT;
        }
        return v;
    }

    private int readLsr() {
        int v = lsr();
        lsrErrors = 0;
        updateIrq();
        return v;
    }

    private int interruptId() {
        if ((ier & IER_RLS) != 0 && lsrErrors != 0) {
            return IIR_RLS;
        }
        if ((ier & IER_RDA) != 0) {
            if (!rx.isEmpty() && rx.size() >= (fifoEnabled ? trigger : 1)) {
                return IIR_RDA;
            }
            if (timeoutPending) {
                return IIR_TIMEOUT;
            }
        }
        if ((ier & IER_THRE) != 0 && thrEmptyPending) {
            return IIR_THRE;
        }
        if ((ier & IER_MSR) != 0 && (msr & 0x0f) != 0) {
            return IIR_MSR;
        }
        return IIR_NONE;
    }

    private int readIir() {
        int id = interruptId();
        if (id == IIR_THRE) {
            thrEmptyPending = false;
            updateIrq();
        }
        return id | (fifoEnabled ? 0xc0 : 0);
    }

    private void updateIrq() {
        boolean level = interruptId() != IIR_NONE;
        if (level != irqLevel) {
            irqLevel = level;
            irq.set(level);
        }
    }

    private void writeIer(int v) {
        boolean thriEnabled = (v & IER_THRE) != 0 && (ier & IER_THRE) == 0;
        ier = v;
        if (thriEnabled && tx.isEmpty()) {
            thrEmptyPending = true;
        }
        updateIrq();
    }

    private void writeFcr(int v) {
        boolean enable = (v & 1) != 0;
        boolean wasFull = !canReceive();
        if (enable != fifoEnabled) {
            clearRx();
            clearTx();
        }
        fifoEnabled = enable;
        if (enable) {
            if ((v & 0x02) != 0) {
                clearRx();
            }
            if ((v & 0x04) != 0) {
                clearTx();
            }
            trigger = switch (v >> 6) {
                case 0 -> 1;
                case 1 -> 4;
                case 2 -> 8;
                default -> 14;
            };
        }
        updateIrq();
        if (wasFull && canReceive() && backend != null) {
            backend.acceptInput();
        }
    }

    private void clearRx() {
        rx.clear();
        timeoutPending = false;
        rxTimer.cancel();
    }

    private void clearTx() {
        if (!tx.isEmpty()) {
            tx.clear();
            txTimer.cancel();
            thrEmptyPending = true;
        }
    }

    private void writeMcr(int v) {
        mcr = v;
        int status = modemStatus();
        int changed = (status ^ msr) & 0xf0;
        int deltas = (changed & 0x30) >> 4 | (changed & 0x80) >> 4;
        if ((msr & 0x40) != 0 && (status & 0x40) == 0) {
            deltas |= 0x04;
        }
        msr = status | (msr & 0x0f) | deltas;
        updateIrq();
        if ((v & MCR_LOOP) == 0 && backend != null && canReceive()) {
            backend.acceptInput();
        }
    }

    private int modemStatus() {
        if ((mcr & MCR_LOOP) == 0) {
            return MSR_PRESENT;
        }
        return (mcr & 0x02) << 3 | (mcr & 0x01) << 5 | (mcr & 0x04) << 4 | (mcr & 0x08) << 4;
    }

    // ---- transmit ----

    private void writeThr(int v) {
        thrEmptyPending = false;
        if (tx.size() == (fifoEnabled ? FIFO_SIZE : 1)) {
            if (!loggedOverflow) {
                loggedOverflow = true;
                context.log().warn("serial {}: guest wrote THR while the transmitter was full; byte dropped",
                        Integer.toHexString(iobase));
            }
            updateIrq();
            return;
        }
        if (!paced) {
            send(v);
            thrEmptyPending = true;
            updateIrq();
            return;
        }
        tx.push(v);
        if (tx.size() == 1) {
            startCharacter();
        }
        updateIrq();
    }

    /** Puts the oldest queued byte on the wire: it leaves now and the line is busy one character time. */
    private void startCharacter() {
        send(tx.peek());
        txTimer.armAfter(characterNanos());
    }

    private void send(int b) {
        if ((mcr & MCR_LOOP) != 0) {
            push(b);
        } else if (backend != null) {
            oneByte[0] = (byte) b;
            backend.write(oneByte, 0, 1);
        }
    }

    private void onCharacterSent() {
        if (tx.isEmpty()) {
            return;
        }
        tx.pop();
        if (!tx.isEmpty()) {
            startCharacter();
        } else {
            thrEmptyPending = true;
        }
        updateIrq();
    }

    /** Virtual nanoseconds one character takes at the current line settings. */
    long characterNanos() {
        int dataBits = 5 + (lcr & 3);
        int halfBits = 2 * (1 + dataBits + ((lcr & 0x08) != 0 ? 1 : 0));
        if ((lcr & 0x04) == 0) {
            halfBits += 2;
        } else {
            halfBits += dataBits == 5 ? 3 : 4;
        }
        long div = divisor == 0 ? 1 : divisor;
        return halfBits * div * 16 * 1_000_000_000L / (2 * CLOCK_HZ);
    }

    // ---- receive ----

    @Override
    public boolean canReceive() {
        return (mcr & MCR_LOOP) == 0 && rx.size() < (fifoEnabled ? FIFO_SIZE : 1);
    }

    @Override
    public void receive(int b) {
        if ((mcr & MCR_LOOP) != 0) {
            return;
        }
        push(b & 0xff);
    }

    private void push(int b) {
        if (rx.size() == (fifoEnabled ? FIFO_SIZE : 1)) {
            lsrErrors |= LSR_OE;
            if (!fifoEnabled) {
                rx.replaceLast(b);
            }
        } else {
            rx.push(b);
        }
        if (fifoEnabled) {
            rxTimer.armAfter(4 * characterNanos());
        }
        updateIrq();
    }

    private int readRbr() {
        if (rx.isEmpty()) {
            return 0;
        }
        boolean wasFull = !canReceive();
        int b = rx.pop();
        timeoutPending = false;
        if (!rx.isEmpty() && fifoEnabled) {
            rxTimer.armAfter(4 * characterNanos());
        } else {
            rxTimer.cancel();
        }
        updateIrq();
        if (wasFull && backend != null) {
            backend.acceptInput();
        }
        return b;
    }

    private void onReceiveTimeout() {
        if (!rx.isEmpty() && fifoEnabled) {
            timeoutPending = true;
            updateIrq();
        }
    }

    // ---- state ----

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
        return new State(rx.toArray(), tx.toArray(), ier, lcr, mcr, lsrErrors, msr, scr, divisor, fifoEnabled, trigger, thrEmptyPending,
                timeoutPending, txTimer.deadline(), rxTimer.deadline());
    }

    @Override
    public void loadState(State s) {
        rx.load(s.rx(), 0xff, "isa-serial state: the receive FIFO");
        tx.load(s.tx(), 0xff, "isa-serial state: the transmit FIFO");
        ier = s.ier() & 0x0f;
        lcr = s.lcr() & 0xff;
        mcr = s.mcr() & 0x1f;
        lsrErrors = s.lsrErrors() & 0x1e;
        msr = s.msr() & 0xff;
        scr = s.scr() & 0xff;
        divisor = s.divisor() & 0xffff;
        fifoEnabled = s.fifoEnabled();
        trigger = s.trigger();
        thrEmptyPending = s.thrEmptyPending();
        timeoutPending = s.timeoutPending();
        rearm(txTimer, tx.isEmpty() ? Long.MAX_VALUE : s.txDeadline());
        rearm(rxTimer, s.rxTimeoutDeadline());
        irqLevel = interruptId() != IIR_NONE;
        irq.set(irqLevel);
        if (backend != null && canReceive()) {
            backend.acceptInput();
        }
    }

    private static void rearm(Timer timer, long deadline) {
        if (deadline == Long.MAX_VALUE) {
            timer.cancel();
        } else {
            timer.armAt(deadline);
        }
    }
}
