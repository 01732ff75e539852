package org.machina.monitor.api;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/** A running monitor. Closing it disconnects every client and removes the socket file. */
@ProviderType
public interface MonitorHandle extends AutoCloseable {
    Path unixSocket();

    /** The bound TCP address (with the real port when port 0 was asked for), if TCP is enabled. */
    Optional<InetSocketAddress> tcpAddress();

    /** Number of clients connected right now. */
    int clientCount();

    @Override
    void close();
}
