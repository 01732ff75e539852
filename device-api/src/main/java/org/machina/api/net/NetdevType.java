package org.machina.api.net;

import java.io.IOException;
import java.util.Map;
import org.machina.api.time.MachineExecutor;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * Creates network backends of one kind ({@code user}, ...), published as a service with
 * {@code machina.name} set to the kind, as in QEMU's {@code -netdev KIND,id=ID,...}.
 */
@ConsumerType
public interface NetdevType {
    String kind();

    /**
     * Opens a backend. {@code options} are the {@code -netdev} options after the kind, without
     * {@code id} (QEMU's spelling: {@code net=10.0.2.0/24,hostfwd=tcp::2222-:22}; an option given more
     * than once, such as {@code hostfwd}, is joined with {@code '\n'}). Port callbacks run on
     * {@code executor}.
     *
     * @throws IllegalArgumentException for an unknown or malformed option, naming it
     * @throws IOException if a host resource (a forwarded port) cannot be had
     */
    Netdev open(String id, Map<String, String> options, MachineExecutor executor) throws IOException;
}
