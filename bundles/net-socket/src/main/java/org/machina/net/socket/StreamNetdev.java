package org.machina.net.socket;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.BindException;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.util.concurrent.Executor;
import org.machina.api.net.Netdev;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code -netdev stream} (and {@code -netdev socket,listen=|connect=}): the NIC's frames over one TCP
 * or Unix stream connection in QEMU's framing ({@link Framing}).
 *
 * <p>Threads: the link thread {@code net-stream-ID} accepts (server) or connects (client), then reads
 * the connection; a writer thread per connection writes {@link #toPeer}. One peer at a time: while a
 * peer is connected, a server does not accept (further clients wait in the listen backlog), as QEMU.
 * When the peer goes, frames queued for it are dropped; a server accepts the next client, a client
 * with {@code reconnect} connects again after that delay, a client without it stays down.
 *
 * <p>A peer that sends a length that no frame can have is logged and disconnected; nothing it sends
 * can make the backend allocate more than one {@link Netdev#MAX_FRAME} buffer per connection plus
 * the bounded queue.
 */
final class StreamNetdev extends QueuedNetdev {
    private static final Logger LOG = LoggerFactory.getLogger(StreamNetdev.class);

    private final Endpoint endpoint;
    private final boolean server;
    private final long reconnectMillis;
    private final ServerSocketChannel listener;
    private final SocketAddress boundAddress;
    private volatile SocketChannel conn;
    private final Thread linkThread;

    /**
     * Opens the backend: a server binds now (a port in use is an error now); a client without
     * {@code reconnect} connects now (a refused connection is an error now), with it, in the
     * background until it succeeds.
     */
    StreamNetdev(String id, Endpoint endpoint, boolean server, long reconnectMillis, Executor executor) throws IOException {
        super(id, executor);
        this.endpoint = endpoint;
        this.server = server;
        this.reconnectMillis = reconnectMillis;
        if (server) {
            listener = listen(endpoint);
            boundAddress = listener.getLocalAddress();
            LOG.info("netdev {}: listening on {}", id, boundAddress);
        } else {
            listener = null;
            boundAddress = null;
            if (reconnectMillis == 0) {
                conn = connect(endpoint);
            }
        }
        linkThread = Thread.ofPlatform().daemon().name("net-stream-" + id).start(this::linkLoop);
    }

    /** The address a server listens on (port 0 resolved), or null for a client. */
    SocketAddress localAddress() {
        return boundAddress;
    }

    @Override
    boolean linkUp() {
        return conn != null;
    }

    private static ServerSocketChannel listen(Endpoint e) throws IOException {
        if (e instanceof Endpoint.Unix u) {
            Files.deleteIfExists(u.path()); // a stale socket file of an earlier run
            ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                s.bind(u.address(), 1);
            } catch (IOException x) {
                s.close();
                throw x;
            }
            return s;
        }
        Endpoint.Inet in = (Endpoint.Inet) e;
        int last = Math.max(in.port(), in.to());
        for (int p = in.port(); ; p++) {
            ServerSocketChannel s = ServerSocketChannel.open();
            try {
                s.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                s.bind(in.resolve(p), 1);
                return s;
            } catch (BindException x) {
                s.close();
                if (p >= last) {
                    throw new BindException("cannot listen on " + in.host() + ":" + (in.to() > 0 ? in.port() + "-" + last : p)
                            + ": " + x.getMessage());
                }
            } catch (IOException | RuntimeException x) {
                s.close();
                throw x;
            }
        }
    }

    private static SocketChannel connect(Endpoint e) throws IOException {
        SocketChannel c;
        SocketAddress to;
        if (e instanceof Endpoint.Unix u) {
            c = SocketChannel.open(StandardProtocolFamily.UNIX);
            to = u.address();
        } else {
            Endpoint.Inet in = (Endpoint.Inet) e;
            to = in.resolve(in.port());
            c = SocketChannel.open();
            c.setOption(StandardSocketOptions.TCP_NODELAY, true);
            if (in.keepAlive()) {
                c.setOption(StandardSocketOptions.SO_KEEPALIVE, true);
            }
        }
        try {
            c.connect(to);
            return c;
        } catch (IOException x) {
            c.close();
            throw new IOException("cannot connect to " + e + ": " + x.getMessage(), x);
        }
    }

    private void linkLoop() {
        SocketChannel c = conn;
        boolean first = true;
        while (!closed) {
            try {
                if (c == null) {
                    if (server) {
                        c = listener.accept();
                        if (c.getRemoteAddress() instanceof java.net.InetSocketAddress) {
                            c.setOption(StandardSocketOptions.TCP_NODELAY, true);
                        }
                    } else {
                        if (!first) {
                            Thread.sleep(reconnectMillis);
                        }
                        first = false;
                        try {
                            c = connect(endpoint);
                        } catch (IOException x) {
                            LOG.debug("netdev {}: {}; trying again in {} ms", id, x.getMessage(), reconnectMillis);
                            continue;
                        }
                    }
                }
                LOG.info("netdev {}: connected to {}", id, c.getRemoteAddress());
                serve(c);
            } catch (InterruptedException x) {
                return;
            } catch (IOException x) {
                if (!closed) {
                    LOG.warn("netdev {}: {}", id, x.toString());
                }
                if (server) {
                    return; // the listener is gone
                }
            }
            c = null;
            first = false;
            if (!server && reconnectMillis == 0) {
                if (!closed) {
                    LOG.warn("netdev {}: the peer went away; the link stays down (no reconnect=)", id);
                }
                return;
            }
        }
    }

    /** Link thread: reads the connection until it ends, with its writer thread beside it. */
    private void serve(SocketChannel c) throws InterruptedException {
        conn = c;
        Thread writer = Thread.ofPlatform().daemon().name("net-stream-" + id + "-writer").start(() -> writeLoop(c));
        // not a try-with-resources: that would close the connection before the finally block
        // counts the disconnect, and the peer could see the close before the count
        DataInputStream in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(c), 64 * 1024));
        try {
            byte[] buf = new byte[Netdev.MAX_FRAME];
            while (!closed) {
                int n = Framing.read(in, buf);
                if (n < 0) {
                    LOG.info("netdev {}: the peer closed the connection", id);
                    break;
                }
                if (n == 0) {
                    stats.runts.increment();
                    continue;
                }
                deliver(java.util.Arrays.copyOf(buf, n));
            }
        } catch (Framing.BadLength x) {
            LOG.warn("netdev {}: the peer sent {}; disconnecting it", id, x.getMessage());
        } catch (EOFException x) {
            LOG.warn("netdev {}: the connection ended inside a frame", id);
        } catch (IOException x) {
            if (!closed) {
                LOG.info("netdev {}: the connection ended: {}", id, x.toString());
            }
        } finally {
            conn = null;
            stats.disconnects.increment();
            closeQuietly(c);
            writer.interrupt();
            writer.join(5000);
            peerGone();
        }
    }

    private void writeLoop(SocketChannel c) {
        ByteBuffer header = ByteBuffer.allocate(4);
        try {
            while (!closed && conn == c) {
                Framing.write(c, header, nextForPeer());
            }
        } catch (InterruptedException x) {
            // the connection ended
        } catch (IOException x) {
            if (!closed && conn == c) {
                LOG.info("netdev {}: writing to the peer failed: {}", id, x.toString());
            }
            closeQuietly(c); // the reader sees the end
        }
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException x) {
            // closing anyway
        }
    }

    @Override
    void shutdown() {
        if (listener != null) {
            closeQuietly(listener);
        }
        SocketChannel c = conn;
        if (c != null) {
            closeQuietly(c);
        }
        linkThread.interrupt();
        try {
            linkThread.join(5000);
        } catch (InterruptedException x) {
            Thread.currentThread().interrupt();
        }
        if (server && endpoint instanceof Endpoint.Unix u) {
            try {
                Files.deleteIfExists(u.path());
            } catch (IOException x) {
                // best effort
            }
        }
        LOG.info("netdev {} closed: {}", id, stats);
    }
}
