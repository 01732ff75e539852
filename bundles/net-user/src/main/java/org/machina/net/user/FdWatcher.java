package org.machina.net.user;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.function.IntConsumer;
import org.machina.host.posix.ErrnoException;
import org.machina.host.posix.Libc;

/**
 * Readiness of host descriptors that are no Java channels ({@link Libc} sockets), for the stack's
 * loop, whose {@code Selector} cannot watch them. One thread ({@code name}) sleeps in poll(2) on
 * every watched descriptor and a wake-up pipe; when some are ready (readable, or an error queued:
 * POLLERR) it posts one task to the loop that runs their handlers, and waits until the loop ran it
 * before it polls again (poll is level-triggered: a handler reads what waits, or is posted again).
 * The set is the loop's ({@link #watch}, {@link #unwatch}); each change is published to the thread
 * as a new array and the pipe wakes it. A handler runs only while its descriptor is still watched
 * with it, so a descriptor closed (and its number reused) between a poll and the loop's task is
 * never read for the old owner. No stack state on the thread.
 */
final class FdWatcher implements AutoCloseable {
    /** The descriptors polled and their handlers, as the thread sees them (replaced whole on a change). */
    private record Watched(int[] fds, IntConsumer[] handlers) {
    }

    private final Libc libc;
    private final EventLoop loop;
    private final int[] wake;
    /** The loop's set. */
    private final Map<Integer, IntConsumer> handlers = new HashMap<>();
    private volatile Watched watched = new Watched(new int[0], new IntConsumer[0]);
    private final Semaphore drained = new Semaphore(0);
    private final Arena arena = Arena.ofShared();
    private final MemorySegment wakeIn = arena.allocate(64);
    private final MemorySegment wakeOut = arena.allocate(1);
    private final Thread thread;
    private volatile boolean closed;

    private FdWatcher(Libc libc, EventLoop loop, int[] wake, String name) {
        this.libc = libc;
        this.loop = loop;
        this.wake = wake;
        thread = Thread.ofPlatform().daemon().name(name).unstarted(this::run);
    }

    /** A watcher with its thread started (its pipe from {@code libc}). */
    static FdWatcher start(Libc libc, EventLoop loop, String name) throws ErrnoException {
        FdWatcher w = new FdWatcher(libc, loop, libc.pipe(Libc.O_CLOEXEC | Libc.O_NONBLOCK), name);
        w.thread.start();
        return w;
    }

    /** Runs {@code onReady} on the loop, with poll(2)'s revents, whenever {@code fd} is readable or has an error (loop thread). */
    void watch(int fd, IntConsumer onReady) {
        handlers.put(fd, onReady);
        publish();
    }

    /** Stops watching {@code fd} (loop thread; before it is closed). */
    void unwatch(int fd) {
        if (handlers.remove(fd) != null) {
            publish();
        }
    }

    /** How many descriptors are watched (tests). */
    int size() {
        return handlers.size();
    }

    private void publish() {
        int[] fds = new int[handlers.size()];
        IntConsumer[] hs = new IntConsumer[fds.length];
        int i = 0;
        for (Map.Entry<Integer, IntConsumer> e : handlers.entrySet()) {
            fds[i] = e.getKey();
            hs[i++] = e.getValue();
        }
        watched = new Watched(fds, hs);
        wakeThread();
    }

    private void run() {
        while (!closed) {
            Watched w = watched;
            int n = w.fds().length;
            int[] fds = Arrays.copyOf(w.fds(), n + 1);
            fds[n] = wake[0];
            short[] revents = new short[n + 1];
            try {
                libc.poll(fds, Libc.POLLIN, revents, -1);
            } catch (ErrnoException e) {
                Stack.LOG.warn("net: {} stops: {}", thread.getName(), e.getMessage());
                return;
            }
            if (closed) {
                return;
            }
            if (revents[n] != 0) {
                emptyPipe();
            }
            boolean any = false;
            for (int i = 0; i < n; i++) {
                any |= revents[i] != 0;
            }
            if (any) {
                loop.post(() -> runHandlers(w, revents));
                drained.acquireUninterruptibly();
            }
        }
    }

    /** Loop thread: the handlers of the ready descriptors (revents not 0) that are still watched with them. */
    private void runHandlers(Watched w, short[] revents) {
        try {
            for (int i = 0; i < w.fds().length; i++) {
                IntConsumer h = w.handlers()[i];
                if (revents[i] != 0 && !closed && handlers.get(w.fds()[i]) == h) {
                    try {
                        h.accept(revents[i] & 0xffff);
                    } catch (RuntimeException e) {
                        Stack.LOG.warn("net: handler of descriptor {} failed: {}", w.fds()[i], e.toString());
                    }
                }
            }
        } finally {
            drained.release();
        }
    }

    private void emptyPipe() {
        try {
            while (libc.read(wake[0], wakeIn) > 0) {
                // the bytes only woke the poll
            }
        } catch (ErrnoException e) {
            if (e.errno() != ErrnoException.EAGAIN) {
                Stack.LOG.debug("net: {}'s wake-up pipe: {}", thread.getName(), e.getMessage());
            }
        }
    }

    /** A byte into the pipe (a full pipe already wakes it). */
    private void wakeThread() {
        try {
            libc.write(wake[1], wakeOut);
        } catch (ErrnoException e) {
            if (e.errno() != ErrnoException.EAGAIN) {
                Stack.LOG.debug("net: {}'s wake-up pipe: {}", thread.getName(), e.getMessage());
            }
        }
    }

    /** Ends the thread (loop thread or after the loop): the descriptors watched are the owners' to close. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        wakeThread();
        drained.release();
        try {
            thread.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        libc.close(wake[0]);
        libc.close(wake[1]);
        if (!thread.isAlive()) {
            arena.close();
        }
    }
}
