package org.machina.itests;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/**
 * An HTTP server on 127.0.0.1 (an ephemeral port) for a guest behind {@code -netdev user}, which
 * reaches it as the gateway (10.0.2.2:PORT; on ::1 as [fec0::2]:PORT): {@code /big} is {@code body}.
 */
final class GuestHttpServer implements AutoCloseable {
    private final HttpServer server;

    GuestHttpServer(byte[] body) throws IOException {
        this(body, "127.0.0.1");
    }

    /** The server on loopback address {@code address} (127.0.0.1, or ::1 for a guest's IPv6 gateway). */
    GuestHttpServer(byte[] body, String address) throws IOException {
        server = HttpServer.create(new InetSocketAddress(address, 0), 8);
        server.createContext("/big", exchange -> {
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
    }

    int port() {
        return server.getAddress().getPort();
    }

    /** A TCP port on 127.0.0.1 free right now (for a hostfwd the machine binds moments later). */
    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
