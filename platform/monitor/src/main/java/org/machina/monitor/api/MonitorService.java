package org.machina.monitor.api;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Optional;
import org.machina.api.machine.Machine;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Starts QMP monitors. Every monitor serves all {@code MonitorCommand} whiteboard services
 * registered now or later, and forwards the machine's events to its clients.
 */
@ProviderType
public interface MonitorService {
    /**
     * Starts a monitor for {@code machine} listening on {@code unixSocket} (a stale socket file
     * left by a dead process is replaced; a live one is refused) and, if given, on a loopback
     * TCP address (port 0 picks a free port, see {@link MonitorHandle#tcpAddress()}).
     *
     * @throws IOException if a socket cannot be bound
     * @throws IllegalArgumentException if the TCP address is not a loopback address
     */
    MonitorHandle start(Machine machine, Path unixSocket, Optional<InetSocketAddress> tcp) throws IOException;
}
