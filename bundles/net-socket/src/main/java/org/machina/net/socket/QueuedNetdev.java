package org.machina.net.socket;

import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.machina.api.net.Netdev;

/**
 * What the socket backends share: the two bounded frame queues between the NIC's thread and the
 * backend's I/O threads, and the {@link Netdev} back-pressure contract.
 *
 * <ul>
 * <li>{@link #toPeer}: frames the NIC sent, bound {@link #QUEUE_FRAMES}. {@link #send} copies a
 * frame in, or returns {@code false} when the queue is full (the NIC keeps it); the backend's writer
 * thread takes frames ({@link #nextForPeer}) and calls the port's {@code sendReady} once the queue
 * is half empty again. With no peer ({@link #linkUp()} false) frames are dropped and counted, as
 * on a cable that is out.</li>
 * <li>{@link #toGuest}: frames from the peer, bound {@link #QUEUE_FRAMES}. The reader thread
 * {@link #deliver}s each frame and blocks while the queue is full, so it stops reading the socket
 * (a stream peer is then held by TCP's window; datagrams wait in, and past that are dropped by, the
 * host's socket buffer). The NIC's thread drains it while {@code canReceive()}; when the NIC is
 * full, draining waits for {@link #receiveReady()}.</li>
 * </ul>
 */
abstract class QueuedNetdev implements Netdev {
    static final int QUEUE_FRAMES = 256;

    /** Counters, readable from any thread. */
    static final class Counters {
        final LongAdder toPeer = new LongAdder();
        final LongAdder toGuest = new LongAdder();
        final LongAdder droppedNoPeer = new LongAdder();
        final LongAdder droppedMalformed = new LongAdder();
        final LongAdder sendRefused = new LongAdder();
        final LongAdder runts = new LongAdder();
        final LongAdder disconnects = new LongAdder();

        @Override
        public String toString() {
            return "frames to peer " + toPeer + ", to guest " + toGuest + ", dropped without a peer " + droppedNoPeer
                    + ", malformed " + droppedMalformed + ", send refused (queue full) " + sendRefused + ", runts from peer "
                    + runts + ", disconnects " + disconnects;
        }
    }

    final String id;
    final Executor executor;
    final Counters stats = new Counters();
    final ArrayBlockingQueue<byte[]> toPeer = new ArrayBlockingQueue<>(QUEUE_FRAMES);
    final ArrayBlockingQueue<byte[]> toGuest = new ArrayBlockingQueue<>(QUEUE_FRAMES);
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private volatile boolean sendRefused;
    private volatile Port port;
    volatile boolean closed;

    QueuedNetdev(String id, Executor executor) {
        this.id = id;
        this.executor = executor;
    }

    @Override
    public final String id() {
        return id;
    }

    /** Whether frames from the NIC can go anywhere now (a stream peer is connected). */
    abstract boolean linkUp();

    @Override
    public final boolean send(ByteBuffer frame) {
        int n = frame.remaining();
        if (closed) {
            return true;
        }
        if (n > MAX_FRAME || n < Framing.MIN_FRAME) {
            stats.droppedMalformed.increment();
            return true;
        }
        if (!linkUp()) {
            stats.droppedNoPeer.increment();
            return true;
        }
        byte[] f = new byte[n];
        frame.get(f);
        if (!toPeer.offer(f)) {
            // set the flag first: a writer that takes a frame after this sees it and calls sendReady
            sendRefused = true;
            if (!toPeer.offer(f)) {
                frame.position(frame.position() - n);
                stats.sendRefused.increment();
                return false;
            }
        }
        return true;
    }

    /** Writer thread: the next frame for the peer (blocks until there is one). */
    final byte[] nextForPeer() throws InterruptedException {
        byte[] f = toPeer.take();
        stats.toPeer.increment();
        if (sendRefused && toPeer.remainingCapacity() >= QUEUE_FRAMES / 2) {
            signalSendReady();
        }
        return f;
    }

    /** The peer went away: frames queued for it are dropped, and a waiting NIC may send again (to nowhere). */
    final void peerGone() {
        int dropped = toPeer.size();
        toPeer.clear();
        if (dropped > 0) {
            stats.droppedNoPeer.add(dropped);
        }
        if (sendRefused) {
            signalSendReady();
        }
    }

    private void signalSendReady() {
        sendRefused = false;
        executor.execute(() -> {
            Port p = port;
            if (p != null && !closed) {
                p.sendReady();
            }
        });
    }

    /** Reader thread: a frame from the peer for the guest; blocks while {@link #toGuest} is full. */
    final void deliver(byte[] frame) throws InterruptedException {
        toGuest.put(frame);
        scheduleDrain();
    }

    @Override
    public final void attach(Port port) {
        this.port = port;
        if (port != null) {
            scheduleDrain();
        }
    }

    @Override
    public final void receiveReady() {
        scheduleDrain();
    }

    private void scheduleDrain() {
        if (drainScheduled.compareAndSet(false, true)) {
            executor.execute(this::drainToGuest);
        }
    }

    /** NIC thread: hands queued frames to the port while it takes them. */
    private void drainToGuest() {
        drainScheduled.set(false);
        Port p = port;
        if (p == null || closed) {
            return;
        }
        byte[] f;
        while (p.canReceive() && (f = toGuest.peek()) != null) {
            if (!p.receive(ByteBuffer.wrap(f))) {
                break;
            }
            toGuest.poll();
            stats.toGuest.increment();
        }
    }

    /** Stops the I/O threads and closes the sockets (called once, by {@link #close()}). */
    abstract void shutdown();

    @Override
    public final void close() {
        if (closed) {
            return;
        }
        closed = true;
        shutdown();
        toPeer.clear();
        toGuest.clear();
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + " " + id + ": " + stats;
    }
}
