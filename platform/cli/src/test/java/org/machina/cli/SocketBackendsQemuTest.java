package org.machina.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.sun.net.httpserver.HttpServer;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.machina.api.net.Netdev;
import org.machina.api.time.MachineExecutor;
import org.machina.api.time.Timer;
import org.machina.api.time.VirtualClock;
import org.machina.net.socket.DgramNetdevType;
import org.machina.net.socket.SocketNetdevType;
import org.machina.net.socket.StreamNetdevType;
import org.machina.net.user.NetConfig;
import org.machina.net.user.UserNetdev;

/**
 * Machina's {@code -netdev stream}, {@code dgram} and {@code socket} backends against a real
 * {@code qemu-system-i386} guest with three e1000 NICs, one per backend, each backend bridged to
 * its own Machina user-mode stack ({@code net-user}): the guest gets a DHCP lease on every NIC,
 * pings each gateway and fetches 4 MiB (md5-checked) from an HTTP server this test runs on
 * 127.0.0.1 through each. The three links cover both roles: QEMU's {@code stream} server with
 * Machina's client (reconnect-ms, since QEMU listens only once started), QEMU's {@code dgram} with
 * Machina's, and QEMU's older {@code socket,connect=} with Machina's {@code socket,listen=}.
 *
 * <p>All traffic is on 127.0.0.1. Skipped without images or qemu unless {@code -Dmachina.requireImages=true}.
 */
class SocketBackendsQemuTest {
    private final List<Process> processes = new ArrayList<>();
    private final List<AutoCloseable> closers = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (Process p : processes) {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        for (int i = closers.size() - 1; i >= 0; i--) {
            closers.get(i).close();
        }
    }

    /** One thread that plays the machine thread for the netdevs (their port callbacks run here). */
    static final class SerialExecutor implements MachineExecutor, AutoCloseable {
        private final ExecutorService ex = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().daemon().name("test-machine").unstarted(r));
        private volatile Thread thread;

        SerialExecutor() throws Exception {
            ex.submit(() -> thread = Thread.currentThread()).get();
        }

        @Override
        public void execute(Runnable task) {
            ex.execute(task);
        }

        @Override
        public <T> CompletableFuture<T> submit(Callable<T> task) {
            CompletableFuture<T> f = new CompletableFuture<>();
            ex.execute(() -> {
                try {
                    f.complete(task.call());
                } catch (Exception e) {
                    f.completeExceptionally(e);
                }
            });
            return f;
        }

        @Override
        public boolean inMachineThread() {
            return Thread.currentThread() == thread;
        }

        @Override
        public Timer newTimer(String name, Runnable callback) {
            throw new UnsupportedOperationException("the socket backends use no timers");
        }

        @Override
        public VirtualClock clock() {
            throw new UnsupportedOperationException("the socket backends use no clock");
        }

