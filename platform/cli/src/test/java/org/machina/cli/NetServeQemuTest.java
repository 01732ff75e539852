package org.machina.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.sun.net.httpserver.HttpServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code machina net serve} (a child JVM, {@link NetCliMain}) with a real {@code qemu-system-i386}
 * Linux guest on {@code -netdev stream}, driven through the busybox shell on its serial console:
 * udhcpc gets a lease, ping reaches the gateway, wget fetches from an HTTP server this test runs on
 * 127.0.0.1 (reached as 10.0.2.2), nslookup goes through the forwarder to a DNS responder this test
 * runs on 127.0.0.1, and a hostfwd port reaches a guest {@code nc -l}.
 *
 * <p>Every packet stays on this machine: the guest's only link is the stream socket on 127.0.0.1, the
 * stack's upstream DNS is the test's responder, and the guest only addresses 10.0.2.2/10.0.2.3.
 * Skipped without images or qemu-system-i386 unless {@code -Dmachina.requireImages=true}.
 */
class NetServeQemuTest {
    private final List<Process> processes = new ArrayList<>();
    private final List<AutoCloseable> closers = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (Process p : processes) {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        for (AutoCloseable c : closers) {
            c.close();
        }
    }

    static Path root() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isRegularFile(dir.resolve("scripts/build-initramfs.sh"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            fail("scripts/build-initramfs.sh not found above " + Path.of("").toAbsolutePath());
        }
        return dir;
    }

