package org.machina.chardev;

import java.io.IOException;
import java.io.PrintStream;
import java.util.Map;
import org.machina.api.chardev.CharBackend;
import org.machina.api.chardev.CharBackendFactory;
import org.machina.api.time.MachineExecutor;
import org.osgi.service.component.annotations.Component;

/** {@code stdio}: guest output to the process's standard output, standard input to the guest. */
@Component(service = CharBackendFactory.class, property = "machina.name=stdio")
public final class StdioBackendFactory implements CharBackendFactory {
    @Override
    public String kind() {
        return "stdio";
    }

    @Override
    public CharBackend open(String id, Map<String, String> options, MachineExecutor executor) throws IOException {
        Options.check("stdio", options, "signal", "mux");
        return new StdioBackend(id, executor);
    }

    private static final class StdioBackend extends AbstractBackend {
        private final PrintStream out = System.out;

        StdioBackend(String id, MachineExecutor executor) {
            super(id, executor);
            startReader("stdin", System.in);
        }

        @Override
        public void write(byte[] data, int offset, int length) {
            out.write(data, offset, length);
            out.flush();
        }

        @Override
        public void close() {
            out.flush();
        }
    }
}
