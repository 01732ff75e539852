package org.machina.net.user;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.machina.host.posix.ErrnoException;
import org.machina.host.posix.FfmLibc;
import org.machina.host.posix.Libc;

/**
 * {@link FdWatcher} over the host's pipes (the real C library, no network): a released descriptor is
 * closed only out of the thread's poll(2), a descriptor closed underneath its owner is logged and let
 * go without the watcher spinning on it, and a failed poll(2) is logged and tried again.
 */
class FdWatcherTest {
    private final Libc real = FfmLibc.get();
    private final Arena arena = Arena.ofShared();
    private final List<Integer> open = new ArrayList<>();
    private EventLoop loop;
    private FdWatcher watcher;

    /** A handler that counts its calls, keeps the last revents and empties its pipe. */
    private final class Ready {
        final int fd;
        final AtomicInteger calls = new AtomicInteger();
        volatile int revents;
        private final MemorySegment buf = arena.allocate(64);

        Ready(int fd) {
            this.fd = fd;
        }

        void ready(int revents) {
            this.revents = revents;
            calls.incrementAndGet();
            try {
                while (real.read(fd, buf) > 0) {
                    // emptied: poll is level-triggered
                }
            } catch (ErrnoException e) {
                // EAGAIN (empty) or EBADF (closed underneath)
            }
        }
    }

    private void start(Libc libc) throws Exception {
        loop = new EventLoop("net-user-fdw");
        loop.start();
        watcher = FdWatcher.start(libc, loop, "net-user-fdw-poll");
    }

    @AfterEach
    void close() {
        if (loop != null) {
            loop.close(watcher::close);
        }
        for (int fd : open) {
            real.close(fd);
        }
        arena.close();
    }

    /** A non-blocking pipe; its write end is closed after the test. */
    private int[] pipe(Libc libc) throws ErrnoException {
        int[] p = libc.pipe(Libc.O_CLOEXEC | Libc.O_NONBLOCK);
        open.add(p[1]);
        return p;
    }

    private Ready watch(int fd) {
        Ready r = new Ready(fd);
        loop.call(() -> {
            watcher.watch(fd, r::ready);
            return null;
        });
        return r;
    }

    /** A byte into the pipe: its read end polls readable. */
    private void poke(int[] p) throws ErrnoException {
        real.write(p[1], arena.allocate(1));
    }

    @Test
    void aReleasedDescriptorIsClosedOnlyOutOfPollAndNeverPolledAgain() throws Exception {
        Recording libc = new Recording(real);
        start(libc);
        int[] q = pipe(libc);
        open.add(q[0]);
        Ready other = watch(q[0]);                // the thread polls more than the one released
        for (int i = 0; i < 20; i++) {
            int[] p = pipe(libc);
            watch(p[0]);
            IcmpEchoTest.waitFor("the thread polls descriptor " + p[0], () -> libc.polling(p[0]));
            loop.call(() -> {
                watcher.release(p[0]);
                return null;
            });
            assertFalse(loop.call(() -> watcher.watches(p[0])), "no longer watched");
            IcmpEchoTest.waitFor("descriptor " + p[0] + " closed", () -> libc.isClosed(p[0]));
        }
        assertEquals(List.of(), libc.violations());
        assertEquals(1, (int) loop.call(watcher::size), "the other one stays watched");
        assertEquals(0, other.calls.get());
    }

    @Test
    void aDescriptorClosedUnderneathIsLoggedAndLetGoAndTheOthersGoOn() throws Exception {
        start(real);
        int[] a = pipe(real);
        int[] b = pipe(real);
        open.add(b[0]);
        Ready ra = watch(a[0]);
        Ready rb = watch(b[0]);
        String log = capturingErr(() -> {
            real.close(a[0]);                    // not released: its owner's bug
            poke(b);                             // the thread wakes; its next poll finds a[0] closed (POLLNVAL)
            IcmpEchoTest.waitFor("a[0]'s handler told of POLLNVAL", () -> (ra.revents & Libc.POLLNVAL) != 0);
        });
        assertTrue(log.contains("descriptor " + a[0] + " was closed while watched"), log);
        assertFalse(loop.call(() -> watcher.watches(a[0])), "let go");
        long posts = watcher.posts();
        int seen = rb.calls.get();
        poke(b);
        IcmpEchoTest.waitFor("b[0] still served", () -> rb.calls.get() > seen);
        assertEquals(posts + 1, watcher.posts(), "one task for one readiness: no spinning on the closed descriptor");
        assertEquals(1, ra.calls.get(), "told once");
        assertEquals(42, (int) loop.call(() -> 42), "the loop answers");
    }

