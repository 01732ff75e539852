package org.machina.devices.pc;

import java.util.Arrays;
import org.machina.api.device.Device;
import org.machina.api.device.DeviceContext;
import org.machina.api.irq.IrqLine;
import org.machina.api.memory.AccessSpec;
import org.machina.api.memory.MemoryRegion;
import org.machina.api.memory.Mmio;
import org.machina.api.state.StateException;
import org.machina.api.state.Stateful;

/**
 * The i8042 keyboard controller with a {@link Ps2Keyboard} on its first port and a
 * {@link Ps2Mouse} on its aux port. Replies are queued in the output buffer at once.
 *
 * <pre>
 * port 0x60 read   output buffer (keyboard/aux data, command replies)
 * port 0x60 write  parameter of the last command, else a byte to the keyboard
 * port 0x64 read   status: bit0 OBF, bit1 IBF (always 0), bit2 system flag, bit3 last write was
 *                  a command, bit4 keyboard not inhibited, bit5 OBF holds aux data
 * port 0x64 write  command:
 *   0x20-0x3F read RAM byte (0x20: command byte)   0x60-0x7F write RAM byte (0x60: command byte)
 *   0xA7/0xA8 disable/enable aux   0xA9 aux test -> 00   0xAA self test -> 55   0xAB kbd test -> 00
 *   0xAD/0xAE disable/enable kbd   0xC0 read input port  0xD0/0xD1 read/write output port
 *   0xD2/0xD3 next byte appears as keyboard/aux data  0xD4 next byte to the mouse
 *   0xDD/0xDF A20 off/on   0xE0 read test inputs   0xF0-0xFF pulse output lines (bit0 clear: reset)
 * command byte: bit0 IRQ1 enable, bit1 IRQ12 enable, bit2 system flag, bit4 kbd disabled,
 *               bit5 aux disabled, bit6 translate to set 1
 * output port:  bit0 reset line (writing 0 resets the machine), bit1 A20 gate
 * </pre>
 *
 * <p>Output port bit 1 drives input 0 of the "a20" controller (ORed there with port 0x92's gate
 * into the CPU's A20 input). Translation only turns the
 * keyboard's identify byte 0x83 into 0x41, as the keyboard sends no scancodes yet.
 */
public final class I8042 implements Device, Stateful<I8042.State> {
    static final int DATA_PORT = 0x60;
    static final int COMMAND_PORT = 0x64;
    static final int STATUS_OBF = 0x01;
    static final int STATUS_SYS = 0x04;
    static final int STATUS_CMD = 0x08;
    static final int STATUS_UNINHIBITED = 0x10;
    static final int STATUS_AUX = 0x20;
    static final int CTR_KBD_INT = 0x01;
    static final int CTR_AUX_INT = 0x02;
    static final int CTR_SYS = 0x04;
    static final int CTR_KBD_DISABLED = 0x10;
    static final int CTR_AUX_DISABLED = 0x20;
    static final int CTR_TRANSLATE = 0x40;
    static final int AUX_FLAG = 0x100;
    static final int QUEUE_SIZE = 32;

    /**
     * Saved state, version 1.
     *
     * @param ram controller RAM, 32 bytes (byte 0 is the command byte)
     * @param outputPort output port
     * @param queue output buffer contents, oldest first; bit 8 marks aux data
     * @param pendingCommand a controller command waiting for its data byte, or 0
     * @param lastWasCommand status bit 3
     * @param lastRead the byte last read from port 0x60 (reread when the buffer is empty)
     * @param keyboard keyboard state
     * @param mouse mouse state
     */
    public record State(int[] ram, int outputPort, int[] queue, int pendingCommand, boolean lastWasCommand,
            int lastRead, Ps2Keyboard.State keyboard, Ps2Mouse.State mouse) {
    }

    private final DeviceContext context;
    private final int[] ram = new int[32];
    private final IntFifo queue = new IntFifo(QUEUE_SIZE);
    private final Ps2Keyboard keyboard = new Ps2Keyboard(b -> enqueue(b, false));
    private final Ps2Mouse mouse = new Ps2Mouse(b -> enqueue(b, true));
    private int outputPort = 0x03;
    private int pendingCommand;
    private boolean lastWasCommand;
    private int lastRead;
    private IrqLine kbdIrq = IrqLine.NONE;
    private IrqLine auxIrq = IrqLine.NONE;
    private IrqLine a20Line = IrqLine.NONE;
    private boolean kbdLevel;
    private boolean auxLevel;
    private boolean loggedCommand;
    private boolean loggedOverflow;

    I8042(DeviceContext context) {
        this.context = context;
        ram[0] = CTR_KBD_INT | CTR_SYS | CTR_TRANSLATE;
    }

    @Override
    public void realize() {
        kbdIrq = context.irq("isa", 1);
        auxIrq = context.irq("isa", 12);
        a20Line = context.irq("a20", 0);
        context.io().map(DATA_PORT, new MemoryRegion.Io("i8042-data", 1, new Mmio() {
            @Override
            public long read(long offset, int size) {
                return readData();
            }

            @Override
            public void write(long offset, int size, long value) {
                writeData((int) value & 0xff);
            }
        }, AccessSpec.BYTES));
        context.io().map(COMMAND_PORT, new MemoryRegion.Io("i8042-cmd", 1, new Mmio() {
            @Override
            public long read(long offset, int size) {
                return status();
            }

            @Override
            public void write(long offset, int size, long value) {
                command((int) value & 0xff);
            }
        }, AccessSpec.BYTES));
    }

