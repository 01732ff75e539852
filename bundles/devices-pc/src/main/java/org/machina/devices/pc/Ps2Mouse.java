package org.machina.devices.pc;

import java.util.function.IntConsumer;

/**
 * A basic PS/2 mouse (device id 0) behind the i8042's aux port. It answers the command protocol
 * so that guests detect a mouse, but has no host input and never reports movement.
 *
 * <pre>
 * command  reply               command  reply
 * 0xFF     FA AA 00 (reset)    0xE9     FA status resolution rate
 * 0xF2     FA 00 (id)          0xE8 xx  FA, FA (resolution)
 * 0xF3 xx  FA, FA (rate)       0xE6/E7  FA (scaling 1:1 / 2:1)
 * 0xF4     FA (enable)         0xEA/F0  FA (stream / remote mode)
 * 0xF5     FA (disable)        0xF6     FA (defaults)
 * other    FE (resend)
 * </pre>
 */
final class Ps2Mouse {
    /**
     * Saved state of the mouse.
     *
     * @param pendingCommand a command waiting for its parameter byte, or 0
     * @param enabled data reporting enabled
     * @param remote remote (polled) mode
     * @param scaling21 2:1 scaling
     * @param resolution resolution code 0-3
     * @param sampleRate samples per second
     */
    public record State(int pendingCommand, boolean enabled, boolean remote, boolean scaling21, int resolution,
            int sampleRate) {
    }

    private final IntConsumer out;
    int pendingCommand;
    boolean enabled;
    boolean remote;
    boolean scaling21;
    int resolution = 2;
    int sampleRate = 100;

    Ps2Mouse(IntConsumer out) {
        this.out = out;
    }

    void reset() {
        pendingCommand = 0;
        enabled = false;
        remote = false;
        scaling21 = false;
        resolution = 2;
        sampleRate = 100;
    }

    void write(int b) {
        if (pendingCommand != 0) {
            if (pendingCommand == 0xe8) {
                resolution = b & 3;
            } else {
                sampleRate = b;
            }
            pendingCommand = 0;
            out.accept(Ps2Keyboard.ACK);
            return;
        }
        switch (b) {
            case 0xff -> {
                reset();
                out.accept(Ps2Keyboard.ACK);
                out.accept(0xaa);
                out.accept(0x00);
            }
            case 0xf2 -> {
                out.accept(Ps2Keyboard.ACK);
                out.accept(0x00);
            }
            case 0xe9 -> {
                out.accept(Ps2Keyboard.ACK);
                out.accept((remote ? 0x40 : 0) | (enabled ? 0x20 : 0) | (scaling21 ? 0x10 : 0));
                out.accept(resolution);
                out.accept(sampleRate);
            }
            case 0xe8, 0xf3 -> {
                pendingCommand = b;
                out.accept(Ps2Keyboard.ACK);
            }
            case 0xe6, 0xe7 -> {
                scaling21 = b == 0xe7;
                out.accept(Ps2Keyboard.ACK);
            }
            case 0xea, 0xf0 -> {
                remote = b == 0xf0;
                out.accept(Ps2Keyboard.ACK);
            }
            case 0xf4, 0xf5 -> {
                enabled = b == 0xf4;
                out.accept(Ps2Keyboard.ACK);
            }
            case 0xf6 -> {
                reset();
                out.accept(Ps2Keyboard.ACK);
            }
            case 0xeb -> {
                out.accept(Ps2Keyboard.ACK);
                out.accept(0x08);
                out.accept(0x00);
                out.accept(0x00);
            }
            default -> out.accept(Ps2Keyboard.RESEND);
        }
    }

    State save() {
        return new State(pendingCommand, enabled, remote, scaling21, resolution, sampleRate);
    }

    void load(State s) {
        pendingCommand = s.pendingCommand();
        enabled = s.enabled();
        remote = s.remote();
        scaling21 = s.scaling21();
        resolution = s.resolution() & 3;
        sampleRate = s.sampleRate() & 0xff;
    }
}
