package org.machina.net.user;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.machina.host.posix.ErrnoException;
import org.machina.host.posix.FfmLibc;
import org.machina.host.posix.Libc;

/**
 * Stateful DHCPv6 with a real client: the host's Linux kernel and ISC {@code dhclient -6} on a tap
 * device whose frames go to and from the stack in this process ({@code dhcpv6=stateful,restrict=on}).
 * A thread of the test moves into a network namespace of its own ({@link LoopNamespace}), creates
 * the tap {@code eth0} there (MAC 52:54:00:12:34:56) and runs {@code ip} and {@code dhclient} from it,
 * so they are in the namespace too; the tap is its only way out, and it ends at the stack. The kernel
 * takes its SLAAC address from the RA, dhclient its lease (Solicit, Advertise, Request, Reply):
 * fec0::100 with the DNS server and search list, then releases it. Needs root (CAP_SYS_ADMIN,
 * /dev/net/tun), {@code ip} and {@code dhclient} (Debian's isc-dhcp-client); aborted, not passed,
 * without them. Nothing is left on the host: the namespace goes with its thread and its processes.
 */
class Dhcp6ClientTest {
    static final long TUNSETIFF = 0x400454CAL;
    static final short IFF_TAP = 0x0002;
    static final short IFF_NO_PI = 0x1000;

    @TempDir
    Path dir;

    /** Runs {@code cmd} (from the calling thread: in its namespace), waiting up to {@code seconds}; its output. */
    private static String run(int seconds, String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return String.join(" ", cmd) + ": did not end in " + seconds + " s";
        }
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    private static String dhclient() {
        for (String d : List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin")) {
            if (Files.isExecutable(Path.of(d, "dhclient"))) {
                return d + "/dhclient";
            }
        }
        return null;
    }

    @Test
    void iscDhclientGetsALeaseAndReleasesIt() throws Exception {
        String dhclient = dhclient();
        Assumptions.assumeTrue(dhclient != null, "no dhclient (isc-dhcp-client)");
        Assumptions.assumeTrue(Files.exists(Path.of("/dev/net/tun")), "no /dev/net/tun");
        Path log = dir.resolve("script.log");
        Path script = dir.resolve("script.sh");
        Files.writeString(script, "#!/bin/sh\nenv | grep -E '^(reason|new_|old_)' | sort >> " + log + "\necho ---- >> " + log + "\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        String[] client = {dhclient, "-6", "-1", "-sf", script.toString(), "-lf", dir.resolve("lease").toString(), "-pf",
            dir.resolve("pid").toString(), "eth0"};
        Libc libc = FfmLibc.get();
        BlockingQueue<String> out = new ArrayBlockingQueue<>(1);
        try (Wire w = new Wire(Map.of("dhcpv6", "stateful", "restrict", "on", "domainname", "example.test"))) {
            Thread namespace = Thread.ofPlatform().name("dhcp6-client").start(() -> {
                String result;
                try {
                    result = inNamespace(w, libc, client);
                } catch (Exception e) {
                    result = "failed: " + e;
                }
                out.add(result);
            });
            String result = out.poll(120, TimeUnit.SECONDS);
            namespace.join(5_000);
            stopLeftover(dir.resolve("pid"));
            Assumptions.assumeFalse(result != null && result.startsWith("abort: "), result);
            String text = Files.exists(log) ? Files.readString(log) : "";
            assertTrue(text.contains("reason=BOUND6"), result + "\nscript: " + text);
            assertTrue(text.contains("new_ip6_address=fec0::100"), text);
            assertTrue(text.contains("new_dhcp6_name_servers=fec0::3"), text);
            assertTrue(text.contains("new_dhcp6_domain_search=example.test."), text);
            assertTrue(text.contains("reason=RELEASE6"), result + "\nscript: " + text);
            assertEquals(0, (int) w.onLoop(() -> w.netdev.stack().dhcp6.leases.bound()), "released");
            assertTrue(w.onLoop(() -> w.netdev.stats().dhcp6Answered) >= 3L, "Advertise, Reply, Reply to the Release");
        }
    }

    /** Ends the dhclient this test started if it is still running (its release failed). */
    private static void stopLeftover(Path pidFile) throws Exception {
        if (Files.exists(pidFile)) {
            long pid = Long.parseLong(Files.readString(pidFile).trim());
            ProcessHandle.of(pid).filter(h -> h.info().command().orElse("").endsWith("dhclient")).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    /** The namespace thread: the tap, its pumps to and from the stack, the kernel's and dhclient's work; what they said. */
    private static String inNamespace(Wire w, Libc libc, String[] client) throws Exception {
        String why = LoopNamespace.enter();
        if (why != null) {
            return "abort: " + why;
        }
        int tap;
        try (Arena a = Arena.ofConfined()) {
            tap = libc.open("/dev/net/tun", Libc.O_RDWR);
            MemorySegment ifreq = a.allocate(40);
            MemorySegment.copy("eth0".getBytes(StandardCharsets.US_ASCII), 0, ifreq, ValueLayout.JAVA_BYTE, 0, 4);
            ifreq.set(ValueLayout.JAVA_SHORT, 16, (short) (IFF_TAP | IFF_NO_PI));
            libc.ioctl(tap, TUNSETIFF, ifreq, "TUNSETIFF");
        } catch (ErrnoException e) {
            return "abort: no tap device: " + e.getMessage();
        }
        Thread toStack = Thread.ofPlatform().daemon().name("dhcp6-tap-in").start(() -> pumpToStack(w, libc, tap));
        Thread toTap = Thread.ofPlatform().daemon().name("dhcp6-tap-out").start(() -> pumpToTap(w, libc, tap));
        try {
            StringBuilder said = new StringBuilder();
            said.append(run(10, "ip", "link", "set", "eth0", "address", "52:54:00:12:34:56"));
            said.append(run(10, "ip", "link", "set", "eth0", "up"));
            // dhclient -6 needs a link-local address past duplicate address detection
            said.append(run(10, "sh", "-c", "for i in $(seq 50); do ip -6 addr show dev eth0 | grep -q 'fe80.*tentative' || break; sleep 0.1; done"));
            said.append(run(30, client));
            String[] release = client.clone();
            release[2] = "-r";
            said.append(run(30, release));
            said.append(run(5, "ip", "-6", "addr", "show", "dev", "eth0"));
            return said.toString();
        } finally {
            toStack.interrupt();
            toTap.interrupt();
            toStack.join(2_000);
            toTap.join(2_000);
            libc.close(tap);
        }
    }

    private static void pumpToStack(Wire w, Libc libc, int tap) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(65536);
            while (!Thread.currentThread().isInterrupted()) {
                if (libc.poll(tap, Libc.POLLIN, 100) == 0) {
                    continue;
                }
                int n = libc.read(tap, buf);
                w.send(buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE));
            }
        } catch (ErrnoException e) {
            // the tap is gone: the test is over
        }
    }

    private static void pumpToTap(Wire w, Libc libc, int tap) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(65536);
            while (!Thread.currentThread().isInterrupted()) {
                Wire.Frame f = w.received.poll(100, TimeUnit.MILLISECONDS);
                if (f != null) {
                    MemorySegment.copy(f.b(), 0, buf, ValueLayout.JAVA_BYTE, 0, f.b().length);
                    libc.write(tap, buf.asSlice(0, f.b().length));
                }
            }
        } catch (ErrnoException | InterruptedException e) {
            // the tap is gone or the test is over
        }
    }
}
