package org.machina.chardev;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.machina.api.chardev.CharBackend;
import org.machina.api.chardev.CharBackendFactory;
import org.machina.api.time.MachineExecutor;
import org.osgi.service.component.annotations.Component;

/**
 * {@code socket,port=N[,host=H]} or {@code socket,path=P}: a listening TCP (loopback by default)
 * or Unix socket; one client at a time is connected to the device. Output while no client is
 * connected is dropped, as with QEMU's {@code server=on,wait=off}.
 */
@Component(service = CharBackendFactory.class, property = "machina.name=socket")
public final class SocketBackendFactory implements CharBackendFactory {
    @Override
    public String kind() {
        return "socket";
    }

    @Override
    public CharBackend open(String id, Map<String, String> options, MachineExecutor executor) throws IOException {
        Options.check("socket", options, "port", "host", "path", "server", "wait");
        if (!Options.flag(options, "server", true)) {
            throw new IllegalArgumentException("chardev backend 'socket' supports only server=on");
        }
        ServerSocketChannel server;
        SocketAddress address;
        if (options.containsKey("path")) {
            Path path = Path.of(options.get("path"));
            Files.deleteIfExists(path);
            address = UnixDomainSocketAddress.of(path);
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        } else {
            int port = Integer.parseInt(Options.require("socket", options, "port"));
            address = new InetSocketAddress(options.getOrDefault("host", "127.0.0.1"), port);
            server = ServerSocketChannel.open();
        }
        server.bind(address);
        return new SocketBackend(id, executor, server);
    }

    private static final class SocketBackend extends AbstractBackend {
        private final ServerSocketChannel server;
        private volatile SocketChannel client;
        private volatile OutputStream out;

        SocketBackend(String id, MachineExecutor executor, ServerSocketChannel server) {
            super(id, executor);
            this.server = server;
            Thread.ofPlatform().daemon().name("chardev-" + id + "-accept").start(this::acceptLoop);
        }

        private void acceptLoop() {
            while (server.isOpen()) {
                try {
                    SocketChannel c = server.accept();
                    SocketChannel old = client;
                    if (old != null) {
                        old.close();
                    }
                    client = c;
                    out = Channels.newOutputStream(c);
                    InputStream in = Channels.newInputStream(c);
                    startReader("client", in).join();
                    if (client == c) {
                        client = null;
                        out = null;
                    }
                    c.close();
                } catch (IOException e) {
                    if (server.isOpen()) {
                        log.warn("chardev '{}': accept failed: {}", id(), e.getMessage());
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }

        @Override
        public void write(byte[] data, int offset, int length) {
            OutputStream o = out;
            if (o == null) {
                return;
            }
            try {
                o.write(data, offset, length);
            } catch (IOException e) {
                log.debug("chardev '{}': client went away: {}", id(), e.getMessage());
                out = null;
            }
        }

        @Override
        public void close() {
            try {
                server.close();
                SocketChannel c = client;
                if (c != null) {
                    c.close();
                }
            } catch (IOException e) {
                log.debug("chardev '{}': close: {}", id(), e.getMessage());
            }
        }
    }
}
