package org.machina.chardev;

import java.io.PrintStream;

/**
 * The console escape on a stdio chardev in terminal mode, as QEMU's {@code -nographic} users know
 * it: {@code Ctrl-A x} ends the emulator, {@code Ctrl-A h} prints help, {@code Ctrl-A Ctrl-A}
 * sends one {@code Ctrl-A} to the guest. Every other byte passes through unchanged (including
 * {@code Ctrl-C}, which goes to the guest because the terminal is raw).
 */
final class EscapeFilter {
    static final int CTRL_A = 0x01;

    /** What the filter does for {@code Ctrl-A x}. */
    interface Exit {
        void exit();
    }

    private final PrintStream messages;
    private final Exit exit;
    private boolean escaped;

    EscapeFilter(PrintStream messages, Exit exit) {
        this.messages = messages;
        this.exit = exit;
    }

    /** Filters {@code buf[0..n)} in place and returns how many bytes are left for the guest. */
    int filter(byte[] buf, int n) {
        int out = 0;
        for (int i = 0; i < n; i++) {
            int b = buf[i] & 0xff;
            if (!escaped) {
                if (b == CTRL_A) {
                    escaped = true;
                } else {
                    buf[out++] = (byte) b;
                }
                continue;
            }
            escaped = false;
            switch (b) {
                case CTRL_A, 'a' -> buf[out++] = (byte) CTRL_A;
                case 'x', 'X' -> {
                    messages.print("\nmachina: terminated by Ctrl-A x\n");
                    messages.flush();
                    exit.exit();
                }
                case 'h', 'H', '?' -> {
                    messages.print("\nC-a h    print this help\nC-a x    exit the emulator\n"
                            + "C-a C-a  send C-a to the guest\n");
                    messages.flush();
                }
                default -> { // unknown escape: ignored, like QEMU
                }
            }
        }
        return out;
    }
}
