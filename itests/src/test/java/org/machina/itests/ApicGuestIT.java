package org.machina.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
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
 * The Debian i386 guest on the APICs ({@code -cpu pentium3,+apic}, issue 18): the kernel finds
 * the MADT's local APIC and I/O APIC, routes its interrupts through the I/O APIC (the ISA timer
 * on pin 2, the PCI disk and NIC level-triggered on their ISA IRQs) and ticks on the local APIC
 * timer; a virtio disk reads back its pattern and the e1000 fetches a file from the test's HTTP
 * server, both interrupting through the I/O APIC.
 *
 * <p>Not in the default suite (a boot costs minutes): skipped unless
 * {@code -Dmachina.apicGuest=true}; run it with
 * {@code flock /work/guest.lock mvn -pl itests verify -Dit.test=ApicGuestIT -Dmachina.apicGuest=true}
 * after {@code mvn install -DskipTests}.
 */
@Timeout(value = 30, unit = TimeUnit.MINUTES)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ApicGuestIT {
    private static final long BOOT_TIMEOUT_S = Long.getLong("machina.bootTimeout", 1200);
    private static final long COMMAND_TIMEOUT_S = 300;
    private static final int DISK_BYTES = 2 << 20;
    private static final int NET_BYTES = 1 << 20;

    private static GuestConsole guest;
    private static GuestHttpServer http;
    private static byte[] disk;
    private static byte[] net;

    @BeforeAll
    @Timeout(value = 30, unit = TimeUnit.MINUTES)
    static void boot() throws Exception {
        Assumptions.assumeTrue(Boolean.getBoolean("machina.apicGuest"),
                "ApicGuestIT boots a Linux guest (minutes): run with -Dmachina.apicGuest=true");
        GuestFiles files = GuestFiles.locate("apic-guest");
        Path out = files.out();
        disk = pattern(DISK_BYTES, 0x1234_5678L);
        Path raw = out.resolve("vda.raw");
        Files.write(raw, disk);
        net = pattern(NET_BYTES, 0x7654_3210L);
        http = new GuestHttpServer(net);
        Path launcher = Path.of(System.getProperty("machina.bundles")).getParent().resolve("lib/launcher-0.1.0-SNAPSHOT.jar");
        assertTrue(Files.isRegularFile(launcher), "built distribution missing: " + launcher);
        guest = GuestConsole.boot(launcher, out, List.of("-machine", "pc", "-cpu", "pentium3,+apic", "-m", "256",
                "-kernel", files.kernel().toString(), "-initrd", files.initramfs().toString(),
                "-append", "console=ttyS0 panic=-1 apic=verbose " + GuestConsole.FAST_BOOT, "-nographic",
                "-drive", "file=" + raw + ",format=raw,if=virtio", "-nic", "user,model=e1000"), BOOT_TIMEOUT_S);
        assertEquals(0, guest.shell("dmesg -n 4", COMMAND_TIMEOUT_S).status(), "dmesg -n 4");
    }

    @AfterAll
    static void powerOff() throws Exception {
        if (guest != null) {
            System.out.println("ApicGuestIT: poweroff status " + guest.powerOff(180));
        }
        if (http != null) {
            http.close();
        }
    }

    @Test
    @Order(1)
    void kernelFoundTheApicsInTheMadt() {
        String log = guest.bootLog();
        assertTrue(log.contains("mapped APIC to") && log.contains("fee00000)"), "the MADT's local APIC address:\n"
                + GuestConsole.tail(log, 4000));
        assertTrue(log.contains("IOAPIC[0]: apic_id 1, version 17, address 0xfec00000, GSI 0-23"),
                "the MADT's I/O APIC:\n" + GuestConsole.tail(log, 4000));
        assertTrue(log.contains("INT_SRC_OVR (bus 0 bus_irq 0 global_irq 2 dfl dfl)"), "IRQ0 -> GSI 2 override");
        assertTrue(log.contains("INT_SRC_OVR (bus 0 bus_irq 11 global_irq 11 low level)"), "PCI IRQ 11 override");
        assertTrue(log.contains("Enabling APIC mode:  Flat.  Using 1 I/O APICs"), "symmetric I/O mode");
        assertTrue(log.contains("..TIMER: vector=0x30 apic1=0 pin1=2"), "the timer on I/O APIC pin 2");
        assertTrue(log.contains("calibrating APIC timer ..."), "the APIC timer calibration (apic=verbose)");
        // the APIC timer counts the 100 MHz bus clock of the virtual clock; Linux measures it over the
        // ticks of the global clock event device (99.4 and 100.1 MHz in two boots: interrupt latency)
        assertTrue(Pattern.compile("host bus clock speed is (9[5-9]|10[0-4])\\.\\d+ MHz").matcher(log).find(),
                "the APIC timer's bus clock:\n" + GuestConsole.tail(log, 4000));
        assertTrue(!log.contains("APIC timer disabled"), "the APIC timer was verified");
    }

    @Test
    @Order(2)
    void interruptsGoThroughTheIoApicAndTheLocalTimerTicks() throws Exception {
        GuestConsole.Output first = guest.shell("cat /proc/interrupts", COMMAND_TIMEOUT_S);
        System.out.println("ApicGuestIT: /proc/interrupts:\n" + first.text());
        assertTrue(first.text().contains("IO-APIC"), "IO-APIC lines:\n" + first.text());
        assertTrue(Pattern.compile("IO-APIC\\s+4-edge\\s+ttyS0").matcher(first.text()).find(), "the serial port on pin 4");
        assertTrue(Pattern.compile("ERR:\\s+0\\b").matcher(first.text()).find(), "no APIC errors:\n" + first.text());
        long loc1 = localTimer(first.text());
        GuestConsole.Output clock = guest.shell("cat /sys/devices/system/clockevents/clockevent0/current_device; sleep 1",
                COMMAND_TIMEOUT_S);
        assertTrue(clock.text().contains("lapic"), "the per-CPU clock event device: " + clock);
        long loc2 = localTimer(guest.shell("cat /proc/interrupts", COMMAND_TIMEOUT_S).text());
        System.out.printf("ApicGuestIT: LOC %d -> %d across sleep 1%n", loc1, loc2);
        assertTrue(loc2 > loc1, "local timer interrupts rise: " + loc1 + " -> " + loc2);
    }

    @Test
    @Order(3)
    void virtioDiskReadsBackThroughTheIoApic() throws Exception {
        GuestConsole.Output md5 = guest.shell("dd if=/dev/vda bs=64k 2>/dev/null | md5sum", COMMAND_TIMEOUT_S);
        assertEquals(0, md5.status(), md5.toString());
        assertTrue(md5.text().contains(md5(disk)), "the disk's pattern: " + md5);
        String irqs = guest.shell("grep virtio /proc/interrupts", COMMAND_TIMEOUT_S).text();
        assertTrue(irqs.contains("IO-APIC") && irqs.contains("fasteoi"), "virtio on a level-triggered I/O APIC pin: " + irqs);
    }

    @Test
    @Order(4)
    void e1000FetchesAFileThroughTheIoApic() throws Exception {
        assertEquals(0, guest.shell("ifconfig eth0 up", COMMAND_TIMEOUT_S).status(), "ifconfig eth0 up");
        GuestConsole.Output dhcp = guest.shell("udhcpc -i eth0 -n -q -t 10 -T 2", COMMAND_TIMEOUT_S);
        assertTrue(dhcp.text().contains("lease of 10.0.2.15"), dhcp.toString());
        GuestConsole.Output md5 = guest.shell("wget -q -O - http://10.0.2.2:" + http.port() + "/big | md5sum",
                COMMAND_TIMEOUT_S);
        assertTrue(md5.text().contains(md5(net)), "the file over the e1000: " + md5);
        String irqs = guest.shell("grep eth0 /proc/interrupts", COMMAND_TIMEOUT_S).text();
        assertTrue(irqs.contains("IO-APIC"), "the e1000 on an I/O APIC pin: " + irqs);
    }

    /** The LOC (local timer interrupts) count of CPU0 in /proc/interrupts. */
    private static long localTimer(String interrupts) {
        Matcher m = Pattern.compile("LOC:\\s+(\\d+)").matcher(interrupts);
        assertTrue(m.find(), "a LOC line:\n" + interrupts);
        return Long.parseLong(m.group(1));
    }

    private static byte[] pattern(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static String md5(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(b));
    }
}
