package org.machina.net.socket;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code -netdev dgram} (and {@code -netdev socket,udp=,localaddr=}): one Ethernet frame per UDP
 * datagram, no length prefix, between {@code local} and {@code remote}.
 *
 * <p>The socket is bound to {@code local} and connected to {@code remote}, so the host's stack only
 * lets the remote's datagrams in. Threads: a reader {@code net-dgram-ID} (receives and
 * {@link #deliver}s, blocking while {@link #toGuest} is full: the host's socket buffer then
 * holds, and past it drops, datagrams as UDP does) and a writer {@code net-dgram-ID-writer} (sends
 * {@link #toPeer}). A datagram shorter than an Ethernet header is a runt and dropped; a send the
 * host refuses (the remote is not listening: ICMP port unreachable) drops that frame.
 */
final class DgramNetdev extends QueuedNetdev {
    private static final Logger LOG = LoggerFactory.getLogger(DgramNetdev.class);
    /** The largest UDP payload over IPv4; every frame that fits in a datagram fits here. */
    private static final int MAX_DATAGRAM = 65507;

    private final DatagramChannel channel;
    private final Thread reader;
    private final Thread writer;
    private int sendErrorsLogged;

    DgramNetdev(String id, Endpoint.Inet local, Endpoint.Inet remote, Executor executor) throws IOException {
        super(id, executor);
        InetSocketAddress to = remote.resolve(remote.port());
        InetSocketAddress from = local.resolve(local.port());
        channel = DatagramChannel.open(to.getAddress() instanceof java.net.Inet6Address
                ? java.net.StandardProtocolFamily.INET6 : java.net.StandardProtocolFamily.INET);
        try {
            channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            channel.setOption(StandardSocketOptions.SO_RCVBUF, 1 << 20);
            channel.bind(from);
            channel.connect(to);
        } catch (IOException | RuntimeException x) {
            channel.close();
            throw new IOException("cannot bind " + local + " / send to " + remote + ": " + x.getMessage(), x);
        }
        LOG.info("netdev {}: udp {} <-> {}", id, channel.getLocalAddress(), to);
        reader = Thread.ofPlatform().daemon().name("net-dgram-" + id).start(this::readLoop);
        writer = Thread.ofPlatform().daemon().name("net-dgram-" + id + "-writer").start(this::writeLoop);
    }

    InetSocketAddress localAddress() throws IOException {
        return (InetSocketAddress) channel.getLocalAddress();
    }

    @Override
    boolean linkUp() {
        return true;
    }

    private void readLoop() {
        ByteBuffer buf = ByteBuffer.allocate(MAX_DATAGRAM);
        while (!closed) {
            try {
                buf.clear();
                channel.read(buf);
                buf.flip();
                if (buf.remaining() < Framing.MIN_FRAME) {
                    stats.runts.increment();
                    continue;
                }
                byte[] f = new byte[buf.remaining()];
                buf.get(f);
                deliver(f);
            } catch (PortUnreachableException x) {
                // an earlier send found nobody at the remote: not an error for a link
            } catch (ClosedChannelException | InterruptedException x) {
                return;
            } catch (IOException x) {
                if (!closed) {
                    LOG.warn("netdev {}: receive failed: {}", id, x.toString());
                }
                return;
            }
        }
    }

    private void writeLoop() {
        while (!closed) {
            byte[] f;
            try {
                f = nextForPeer();
            } catch (InterruptedException x) {
                return;
            }
            try {
                channel.write(ByteBuffer.wrap(f));
            } catch (ClosedChannelException x) {
                return;
            } catch (IOException x) {
                // nobody at the remote yet (port unreachable), or a frame too big for one datagram
                stats.droppedNoPeer.increment();
                if (sendErrorsLogged++ < 5) {
                    LOG.info("netdev {}: a {}-byte frame was not sent: {}", id, f.length, x.toString());
                }
            }
        }
    }

    @Override
    void shutdown() {
        try {
            channel.close();
        } catch (IOException x) {
            // closing anyway
        }
        reader.interrupt();
        writer.interrupt();
        LOG.info("netdev {} closed: {}", id, stats);
    }
}