    static boolean onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }

    /** A DNS responder on 127.0.0.1: answers every A query with 10.0.2.99 (an address nobody uses). */
    DatagramChannel dnsResponder() throws IOException {
        DatagramChannel ch = DatagramChannel.open();
        ch.bind(new InetSocketAddress("127.0.0.1", 0));
        closers.add(ch);
        Thread.ofPlatform().daemon().name("test-dns").start(() -> {
            ByteBuffer b = ByteBuffer.allocate(1500);
            while (ch.isOpen()) {
                try {
                    b.clear();
                    var from = ch.receive(b);
                    b.flip();
                    ch.send(ByteBuffer.wrap(answer(b)), from);
                } catch (IOException e) {
                    return;
                }
            }
        });
        return ch;
    }

    /** The query with QR set and, for an A question, one answer pointing at the question's name. */
    static byte[] answer(ByteBuffer q) {
        byte[] in = new byte[q.remaining()];
        q.get(in);
        int i = 12;
        while (i < in.length && in[i] != 0) {
            i += (in[i] & 0xff) + 1;
        }
        int qEnd = i + 5;
        boolean a = qEnd <= in.length && in[i + 1] == 0 && in[i + 2] == 1;
        ByteBuffer r = ByteBuffer.allocate(qEnd + 16);
        r.put(in, 0, qEnd);
        r.put(2, (byte) (0x81 | (in[2] & 0x01))); // QR, RD echoed
        r.put(3, (byte) 0x80); // RA
        r.putShort(6, (short) (a ? 1 : 0));
        r.putShort(8, (short) 0);
        r.putShort(10, (short) 0);
        if (a) {
            r.putShort((short) 0xc00c).putShort((short) 1).putShort((short) 1).putInt(60).putShort((short) 4);
            r.put(new byte[] {10, 0, 2, 99});
        }
        byte[] out = new byte[r.position()];
        r.flip();
        r.get(out);
        return out;
    }

    /** The guest's serial console: what it printed, and commands typed into its shell. */
    static final class Console {
        private final Process qemu;
        private final StringBuilder seen = new StringBuilder();
        private int mark;

        Console(Process qemu) {
            this.qemu = qemu;
            Thread.ofPlatform().daemon().name("qemu-console").start(() -> {
                try (InputStream in = qemu.getInputStream()) {
                    byte[] b = new byte[4096];
                    int n;
                    while ((n = in.read(b)) > 0) {
                        String s = new String(b, 0, n, StandardCharsets.ISO_8859_1);
                        System.out.print(s);
                        synchronized (seen) {
                            seen.append(s);
                            seen.notifyAll();
                        }
                    }
                } catch (IOException e) {
                    // the guest went away
                }
            });
        }

        /** Waits for {@code p} after the last match; returns the matcher. */
        Matcher await(Pattern p, long seconds) throws InterruptedException {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            synchronized (seen) {
                while (true) {
                    Matcher m = p.matcher(seen);
                    if (m.find(mark)) {
                        mark = m.end();
                        return m;
                    }
                    long left = TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime());
                    if (left <= 0 || !qemu.isAlive()) {
                        fail("guest console: no " + p + " (after: " + seen.substring(Math.max(0, mark - 200)) + ")");
                    }
                    seen.wait(Math.min(left, 1000));
                }
            }
        }

        /** Types a command; returns its output and exit status as "OUTPUT\nRC=N". */
        String run(String command, long seconds) throws Exception {
            int start;
            synchronized (seen) {
                start = seen.length();
            }
            OutputStream o = qemu.getOutputStream();
            o.write((command + "; echo R\"\"C=$?\n").getBytes(StandardCharsets.ISO_8859_1));
            o.flush();
            Matcher m = await(Pattern.compile("\nRC=(\\d+)"), seconds);
            synchronized (seen) {
                return seen.substring(start, m.end());
            }
        }
    }

    /** Serves {@code body} at {@code path} of {@code server}. */
    private static void reply(HttpServer server, String path, byte[] body) {
        server.createContext(path, ex -> {
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
    }

    @Test
    @Timeout(value = 15, unit = TimeUnit.MINUTES)
    void qemuGuestOnMachinaStack() throws Exception {
        Path root = root();
        boolean require = Boolean.getBoolean("machina.requireImages");
        Path images = Path.of(System.getProperty("machina.images", root.resolve("images").toString()));
        Path kernel = images.resolve("vmlinuz");
        Path initramfs = images.resolve("initramfs.cpio.gz");
        boolean ready = Files.isRegularFile(kernel) && Files.isRegularFile(initramfs) && onPath("qemu-system-i386");
        if (!ready && require) {
            fail("guest images or qemu-system-i386 missing (scripts/guest-images.sh, scripts/install-deps.sh)");
        }
        Assumptions.assumeTrue(ready, "guest images or qemu-system-i386 missing");

        // loopback services the guest reaches through the stack
        String token = UUID.randomUUID().toString();
        HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        reply(http, "/", ("machina " + token + "\n").getBytes(StandardCharsets.US_ASCII));
        byte[] big = new byte[4 << 20];
        new java.util.Random(4).nextBytes(big);
        String bigMd5 = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("MD5").digest(big));
        reply(http, "/big", big);
        http.start();
        closers.add(() -> http.stop(0));
        int httpPort = http.getAddress().getPort();
        // the same page on the host's ::1, which the guest reaches over IPv6 as [fec0::2]
        HttpServer http6 = HttpServer.create(new InetSocketAddress("::1", 0), 0);
        reply(http6, "/", ("machina over IPv6 " + token + "\n").getBytes(StandardCharsets.US_ASCII));
        http6.start();
        closers.add(() -> http6.stop(0));
        int http6Port = http6.getAddress().getPort();
        int dnsPort = ((InetSocketAddress) dnsResponder().getLocalAddress()).getPort();

        // a TFTP directory with one file
        Path tftpDir = Files.createTempDirectory("net-tftp");
        byte[] tftpFile = new byte[70_000]; // 137 blocks of 512
        new java.util.Random(6).nextBytes(tftpFile);
        Files.write(tftpDir.resolve("boot.bin"), tftpFile);
        closers.add(() -> {
            Files.deleteIfExists(tftpDir.resolve("boot.bin"));
            Files.deleteIfExists(tftpDir);
        });
        String tftpMd5 = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("MD5").digest(tftpFile));

        // machina net serve, as a child JVM
        Path err = Files.createTempFile("net-serve", ".err");
        closers.add(() -> Files.deleteIfExists(err));
        String java = ProcessHandle.current().info().command().orElse("java");
        Process serve = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                NetCliMain.class.getName(), "serve", "-p", "0", "-o",
                "dns-upstream=127.0.0.1:" + dnsPort + ",hostfwd=tcp:127.0.0.1:0-:8080,hostname=guest0,guestfwd=tcp:10.0.2.100:80-tcp:127.0.0.1:"
                        + httpPort + ",tftp=" + tftpDir)
                .redirectError(err.toFile()).start();
        processes.add(serve);
        String line = new BufferedReader(new InputStreamReader(serve.getInputStream(), StandardCharsets.UTF_8)).readLine();
        assertTrue(line != null && line.startsWith("listening on tcp:127.0.0.1:"), "first line: " + line);
        int port = Integer.parseInt(line.substring(line.lastIndexOf(':') + 1));
        Matcher fw = Pattern.compile("hostfwd listening on 127\\.0\\.0\\.1:(\\d+)").matcher(Files.readString(err));
        assertTrue(fw.find(), "hostfwd port on stderr: " + Files.readString(err));
        int fwdPort = Integer.parseInt(fw.group(1));

        Process qemu = new ProcessBuilder("qemu-system-i386", "-M", "pc", "-m", "128", "-kernel", kernel.toString(), "-initrd",
                initramfs.toString(), "-netdev",
                "stream,id=n0,server=off,addr.type=inet,addr.host=127.0.0.1,addr.port=" + port, "-device", "e1000,netdev=n0",
                "-nographic", "-no-reboot", "-append", "console=ttyS0 panic=-1").redirectErrorStream(true).start();
        processes.add(qemu);
        Console con = new Console(qemu);
        con.await(Pattern.compile("MACHINA-INIT-OK"), 300);
        Thread.sleep(1000);
        assertTrue(con.run("ifconfig eth0 up && sleep 2", 60).endsWith("RC=0"));

        String dhcp = con.run("udhcpc -i eth0 -n -q -t 10 -T 2", 120);
        assertTrue(dhcp.contains("lease of 10.0.2.15 obtained from 10.0.2.2"), dhcp);
        assertTrue(dhcp.contains("router 10.0.2.2 dns 10.0.2.3"), dhcp);

        String ping = con.run("ping -c 2 -W 10 10.0.2.2", 60);
        assertTrue(ping.contains("2 packets received") && ping.endsWith("RC=0"), ping);

        String wget = con.run("wget -q -O - http://10.0.2.2:" + httpPort + "/", 60);
        assertTrue(wget.contains("machina " + token) && wget.endsWith("RC=0"), wget);

        String viaGuestfwd = con.run("wget -q -O - http://10.0.2.100/", 60);
        assertTrue(viaGuestfwd.contains("machina " + token) && viaGuestfwd.endsWith("RC=0"), viaGuestfwd);

        // a bulk transfer: 4 MiB through the TCP state machine (windows, ACK clocking), content checked
        String md5 = con.run("wget -q -O - http://10.0.2.2:" + httpPort + "/big | md5sum", 300);
        assertTrue(md5.contains(bigMd5), md5 + " (expected " + bigMd5 + ")");

        String tftp = con.run("cd /tmp && tftp -g -r boot.bin 10.0.2.2 && md5sum boot.bin; cd /", 120);
        assertTrue(tftp.contains(tftpMd5), tftp + " (expected " + tftpMd5 + ")");

        String dns = con.run("nslookup machina.test 10.0.2.3", 60);
        assertTrue(dns.contains("10.0.2.99"), dns);

        // hostfwd: host 127.0.0.1:fwdPort -> guest :8080 (busybox nc listening)
        con.run("(echo hello-from-guest | nc -l -p 8080 > /tmp/got &) ; sleep 1", 30);
        try (Socket s = new Socket("127.0.0.1", fwdPort)) {
            s.setSoTimeout(60_000);
            s.getOutputStream().write("hello-from-host\n".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            byte[] got = s.getInputStream().readNBytes("hello-from-guest\n".length());
            assertEquals("hello-from-guest\n", new String(got, StandardCharsets.US_ASCII));
        }
        String received = con.run("sleep 1; cat /tmp/got", 30);
        assertTrue(received.contains("hello-from-host"), received);

        // IPv6 (on by default): a SLAAC address from the router advertisement, ping the gateway,
        // a page from the host's ::1 through [fec0::2], DNS through fec0::3
        String addr = con.run("for i in $(seq 1 60); do ip -6 addr show dev eth0 | grep 'inet6 fec0:' | grep -v tentative && break;"
                + " sleep 1; done", 120);
        assertTrue(addr.contains("inet6 fec0::5054:ff:fe12:3456/64"), addr);
        String route = con.run("ip -6 route", 30);
        assertTrue(route.contains("default via fe80::2 dev eth0"), route);
        String ping6 = con.run("ping -6 -c 2 -W 10 fec0::2", 60);
        assertTrue(ping6.contains("2 packets received") && ping6.endsWith("RC=0"), ping6);
        String wget6 = con.run("wget -q -O - http://[fec0::2]:" + http6Port + "/", 60);
        assertTrue(wget6.contains("machina over IPv6 " + token) && wget6.endsWith("RC=0"), wget6);
        String dns6 = con.run("nslookup machina.test fec0::3", 60);
        assertTrue(dns6.contains("10.0.2.99"), dns6);

        assertTrue(serve.isAlive(), "the stack is still up");
    }
}