    @Test
    void aFailedPollIsLoggedOnceAndTriedAgain() throws Exception {
        FailingPoll libc = new FailingPoll(real, 3);
        int[][] p = new int[1][];
        Ready[] r = new Ready[1];
        String log = capturingErr(() -> {
            start(libc);
            p[0] = pipe(real);
            open.add(p[0][0]);
            r[0] = watch(p[0][0]);
            poke(p[0]);
            IcmpEchoTest.waitFor("the handler runs once poll(2) works again", () -> r[0].calls.get() > 0);
        });
        assertEquals(0, libc.failures.get(), "every failure was met");
        assertEquals(1, log.split("poll\\(2\\) of", -1).length - 1, "logged once for the run of failures: " + log);
        assertTrue(log.contains("ENOMEM") && log.contains("trying again"), log);
        int seen = r[0].calls.get();
        poke(p[0]);
        IcmpEchoTest.waitFor("and again", () -> r[0].calls.get() > seen);
    }

    @FunctionalInterface
    private interface Action {
        void run() throws Exception;
    }

    /** What {@code a} wrote to System.err (slf4j-simple's warnings) while it ran. */
    private static String capturingErr(Action a) throws Exception {
        PrintStream err = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setErr(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            a.run();
        } finally {
            System.setErr(err);
        }
        String s = out.toString(StandardCharsets.UTF_8);
        err.print(s);
        return s;
    }

    /** The C library, recording each poll(2) in progress and each close: a close of a descriptor being polled, or a poll of a closed one, is a violation. */
    private static final class Recording extends Delegating {
        private final List<int[]> inPoll = new ArrayList<>();
        private final Set<Integer> closed = new HashSet<>();
        private final List<String> violations = new ArrayList<>();

        Recording(Libc libc) {
            super(libc);
        }

        @Override
        public int[] pipe(int flags) throws ErrnoException {
            int[] p = super.pipe(flags);
            synchronized (this) {
                closed.remove(p[0]);               // the numbers are open again
                closed.remove(p[1]);
            }
            return p;
        }

        @Override
        public int poll(int[] fds, short events, short[] revents, int timeoutMillis) throws ErrnoException {
            synchronized (this) {
                for (int fd : fds) {
                    if (closed.contains(fd)) {
                        violations.add("poll of closed descriptor " + fd);
                    }
                }
                inPoll.add(fds);
            }
            try {
                return super.poll(fds, events, revents, timeoutMillis);
            } finally {
                synchronized (this) {
                    inPoll.remove(fds);
                }
            }
        }

        @Override
        public void close(int fd) {
            synchronized (this) {
                for (int[] fds : inPoll) {
                    for (int f : fds) {
                        if (f == fd) {
                            violations.add("close of descriptor " + fd + " while polled");
                        }
                    }
                }
                closed.add(fd);
            }
            super.close(fd);
        }

        synchronized boolean polling(int fd) {
            return inPoll.stream().anyMatch(fds -> java.util.Arrays.stream(fds).anyMatch(f -> f == fd));
        }

        synchronized boolean isClosed(int fd) {
            return closed.contains(fd);
        }

        synchronized List<String> violations() {
            return List.copyOf(violations);
        }
    }

    /** The C library whose poll(2) fails {@code n} times (ENOMEM) before it works. */
    private static final class FailingPoll extends Delegating {
        final AtomicInteger failures;

        FailingPoll(Libc libc, int n) {
            super(libc);
            failures = new AtomicInteger(n);
        }

        @Override
        public int poll(int[] fds, short events, short[] revents, int timeoutMillis) throws ErrnoException {
            if (failures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new ErrnoException("poll", ErrnoException.ENOMEM);
            }
            return super.poll(fds, events, revents, timeoutMillis);
        }
    }

    /** The calls a watcher makes, passed to the C library. */
    private abstract static class Delegating implements Libc {
        private final Libc libc;

        Delegating(Libc libc) {
            this.libc = libc;
        }

        @Override
        public int[] pipe(int flags) throws ErrnoException {
            return libc.pipe(flags);
        }

        @Override
        public int read(int fd, MemorySegment buffer) throws ErrnoException {
            return libc.read(fd, buffer);
        }

        @Override
        public int write(int fd, MemorySegment buffer) throws ErrnoException {
            return libc.write(fd, buffer);
        }

        @Override
        public int poll(int[] fds, short events, short[] revents, int timeoutMillis) throws ErrnoException {
            return libc.poll(fds, events, revents, timeoutMillis);
        }

        @Override
        public void close(int fd) {
            libc.close(fd);
        }
    }
}
