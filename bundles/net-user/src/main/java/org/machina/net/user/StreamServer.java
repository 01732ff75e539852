package org.machina.net.user;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.machina.net.user.api.NetStandalone;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code machina net serve}: a {@link Stack} behind a stream socket in QEMU's
 * {@code -netdev stream} framing (4-byte big-endian length, then the frame). One client at a
 * time; a new client replaces the old one.
 *
 * <p>Everything runs on the stack's one {@link EventLoop} thread: the listening socket, the
 * client's socket ({@link StreamClient}) and the host sockets share its selector, as the guest's
 * frames and the host's bytes are the same work. A frame from the client is handled as soon as
 * it is read and the frames it causes are written at the end of the same loop pass, so no frame
 * changes thread. The bounds are {@link StreamClient}'s. With no client connected, frames for the
 * guest are dropped, like a NIC whose cable is out.
 */
public final class StreamServer implements NetStandalone.Serving {
    private static final Logger LOG = LoggerFactory.getLogger(StreamServer.class);

    private final ServerSocketChannel server;
    private final SocketAddress address;
    private final EventLoop loop;
    private final Stack stack;
    /** The connected client (loop thread). */
    private StreamClient client;
    private volatile boolean closed;

    /** Opens the stack from the options and listens on {@code addr}. */
    public static StreamServer start(NetStandalone.Options o) throws IOException {
        return new StreamServer(NetConfig.parse(o.netdev()), o.address());
    }

    private StreamServer(NetConfig cfg, SocketAddress addr) throws IOException {
        if (addr instanceof UnixDomainSocketAddress u) {
            Files.deleteIfExists(u.getPath());
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        } else {
            server = ServerSocketChannel.open();
        }
        EventLoop l = null;
        try {
            server.bind(addr);
            address = server.getLocalAddress();
            server.configureBlocking(false);
            l = new EventLoop("net-user-serve");
            stack = new Stack("serve", cfg, l, new Stack.Link() {
                @Override
                public boolean hasRoom(int frames) {
                    return client == null || client.hasRoom(frames);
                }

                @Override
                public boolean offer(byte[] frame) {
                    return client == null || client.offer(frame);
                }
            });
            l.register(server, SelectionKey.OP_ACCEPT, k -> accept());
        } catch (IOException | RuntimeException e) {
            server.close();
            if (l != null) {
                l.close();
            }
            throw e;
        }
        loop = l;
        loop.start();
    }

    /** Loop thread: a new client replaces the old one. */
    private void accept() throws IOException {
        SocketChannel c;
        while ((c = server.accept()) != null) {
            if (client != null) {
                LOG.info("net serve: a new client replaces the old one");
                client.end();
            }
            StreamClient sc = new StreamClient(c, stack, this::ended);
            client = sc;
            try {
                sc.start();
            } catch (IOException e) {
                LOG.info("net serve: client connection failed: {}", e.toString());
                sc.end();
                continue;
            }
            LOG.info("net serve: client connected");
        }
    }

    /** Loop thread: a client went; frames for the guest are dropped until the next one. */
    private void ended(StreamClient c) {
        if (client == c) {
            client = null;
        }
    }

    @Override
    public SocketAddress address() {
        return address;
    }

    @Override
    public List<InetSocketAddress> tcpForwards() {
        return loop.call(() -> {
            List<InetSocketAddress> l = new ArrayList<>();
            int i = 0;
            for (NetConfig.HostFwd r : stack.cfg.hostfwds) {
                if (!r.udp()) {
                    try {
                        l.add(stack.tcp.forwardAddress(i++));
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                }
            }
            return l;
        });
    }

    @Override
    public String statistics() {
        return stack.stats.toString();
    }

    Stack stack() {
        return stack;
    }

    /** Runs {@code query} on the loop thread (tests). */
    <T> T onLoop(java.util.function.Supplier<T> query) {
        return loop.call(query);
    }

    /** The connected client, or null (loop thread). */
    StreamClient client() {
        return client;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        loop.close(() -> {
            if (client != null) {
                client.end();
            }
            stack.close();
        });
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        if (address instanceof UnixDomainSocketAddress u) {
            try {
                Files.deleteIfExists(u.getPath());
            } catch (IOException e) {
                // best effort
            }
        }
    }
}
