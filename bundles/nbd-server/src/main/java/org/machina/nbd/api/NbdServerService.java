package org.machina.nbd.api;

import java.io.IOException;
import java.net.SocketAddress;
import java.util.Set;
import org.machina.api.block.BlockNode;
import org.osgi.annotation.versioning.ProviderType;

/**
 * An NBD server exporting block nodes (the model of QEMU's {@code nbd-server-start},
 * {@code nbd-server-add}, {@code nbd-server-remove}, {@code nbd-server-stop}).
 */
@ProviderType
public interface NbdServerService {
    /** Listens on a TCP ({@link java.net.InetSocketAddress}) or Unix ({@link java.net.UnixDomainSocketAddress}) address. */
    void start(SocketAddress address) throws IOException;

    /** The bound address (with the real port for port 0), or null when stopped. */
    SocketAddress address();

    boolean running();

    /** Disconnects every client and closes the listening socket. Exports stay registered. */
    void stop();

    /**
     * Adds an export. A read-only export refuses writes with {@code NBD_EPERM}; a read-only node is always
     * exported read-only.
     *
     * @throws IllegalArgumentException if the name is taken or longer than 4096 bytes
     */
    void addExport(String name, BlockNode node, boolean readOnly, String description);

    /** Removes an export and disconnects its clients; false if there was none. */
    boolean removeExport(String name);

    Set<String> exports();
}
