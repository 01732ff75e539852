package org.machina.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Two machines, one FireWire bus: {@code machina run ... -device ohci-1394,bus-name=fwnet
 * --with-machine peer=peer.json}, where the peer's description (made by {@code --print-description}
 * from the same options, its serial console a file) has an {@code ohci-1394,bus-name=fwnet} too.
 * Both run the Debian i386 kernel with the test initramfs, which loads {@code firewire_ohci} and
 * {@code firewire_net}; the peer's {@code /init} gives its {@code firewire0} 10.9.0.2 by itself
 * ({@code machina.fwnet=} on its command line). Checked from the first guest's shell: both
 * controllers are nodes of one bus, the peer's node has the IPv4-over-1394 unit (specifier 0x00005e,
 * version 0x000001), and with {@code firewire0} at 10.9.0.1 a ping of 10.9.0.2 is answered
 * (RFC 2734 ARP over the broadcast channel, then unicast datagrams as block writes both ways), and
 * 1 MiB comes over TCP from the peer's busybox {@code httpd} with the md5 the peer printed; the
 * peer's IPv6 link-local address answers a ping too (RFC 3146).
 * The power-off of the first guest ends the run (and the peer) with status 0.
 *
 * <p>Not in the default suite (two guests, about 150 s on the translator, the default accel): skipped
 * unless {@code -Dmachina.fwnetGuest=true}; {@code -Dmachina.guestAccel=interp} runs both interpreted.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 60, unit = TimeUnit.MINUTES)
class FirewireNetIT {
    private static final Pattern PING_SUMMARY = Pattern.compile("(\\d+) packets transmitted, (\\d+) (packets )?received");
    private static final long BOOT_TIMEOUT_S = Long.getLong("machina.bootTimeout", 1800);
    private static GuestConsole guest;
    private static Path peerConsole;
    private static final List<String> RESULTS = new ArrayList<>();

    @BeforeAll
    @Timeout(value = 60, unit = TimeUnit.MINUTES)
    static void boot() throws Exception {
        Assumptions.assumeTrue(Boolean.getBoolean("machina.fwnetGuest"),
                "FirewireNetIT boots two Linux guests: run with -Dmachina.fwnetGuest=true");
        GuestFiles files = GuestFiles.locate("fwnet-guest");
        Path root = files.root(), kernel = files.kernel(), initramfs = files.initramfs();
        Path out = files.out();
        Path launcher = Path.of(System.getProperty("machina.bundles")).getParent().resolve("lib/launcher-0.1.0-SNAPSHOT.jar");
        assertTrue(Files.isRegularFile(launcher), "built distribution missing: " + launcher);
        String accel = System.getProperty("machina.guestAccel", "");

        peerConsole = out.resolve("peer-console.txt");
        List<String> peer = new ArrayList<>(List.of("-machine", "pc", "-cpu", "pentium3", "-m", "256",
                "-kernel", kernel.toString(), "-initrd", initramfs.toString(),
                "-append", "console=ttyS0 panic=-1 clocksource=hpet machina.fwnet=10.9.0.2 " + GuestConsole.FAST_BOOT,
                "-serial", "file:" + peerConsole, "-display", "none",
                "-device", "ohci-1394,id=fw,bus-name=fwnet,guid=0x0800280000000b01"));
        if (!accel.isBlank()) {
            peer.addAll(List.of("-accel", accel));
        }
        Path peerJson = out.resolve("peer.json");
        Files.writeString(peerJson, printDescription(launcher, out, peer));

        List<String> main = new ArrayList<>(List.of("-machine", "pc", "-cpu", "pentium3", "-m", "256",
                "-kernel", kernel.toString(), "-initrd", initramfs.toString(),
                "-append", "console=ttyS0 panic=-1 clocksource=hpet " + GuestConsole.FAST_BOOT, "-nographic",
                "-device", "ohci-1394,id=fw,bus-name=fwnet,guid=0x0800280000000a01",
                "--with-machine", "peer=" + peerJson));
        if (!accel.isBlank()) {
            main.addAll(List.of("-accel", accel));
        }
        guest = GuestConsole.boot(launcher, out, main, BOOT_TIMEOUT_S);
        assertEquals(0, guest.shell("dmesg -n 4", 300).status(), "dmesg -n 4");
    }

