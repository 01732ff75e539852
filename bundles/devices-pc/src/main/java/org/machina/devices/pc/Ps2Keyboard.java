package org.machina.devices.pc;

import java.util.function.IntConsumer;

/**
 * The PS/2 keyboard behind the i8042's first port: answers the command protocol (reset,
 * identify, LEDs, scancode set, typematic, enable/disable). There is no host keyboard input yet,
 * so it never sends scancodes of its own.
 *
 * <pre>
 * command  reply            command  reply
 * 0xFF     FA AA (reset)    0xF4     FA (enable scanning)
 * 0xF2     FA AB 83 (id)    0xF5     FA (disable, defaults)
 * 0xED xx  FA, FA (LEDs)    0xF6     FA (defaults)
 * 0xF0 xx  FA, FA / set     0xEE     EE (echo)
 * 0xF3 xx  FA, FA (rate)    other    FE (resend)
 * </pre>
 */
final class Ps2Keyboard {
    static final int ACK = 0xfa;
    static final int RESEND = 0xfe;

    /**
     * Saved state of the keyboard.
     *
     * @param pendingCommand a command waiting for its parameter byte, or 0
     * @param scanning scanning enabled
     * @param scancodeSet scancode set 1-3
     * @param leds LED bits
     * @param typematic typematic rate/delay byte
     */
    public record State(int pendingCommand, boolean scanning, int scancodeSet, int leds, int typematic) {
    }

    private final IntConsumer out;
    int pendingCommand;
    boolean scanning = true;
    int scancodeSet = 2;
    int leds;
    int typematic = 0x2b;

    Ps2Keyboard(IntConsumer out) {
        this.out = out;
    }

    void reset() {
        pendingCommand = 0;
        scanning = true;
        scancodeSet = 2;
        leds = 0;
        typematic = 0x2b;
    }

    /** A byte from the host (the controller) to the keyboard. */
    void write(int b) {
        if (pendingCommand != 0) {
            int cmd = pendingCommand;
            pendingCommand = 0;
            parameter(cmd, b);
            return;
        }
        switch (b) {
            case 0xff -> {
                reset();
                out.accept(ACK);
                out.accept(0xaa);
            }
            case 0xf2 -> {
                out.accept(ACK);
                out.accept(0xab);
                out.accept(0x83);
            }
            case 0xee -> out.accept(0xee);
            case 0xed, 0xf0, 0xf3 -> {
                pendingCommand = b;
                out.accept(ACK);
            }
            case 0xf4 -> {
                scanning = true;
                out.accept(ACK);
            }
            case 0xf5 -> {
                int set = scancodeSet;
                reset();
                scancodeSet = set;
                scanning = false;
                out.accept(ACK);
            }
            case 0xf6 -> {
                int set = scancodeSet;
                reset();
                scancodeSet = set;
                out.accept(ACK);
            }
            case 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe -> out.accept(ACK);
            default -> out.accept(RESEND);
        }
    }

    private void parameter(int cmd, int b) {
        switch (cmd) {
            case 0xed -> {
                leds = b & 7;
                out.accept(ACK);
            }
            case 0xf3 -> {
                typematic = b & 0x7f;
                out.accept(ACK);
            }
            default -> {
                if (b == 0) {
                    out.accept(ACK);
                    out.accept(scancodeSet);
                } else if (b <= 3) {
                    scancodeSet = b;
                    out.accept(ACK);
                } else {
                    out.accept(RESEND);
                }
            }
        }
    }

    State save() {
        return new State(pendingCommand, scanning, scancodeSet, leds, typematic);
    }

    void load(State s) {
        pendingCommand = s.pendingCommand();
        scanning = s.scanning();
        scancodeSet = Math.clamp(s.scancodeSet(), 1, 3);
        leds = s.leds() & 7;
        typematic = s.typematic() & 0x7f;
    }
}
