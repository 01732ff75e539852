package org.machina.net.user;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The stack's one poll(2) thread ({@link Stack#watcher}) over the real C library: the ICMP socket,
 * the ICMPv6 socket and a UDP flow's socket are all watched by {@code net-user-ID-poll}, the only
 * thread of the stack's besides its loop; a flow closed leaves the set and its socket is closed; the
 * stack's close ends the thread and closes every descriptor, also when the loop's thread has ended
 * before. Traffic: loopback only (the pings go to addresses {@link IcmpEchoTest#route} sends to
 * 127.0.0.1 and ::1, the datagram to the gateway, which is 127.0.0.1). Aborted where the host allows
 * no ICMP socket of either family (no ping group, no CAP_NET_RAW).
 */
class PollThreadTest {
    private static final AtomicInteger IDS = new AtomicInteger();
    private final String id = "pt" + IDS.incrementAndGet();
    private final Wire w;
    private final DatagramChannel server;

    PollThreadTest() throws Exception {
        w = new Wire(id, Map.of(), Wire.realLibc());
        server = UdpDnsTest.loopbackUdp();
    }

    @AfterEach
    void close() throws IOException {
        w.close();
        server.close();
    }

    /** The stack's three descriptors of the C library's, each answered once: ICMP, ICMPv6, then the UDP flow's. */
    private int[] startAll() throws Exception {
        w.send(Wire.ip(Wire.GUEST, IcmpEchoTest.OUTSIDE, 1, Wire.icmpEcho(0x0a0a, 1, "v4".getBytes())));
        abortIfUnavailable(w.onLoop(() -> w.netdev.stack().echo.unavailable()));
        w.expect("the ICMP echo reply", f -> f.isIp(1) && f.b()[f.l4()] == 0);
        byte[] body = {0x12, 0x34, 0, 1, 'v', '6'};
        w.send(Wire6.icmpFrame(Wire6.GW_MAC, Wire6.GUEST, IcmpEchoTest.OUTSIDE6, 64, Icmp6.ECHO_REQUEST, body));
        abortIfUnavailable(w.onLoop(() -> w.netdev.stack().echo6.unavailable()));
        w.expect("the ICMPv6 echo reply", f -> Wire6.F.isIcmp(f, Icmp6.ECHO_REPLY));
        int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
        w.send(Wire.ip(Wire.GUEST, Wire.GW, 17, Wire.udp(Wire.GUEST, Wire.GW, 40000, port, "to host".getBytes())));
        InetSocketAddress[] from = new InetSocketAddress[1];
        UdpDnsTest.receive(server, from);
        server.send(ByteBuffer.wrap("to guest".getBytes()), from[0]);
        w.expect("the host's datagram", f -> f.isIp(17) && f.dport() == 40000);
        return w.onLoop(() -> {
            Stack s = w.netdev.stack();
            UdpFlow f = s.udp.flows().iterator().next();
            return new int[] {s.echo.socket().fd(), s.echo6.socket().fd(), ((UdpFlow.Posix) f).fd()};
        });
    }

    private static void abortIfUnavailable(String why) {
        if (why != null) {
            String m = "PollThreadTest NOT TESTED: this host allows no ICMP socket: " + why;
            System.err.println(m);
            Assumptions.abort(m);
        }
    }

    /** The names of the live threads of this stack's but its loop ({@code net-user-ID-...}). */
    private List<String> stackThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(n -> n.startsWith("net-user-" + id + "-")).sorted().toList();
    }

    private Thread loopThread() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("net-user-" + id)).findFirst()
                .orElseThrow();
    }

    /** What descriptor {@code fd} of this process is ({@code socket:[inode]}), "" when none is open. */
    private static String link(int fd) throws IOException {
        try {
            return Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
        } catch (NoSuchFileException e) {
            return "";
        }
    }

    private static String[] links(int[] fds) throws IOException {
        String[] l = new String[fds.length];
        for (int i = 0; i < fds.length; i++) {
            l[i] = link(fds[i]);
            assertTrue(l[i].startsWith("socket:"), "descriptor " + fds[i] + " is a socket: " + l[i]);
        }
        return l;
    }

    /** Each descriptor is closed: none open, or another file under its number. */
    private static void assertClosed(int[] fds, String[] before) throws IOException {
        for (int i = 0; i < fds.length; i++) {
            assertNotEquals(before[i], link(fds[i]), "descriptor " + fds[i] + " closed");
        }
    }

    @Test
    void icmpIcmp6AndAUdpFlowShareOnePollThread() throws Exception {
        int[] fds = startAll();
        assertEquals(List.of("net-user-" + id + "-poll"), stackThreads(), "one thread besides the loop");
        FdWatcher watcher = w.onLoop(() -> w.netdev.stack().startedWatcher());
        assertEquals(3, (int) w.onLoop(watcher::size));
        for (int fd : fds) {
            assertTrue(w.onLoop(() -> watcher.watches(fd)), "descriptor " + fd + " watched");
        }
        // the flow closes (as at its idle deadline): out of the set, its socket closed
        String flowSocket = link(fds[2]);
        w.onLoop(() -> {
            w.netdev.stack().udp.flows().iterator().next().close();
            return null;
        });
        assertFalse(w.onLoop(() -> watcher.watches(fds[2])), "the flow's socket is no longer watched");
        IcmpEchoTest.waitFor("the flow's socket closed", () -> {
            try {
                return !link(fds[2]).equals(flowSocket);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        assertEquals(2, (int) w.onLoop(watcher::size));
        // a new flow is watched by the same thread
        w.send(Wire.ip(Wire.GUEST, Wire.GW, 17, Wire.udp(Wire.GUEST, Wire.GW, 40001, server.socket().getLocalPort(), "again".getBytes())));
        UdpDnsTest.receive(server, new InetSocketAddress[1]);
        assertEquals(3, (int) w.onLoop(watcher::size));
        assertEquals(List.of("net-user-" + id + "-poll"), stackThreads());
    }

    @Test
    void theStacksCloseEndsThePollThreadAndClosesItsDescriptors() throws Exception {
        closeAndExpectNothingLeft(false);
    }

    @Test
    void aStackWhoseLoopHasEndedIsClosedAllTheSame() throws Exception {
        closeAndExpectNothingLeft(true);
    }

    /** An Error out of a loop task: the loop's thread ends (it catches runtime exceptions only). */
    private static final class EndOfLoop extends Error {
        EndOfLoop() {
            super("PollThreadTest ends the stack's loop thread here (expected)");
        }
    }

    /**
     * The three sockets at work, then the netdev closed (after its loop's thread has ended, if
     * {@code loopEndsFirst}): no thread of the stack's is left, no socket open, nothing watched.
     */
    private void closeAndExpectNothingLeft(boolean loopEndsFirst) throws Exception {
        int[] fds = startAll();
        String[] before = links(fds);
        FdWatcher watcher = w.onLoop(() -> w.netdev.stack().startedWatcher());
        Thread loop = loopThread();
        if (loopEndsFirst) {
            loop.setUncaughtExceptionHandler((t, e) -> System.err.println(t.getName() + ": " + e.getMessage()));
            w.netdev.stack().loop.post(() -> {
                throw new EndOfLoop();
            });
            loop.join(10_000);
            assertFalse(loop.isAlive(), "the loop has ended");
        }
        w.netdev.close();
        assertEquals(List.of(), stackThreads(), "the poll thread ended");
        assertFalse(loop.isAlive(), "the loop ended");
        assertFalse(watcher.running());
        assertEquals(0, watcher.size(), "every descriptor released");
        assertClosed(fds, before);
    }
}
