package org.machina.chardev;

import java.util.Map;
import org.machina.api.chardev.CharBackend;
import org.machina.api.chardev.CharBackendFactory;
import org.machina.api.time.MachineExecutor;
import org.osgi.service.component.annotations.Component;

/** {@code null}: output discarded, no input. */
@Component(service = CharBackendFactory.class, property = "machina.name=null")
public final class NullBackendFactory implements CharBackendFactory {
    @Override
    public String kind() {
        return "null";
    }

    @Override
    public CharBackend open(String id, Map<String, String> options, MachineExecutor executor) {
        Options.check("null", options);
        return new AbstractBackend(id, executor) {
            @Override
            public void write(byte[] data, int offset, int length) {
            }

            @Override
            public void close() {
            }
        };
    }
}
