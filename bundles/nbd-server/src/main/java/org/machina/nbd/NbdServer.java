package org.machina.nbd;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.machina.api.block.BlockNode;
import org.machina.nbd.api.NbdServerService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An NBD server (fixed newstyle) over TCP or a Unix socket. One virtual thread per client; at most
 * {@link #maxConnections} clients at once: while that many are connected the server stops accepting, so
 * the next client waits in the listen backlog until one leaves (as {@code qemu-nbd -e N} does).
 */
public class NbdServer implements NbdServerService {
    private static final Logger LOG = LoggerFactory.getLogger(NbdServer.class);

    private final Map<String, NbdExport> exports = new ConcurrentHashMap<>();
    private final Set<NbdConnection> connections = ConcurrentHashMap.newKeySet();
    private final int maxConnections;
    /** Free client slots: taken before each accept, given back when a connection is closed. */
    private final java.util.concurrent.Semaphore slots;
    private final long handshakeTimeoutMillis;
    private volatile java.util.concurrent.ScheduledExecutorService timer;
    private volatile ServerSocketChannel listener;
    private volatile SocketAddress bound;
    private Thread acceptor;
    private volatile ClientListener clientListener;

    /** Told about clients coming and going (a standalone server's {@code -v} and its exit after the last client). */
    interface ClientListener {
        void connected(String remote, int clients);

        /**
         * @param negotiated the client finished the handshake (entered the transmission phase)
         * @param clients clients still connected
         */
        void closed(String remote, boolean negotiated, int clients);
    }

    public NbdServer() {
        this(1024, 30_000);
    }

    /**
     * @param maxConnections clients served at once; more wait in the backlog until one leaves
     * @param handshakeTimeoutMillis a client that has not finished the handshake by then is disconnected
     */
    public NbdServer(int maxConnections, long handshakeTimeoutMillis) {
        this.maxConnections = maxConnections;
        this.slots = new java.util.concurrent.Semaphore(maxConnections);
        this.handshakeTimeoutMillis = handshakeTimeoutMillis;
    }

    @Override
    public synchronized void start(SocketAddress address) throws IOException {
        if (listener != null) {
            throw new IOException("NBD server already running on " + bound);
        }
        ServerSocketChannel s;
        if (address instanceof UnixDomainSocketAddress u) {
            Files.deleteIfExists(u.getPath());
            s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        } else if (address instanceof InetSocketAddress) {
            s = ServerSocketChannel.open();
        } else {
            throw new IOException("unsupported NBD address " + address + " (accepted: host:port, Unix socket path)");
        }
        try {
            s.bind(address, 128);
        } catch (IOException e) {
            s.close();
            throw new IOException("cannot listen on " + address + ": " + e.getMessage(), e);
        }
        listener = s;
        bound = s.getLocalAddress();
        timer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name("nbd-handshake-timer").factory());
        acceptor = Thread.ofPlatform().daemon().name("nbd-accept " + bound).start(() -> acceptLoop(s));
        LOG.info("NBD server listening on {}", bound);
    }

    private void acceptLoop(ServerSocketChannel s) {
        while (s.isOpen()) {
            try {
                if (!slots.tryAcquire()) {
                    LOG.debug("NBD: {} clients connected (the limit); the next waits until one leaves", maxConnections);
                    slots.acquire();
                }
            } catch (InterruptedException stopping) {
                return;
            }
            SocketChannel c;
            try {
                c = s.accept();
            } catch (IOException e) {
                slots.release();
                if (s.isOpen()) {
                    LOG.warn("NBD accept failed: {}", e.getMessage());
                }
                continue;
            }
            try {
                if (!(bound instanceof UnixDomainSocketAddress)) {
                    c.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
                }
            } catch (IOException ignored) {
                // best effort
            }
            NbdConnection conn = new NbdConnection(this, c);
            connections.add(conn);
            ClientListener l = clientListener;
            if (l != null) {
                l.connected(remoteOf(c), connections.size());
            }
            try {
                timer.schedule(conn::closeIfNegotiating, handshakeTimeoutMillis, java.util.concurrent.TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException stopping) {
                conn.close();
            }
            Thread.ofVirtual().name("nbd-client").start(conn);
        }
    }

    static String remoteOf(SocketChannel c) {
        try {
            SocketAddress a = c.getRemoteAddress();
            return a instanceof UnixDomainSocketAddress ? "unix socket client" : String.valueOf(a);
        } catch (IOException e) {
            return "?";
        }
    }

    @Override
    public SocketAddress address() {
        return bound;
    }

    @Override
    public boolean running() {
        return listener != null;
    }

    /** Clients served at once; with 1, {@code CAN_MULTI_CONN} is not advertised (like {@code qemu-nbd -e 1}). */
    int maxConnections() {
        return maxConnections;
    }

    /** Number of clients currently connected. */
    public int connectionCount() {
        return connections.size();
    }

    @Override
    public synchronized void stop() {
        ServerSocketChannel s = listener;
        listener = null;
        if (s != null) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing
            }
            if (bound instanceof UnixDomainSocketAddress u) {
                try {
                    Files.deleteIfExists(u.getPath());
                } catch (IOException ignored) {
                    // best effort
                }
            }
        }
        for (NbdConnection c : connections) {
            c.close();
        }
        if (timer != null) {
            timer.shutdownNow();
        }
        if (acceptor != null) {
            acceptor.interrupt(); // if it waits for a free slot
            try {
                acceptor.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        bound = null;
    }

    @Override
    public void addExport(String name, BlockNode node, boolean readOnly, String description) {
        if (name.getBytes(StandardCharsets.UTF_8).length > Nbd.MAX_STRING) {
            throw new IllegalArgumentException("export name longer than " + Nbd.MAX_STRING + " bytes");
        }
        addExport(new NbdExport(name, node, readOnly || node.readOnly(), description == null ? "" : description));
    }

    void addExport(NbdExport e) {
        if (e.name().getBytes(StandardCharsets.UTF_8).length > Nbd.MAX_STRING) {
            throw new IllegalArgumentException("export name longer than " + Nbd.MAX_STRING + " bytes");
        }
        if (exports.putIfAbsent(e.name(), e) != null) {
            throw new IllegalArgumentException("NBD export '" + e.name() + "' already exists");
        }
    }

    @Override
    public boolean removeExport(String name) {
        NbdExport e = exports.remove(name);
        if (e == null) {
            return false;
        }
        for (NbdConnection c : connections) {
            if (c.export() == e) {
                c.close();
            }
        }
        return true;
    }

    @Override
    public Set<String> exports() {
        return new TreeSet<>(exports.keySet());
    }

    NbdExport find(String name) {
        return exports.get(name);
    }

    boolean isExported(NbdExport e) {
        return exports.get(e.name()) == e;
    }

    List<NbdExport> exportList() {
        return exports.values().stream().sorted((a, b) -> a.name().compareTo(b.name())).toList();
    }

    void setClientListener(ClientListener l) {
        clientListener = l;
    }

    void connectionClosed(NbdConnection c, String remote, boolean negotiated) {
        if (connections.remove(c)) {
            slots.release();
            ClientListener l = clientListener;
            if (l != null) {
                l.closed(remote, negotiated, connections.size());
            }
        }
    }
}
