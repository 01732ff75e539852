package org.machina.cli;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;

/** Where a {@code serve} command listens: a Unix socket ({@code -k PATH}) or {@code --bind ADDR} and a port. */
final class ListenAddress {
    private ListenAddress() {
    }

    static SocketAddress of(Path socket, String bind, int port) {
        if (socket != null) {
            return UnixDomainSocketAddress.of(socket.toAbsolutePath());
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(bind), port);
        } catch (IOException e) {
            throw new CliException(CliException.USAGE, "--bind '" + bind + "': " + e.getMessage());
        }
    }
}
