package org.machina.net.user;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.machina.api.net.Netdev;
import org.machina.net.user.api.NetStandalone;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code machina net serve}: a {@link UserNetdev} behind a stream socket in QEMU's
 * {@code -netdev stream} framing (4-byte big-endian length, then the frame). One client at a
 * time; a new client replaces the old one. A serial executor plays the machine thread.
 *
 * <p>Threads and queues: the reader thread reads a frame and offers it to the netdev on the
 * executor, waiting (so not reading the socket: the client's sends back up) while the netdev says
 * its queue is full. Frames for the client go to {@link #out} (bound {@link #OUT_FRAMES}; the
 * port reports it cannot receive while it is full) and the writer thread writes them. With no
 * client connected, frames for the guest are dropped, like a NIC whose cable is out.
 */
public final class StreamServer implements NetStandalone.Serving {
    private static final Logger LOG = LoggerFactory.getLogger(StreamServer.class);
    static final int OUT_FRAMES = 256;

    private final ServerSocketChannel server;
    private final SocketAddress address;
    private final UserNetdev netdev;
    private final ExecutorService executor;
    /** Frames for the current client (a new queue per client, so an old writer never takes a new client's frames). */
    private volatile ArrayBlockingQueue<byte[]> out = new ArrayBlockingQueue<>(OUT_FRAMES);
    private final Semaphore sendReady = new Semaphore(0);
    private volatile SocketChannel client;
    private volatile boolean closed;
    private final Thread acceptor;

    /** Opens the stack from the options and listens on {@code addr}. */
    public static StreamServer start(NetStandalone.Options o) throws IOException {
        return new StreamServer(NetConfig.parse(o.netdev()), o.address());
    }

    private StreamServer(NetConfig cfg, SocketAddress addr) throws IOException {
        executor = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().daemon().name("net-serve-nic").unstarted(r));
        if (addr instanceof UnixDomainSocketAddress u) {
            Files.deleteIfExists(u.getPath());
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        } else {
            server = ServerSocketChannel.open();
        }
        try {
            server.bind(addr);
            address = server.getLocalAddress();
            netdev = new UserNetdev("serve", cfg, executor);
        } catch (IOException | RuntimeException e) {
            server.close();
            executor.shutdownNow();
            throw e;
        }
        netdev.attach(new Netdev.Port() {
            @Override
            public boolean canReceive() {
                return client == null || out.remainingCapacity() > 0;
            }


            @Override
            public boolean receive(ByteBuffer frame) {
                if (client == null) {
                    return true;
                }
                byte[] f = new byte[frame.remaining()];
                frame.get(f);
                return out.offer(f);
            }

            @Override
            public void sendReady() {
                sendReady.release();
            }
        });
        acceptor = Thread.ofPlatform().daemon().name("net-serve-accept").start(this::acceptLoop);
    }

    private void acceptLoop() {
        while (!closed) {
            SocketChannel c;
            try {
                c = server.accept();
            } catch (IOException e) {
                if (!closed) {
                    LOG.warn("net serve: accept failed: {}", e.toString());
                }
                return;
            }
            SocketChannel old = client;
            if (old != null) {
                LOG.info("net serve: a new client replaces the old one");
                close(old);
            }
            ArrayBlockingQueue<byte[]> q = new ArrayBlockingQueue<>(OUT_FRAMES);
            out = q;
            client = c;
            LOG.info("net serve: client connected");
            Thread.ofPlatform().daemon().name("net-serve-writer").start(() -> writeLoop(c, q));
            Thread.ofPlatform().daemon().name("net-serve-reader").start(() -> readLoop(c));
        }
    }

    private void readLoop(SocketChannel c) {
        try (InputStream raw = Channels.newInputStream(c); DataInputStream in = new DataInputStream(raw)) {
            byte[] buf = new byte[Netdev.MAX_FRAME];
            while (!closed && client == c) {
                int len = in.readInt();
                if (len <= 0 || len > Netdev.MAX_FRAME) {
                    LOG.warn("net serve: frame length {} from the client is out of range; disconnecting", len);
                    break;
                }
                in.readFully(buf, 0, len);
                ByteBuffer frame = ByteBuffer.wrap(buf, 0, len);
                while (!executor.submit(() -> netdev.send(frame.duplicate())).get()) {
                    sendReady.tryAcquire(1, TimeUnit.SECONDS);
                    if (closed || client != c) {
                        return;
                    }
                }
            }
        } catch (EOFException e) {
            LOG.info("net serve: client disconnected");
        } catch (Exception e) {
            if (!closed && client == c) {
                LOG.info("net serve: client connection ended: {}", e.toString());
            }
        } finally {
            if (client == c) {
                client = null;
            }
            close(c);
        }
    }

    private void writeLoop(SocketChannel c, ArrayBlockingQueue<byte[]> q) {
        ByteBuffer len = ByteBuffer.allocate(4);
        try {
            while (!closed && client == c) {
                byte[] f = q.poll(1, TimeUnit.SECONDS);
                if (f == null) {
                    continue;
                }
                len.clear();
                len.putInt(f.length).flip();
                ByteBuffer[] bufs = {len, ByteBuffer.wrap(f)};
                while (bufs[1].hasRemaining()) {
                    c.write(bufs);
                }
                netdev.receiveReady(); // cheap when a drain is already scheduled
            }
        } catch (IOException | InterruptedException e) {
            if (!closed && client == c) {
                LOG.info("net serve: writing to the client failed: {}", e.toString());
            }
        }
    }

    private static void close(SocketChannel c) {
        try {
            c.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    @Override
    public SocketAddress address() {
        return address;
    }

    @Override
    public List<InetSocketAddress> tcpForwards() {
        return netdev.onLoop(() -> {
            List<InetSocketAddress> l = new ArrayList<>();
            int i = 0;
            for (NetConfig.HostFwd r : netdev.stack().cfg.hostfwds) {
                if (!r.udp()) {
                    try {
                        l.add(netdev.stack().tcp.forwardAddress(i++));
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
        return netdev.stats().toString();
    }

    UserNetdev netdev() {
        return netdev;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        SocketChannel c = client;
        if (c != null) {
            close(c);
        }
        netdev.close();
        executor.shutdownNow();
        if (address instanceof UnixDomainSocketAddress u) {
            try {
                Files.deleteIfExists(u.getPath());
            } catch (IOException e) {
                // best effort
            }
        }
        acceptor.interrupt();
    }
}