    private static String printDescription(Path launcher, Path dir, List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
                "-jar", launcher.toString(), "run"));
        cmd.addAll(args);
        cmd.add("--print-description");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(dir.resolve("print-description.err").toFile());
        pb.environment().put("MACHINA_HOME", dir.resolve("home").toString());
        Process p = pb.start();
        String json = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "--print-description did not end");
        assertEquals(0, p.exitValue(), "--print-description: " + json);
        return json;
    }

    @AfterAll
    static void powerOff() throws Exception {
        RESULTS.forEach(r -> System.out.println("FirewireNetIT: " + r));
        if (guest != null) {
            System.out.println("FirewireNetIT: poweroff status " + guest.powerOff(180));
        }
        if (peerConsole != null && Files.exists(peerConsole)) {
            System.out.println("FirewireNetIT: peer console (end):\n" + GuestConsole.tail(Files.readString(peerConsole), 3000));
        }
    }

    /** Waits for the peer's /init to report firewire0 up. */
    private static void awaitPeer(long timeoutS) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutS);
        while (System.nanoTime() < deadline) {
            if (Files.exists(peerConsole) && Files.readString(peerConsole).contains("MACHINA-FWNET-UP 10.9.0.2")) {
                return;
            }
            Thread.sleep(2000);
        }
        fail("the peer never reported firewire0 up; its console:\n"
                + (Files.exists(peerConsole) ? GuestConsole.tail(Files.readString(peerConsole), 3000) : "(none)"));
    }

    @Test
    @Order(1)
    void bothControllersAreNodesOfOneBusAndThePeerHasAnIpv4Unit() throws Exception {
        assertTrue(!guest.bootLog().contains("init: cannot load module"),
                "init loaded every module:\n" + GuestConsole.tail(guest.bootLog(), 3000));
        awaitPeer(BOOT_TIMEOUT_S);
        GuestConsole.Output nodes = null;
        // the peer's node appears once both cores have read each other's config ROM
        for (int i = 0; i < 30; i++) {
            nodes = guest.shell("for d in /sys/bus/firewire/devices/*; do echo \"$(basename $d)"
                    + " $(cat $d/specifier_id 2>/dev/null) $(cat $d/version 2>/dev/null) $(cat $d/guid 2>/dev/null)\"; done", 300);
            if (nodes.text().contains("0x00005e 0x000001") && nodes.text().contains("0x0800280000000b01")) {
                break;
            }
            guest.shell("sleep 5", 300);
        }
        RESULTS.add("/sys/bus/firewire/devices: " + nodes.text().strip().replace('\n', ';'));
        assertTrue(nodes.text().contains("0x0800280000000a01"), "our controller's node: " + nodes);
        Matcher peerNode = Pattern.compile("(fw\\d+)\\s+0x0800280000000b01").matcher(nodes.text());
        assertTrue(peerNode.find(), "the other machine's controller is a node: " + nodes);
        assertTrue(Pattern.compile("(?m)^" + peerNode.group(1) + "\\.0 0x00005e 0x000001").matcher(nodes.text()).find(),
                "the other machine's node has an IPv4-over-1394 unit (RFC 2734): " + nodes);
        GuestConsole.Output net = guest.shell("ls /sys/class/net", 300);
        assertTrue(net.text().contains("firewire0"), "firewire_net made firewire0: " + net);
    }

    @Test
    @Order(2)
    void pingCrossesTheBus() throws Exception {
        assertEquals(0, guest.shell("ifconfig firewire0 10.9.0.1 netmask 255.255.255.0 up", 300).status());
        GuestConsole.Output ping = guest.shell("ping -c 3 -W 30 10.9.0.2", 600);
        RESULTS.add("ping: " + ping.text().strip().replace('\n', ';'));
        // where packets went, on both sides, whatever the ping's result
        GuestConsole.Output stat = guest.shell("grep firewire0 /proc/net/dev; ip neigh; cat /proc/net/arp", 300);
        RESULTS.add("/proc/net/dev, ip neigh, arp: " + stat.text().strip().replace('\n', ';'));
        GuestConsole.Output errors = guest.shell("dmesg | grep -i -e firewire -e fwnet | tail -20", 300);
        RESULTS.add("dmesg: " + errors.text().strip().replace('\n', ';'));
        assertAnswered(ping, "the peer answered: ");
    }

    /**
     * 1 MiB over TCP from the peer's busybox httpd (its /init made the file and printed its md5 as
     * {@code MACHINA-FWNET-BLOB}): fragmented datagrams (RFC 2734 link fragments) both ways.
     */
    @Test
    @Order(3)
    void tcpTransferCrossesTheBusIntact() throws Exception {
        Matcher sent = Pattern.compile("MACHINA-FWNET-BLOB ([0-9a-f]{32})").matcher(Files.readString(peerConsole));
        assertTrue(sent.find(), "the peer's md5 of its file");
        GuestConsole.Output got = guest.shell("s=$(date +%s); wget -q -O - http://10.9.0.2:8000/blob | md5sum;"
                + " echo \"guest seconds: $(($(date +%s) - s))\"", 900);
        RESULTS.add("wget 1 MiB: " + got.text().strip().replace('\n', ';') + " (peer: " + sent.group(1) + ")");
        assertTrue(got.text().contains(sent.group(1)), "the same 1 MiB arrived: " + got + ", the peer sent " + sent.group(1));
        GuestConsole.Output stat = guest.shell("grep firewire0 /proc/net/dev", 300);
        RESULTS.add("/proc/net/dev after wget: " + stat.text().strip());
    }

    /**
     * IPv6 over 1394 (RFC 3146, the peer's second unit): a ping of the peer's link-local address,
     * whose interface identifier is its GUID 0800280000000b01 with the universal/local bit inverted;
     * neighbour discovery goes over the broadcast channel as the ARP did.
     */
    @Test
    @Order(4)
    void ipv6PingOfThePeersLinkLocalAddress() throws Exception {
        GuestConsole.Output ping = guest.shell("ping -6 -c 3 -W 30 -I firewire0 fe80::a00:2800:0:b01", 600);
        RESULTS.add("ping -6: " + ping.text().strip().replace('\n', ';'));
        GuestConsole.Output neigh = guest.shell("ip -6 addr show dev firewire0; ip -6 neigh", 300);
        RESULTS.add("ip -6: " + neigh.text().strip().replace('\n', ';'));
        assertAnswered(ping, "the peer answered over IPv6: ");
    }

    /** Busybox ping's summary is there and counts at least one reply. */
    private static void assertAnswered(GuestConsole.Output ping, String what) {
        Matcher m = PING_SUMMARY.matcher(ping.text());
        assertTrue(m.find(), "ping's summary: " + ping);
        assertTrue(Integer.parseInt(m.group(2)) >= 1, what + ping);
    }
}
