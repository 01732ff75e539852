package org.machina.net.user;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import org.machina.api.net.Netdev;

/**
 * {@code -netdev user}: a {@link Netdev} whose frames are handled by a {@link Stack} on its own
 * {@link EventLoop} thread.
 *
 * <p>The two frame queues between the NIC's thread (the executor) and the loop:
 * <ul>
 * <li>{@link #fromGuest}: frames the NIC sent, bound {@link #QUEUE_FRAMES}; filled by
 * {@link #send} (which says "full" by returning false: the NIC keeps the frame), drained by the
 * loop. After a refusal, the loop calls the port's {@code sendReady} once it has drained.</li>
 * <li>{@link #toGuest}: frames for the NIC, bound {@link #QUEUE_FRAMES}; filled by the loop
 * (TCP waits for room; ARP, ICMP, UDP, DHCP and DNS frames are dropped and counted when full),
 * drained on the executor while the port can receive. When the port cannot, draining waits for
 * {@link #receiveReady}.</li>
 * </ul>
 */
public final class UserNetdev implements Netdev {
    static final int QUEUE_FRAMES = 512;

    private final String id;
    private final Executor executor;
    private final EventLoop loop;
    private final Stack stack;
    private final ArrayBlockingQueue<byte[]> fromGuest = new ArrayBlockingQueue<>(QUEUE_FRAMES);
    private final ArrayBlockingQueue<byte[]> toGuest = new ArrayBlockingQueue<>(QUEUE_FRAMES);
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private final AtomicBoolean inputScheduled = new AtomicBoolean();
    private volatile boolean sendRefused;
    private volatile Port port;
    private volatile boolean closed;

    /**
     * Opens the stack.
     *
     * @param executor where port callbacks run (the machine thread; any serial executor for the standalone server)
     */
    public UserNetdev(String id, NetConfig cfg, Executor executor) throws IOException {
        this(id, cfg, executor, Stack.Host.REAL);
    }

    /** Tests: a simulated C library or a chosen echo route ({@link Stack.Host}). */
    UserNetdev(String id, NetConfig cfg, Executor executor, Stack.Host host) throws IOException {
        this.id = id;
        this.executor = executor;
        this.loop = new EventLoop("net-user-" + id);
        Stack.Link link = new Stack.Link() {
            @Override
            public boolean hasRoom(int frames) {
                return toGuest.remainingCapacity() >= frames;
            }

            @Override
            public boolean offer(byte[] frame) {
                if (!toGuest.offer(frame)) {
                    return false;
                }
                scheduleDrain();
                return true;
            }
        };
        try {
            this.stack = new Stack(id, cfg, loop, link, host);
        } catch (IOException | RuntimeException e) {
            loop.close();
            throw e;
        }
        loop.start();
    }

    @Override
    public String id() {
        return id;
    }

    /** The stack's counters. */
    public Stats stats() {
        return stack.stats;
    }

    /** Runs {@code query} on the loop thread and returns its result (tests, statistics). */
    <T> T onLoop(java.util.function.Supplier<T> query) {
        return loop.call(query);
    }

    Stack stack() {
        return stack;
    }

    @Override
    public boolean send(ByteBuffer frame) {
        if (closed) {
            return true;
        }
        int n = frame.remaining();
        if (n > MAX_FRAME) {
            stack.stats.malformed++;
            return true;
        }
        byte[] f = new byte[n];
        frame.get(f);
        if (!fromGuest.offer(f)) {
            // flag first, then look again: a drain that emptied the queue before it saw the flag
            // left room for this frame, and one that sees the flag calls sendReady
            sendRefused = true;
            if (!fromGuest.offer(f)) {
                frame.position(frame.position() - n);
                stack.stats.fromGuestRefused++;
                return false;
            }
        }
        if (inputScheduled.compareAndSet(false, true)) {
            loop.post(this::drainInput);
        }
        return true;
    }

    /** Loop thread: runs every queued guest frame through the stack. */
    private void drainInput() {
        inputScheduled.set(false);
        byte[] f;
        while ((f = fromGuest.poll()) != null) {
            stack.input(f);
        }
        stack.endOfInput();
        if (sendRefused) {
            sendRefused = false;
            executor.execute(() -> {
                Port p = port;
                if (p != null) {
                    p.sendReady();
                }
            });
        }
    }

    @Override
    public void attach(Port port) {
        this.port = port;
        if (port != null) {
            scheduleDrain();
        }
    }

    @Override
    public void receiveReady() {
        scheduleDrain();
    }

    private void scheduleDrain() {
        if (drainScheduled.compareAndSet(false, true)) {
            executor.execute(this::drainOutput);
        }
    }

    /** Executor thread: hands queued frames to the port while it can take them. */
    private void drainOutput() {
        drainScheduled.set(false);
        Port p = port;
        if (p == null || closed) {
            return;
        }
        int delivered = 0;
        byte[] f;
        while (p.canReceive() && (f = toGuest.peek()) != null) {
            if (!p.receive(ByteBuffer.wrap(f))) {
                break;
            }
            toGuest.poll();
            delivered++;
        }
        if (delivered > 0 && stack.roomWanted) {
            // connections that found the queue full wait for this
            stack.roomWanted = false;
            loop.post(stack::guestQueueDrained);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        loop.close(stack::close);
        fromGuest.clear();
        toGuest.clear();
    }
}
