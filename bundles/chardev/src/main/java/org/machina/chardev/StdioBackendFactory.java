package org.machina.chardev;

import java.io.IOException;
import java.io.PrintStream;
import java.util.Map;
import org.machina.api.chardev.CharBackend;
import org.machina.api.chardev.CharBackendFactory;
import org.machina.api.time.MachineExecutor;
import org.osgi.service.component.annotations.Component;

/**
 * {@code stdio}: guest output to the process's standard output, standard input to the guest. On a
 * terminal, input is raw (each key goes to the guest at once, no local echo, {@code Ctrl-C} to the
 * guest unless {@code signal=on}) and {@code Ctrl-A x} ends the emulator ({@code Ctrl-A h}: help).
 */
@Component(service = CharBackendFactory.class, property = "machina.name=stdio")
public final class StdioBackendFactory implements CharBackendFactory {
    @Override
    public String kind() {
        return "stdio";
    }

    @Override
    public CharBackend open(String id, Map<String, String> options, MachineExecutor executor) throws IOException {
        Options.check("stdio", options, "signal", "mux");
        return new StdioBackend(id, executor, Options.flag(options, "signal", false));
    }

    private static final class StdioBackend extends AbstractBackend {
        private final PrintStream out = System.out;
        private final TerminalMode terminal;
        private final EscapeFilter escapes;

        StdioBackend(String id, MachineExecutor executor, boolean signals) {
            super(id, executor);
            boolean interactive = TerminalMode.interactive();
            terminal = interactive && !signals ? TerminalMode.enterRaw() : null;
            escapes = terminal != null ? new EscapeFilter(System.err, () -> System.exit(0)) : null;
            if (terminal != null) {
                System.err.print("machina: serial console on this terminal; Ctrl-A x quits, Ctrl-A h helps\n");
            }
            startReader("stdin", System.in);
        }

        @Override
        protected int filterInput(byte[] buf, int n) {
            return escapes == null ? n : escapes.filter(buf, n);
        }

        @Override
        public void write(byte[] data, int offset, int length) {
            out.write(data, offset, length);
            out.flush();
        }

        @Override
        public void close() {
            out.flush();
            if (terminal != null) {
                terminal.restore();
            }
        }
    }
}
