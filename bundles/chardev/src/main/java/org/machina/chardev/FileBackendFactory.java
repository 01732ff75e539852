package org.machina.chardev;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import org.machina.api.chardev.CharBackend;
import org.machina.api.chardev.CharBackendFactory;
import org.machina.api.time.MachineExecutor;
import org.osgi.service.component.annotations.Component;

/** {@code file,path=P[,append=on]}: guest output appended to or written over a file; no input. */
@Component(service = CharBackendFactory.class, property = "machina.name=file")
public final class FileBackendFactory implements CharBackendFactory {
    @Override
    public String kind() {
        return "file";
    }

    @Override
    public CharBackend open(String id, Map<String, String> options, MachineExecutor executor) throws IOException {
        Options.check("file", options, "path", "append");
        Path path = Path.of(Options.require("file", options, "path"));
        boolean append = Options.flag(options, "append", false);
        OutputStream out = Files.newOutputStream(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING);
        return new AbstractBackend(id, executor) {
            @Override
            public void write(byte[] data, int offset, int length) {
                try {
                    out.write(data, offset, length);
                    out.flush();
                } catch (IOException e) {
                    log.warn("chardev '{}': writing {} failed: {}", id, path, e.getMessage());
                }
            }

            @Override
            public void close() {
                try {
                    out.close();
                } catch (IOException e) {
                    log.warn("chardev '{}': closing {} failed: {}", id, path, e.getMessage());
                }
            }
        };
    }
}
