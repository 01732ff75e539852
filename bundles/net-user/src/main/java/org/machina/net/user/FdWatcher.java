package org.machina.net.user;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;
import org.machina.host.posix.ErrnoException;
import org.machina.host.posix.Libc;

/**
 * Readiness of host descriptors that are no Java channels ({@link Libc} sockets), for the stack's
 * loop, whose {@code Selector} cannot watch them: one per stack ({@link Stack#watcher}), for its
 * ICMP and ICMPv6 sockets and every UDP flow's socket. One thread ({@code name}) sleeps in poll(2)
 * on every watched descriptor and a wake-up pipe; when some are ready (readable, or an error queued:
 * POLLERR) it posts one task to the loop that runs their handlers, and waits until the loop ran it
 * before it polls again (poll is level-triggered: a handler reads what waits, or is posted again).
 * The set is the loop's ({@link #watch}, {@link #unwatch}, {@link #release}); each change is
 * published to the thread as a new array and the pipe wakes it. A handler runs only while its
 * descriptor is still watched with it, so a descriptor closed (and its number reused) between a
 * poll and the loop's task is never read for the old owner. No stack state on the thread.
 *
 * <p>Closing: an owner {@link #release}s its descriptor, and the watcher closes it once no poll of
 * its thread can hold the number: at once when the thread is not in a poll(2) of a set with it (it
 * waits for the loop, polls the set without it, or has ended), else as soon as that poll returns,
 * which the pipe makes it do; the next poll is of the set without it. So no poll is ever made on a
 * closed or reused number for a descriptor released here.
 *
 * <p>Failures: a descriptor closed underneath its owner (poll's POLLNVAL) is logged, no longer
 * watched, and its handler is told (POLLNVAL in its revents: the number is not its own any more,
 * it must neither read nor close it); a failed poll(2) is logged and tried again every
 * {@link #RETRY_MS} ms until it works. A handler's exception is logged; the others still run. A
 * number closed underneath and reused before the next poll cannot be told from its new owner's;
 * watching it for a new owner while the old one's is still watched is logged.
 */
final class FdWatcher implements AutoCloseable {
    /** The pause before poll(2) is tried again after it failed (ENOMEM: the host is short of memory). */
    static final long RETRY_MS = 100;

    /** The stack's watcher, for the owners of descriptors: started at the first {@link #get}. */
    @FunctionalInterface
    interface Shared {
        FdWatcher get() throws ErrnoException;
    }

    /** The descriptors polled and their handlers, as the thread sees them (replaced whole on a change). */
    private record Watched(int[] fds, IntConsumer[] handlers) {
        boolean has(int fd) {
            for (int f : fds) {
                if (f == fd) {
                    return true;
                }
            }
            return false;
        }
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
    /** The set the thread is polling, or is about to, null when it is not in poll(2) (guarded by this). */
    private Watched polling;
    /** Descriptors released while the thread was in poll(2): it closes them when the poll returns (guarded by this). */
    private final List<Integer> toClose = new ArrayList<>();
    /** Tasks posted to the loop (tests: a watcher that spins shows here). */
    private volatile long posts;

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
        IntConsumer old = handlers.put(fd, onReady);
        if (old != null && old != onReady) {
            // its old owner's was closed underneath and the number reused before a poll could tell
            Stack.LOG.warn("net: {}: descriptor {} watched for a new owner while its old owner's still was", name(), fd);
        }
        publish();
    }

    /**
     * Stops watching {@code fd} and leaves it open (loop thread): for a descriptor that is not the
     * owner's to close any more (it was found closed underneath). An owner closing its own
     * descriptor {@link #release}s it instead.
     */
    void unwatch(int fd) {
        if (handlers.remove(fd) != null) {
            publish();
        }
    }

    /**
     * Stops watching {@code fd} and closes it (loop thread, or another once the loop has ended): at
     * once unless the thread is in a poll(2) of a set with it, else when that poll returns (the pipe
     * wakes it).
     */
    void release(int fd) {
        unwatch(fd);
        synchronized (this) {
            if (polling != null && polling.has(fd)) {
                toClose.add(fd);
                wakeThread();                    // even if the thread took the byte unwatch wrote before it polled
                return;
            }
        }
        libc.close(fd);
    }

