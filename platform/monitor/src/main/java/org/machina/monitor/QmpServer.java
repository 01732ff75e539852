package org.machina.monitor;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.machina.api.machine.Machine;
import org.machina.api.machine.MachineListener;
import org.machina.monitor.api.MonitorHandle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A QMP server for one machine: a Unix domain socket (always) and a loopback TCP socket
 * (optionally), any number of clients, one virtual thread per client. Forwards the machine's
 * events to every client that has completed capabilities negotiation.
 */
public final class QmpServer implements MonitorHandle {
    private static final Logger LOG = LoggerFactory.getLogger(QmpServer.class);

    /** Largest accepted message; a client sending more gets an error and is disconnected. */
    public static final int MAX_MESSAGE_BYTES = 1 << 20;

    /** Most clients connected at once; one more is told so and disconnected. */
    public static final int MAX_CLIENTS = 100;

    /** The QEMU version whose QMP dialect this server speaks, reported in the greeting and {@code query-version}. */
    public static final int QEMU_MAJOR = 8;
    public static final int QEMU_MINOR = 2;
    public static final int QEMU_MICRO = 0;
    public static final String PACKAGE = "machina-0.1.0";

    private final Machine machine;
    private final Path socket;
    private final CommandRegistry registry;
    private final ServerSocketChannel unixChannel;
    private final ServerSocketChannel tcpChannel;
    private final InetSocketAddress tcpAddress;
    private final Set<QmpSession> sessions = ConcurrentHashMap.newKeySet();
    private final AtomicInteger sessionNumbers = new AtomicInteger();
    private final MachineListener listener = (m, event, data) -> broadcast(event, data);
    private volatile boolean closed;

    /**
     * Binds the sockets and starts accepting clients.
     *
     * @param machine the machine, or {@code null} for a monitor without one
     * @param socket the Unix socket path; a stale socket file is replaced, a live one refused
     * @param tcp a loopback address to listen on as well
     * @param registry the commands to serve
     */
    public QmpServer(Machine machine, Path socket, Optional<InetSocketAddress> tcp, CommandRegistry registry)
            throws IOException {
        this.machine = machine;
        this.socket = socket;
        this.registry = registry;
        if (tcp.isPresent() && (tcp.get().getAddress() == null || !tcp.get().getAddress().isLoopbackAddress())) {
            throw new IllegalArgumentException("QMP over TCP listens on loopback addresses only (127.0.0.1, ::1), not "
                    + tcp.get());
        }
        removeStaleSocket(socket);
        unixChannel = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            unixChannel.bind(UnixDomainSocketAddress.of(socket));
            restrictToOwner(socket);
            if (tcp.isPresent()) {
                tcpChannel = ServerSocketChannel.open();
                tcpChannel.bind(tcp.get());
                tcpAddress = (InetSocketAddress) tcpChannel.getLocalAddress();
            } else {
                tcpChannel = null;
                tcpAddress = null;
            }
        } catch (IOException | RuntimeException e) {
            unixChannel.close();
            Files.deleteIfExists(socket);
            throw e;
        }
        Thread.ofVirtual().name("qmp-accept-" + socket.getFileName()).start(() -> acceptLoop(unixChannel));
        if (tcpChannel != null) {
            Thread.ofVirtual().name("qmp-accept-" + tcpAddress).start(() -> acceptLoop(tcpChannel));
        }
        if (machine != null) {
            machine.addListener(listener);
        }
        LOG.info("QMP monitor for {} on {}{}", machine == null ? "(no machine)" : "machine '" + machine.name() + "'",
                socket, tcpAddress == null ? "" : " and tcp:" + tcpAddress);
    }

    /** The monitor controls the machine: only its owner may connect. */
    private static void restrictToOwner(Path socket) throws IOException {
        try {
            Files.setPosixFilePermissions(socket, java.util.EnumSet.of(
                    java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                    java.nio.file.attribute.PosixFilePermission.OWNER_WRITE));
        } catch (UnsupportedOperationException notPosix) {
            LOG.debug("cannot restrict permissions of {} on this file system", socket);
        }
    }

    private static void removeStaleSocket(Path socket) throws IOException {
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(socket, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (java.nio.file.NoSuchFileException absent) {
            return;
        }
        if (!attrs.isOther()) {
            throw new IOException("cannot create monitor socket " + socket + ": a file that is not a socket is in the way");
        }
        try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            throw new IOException("monitor socket " + socket + " is in use by a running monitor");
        } catch (ConnectException stale) {
            LOG.info("removing stale monitor socket {}", socket);
            Files.deleteIfExists(socket);
        }
    }

    private void acceptLoop(ServerSocketChannel server) {
        while (!closed) {
            SocketChannel client;
            try {
                client = server.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (!closed) {
                    LOG.warn("QMP accept on {} failed; monitor stops accepting", socket, e);
                }
                return;
            }
            if (sessions.size() >= MAX_CLIENTS) {
                refuse(client);
                continue;
            }
            QmpSession session = new QmpSession(this, client, sessionNumbers.incrementAndGet());
            sessions.add(session);
            if (closed) {
                session.close();
            }
            Thread.ofVirtual().name("qmp-client-" + session.number()).start(session::run);
        }
    }

    private void refuse(SocketChannel client) {
        LOG.warn("QMP monitor on {} refuses a client: {} are connected already", socket, MAX_CLIENTS);
        String error = "{\"error\":{\"class\":\"GenericError\",\"desc\":\"too many monitor clients (at most "
                + MAX_CLIENTS + "); try again later\"}}\r\n";
        try (client) {
            client.write(java.nio.ByteBuffer.wrap(error.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (IOException e) {
            LOG.debug("refusing a QMP client", e);
        }
    }

    Optional<Machine> machine() {
        return Optional.ofNullable(machine);
    }

    CommandRegistry registry() {
        return registry;
    }

    void sessionEnded(QmpSession session) {
        sessions.remove(session);
    }

    /** Sends an event to every negotiated client. Never blocks: slow clients are queued for, then dropped. */
    public void broadcast(String event, Map<String, Object> data) {
        JsonObject message = new JsonObject();
        message.addProperty("event", event);
        if (data != null && !data.isEmpty()) {
            message.add("data", QmpJson.GSON.toJsonTree(data));
        }
        Instant now = Instant.now();
        JsonObject timestamp = new JsonObject();
        timestamp.addProperty("seconds", now.getEpochSecond());
        timestamp.addProperty("microseconds", now.getNano() / 1000);
        message.add("timestamp", timestamp);
        String text = QmpJson.write(message);
        for (QmpSession s : sessions) {
            if (s.negotiated()) {
                s.send(text);
            }
        }
    }

    @Override
    public Path unixSocket() {
        return socket;
    }

    @Override
    public Optional<InetSocketAddress> tcpAddress() {
        return Optional.ofNullable(tcpAddress);
    }

    @Override
    public int clientCount() {
        return sessions.size();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (machine != null) {
            machine.removeListener(listener);
        }
        closeQuietly(unixChannel);
        closeQuietly(tcpChannel);
        for (QmpSession s : sessions) {
            s.close();
        }
        try {
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            LOG.warn("could not remove monitor socket {}", socket, e);
        }
        LOG.info("QMP monitor on {} closed", socket);
    }

    private static void closeQuietly(ServerSocketChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                LOG.debug("closing {}", channel, e);
            }
        }
    }
}
