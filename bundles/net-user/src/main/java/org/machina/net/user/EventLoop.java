package org.machina.net.user;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stack's one thread: a {@link Selector} for host sockets and a deadline queue for timers.
 * It sleeps in {@code select} until a socket is ready, the earliest deadline is due or another
 * thread {@link #post}s a task; there is no polling interval. All stack state is touched only on
 * this thread.
 *
 * <p>Queues: {@link #tasks} (tasks from other threads, unbounded but fed only by bounded sources:
 * one drain task per frame-queue transition) and {@link #deadlines} (one entry per armed timer;
 * every timer belongs to a bounded table: TCP connections, UDP flows, DNS queries, fragment
 * reassemblies, outstanding ICMP echo requests). A host ICMP socket or UDP flow socket of the C
 * library's, which is no Java channel, cannot be registered here: the stack's poll thread posts a
 * drain task instead ({@link FdWatcher}, {@link Stack#watcher}).
 */
final class EventLoop implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EventLoop.class);

    /** Called on the loop thread when a registered channel is ready. */
    interface Handler {
        void ready(SelectionKey key) throws IOException;

        /** The handler failed (an exception from {@link #ready}); it should release its channel. */
        default void failed(Exception e) {
            LOG.warn("net: socket handler failed: {}", e.toString());
        }
    }

    /** An armed timer; {@link #cancel} is cheap (the entry is skipped when it comes up). */
    static final class Deadline implements Comparable<Deadline> {
        final long at;
        final Runnable action;
        private final long seq;
        boolean cancelled;

        Deadline(long at, long seq, Runnable action) {
            this.at = at;
            this.seq = seq;
            this.action = action;
        }

        void cancel() {
            cancelled = true;
        }

        @Override
        public int compareTo(Deadline o) {
            int c = Long.compare(at - o.at, 0);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }

    /** How long {@link #call} waits for the loop's answer. */
    static final long CALL_WAIT_S = 10;

    private final Selector selector;
    private final PriorityQueue<Deadline> deadlines = new PriorityQueue<>();
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final Thread thread;
    private volatile boolean running = true;
    private long seq;

    EventLoop(String name) throws IOException {
        selector = Selector.open();
        thread = Thread.ofPlatform().daemon().name(name).unstarted(this::run);
    }

    void start() {
        thread.start();
    }

    boolean inLoop() {
        return Thread.currentThread() == thread;
    }

    /**
     * Runs {@code task} on the loop thread (from any thread). Posted from the loop itself, it runs
     * later in the same pass (after the ready sockets and due timers), without a wake-up.
     */
    void post(Runnable task) {
        tasks.add(task);
        if (!inLoop()) {
            selector.wakeup();
        }
    }

    /** Runs {@code query} on the loop thread and returns its result (other threads: tests, statistics, closing). */
    <T> T call(java.util.function.Supplier<T> query) {
        if (inLoop()) {
            return query.get();
        }
        java.util.concurrent.CompletableFuture<T> f = new java.util.concurrent.CompletableFuture<>();
        post(() -> {
            try {
                f.complete(query.get());
            } catch (RuntimeException e) {
                f.completeExceptionally(e);
            }
        });
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(CALL_WAIT_S);
        try {
            // in slices, so that a loop whose thread has ended is told at once, not after the whole wait
            while (true) {
                try {
                    return f.get(100, TimeUnit.MILLISECONDS);
                } catch (java.util.concurrent.TimeoutException e) {
                    if (!thread.isAlive() && !f.isDone()) {
                        throw new IllegalStateException("net loop " + thread.getName() + " has ended");
                    }
                    if (System.nanoTime() - end > 0) {
                        throw new IllegalStateException("net loop " + thread.getName() + " did not answer in " + CALL_WAIT_S + " s");
                    }
                }
            }
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("net loop: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for net loop " + thread.getName(), e);
        }
    }

    /** Arms a timer {@code delayNanos} from now (loop thread only). */
    Deadline at(long delayNanos, Runnable action) {
        Deadline d = new Deadline(System.nanoTime() + delayNanos, seq++, action);
        deadlines.add(d);
        return d;
    }

    Deadline afterMillis(long ms, Runnable action) {
        return at(TimeUnit.MILLISECONDS.toNanos(ms), action);
    }

    /** Number of armed, not cancelled timers (for tests and statistics). */
    int armedTimers() {
        int n = 0;
        for (Deadline d : deadlines) {
            n += d.cancelled ? 0 : 1;
        }
        return n;
    }

    SelectionKey register(SelectableChannel ch, int ops, Handler h) throws ClosedChannelException {
        return ch.register(selector, ops, h);
    }

    private void run() {
        while (running) {
            try {
                long timeoutMs = 0;
                Deadline next;
                while ((next = deadlines.peek()) != null && next.cancelled) {
                    deadlines.poll();
                }
                if (next != null) {
                    long wait = next.at - System.nanoTime();
                    timeoutMs = wait <= 0 ? -1 : Math.max(1, TimeUnit.NANOSECONDS.toMillis(wait + 999_999));
                }
                if (!tasks.isEmpty() || timeoutMs < 0) {
                    selector.selectNow();
                } else {
                    selector.select(timeoutMs);
                }
                if (!running) {
                    break;
                }
                for (SelectionKey k : selector.selectedKeys()) {
                    Handler h = (Handler) k.attachment();
                    try {
                        if (k.isValid()) {
                            h.ready(k);
                        }
                    } catch (Exception e) {
                        h.failed(e);
                    }
                }
                selector.selectedKeys().clear();
                long now = System.nanoTime();
                while ((next = deadlines.peek()) != null && (next.cancelled || next.at - now <= 0)) {
                    deadlines.poll();
                    if (!next.cancelled) {
                        next.cancelled = true;
                        safely(next.action);
                    }
                }
                Runnable t;
                while ((t = tasks.poll()) != null) {
                    safely(t);
                }
            } catch (IOException e) {
                LOG.error("net: selector failed, stack stops: {}", e.toString());
                return;
            }
        }
    }

    private static void safely(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.error("net: internal error (the stack goes on): ", e);
        }
    }

    /**
     * Runs {@code last} on the loop (waiting for it), then stops the loop ({@link #close()}). When the
     * loop cannot run it (its thread has ended, or it did not answer), {@code last} runs on this
     * thread once the loop's has ended, so what the selector does not hold (the C library's
     * descriptors and the watcher thread: {@link Stack#close}) is closed all the same; if the loop's
     * thread does not end, that is logged and left.
     */
    void close(Runnable last) {
        java.util.concurrent.atomic.AtomicBoolean ran = new java.util.concurrent.atomic.AtomicBoolean();
        Runnable once = () -> {
            if (ran.compareAndSet(false, true)) {
                safely(last);
            }
        };
        try {
            call(() -> {
                once.run();
                return null;
            });
        } catch (IllegalStateException e) {
            LOG.warn("net: {}: the stack is closed after its loop: {}", thread.getName(), e.getMessage());
        }
        close();
        if (ran.get()) {
            return;
        }
        if (thread.isAlive()) {
            LOG.warn("net: {} did not end: its host descriptors outside the selector are left open", thread.getName());
            return;
        }
        once.run();
    }

    /** Stops the thread and closes every registered channel. */
    @Override
    public void close() {
        running = false;
        selector.wakeup();
        if (!inLoop()) {
            try {
                thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (SelectionKey k : selector.keys()) {
            try {
                k.channel().close();
            } catch (IOException e) {
                // closing anyway
            }
        }
        try {
            selector.close();
        } catch (IOException e) {
            // closing anyway
        }
    }
}
