package org.machina.net.user;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import org.machina.api.net.Netdev;

/**
 * One client of {@code machina net serve}, on the stack's loop thread: frames in QEMU's
 * {@code -netdev stream} framing (a 4-byte big-endian length, then the frame) both ways over a
 * non-blocking socket. There is no thread and no queue between the socket and the stack: a
 * readable socket is read into {@link #in} and every whole frame in it goes through
 * {@link Stack#input} at once; frames for the client are queued in {@link #out} and written
 * together at the end of the loop's pass.
 *
 * <p>Bounds and back-pressure:
 * <ul>
 * <li>{@link #in}: {@link #IN_BUFFER} bytes (more than the largest frame with its length). One
 * read per readiness event, so a client that sends without pause shares the loop with the host
 * sockets; what it sends beyond that waits in the socket, and the client is held by TCP's window.</li>
 * <li>{@link #out}: at most {@link #OUT_FRAMES} frames for the client. While it is full the
 * stack's link says "no room": TCP stops sending (and resumes on {@link Stack#guestQueueDrained}),
 * other frames are dropped and counted, as with a NIC's full queue. {@link #staged} (bytes being
 * written, {@link #OUT_BUFFER}) takes whole frames from {@link #out} as the socket takes them; a
 * client that does not read gets {@code OP_WRITE} interest and nothing more.</li>
 * </ul>
 */
final class StreamClient implements EventLoop.Handler {
    static final int IN_BUFFER = 256 * 1024;
    static final int OUT_FRAMES = 512;
    static final int OUT_BUFFER = 256 * 1024;

    private final SocketChannel channel;
    private final Stack stack;
    private final java.util.function.Consumer<StreamClient> onEnd;
    private SelectionKey key;
    private final ByteBuffer in = ByteBuffer.allocateDirect(IN_BUFFER);
    private final ArrayDeque<byte[]> out = new ArrayDeque<>();
    /** Length-prefixed frames taken from {@link #out}, not yet written (write mode: position = bytes staged). */
    private final ByteBuffer staged = ByteBuffer.allocateDirect(OUT_BUFFER);
    private boolean flushPosted;
    private boolean closed;

    /**
     * @param onEnd called (on the loop) once when the client goes or is found misbehaving
     */
    StreamClient(SocketChannel channel, Stack stack, java.util.function.Consumer<StreamClient> onEnd) {
        this.channel = channel;
        this.stack = stack;
        this.onEnd = onEnd;
    }

    /** Registers with the loop (loop thread). */
    void start() throws IOException {
        channel.configureBlocking(false);
        try {
            // frames are written in batches, each as soon as the loop's pass ends: Nagle would only delay them
            channel.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
        } catch (UnsupportedOperationException | IOException e) {
            // a Unix socket
        }
        key = stack.loop.register(channel, SelectionKey.OP_READ, this);
    }

    // ---- the link: frames for the client (loop thread)

    boolean hasRoom(int frames) {
        return OUT_FRAMES - out.size() >= frames;
    }

    boolean offer(byte[] frame) {
        if (closed) {
            return true; // gone: dropped like a frame on a cable that is out
        }
        if (out.size() >= OUT_FRAMES) {
            return false;
        }
        out.add(frame);
        if (!flushPosted) {
            flushPosted = true;
            stack.loop.post(this::flush); // after everything else of this pass: one write for the lot
        }
        return true;
    }

    /** Stages whole frames and writes them until the socket takes no more; then lets waiting senders go on. */
    private void flush() {
        flushPosted = false;
        if (closed) {
            return;
        }
        int queued = out.size();
        try {
            while (true) {
                byte[] f;
                while ((f = out.peek()) != null && staged.remaining() >= 4 + f.length) {
                    staged.putInt(f.length).put(f);
                    out.poll();
                }
                if (staged.position() == 0) {
                    break;
                }
                staged.flip();
                channel.write(staged);
                boolean all = !staged.hasRemaining();
                staged.compact();
                if (!all) {
                    break; // the socket is full: OP_WRITE
                }
            }
        } catch (IOException e) {
            Stack.LOG.info("net serve: writing to the client failed: {}", e.toString());
            end();
            return;
        }
        updateInterest();
        if (out.size() < queued) {
            stack.guestQueueDrained();
        }
    }

    private void updateInterest() {
        if (key.isValid()) {
            key.interestOps(SelectionKey.OP_READ | (staged.position() > 0 || !out.isEmpty() ? SelectionKey.OP_WRITE : 0));
        }
    }

    // ---- from the client

    @Override
    public void ready(SelectionKey k) throws IOException {
        if (k.isReadable()) {
            read();
        }
        if (!closed && k.isValid() && k.isWritable()) {
            flush();
        }
    }

    @Override
    public void failed(Exception e) {
        Stack.LOG.info("net serve: client connection ended: {}", e.toString());
        end();
    }

    private void read() throws IOException {
        int n = channel.read(in);
        if (n < 0) {
            Stack.LOG.info("net serve: client disconnected");
            end();
            return;
        }
        in.flip();
        try {
            while (in.remaining() >= 4) {
                int at = in.position();
                int len = in.getInt(at);
                if (len <= 0 || len > Netdev.MAX_FRAME) {
                    Stack.LOG.warn("net serve: frame length {} from the client is out of range; disconnecting", len);
                    end();
                    return;
                }
                if (in.remaining() < 4 + len) {
                    break;
                }
                byte[] f = new byte[len];
                in.get(at + 4, f);
                in.position(at + 4 + len);
                stack.input(f);
                if (closed) {
                    return;
                }
            }
        } finally {
            in.compact();
            stack.endOfInput();
        }
    }

    /** Closes the socket (loop thread); idempotent. */
    void end() {
        if (closed) {
            return;
        }
        closed = true;
        if (key != null) {
            key.cancel();
        }
        try {
            channel.close();
        } catch (IOException e) {
            // closing anyway
        }
        out.clear();
        onEnd.accept(this);
    }

    boolean closed() {
        return closed;
    }

    int queued() {
        return out.size();
    }
}
