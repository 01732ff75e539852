package org.machina.api.chardev;

import java.io.IOException;
import java.util.Map;
import org.machina.api.time.MachineExecutor;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * Creates character backends of one kind ({@code stdio}, {@code file}, {@code socket}, ...),
 * published as a service with {@code machina.name} set to the kind, as in QEMU's
 * {@code -chardev KIND,id=ID,...}.
 */
@ConsumerType
public interface CharBackendFactory {
    String kind();

    /** Opens a backend; input is delivered on {@code executor}. */
    CharBackend open(String id, Map<String, String> options, MachineExecutor executor) throws IOException;
}
