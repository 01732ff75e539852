package org.machina.chardev;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Puts the controlling terminal in character-at-a-time mode without local echo or signal keys
 * (with {@code stty}, output processing kept so host messages stay readable), and restores the
 * saved settings on {@link #restore} or when the JVM exits.
 */
final class TerminalMode {
    private static final File TTY = new File("/dev/tty");
    private final String saved;
    private final Thread hook;
    private boolean restored;

    private TerminalMode(String saved) {
        this.saved = saved;
        this.hook = new Thread(this::restore, "machina-terminal-restore");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** True when standard input and output are a terminal (not a pipe or a file). */
    static boolean interactive() {
        var console = System.console();
        return console != null && console.isTerminal() && TTY.exists();
    }

    /** Enters raw input mode; returns null (and changes nothing) if {@code stty} fails. */
    static TerminalMode enterRaw() {
        try {
            String saved = stty("-g").trim();
            stty("-echo", "-icanon", "-isig", "-iexten", "-ixon", "-icrnl", "-inlcr", "-igncr", "min", "1", "time", "0");
            return new TerminalMode(saved);
        } catch (IOException e) {
            return null;
        }
    }

    synchronized void restore() {
        if (restored) {
            return;
        }
        restored = true;
        try {
            stty(saved);
        } catch (IOException e) {
            System.err.println("machina: could not restore the terminal (run 'stty sane'): " + e.getMessage());
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // called from the hook itself
        }
    }

    private static String stty(String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add("stty");
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectInput(TTY).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            if (p.waitFor() != 0) {
                throw new IOException("stty " + String.join(" ", args) + " failed");
            }
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