        @Override
        public void close() {
            ex.shutdownNow();
        }
    }

    /** The port attached to a netdev: what it has for its "NIC" is sent into {@code other}. */
    private static Netdev.Port into(Netdev other) {
        return new Netdev.Port() {
            @Override
            public boolean canReceive() {
                return true;
            }

            @Override
            public boolean receive(ByteBuffer frame) {
                return other.send(frame);
            }

            @Override
            public void sendReady() {
                other.receiveReady();
            }
        };
    }

    /** Wires two netdevs back to back, as two NICs on one cable would be (all on {@code ex}). */
    private static void bridge(SerialExecutor ex, Netdev a, Netdev b) throws Exception {
        ex.submit(() -> {
            a.attach(into(b));
            b.attach(into(a));
            return null;
        }).get();
    }

    private static int freeTcpPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static int freeUdpPort() throws Exception {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            return s.getLocalPort();
        }
    }

    @Test
    @Timeout(value = 15, unit = TimeUnit.MINUTES)
    void qemuGuestOnStreamDgramAndSocketBackends() throws Exception {
        Path root = NetServeQemuTest.root();
        Path images = Path.of(System.getProperty("machina.images", root.resolve("images").toString()));
        Path kernel = images.resolve("vmlinuz");
        Path initramfs = images.resolve("initramfs.cpio.gz");
        boolean ready = Files.isRegularFile(kernel) && Files.isRegularFile(initramfs) && NetServeQemuTest.onPath("qemu-system-i386");
        if (!ready && Boolean.getBoolean("machina.requireImages")) {
            fail("guest images or qemu-system-i386 missing (scripts/guest-images.sh, scripts/install-deps.sh)");
        }
        Assumptions.assumeTrue(ready, "guest images or qemu-system-i386 missing");

        byte[] big = new byte[4 << 20];
        new Random(17).nextBytes(big);
        String bigMd5 = HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(big));
        HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        http.createContext("/big", ex -> {
            ex.sendResponseHeaders(200, big.length);
            ex.getResponseBody().write(big);
            ex.close();
        });
        http.start();
        closers.add(() -> http.stop(0));
        int httpPort = http.getAddress().getPort();

        SerialExecutor ex = new SerialExecutor();
        closers.add(ex);
        String[] nets = {"10.0.2", "10.0.3", "10.0.4"};
        UserNetdev[] stacks = new UserNetdev[3];
        for (int i = 0; i < 3; i++) {
            stacks[i] = new UserNetdev("stack" + i, NetConfig.parse(Map.of("net", nets[i] + ".0/24", "restrict", "off")), ex);
            closers.add(stacks[i]);
        }

        int streamPort = freeTcpPort();
        int qemuUdp = freeUdpPort();
        int machinaUdp = freeUdpPort();
        int socketPort = freeTcpPort();
        // Machina's side of the dgram and socket links exists before QEMU starts (QEMU's connect= is at start-up)
        Netdev dgram = new DgramNetdevType().open("d", Map.of("local.type", "inet", "local.host", "127.0.0.1", "local.port",
                Integer.toString(machinaUdp), "remote.type", "inet", "remote.host", "127.0.0.1", "remote.port", Integer.toString(qemuUdp)), ex);
        closers.add(dgram);
        Netdev listen = new SocketNetdevType().open("l", Map.of("listen", "127.0.0.1:" + socketPort), ex);
        closers.add(listen);

        Process qemu = new ProcessBuilder("qemu-system-i386", "-M", "pc", "-m", "128", "-kernel", kernel.toString(), "-initrd",
                initramfs.toString(),
                "-netdev", "stream,id=n0,server=on,addr.type=inet,addr.host=127.0.0.1,addr.port=" + streamPort,
                "-device", "e1000,netdev=n0,mac=52:54:00:12:34:56",
                "-netdev", "dgram,id=n1,local.type=inet,local.host=127.0.0.1,local.port=" + qemuUdp
                        + ",remote.type=inet,remote.host=127.0.0.1,remote.port=" + machinaUdp,
                "-device", "e1000,netdev=n1,mac=52:54:00:12:34:57",
                "-netdev", "socket,id=n2,connect=127.0.0.1:" + socketPort,
                "-device", "e1000,netdev=n2,mac=52:54:00:12:34:58",
                "-nographic", "-no-reboot", "-append", "console=ttyS0 panic=-1").redirectErrorStream(true).start();
        processes.add(qemu);
        Netdev stream = new StreamNetdevType().open("s", Map.of("server", "off", "addr.type", "inet", "addr.host", "127.0.0.1",
                "addr.port", Integer.toString(streamPort), "reconnect-ms", "200"), ex);
        closers.add(stream);
        bridge(ex, stream, stacks[0]);
        bridge(ex, dgram, stacks[1]);
        bridge(ex, listen, stacks[2]);

        NetServeQemuTest.Console con = new NetServeQemuTest.Console(qemu);
        con.await(Pattern.compile("MACHINA-INIT-OK"), 300);
        Thread.sleep(1000);
        assertTrue(con.run("for i in eth0 eth1 eth2; do ifconfig $i up; done && sleep 2", 60).endsWith("RC=0"));
        StringBuilder leases = new StringBuilder();
        for (String eth : List.of("eth0", "eth1", "eth2")) {
            String dhcp = con.run("udhcpc -i " + eth + " -n -q -t 10 -T 2", 120);
            assertTrue(dhcp.endsWith("RC=0"), dhcp);
            leases.append(dhcp);
        }
        for (String net : nets) {
            assertTrue(leases.toString().contains("lease of " + net + ".15 obtained from " + net + ".2"), net + ": " + leases);
            String ping = con.run("ping -c 2 -W 10 " + net + ".2", 60);
            assertTrue(ping.contains("2 packets received") && ping.endsWith("RC=0"), ping);
            String md5 = con.run("wget -q -O - http://" + net + ".2:" + httpPort + "/big | md5sum", 300);
            assertTrue(md5.contains(bigMd5), net + ": " + md5 + " (expected " + bigMd5 + ")");
        }
        for (UserNetdev s : stacks) {
            assertEquals(0, s.stats().malformed, "no malformed frame reached a stack: " + s.stats());
        }
    }
}