    /** How many descriptors are watched (tests). */
    int size() {
        return handlers.size();
    }

    /** Whether {@code fd} is watched (tests). */
    boolean watches(int fd) {
        return handlers.containsKey(fd);
    }

    /** Tasks posted to the loop so far (tests). */
    long posts() {
        return posts;
    }

    /** The thread's name ({@code net-user-ID-poll}). */
    String name() {
        return thread.getName();
    }

    /** Whether the thread is still running (tests). */
    boolean running() {
        return thread.isAlive();
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
        if (!closed) {                               // the pipe is closed (its numbers maybe another's)
            wakeThread();
        }
    }

    private void run() {
        boolean failing = false;
        try {
            while (!closed) {
                Watched w;
                synchronized (this) {
                    w = watched;
                    polling = w;
                }
                int n = w.fds().length;
                int[] fds = Arrays.copyOf(w.fds(), n + 1);
                fds[n] = wake[0];
                short[] revents = new short[n + 1];
                try {
                    libc.poll(fds, Libc.POLLIN, revents, -1);
                    failing = false;
                } catch (ErrnoException e) {
                    if (!failing) {
                        Stack.LOG.warn("net: {}: poll(2) of {} descriptors failed ({}): trying again every {} ms", name(), n + 1,
                                e.getMessage(), RETRY_MS);
                    }
                    failing = true;
                } finally {
                    closeReleased();
                }
                if (failing) {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(RETRY_MS));
                    continue;
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
                    posts++;
                    loop.post(() -> runHandlers(w, revents));
                    drained.acquireUninterruptibly();
                }
            }
        } finally {
            closeReleased();
        }
    }

    /** Thread: out of poll(2); closes what was released meanwhile. */
    private void closeReleased() {
        List<Integer> fds;
        synchronized (this) {
            polling = null;
            if (toClose.isEmpty()) {
                return;
            }
            fds = List.copyOf(toClose);
            toClose.clear();
        }
        for (int fd : fds) {
            libc.close(fd);
        }
    }

    /**
     * Loop thread: the handlers of the ready descriptors (revents not 0) that are still watched with
     * them; one that poll found closed (POLLNVAL) leaves the set first.
     */
    private void runHandlers(Watched w, short[] revents) {
        try {
            for (int i = 0; i < w.fds().length; i++) {
                int fd = w.fds()[i];
                IntConsumer h = w.handlers()[i];
                if (revents[i] == 0 || closed || handlers.get(fd) != h) {
                    continue;
                }
                if ((revents[i] & Libc.POLLNVAL) != 0) {
                    Stack.LOG.warn("net: {}: descriptor {} was closed while watched (a bug of its owner's): no longer watched",
                            name(), fd);
                    unwatch(fd);
                }
                try {
                    h.accept(revents[i] & 0xffff);
                } catch (RuntimeException e) {
                    Stack.LOG.warn("net: {}: handler of descriptor {} failed: {}", name(), fd, e.toString());
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
                Stack.LOG.debug("net: {}'s wake-up pipe: {}", name(), e.getMessage());
            }
        }
    }

    /** A byte into the pipe (a full pipe already wakes it). */
    private void wakeThread() {
        try {
            libc.write(wake[1], wakeOut);
        } catch (ErrnoException e) {
            if (e.errno() != ErrnoException.EAGAIN) {
                Stack.LOG.debug("net: {}'s wake-up pipe: {}", name(), e.getMessage());
            }
        }
    }

    /**
     * Ends the thread and closes the pipe (loop thread, or another once the loop has ended), and what
     * was released; descriptors still watched are their owners' to release (the stack's close
     * releases its sockets before).
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        wakeThread();                                    // after: the thread looks at closed once woken
        drained.release();
        LockSupport.unpark(thread);
        try {
            thread.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            Stack.LOG.warn("net: {} did not end: its wake-up pipe and {} descriptors it may poll are left open", name(),
                    toCloseCount());
            return;
        }
        closeReleased();
        if (!handlers.isEmpty()) {
            Stack.LOG.debug("net: {} ends with descriptors {} still watched (their owners close them)", name(), handlers.keySet());
        }
        libc.close(wake[0]);
        libc.close(wake[1]);
        arena.close();
    }

    private synchronized int toCloseCount() {
        return toClose.size();
    }
}