    @Override
    public void reset() {
        Arrays.fill(ram, 0);
        ram[0] = CTR_KBD_INT | CTR_SYS | CTR_TRANSLATE;
        outputPort = 0x03;
        a20Line.set(a20());
        queue.clear();
        pendingCommand = 0;
        lastWasCommand = false;
        keyboard.reset();
        mouse.reset();
        updateIrq();
    }

    private int status() {
        int s = STATUS_UNINHIBITED | (ram[0] & CTR_SYS);
        if (!queue.isEmpty()) {
            s |= STATUS_OBF;
            if ((queue.peek() & AUX_FLAG) != 0) {
                s |= STATUS_AUX;
            }
        }
        if (lastWasCommand) {
            s |= STATUS_CMD;
        }
        return s;
    }

    private int readData() {
        if (queue.isEmpty()) {
            return lastRead;
        }
        lastRead = queue.pop() & 0xff;
        setLines(false, false);
        updateIrq();
        return lastRead;
    }

    private void enqueue(int b, boolean aux) {
        if (!aux && (ram[0] & CTR_TRANSLATE) != 0 && b == 0x83 && !queue.isEmpty() && queue.peekLast() == 0xab) {
            b = 0x41;
        }
        if (!queue.push(b | (aux ? AUX_FLAG : 0))) {
            if (!loggedOverflow) {
                loggedOverflow = true;
                context.log().warn("i8042 output buffer full; guest is not reading port 0x60, byte dropped");
            }
            return;
        }
        updateIrq();
    }

    private void updateIrq() {
        boolean kbd = false;
        boolean aux = false;
        if (!queue.isEmpty()) {
            boolean headAux = (queue.peek() & AUX_FLAG) != 0;
            kbd = !headAux && (ram[0] & CTR_KBD_INT) != 0;
            aux = headAux && (ram[0] & CTR_AUX_INT) != 0;
        }
        setLines(kbd, aux);
    }

    private void setLines(boolean kbd, boolean aux) {
        if (kbd != kbdLevel) {
            kbdLevel = kbd;
            kbdIrq.set(kbd);
        }
        if (aux != auxLevel) {
            auxLevel = aux;
            auxIrq.set(aux);
        }
    }

    private void command(int cmd) {
        lastWasCommand = true;
        pendingCommand = 0;
        if (cmd >= 0x20 && cmd < 0x40) {
            enqueue(ram[cmd - 0x20], false);
            return;
        }
        if ((cmd >= 0x60 && cmd < 0x80) || cmd == 0xd1 || cmd == 0xd2 || cmd == 0xd3 || cmd == 0xd4) {
            pendingCommand = cmd;
            return;
        }
        if (cmd >= 0xf0) {
            if ((cmd & 1) == 0) {
                context.machine().requestReset("i8042 reset");
            }
            return;
        }
        switch (cmd) {
            case 0xa7 -> ram[0] |= CTR_AUX_DISABLED;
            case 0xa8 -> ram[0] &= ~CTR_AUX_DISABLED;
            case 0xa9, 0xab -> enqueue(0x00, false);
            case 0xaa -> {
                ram[0] |= CTR_SYS;
                enqueue(0x55, false);
            }
            case 0xad -> ram[0] |= CTR_KBD_DISABLED;
            case 0xae -> ram[0] &= ~CTR_KBD_DISABLED;
            case 0xc0 -> enqueue(0x80, false);
            case 0xd0 -> enqueue(outputPort, false);
            case 0xdd -> {
                outputPort &= ~0x02;
                a20Line.set(false);
            }
            case 0xdf -> {
                outputPort |= 0x02;
                a20Line.set(true);
            }
            case 0xe0 -> enqueue(0x00, false);
            default -> {
                if (!loggedCommand) {
                    loggedCommand = true;
                    context.log().warn("unsupported i8042 command 0x{}; ignored", Integer.toHexString(cmd));
                }
            }
        }
        updateIrq();
    }

    private void writeData(int b) {
        lastWasCommand = false;
        int cmd = pendingCommand;
        pendingCommand = 0;
        if (cmd >= 0x60 && cmd < 0x80) {
            ram[cmd - 0x60] = b;
            updateIrq();
            return;
        }
        switch (cmd) {
            case 0xd1 -> {
                outputPort = b | 0x01;
                a20Line.set(a20());
                if ((b & 0x01) == 0) {
                    context.machine().requestReset("i8042 reset");
                }
            }
            case 0xd2 -> enqueue(b, false);
            case 0xd3 -> enqueue(b, true);
            case 0xd4 -> {
                ram[0] &= ~CTR_AUX_DISABLED;
                mouse.write(b);
            }
            default -> {
                ram[0] &= ~CTR_KBD_DISABLED;
                keyboard.write(b);
            }
        }
    }

    /** Whether the guest has set the A20 gate bit of the output port. */
    boolean a20() {
        return (outputPort & 0x02) != 0;
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
        return new State(ram.clone(), outputPort, queue.toArray(), pendingCommand, lastWasCommand, lastRead, keyboard.save(),
                mouse.save());
    }

    @Override
    public void loadState(State s) {
        if (s.ram() == null || s.ram().length != ram.length) {
            throw new StateException("i8042 state needs " + ram.length + " RAM bytes");
        }
        for (int i = 0; i < ram.length; i++) {
            ram[i] = s.ram()[i] & 0xff;
        }
        queue.load(s.queue(), 0x1ff, "i8042 state: the output buffer");
        outputPort = s.outputPort() & 0xff;
        a20Line.set(a20());
        pendingCommand = s.pendingCommand() & 0xff;
        lastWasCommand = s.lastWasCommand();
        lastRead = s.lastRead() & 0xff;
        keyboard.load(s.keyboard());
        mouse.load(s.mouse());
        updateIrq();
        kbdIrq.set(kbdLevel);
        auxIrq.set(auxLevel);
    }
}
