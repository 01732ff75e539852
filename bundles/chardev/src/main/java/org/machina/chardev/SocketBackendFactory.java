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
import java.nio.file.StandardOpenOption;
import java.util.Map;
import org.machina.api.chardev.CharBackend;
import org.machina.api.chardev.CharBackendFactory;
import org.machina.api.time.MachineExecutor;
import org.osgi.service.component.annotations.Component;

/**
 * {@code socket,port=N[,host=H]} or {@code socket,path=P}: a listening TCP (loopback by default)
 * or Unix socket; one client at a time is connected to the device. Output while no client is
 * connected is dropped, as with QEMU's {@code server=on,wait=off}.
 *
 * <p>{@code logfile=PATH[,logappend=on]}: guest output is also written to {@code PATH} (truncated
 * at open unless {@code logappend=on}, as in QEMU), whether or not a client is connected.
 */
@Component(service = CharBackendFactory.class, property = "machina.name=socket")
public final class SocketBackendFactory implements CharBackendFactory {
    @Override
    public String kind() {
        return "socket";
    }

    @Override
    public CharBackend open(String id, Map<String, String> options, MachineExecutor executor) throws IOException {
        Options.check("socket", options, "port", "host", "path", "server", "wait", "logfile", "logappend");
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
        OutputStream log = null;
        if (options.containsKey("logfile")) {
            Path logPath = Path.of(Options.require("socket", options, "logfile"));
            log = Files.newOutputStream(logPath, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    Options.flag(options, "logappend", false) ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING);
        }
        try {
            server.bind(address);
        } catch (IOException e) {
            server.close();
            if (log != null) {
                log.close();
            }
            throw e;
        }
        return new SocketBackend(id, executor, server, log);
    }

    private static final class SocketBackend extends AbstractBackend {
        private final ServerSocketChannel server;
        private volatile SocketChannel client;
        private volatile OutputStream out;
        private final OutputStream logFile;
        private boolean logFailed;

        SocketBackend(String id, MachineExecutor executor, ServerSocketChannel server, OutputStream logFile) {
            super(id, executor);
            this.server = server;
            this.logFile = logFile;
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
            if (logFile != null && !logFailed) {
                try {
                    logFile.write(data, offset, length);
                    logFile.flush();
                } catch (IOException e) {
                    log.warn("chardev '{}': writing the log file failed, logging stops: {}", id(), e.getMessage());
                    logFailed = true;
                }
            }
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
                if (logFile != null) {
                    logFile.close();
                }
            } catch (IOException e) {
                log.debug("chardev '{}': close: {}", id(), e.getMessage());
            }
        }
    }
}
