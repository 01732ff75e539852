package org.machina.itests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.machina.itests.GuestConsole.Match;
import org.machina.itests.GuestConsole.Output;

/**
 * The one test that boots Linux (each boot costs minutes of interpretation, so every guest check
 * shares it): the Debian i386 kernel ({@code images/vmlinuz}) with the busybox initramfs
 * ({@code images/initramfs.cpio.gz}, made by {@code scripts/guest-images.sh}, carrying the
 * virtio-blk modules) on the built distribution, run exactly as a user runs it
 * ({@code java -jar launcher.jar run -machine pc ... -nographic}, serial console on the process's
 * stdin and stdout), with two virtio disks: a qcow2 image (read-write) and a raw image with
 * {@code readonly=on}, both 4 MiB of a generated pattern; an IDE disk (a 4 MiB qcow2 image given
 * as {@code -drive file=...,format=qcow2} without {@code if=}, QEMU's default IDE) and an IDE
 * CD-ROM ({@code -cdrom}, an ISO 9660 image made with genisoimage), both on the PIIX3 IDE
 * function and found by {@code ata_piix}.
 * {@code readonly=on}, both 4 MiB of a generated pattern, and a FireWire bus: an {@code ohci-1394}
 * controller with an {@code sbp2-disk} (qcow2, 4 MiB of another pattern) that the guest's
 * {@code firewire_sbp2} makes a {@code /dev/sdX}: it reads back, takes a write, is hot-unplugged, and its
 * image passes {@code qemu-img check} after the power-off.
 * <p>
 * In order: init loaded the virtio modules and the kernel found both disks with the right size and
 * read-only flags; Linux found the board's ACPI tables and runs on the HPET clocksource
 * ({@code clocksource=hpet}); the shell checks ({@code uname}, {@code /proc/cpuinfo}, x87 arithmetic through
 * awk, md5 of data piped through dd, {@code sleep 1} against the host clock); the disks read back
 * with the host's md5; a record written to {@code /dev/vda} is there after the page cache is
 * dropped, and {@code /dev/vdb} refuses a write and is unchanged; the IDE disk (a {@code /dev/sdX},
 * configured for DMA) reads back its pattern and keeps a record written to it, the CD-ROM
 * ({@code /dev/sr0}) mounts as iso9660 and its file has the host's md5, and dd's throughput from
 * the IDE and the virtio disk is printed; {@code poweroff} (busybox, through
 * init) ends the process by itself with status 0 through ACPI S5. Then, on the host: the qcow2 image passes
 * {@code qemu-img check} and differs from the pattern only by the record (the IDE image too), and the read-only image
 * has neither changed nor been touched.
 * <p>
 * Each command is bracketed by two echo markers ({@code __BEGIN_n__}, {@code __END_n_STATUS__}),
 * spelled with an empty quoted string in the middle so that the shell's echo of the typed line
 * never matches them. The images are optional for a plain {@code mvn verify} (the test is skipped
 * without them; without {@code qemu-img} the guest boots without disks and the disk checks are
 * skipped); {@code -Dmachina.requireImages=true} (set by {@code scripts/test.sh}) turns a missing
 * image or a missing {@code qemu-img} into a failure. The interpreter boots in three to five
 * minutes on an idle two-core machine, so every wait is generous; a wait that runs out fails with
 * the end of the console output, and once one has run out the later commands fail at once.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 30, unit = TimeUnit.MINUTES)
class LinuxGuestIT {
    /** Seconds to MACHINA-INIT-OK; {@code -Dmachina.bootTimeout=S} for a heavily loaded host. */
    private static final long BOOT_TIMEOUT_S = Long.getLong("machina.bootTimeout", 1200);
    private static final long COMMAND_TIMEOUT_S = 300;
    private static final long POWEROFF_TIMEOUT_S = 180;
    private static final long HOST_TOOL_TIMEOUT_S = 120;
    private static final Pattern PROMPT = Pattern.compile("[#$] ");
    /** A kernel message on the console; it may start in the middle of a command's output line. */
    private static final Pattern KERNEL_MESSAGE = Pattern.compile("\\[ *\\d+\\.\\d{6}\\] [^\n]*\n");

    private static final int DISK_BYTES = 4 << 20;
    private static final int WRITE_SECTOR = 1000;
    private static final String RECORD = "MACHINA-DISK-WRITE-OK";
    private static final int HOTSWAP_SECTOR = 2000;
    private static final int IDE_WRITE_SECTOR = 3000;
    /**
     * libata's option (passed to insmod by the guest's /init) that limits the primary slave, ata1.01,
     * to PIO mode 4: the IDE checks then cover PIO reads and writes beside the master's DMA.
     */
    private static final String PIO_SLAVE = "libata.force=1.01:pio4";
    /** The file on the CD-ROM: not a whole number of 2 KiB blocks. */
    private static final int CD_FILE_BYTES = 300_001;
    private static final int HOTSWAP_ROUNDS = 120;
    private static final int USB_BYTES = 4 << 20;
    private static final int USB_WRITE_SECTOR = 3000;
    private static final String USB_RECORD = "MACHINA-USB-WRITE-OK";

    private static Path root;
    private static Path out;
    private static Path initramfs;
    private static Process machina;
    private static GuestConsole console;
    private static Path stderr;
    /** The console up to the first shell prompt. */
    private static String bootLog;

    /** Whether the disks are attached (qemu-img is there to make and check the qcow2 image). */
    private static boolean disks;
    private static byte[] vdaData;
    private static byte[] vdbData;
    private static Path qcow2;
    private static Path readonlyRaw;
    private static byte[] usbData;
    private static Path usbQcow2;
    private static final FileTime READONLY_MTIME = FileTime.fromMillis(1_000_000_000_000L);
    /** The IDE disk (a qcow2 image given as -drive without if=, QEMU's default IDE) and its pattern. */
    private static Path ideQcow2;
    private static byte[] ideData;
    /** The primary channel's slave (ata1.01), a raw image libata is told to drive by PIO alone. */
    private static Path pioRaw;
    private static byte[] pioData;
    /** The CD-ROM (-cdrom, an ISO 9660 image made by genisoimage) and the file on it; null without genisoimage. */
    private static byte[] cdFile;
    /** The SBP-2 disk on the FireWire bus (ohci-1394 + sbp2-disk): a qcow2 image of its own pattern. */
    private static byte[] sbp2Data;
    private static Path sbp2Qcow2;
    private static final int SBP2_WRITE_SECTOR = 3000;
    /** Set by the power-off test when the process ended by itself with status 0. */
    private static boolean poweredOff;

    /** The file the guest fetches over each NIC, from {@link #http} (10.0.2.2:PORT to the guest). */
    private static final int NET_BYTES = 8 << 20;
    private static byte[] netData;
    private static GuestHttpServer http;
    /** The same file on the host's ::1, for the guest's IPv6 fetch through [fec0::2]:PORT. */
    private static GuestHttpServer http6;
    /** Host port forwarded to the guest's port 8080 through the e1000's netdev. */
    private static int hostfwdPort;

    @BeforeAll
    @Timeout(value = 60, unit = TimeUnit.MINUTES)
    static void boot() throws Exception {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isRegularFile(dir.resolve("scripts/guest-images.sh"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            fail("scripts/guest-images.sh not found above " + Path.of("").toAbsolutePath());
        }
        root = dir;
        boolean require = Boolean.getBoolean("machina.requireImages");
        Path images = Path.of(System.getProperty("machina.images", root.resolve("images").toString()));
        Path kernel = images.resolve("vmlinuz");
        initramfs = images.resolve("initramfs.cpio.gz");
        boolean present = Files.isRegularFile(kernel) && Files.isRegularFile(initramfs);
        String missing = "guest images missing (" + kernel + ", " + initramfs + "); run scripts/guest-images.sh";
        if (!present && require) {
            fail(missing + " (machina.requireImages=true)");
        }
        Assumptions.assumeTrue(present, missing);
        disks = onPath("qemu-img");
        if (!disks && require) {
            fail("qemu-img is not installed (scripts/install-deps.sh installs qemu-utils; machina.requireImages=true)");
        }
        if (!disks) {
            System.out.println("LinuxGuestIT: no qemu-img: booting without disks, the disk checks are skipped");
        }

        Path launcher = launcher();
        out = root.resolve("itests/target/linux-guest");
        GuestFiles.emptyFolder(out);
        stderr = out.resolve("machina-stderr.txt");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", GuestConsole.machineJvmOptions(),
                "-jar", launcher.toString(), "run", "-machine", "pc", "-cpu", "pentium3", "-m", "256",
                "-kernel", kernel.toString(), "-initrd", initramfs.toString(),
                "-append", "console=ttyS0 panic=-1 clocksource=hpet " + PIO_SLAVE + " " + GuestConsole.FAST_BOOT, "-nographic",
                "-qmp", "unix:" + out.resolve("qmp.sock") + ",server=on,wait=off"));
        String accel = System.getProperty("machina.guestAccel", "");
        if (!accel.isBlank()) { // e.g. -Dmachina.guestAccel=interp: the same checks on the interpreter alone
            cmd.addAll(List.of("-accel", accel));
        }
        netData = pattern(NET_BYTES, 0x5DEECE66DL);
        http = new GuestHttpServer(netData);
        http6 = new GuestHttpServer(netData, "::1");
        hostfwdPort = GuestHttpServer.freePort();
        // eth0: e1000 on 10.0.2.0/24 with a hostfwd; eth1: virtio-net on its own network 10.0.3.0/24
        // the e1000's frames are recorded (itests/target/linux-guest/eth0.pcap) for when a network check fails
        cmd.addAll(List.of("-object", "filter-dump,id=dump0,netdev=nic0,file=" + out.resolve("eth0.pcap") + ",maxlen=256"));
        cmd.addAll(List.of("-nic", "user,id=nic0,model=e1000,outside=loopback,hostfwd=tcp:127.0.0.1:" + hostfwdPort + "-:8080",
                "-netdev", "user,id=vnet,net=10.0.3.0/24,ipv6-net=fd00:3::/64,outside=loopback", "-device", "virtio-net-pci,netdev=vnet"));
        if (disks) {
            vdaData = pattern(DISK_BYTES, 0x9E3779B97F4A7C15L);
            vdbData = pattern(DISK_BYTES, 0x2545F4914F6CDD1DL);
            Path raw = out.resolve("vda-pattern.raw");
            Files.write(raw, vdaData);
            qcow2 = out.resolve("vda.qcow2");
            host("qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw.toString(), qcow2.toString());
            readonlyRaw = out.resolve("vdb-readonly.raw");
            Files.write(readonlyRaw, vdbData);
            Files.setLastModifiedTime(readonlyRaw, READONLY_MTIME);
            cmd.addAll(List.of("-drive", "file=" + qcow2 + ",format=qcow2,if=virtio",
                    "-drive", "file=" + readonlyRaw + ",format=raw,if=virtio,readonly=on"));
            // a USB stick (qcow2) on port 1 of an xHCI controller
            usbData = pattern(USB_BYTES, 0x6A09E667F3BCC909L);
            Path usbRaw = out.resolve("usb-pattern.raw");
            Files.write(usbRaw, usbData);
            usbQcow2 = out.resolve("usb.qcow2");
            host("qemu-img", "convert", "-f", "raw", "-O", "qcow2", usbRaw.toString(), usbQcow2.toString());
            cmd.addAll(List.of("-drive", "if=none,id=usbstick,format=qcow2,file=" + usbQcow2,
                    "-device", "qemu-xhci,id=xhci", "-device", "usb-storage,bus=xhci.0,port=1,drive=usbstick"));
            ideData = pattern(DISK_BYTES, 0x632BE59BD9B4E019L);
            Path ideRaw = out.resolve("ide-pattern.raw");
            Files.write(ideRaw, ideData);
            ideQcow2 = out.resolve("hda.qcow2");
            host("qemu-img", "convert", "-f", "raw", "-O", "qcow2", ideRaw.toString(), ideQcow2.toString());
            cmd.addAll(List.of("-drive", "file=" + ideQcow2 + ",format=qcow2"));
            pioData = pattern(DISK_BYTES, 0x3C6EF372FE94F82BL);
            pioRaw = out.resolve("hdb-pio.raw");
            Files.write(pioRaw, pioData);
            cmd.addAll(List.of("-drive", "file=" + pioRaw + ",format=raw,if=ide,index=1"));
            if (onPath("genisoimage")) {
                cdFile = pattern(CD_FILE_BYTES, 0x5851F42D4C957F2DL);
                Path tree = out.resolve("cd-tree");
                Files.createDirectories(tree);
                Files.write(tree.resolve("pattern.bin"), cdFile);
                Path iso = out.resolve("cd.iso");
                host("genisoimage", "-quiet", "-R", "-V", "MACHINA", "-o", iso.toString(), tree.toString());
                cmd.addAll(List.of("-cdrom", iso.toString()));
            } else if (require) {
                fail("genisoimage is not installed (scripts/install-deps.sh installs it; machina.requireImages=true)");
            } else {
                System.out.println("LinuxGuestIT: no genisoimage: booting without a CD-ROM, its checks are skipped");
            }
        }
        if (disks) {
            // FireWire: an OHCI 1394 controller and an SBP-2 disk node on its bus (a /dev/sdX in the guest)
            sbp2Data = pattern(DISK_BYTES, 0x5851F42D4C957F2DL);
            Path raw = out.resolve("sbp2-pattern.raw");
            Files.write(raw, sbp2Data);
            sbp2Qcow2 = out.resolve("sbp2.qcow2");
            host("qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw.toString(), sbp2Qcow2.toString());
            cmd.addAll(List.of("-drive", "file=" + sbp2Qcow2 + ",format=qcow2,if=none,id=fw0",
                    "-device", "ohci-1394", "-device", "sbp2-disk,drive=fw0,id=fwdisk0"));
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(stderr.toFile());
        // no drop-in bundles from the user's ~/.machina
        pb.environment().put("MACHINA_HOME", out.resolve("home").toString());
        long started = System.nanoTime();
        machina = pb.start();
        console = GuestConsole.of(machina, out.resolve("console.txt"), stderr);

        int initOk = console.await(Pattern.compile("MACHINA-INIT-OK"), 0, BOOT_TIMEOUT_S,
                "/init's MACHINA-INIT-OK marker").end();
        Match prompt = console.await(PROMPT, initOk, COMMAND_TIMEOUT_S, "the busybox shell prompt after MACHINA-INIT-OK");
        bootLog = console.text().substring(0, prompt.end());
        System.out.printf("LinuxGuestIT: shell prompt %.1f s after the launcher started%n", (prompt.nanos() - started) / 1e9);
        // only errors and worse from the kernel on the console from here on: fewer messages between output lines
        assertEquals(0, shell("dmesg -n 4").status(), "dmesg -n 4");
    }

    @AfterAll
    static void killLeftover() throws Exception {
        if (http != null) {
            http.close();
        }
        if (http6 != null) {
            http6.close();
        }
        if (machina != null && machina.isAlive()) {
            machina.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }

    private static Path launcher() {
        String override = System.getProperty("machina.launcher");
        Path launcher = override != null ? Path.of(override)
                : Path.of(System.getProperty("machina.bundles")).getParent().resolve("lib/launcher-0.1.0-SNAPSHOT.jar");
        assertTrue(Files.isRegularFile(launcher), "built distribution missing: " + launcher
                + " (mvn install -DskipTests -pl distributions/full -am)");
        return launcher;
    }

    @Test
    @Order(1)
    void initLoadedTheVirtioModules() throws Exception {
        assertTrue(!bootLog.contains("init: cannot load module"), "init failed to load a module:\n" + GuestConsole.tail(bootLog, 3000));
        Output r = shell("cat /proc/modules");
        assertEquals(0, r.status(), r.toString());
        for (String m : List.of("virtio", "virtio_ring", "virtio_pci", "virtio_blk")) {
            assertTrue(r.lines().stream().anyMatch(l -> l.startsWith(m + " ")), "module " + m + " loaded: " + r);
        }
    }

    @Test
    @Order(2)
    void kernelFoundBothDisks() throws Exception {
        Assumptions.assumeTrue(disks, "no disks attached (qemu-img missing)");
        for (String d : List.of("vda", "vdb")) {
            assertTrue(Pattern.compile("\\[" + d + "\\] " + DISK_BYTES / 512 + " 512-byte logical blocks").matcher(bootLog).find(),
                    "the kernel reports " + d + " with " + DISK_BYTES / 512 + " sectors:\n" + GuestConsole.tail(bootLog, 3000));
        }
        assertEquals(List.of(String.valueOf(DISK_BYTES / 512), String.valueOf(DISK_BYTES / 512)),
                shell("cat /sys/block/vda/size /sys/block/vdb/size").nonBlank(), "sizes in sectors");
        assertEquals(List.of("0", "1"), shell("cat /sys/block/vda/ro /sys/block/vdb/ro").nonBlank(),
                "vda read-write, vdb read-only");
    }

    @Test
    @Order(3)
    void linuxFoundTheBoardsAcpiTables() throws Exception {
        // timestamps cut off in the guest: lines that look like kernel messages are dropped from command output
        Output r = shell("dmesg | sed 's/^\\[[ 0-9.]*\\] //' | grep -e 'ACPI' -e 'PCI0' -e 'hpet' -e 'Firmware Bug'");
        String t = r.text();
        assertTrue(!t.contains("ACPI Error") && !t.contains("ACPI Warning") && !t.contains("Firmware Bug"),
                "ACPICA and the kernel accept the tables without complaint: " + r);
        for (String expected : List.of("ACPI: RSDP 0x00000000000E0000", "ACPI: XSDT", "ACPI: FACP", "ACPI: DSDT",
                "ACPI: HPET", "ACPI: PM-Timer IO Port: 0x608", "ACPI: Interpreter enabled", "PCI Root Bridge [PCI0]")) {
            assertTrue(t.contains(expected), "dmesg has '" + expected + "': " + r);
        }
    }

    @Test
    @Order(4)
    void hpetIsTheClocksource() throws Exception {
        String dir = "/sys/devices/system/clocksource/clocksource0/";
        List<String> available = List.of(shell("cat " + dir + "available_clocksource").single().trim().split(" +"));
        assertTrue(available.contains("hpet") && available.contains("acpi_pm"), "available clocksources: " + available);
        assertEquals("hpet", shell("cat " + dir + "current_clocksource").single().trim(), "clocksource=hpet is in use");
    }

    @Test
    @Order(5)
    void unameNamesAnI686Linux() throws Exception {
        Output r = shell("uname -a");
        assertEquals(0, r.status(), r.toString());
        String line = r.lines().stream().filter(l -> l.startsWith("Linux ")).findFirst()
                .orElseThrow(() -> new AssertionError("no 'Linux ...' line: " + r));
        assertTrue(line.matches("Linux \\S+ \\d+\\.\\d+\\S* .* i686 GNU/Linux"), "uname -a: " + line);
        assertEquals("i686", shell("uname -m").single(), "uname -m");
    }

    @Test
    @Order(6)
    void cpuinfoDescribesTheEmulatedCpu() throws Exception {
        Output r = shell("cat /proc/cpuinfo");
        assertEquals(0, r.status(), r.toString());
        assertTrue(r.lines().stream().anyMatch(l -> l.matches("vendor_id\\s*: GenuineIntel")), "vendor_id: " + r);
        assertTrue(r.lines().stream().anyMatch(l -> l.matches("model name\\s*: Pentium III.*")), "model name: " + r);
        assertTrue(r.lines().stream().anyMatch(l -> l.matches("fpu\\s*: yes")), "fpu: yes: " + r);
        String flags = r.lines().stream().filter(l -> l.startsWith("flags")).findFirst()
                .orElseThrow(() -> new AssertionError("no flags line: " + r));
        for (String f : List.of("fpu", "tsc", "cx8", "cmov")) {
            assertTrue((flags + " ").contains(" " + f + " "), "flag " + f + " in " + flags);
        }
    }

    /**
     * awk numbers are doubles, computed by the x87 FPU (Debian's i386 busybox is built without
     * SSE) and printed by glibc's printf. Debian's busybox awk has no libm functions (sqrt, exp,
     * ...), so the square root and pi are computed by series here.
     */
    @Test
    @Order(7)
    void awkArithmeticUsesTheFpu() throws Exception {
        assertEquals("1.414214 1.125000",
                shell("awk 'BEGIN{x=1; for(i=0;i<6;i++) x=(x+2/x)/2; printf \"%.6f %.6f\\n\", x, 3.5*2.25/7}'").single(),
                "Newton's square root of 2 and a quotient");
        assertEquals("3.141592653590", shell("awk 'BEGIN{s=0; p=1; for(k=0;k<12;k++)"
                + " {s+=(4/(8*k+1)-2/(8*k+4)-1/(8*k+5)-1/(8*k+6))/p; p*=16}; printf \"%.12f\\n\", s}'").single(),
                "pi by the Bailey-Borwein-Plouffe series");
        assertEquals("0.30000000000000004 0.33333333333333331 6.022e+20",
                shell("awk 'BEGIN{printf \"%.17g %.17g %.3e\\n\", 0.1+0.2, 1/3, 6.02214076e23*1e-3}'").single(),
                "double rounding");
        assertEquals("1e+300 1.7976931348623157e+308 -7 2",
                shell("awk 'BEGIN{printf \"%g %.17g %d %s\\n\", 1e150*1e150, 1.7976931348623157e308, int(-7.5), 17%5}'")
                        .single(), "large magnitudes, truncation, remainder");
    }

    @Test
    @Order(8)
    void checksumsThroughDdAndMd5sum() throws Exception {
        assertEquals(md5(new byte[4 << 20]) + "  -",
                shell("dd if=/dev/zero bs=1M count=4 2>/dev/null | md5sum").single(), "4 MiB of zeros");

        StringBuilder seq = new StringBuilder();
        for (int i = 1; i <= 100_000; i++) {
            seq.append(i).append('\n');
        }
        assertEquals(md5(seq.toString().getBytes(StandardCharsets.US_ASCII)) + "  -",
                shell("seq 1 100000 | dd bs=4k 2>/dev/null | md5sum").single(), "seq 1 100000");

        byte[] busybox = cpioMember(initramfs, "bin/busybox");
        assertEquals(md5(busybox) + "  -", shell("dd if=/bin/busybox bs=64k 2>/dev/null | md5sum").single(),
                "/bin/busybox (" + busybox.length + " bytes) as unpacked by the kernel from the initramfs");
        byte[] four = new byte[4 * busybox.length];
        for (int i = 0; i < 4; i++) {
            System.arraycopy(busybox, 0, four, i * busybox.length, busybox.length);
        }
        assertEquals(md5(four) + "  -",
                shell("cat /bin/busybox /bin/busybox /bin/busybox /bin/busybox > /tmp/b4 && md5sum < /tmp/b4").single(),
                "four copies of /bin/busybox written to and read back from tmpfs");
    }

    @Test
    @Order(9)
    void sleepTakesAtLeastItsTimeOnTheHostClock() throws Exception {
        Output r = shell("sleep 1");
        assertEquals(0, r.status(), r.toString());
        double seconds = (r.endNanos() - r.startNanos()) / 1e9;
        System.out.printf("LinuxGuestIT: guest 'sleep 1' took %.3f s of host time%n", seconds);
        assertTrue(seconds >= 0.95, "guest 'sleep 1' took only " + seconds + " s of host time");
        assertTrue(seconds < 120, "guest 'sleep 1' took " + seconds + " s of host time (sanity bound)");
    }

    @Test
    @Order(10)
    void guestReadsBothDisksWithTheHostsMd5() throws Exception {
        Assumptions.assumeTrue(disks, "no disks attached (qemu-img missing)");
        assertEquals(md5(vdaData) + "  -", shell("dd if=/dev/vda bs=64k 2>/dev/null | md5sum").single(),
                "/dev/vda (qcow2) reads back the pattern written on the host");
        assertEquals(md5(vdbData) + "  -", shell("dd if=/dev/vdb bs=64k 2>/dev/null | md5sum").single(),
                "/dev/vdb (raw, readonly=on) reads back the pattern written on the host");
    }

    /**
     * A record written to vda (one padded sector, fsync) is read back from the device after the
     * page cache is dropped, with the rest of the disk unchanged; a write to the read-only vdb
     * fails and leaves it as it was.
     */
    @Test
    @Order(11)
    void guestWritesVdaAndVdbRefusesWrites() throws Exception {
        Assumptions.assumeTrue(disks, "no disks attached (qemu-img missing)");
        Output write = shell("echo " + RECORD + " | dd of=/dev/vda bs=512 seek=" + WRITE_SECTOR + " conv=sync,fsync 2>&1");
        assertEquals(0, write.status(), "write to /dev/vda: " + write);
        assertTrue(write.lines().contains("1+0 records out"), "one sector written to /dev/vda: " + write);
        assertEquals(0, shell("sync; echo 3 > /proc/sys/vm/drop_caches").status(), "sync and drop the page cache");
        assertEquals(md5(sectorWithRecord()) + "  -",
                shell("dd if=/dev/vda bs=512 skip=" + WRITE_SECTOR + " count=1 2>/dev/null | md5sum").single(),
                "sector " + WRITE_SECTOR + " of /dev/vda holds the record (NUL-padded), read back from the device");
        assertEquals(md5(vdaAfterWrite()) + "  -", shell("dd if=/dev/vda bs=64k 2>/dev/null | md5sum").single(),
                "/dev/vda: the pattern with only sector " + WRITE_SECTOR + " changed");

        Output refused = shell("echo x | dd of=/dev/vdb bs=512 seek=3 conv=sync,fsync 2>&1");
        assertNotEquals(0, refused.status(), "a write to the read-only /dev/vdb must fail: " + refused);
        // Linux refuses it itself (EPERM for a read-only block device), before the device sees it
        assertTrue(refused.text().contains("Operation not permitted"), "why the write to /dev/vdb failed: " + refused);
        assertEquals(0, shell("sync; echo 3 > /proc/sys/vm/drop_caches").status(), "sync and drop the page cache");
        assertEquals(md5(vdbData) + "  -", shell("dd if=/dev/vdb bs=64k 2>/dev/null | md5sum").single(),
                "/dev/vdb unchanged after the refused write");
    }

    /**
     * The IDE disks through ata_piix and sd_mod (each a /dev/sdX): the primary master (QEMU's default
     * if=ide for a -drive without if=), for which the driver chose DMA, and the primary slave, which
     * {@link #PIO_SLAVE} limits to PIO. Each reads back the host's pattern, and a record written to
     * it is read back from the device after the page cache is dropped.
     */
    @Test
    @Order(12)
    void ideDiskThroughAtaPiixReadsAndWrites() throws Exception {
        String sd = scsiDisk(IDE_MASTER);
        Assumptions.assumeTrue(disks, "no disks attached (qemu-img missing)");
        assertTrue(bootLog.contains("ata_piix"), "ata_piix bound the PIIX3 IDE function:\n" + GuestConsole.tail(bootLog, 4000));
        assertTrue(Pattern.compile("ata\\d+\\.00: ATA-6: MACHINA HARDDISK").matcher(bootLog).find(),
                "libata identified the disk:\n" + GuestConsole.tail(bootLog, 4000));
        // libata's transfer mode (XFER_MW_DMA_2 on a PIIX3) of ata1.00 (the primary master) and ata2.00 (the CD-ROM)
        List<String> modes = shell("cat /sys/class/ata_device/dev1.0/xfer_mode /sys/class/ata_device/dev2.0/xfer_mode")
                .nonBlank();
        System.out.println("LinuxGuestIT: IDE transfer modes (disk, CD-ROM): " + modes);
        assertTrue(modes.get(0).matches("XFER_(MW_|U)DMA_\\d"), "libata configured the disk for DMA: " + modes);
        assertEquals(String.valueOf(DISK_BYTES / 512), shell("cat /sys/block/" + sd + "/size").single(), sd + " size in sectors");
        assertEquals(md5(ideData) + "  -", shell("dd if=/dev/" + sd + " bs=64k 2>/dev/null | md5sum").single(),
                "/dev/" + sd + " (IDE, qcow2) reads back the pattern written on the host");
        Output write = shell("echo " + RECORD + " | dd of=/dev/" + sd + " bs=512 seek=" + IDE_WRITE_SECTOR
                + " conv=sync,fsync 2>&1");
        assertTrue(write.status() == 0 && write.lines().contains("1+0 records out"), "one sector written to /dev/" + sd + ": " + write);
        assertEquals(0, shell("sync; echo 3 > /proc/sys/vm/drop_caches").status(), "sync and drop the page cache");
        assertEquals(md5(ideAfterWrite()) + "  -", shell("dd if=/dev/" + sd + " bs=64k 2>/dev/null | md5sum").single(),
                "/dev/" + sd + ": the pattern with only sector " + IDE_WRITE_SECTOR + " changed, read back from the device");

        String slave = scsiDisk(IDE_SLAVE);
        assertEquals("XFER_PIO_4", shell("cat /sys/class/ata_device/dev1.1/xfer_mode").single(),
                "libata drives the primary slave by PIO (" + PIO_SLAVE + ")");
        assertEquals(md5(pioData) + "  -", shell("dd if=/dev/" + slave + " bs=64k 2>/dev/null | md5sum").single(),
                "/dev/" + slave + " (IDE by PIO, raw) reads back the pattern written on the host");
        Output pioWrite = shell("echo " + RECORD + " | dd of=/dev/" + slave + " bs=512 seek=" + IDE_WRITE_SECTOR
                + " conv=sync,fsync 2>&1");
        assertTrue(pioWrite.status() == 0 && pioWrite.lines().contains("1+0 records out"),
                "one sector written to /dev/" + slave + " by PIO: " + pioWrite);
        assertEquals(0, shell("sync; echo 3 > /proc/sys/vm/drop_caches").status(), "sync and drop the page cache");
        assertEquals(md5(withRecord(pioData, IDE_WRITE_SECTOR)) + "  -",
                shell("dd if=/dev/" + slave + " bs=64k 2>/dev/null | md5sum").single(),
                "/dev/" + slave + ": the pattern with only sector " + IDE_WRITE_SECTOR + " changed, read back by PIO");
    }

    /**
     * The CD-ROM through sr_mod (/dev/sr0, an ATAPI device on the secondary channel from
     * -cdrom): the ISO mounts as iso9660 and its file has the host's md5. Then the throughput of
     * reading 4 MiB with dd from the IDE disk and from the virtio disk, page cache dropped first
     * (reported, not asserted: host time depends on the load).
     */
    @Test
    @Order(13)
    void cdromMountsAndDdThroughputIdeVersusVirtio() throws Exception {
        Assumptions.assumeTrue(disks, "no disks attached (qemu-img missing)");
        if (cdFile != null) {
            assertTrue(Pattern.compile("ata\\d+\\.00: ATAPI: MACHINA CD-ROM").matcher(bootLog).find(),
                    "libata identified the CD-ROM:\n" + GuestConsole.tail(bootLog, 4000));
            Output mount = shell("mkdir -p /mnt/cd && mount -t iso9660 -o ro /dev/sr0 /mnt/cd 2>&1");
            assertEquals(0, mount.status(), "mount /dev/sr0: " + mount);
            assertEquals(String.valueOf(CD_FILE_BYTES), shell("wc -c < /mnt/cd/pattern.bin").single().trim(),
                    "the file's size on the CD");
            assertEquals(md5(cdFile) + "  /mnt/cd/pattern.bin", shell("md5sum /mnt/cd/pattern.bin").single(),
                    "the file on the CD has the host's md5");
            assertEquals(0, shell("umount /mnt/cd").status(), "umount");
        }
        String ide = scsiDisk(IDE_MASTER);
        for (String dev : List.of(ide, "vda", ide, "vda")) {
            assertEquals(0, shell("sync; echo 3 > /proc/sys/vm/drop_caches").status(), "drop the page cache");
            Output r = shell("dd if=/dev/" + dev + " of=/dev/null bs=64k 2>&1");
            assertTrue(r.status() == 0 && r.lines().contains("64+0 records in"), "dd from /dev/" + dev + ": " + r);
            double seconds = (r.endNanos() - r.startNanos()) / 1e9;
            System.out.printf("LinuxGuestIT: dd of 4 MiB from /dev/%s took %.2f s of host time (%.2f MB/s)%n", dev,
                    seconds, DISK_BYTES / 1e6 / seconds);
        }
    }

    /**
     * Hot-swaps bundles under the running guest while a shell loop writes a numbered record to a
     * sector of vda, drops the page cache, reads it back from the device and prints it on the
     * serial console: {@code devices-storage} (the virtio disk) and {@code devices-pc} (the UART
     * the console runs on, the PIC, the PIT) are updated to rebuilt jars (the same classes
     * re-packaged under a new version: new class loaders, state carried as JSON), then an update
     * of {@code devices-storage} to a jar that provides no device type is refused before anything
     * pauses, one to a jar whose virtio-blk-pci cannot load the saved state (its state version
     * rewritten to 0) is rolled back, and the CPU
     * bundle ({@code cpu-x86}) is updated to a rebuilt jar: its architectural state carried, its
     * caches rebuilt. The loop must see every record come back and print every line once, in
     * order. With a CD-ROM, the guest mounts it first (Linux locks its tray): QMP {@code eject}
     * is refused as locked before and after the {@code devices-storage} swap (the {@code ide-cd}'s
     * state), and the CD still reads afterwards.
     */
    @Test
    @Order(20)
    void hotSwapsUnderTheRunningGuestLoseNothing() throws Exception {
        Assumptions.assumeTrue(disks, "no disks attached (qemu-img missing)");
        Path bundles = launcher().getParent().getParent().resolve("bundles");
        Path storage = distributionJar(bundles, "devices-storage-");
        Path pc = distributionJar(bundles, "devices-pc-");
        Path storage2 = HotSwapJars.rebuilt(storage, out.resolve("devices-storage-rebuilt.jar"), "0.1.1.hotswap", false);
        Path pc2 = HotSwapJars.rebuilt(pc, out.resolve("devices-pc-rebuilt.jar"), "0.1.1.hotswap", false);
        Path storageNoTypes = HotSwapJars.rebuilt(storage, out.resolve("devices-storage-no-types.jar"), "0.1.2.broken", true);
        Path storageBroken = HotSwapJars.withStateVersion(storage, out.resolve("devices-storage-state-0.jar"), "0.1.3.broken",
                "org.machina.devices.storage.VirtioBlkPci", 0);
        Path cpu2 = HotSwapJars.rebuilt(distributionJar(bundles, "cpu-x86-"), out.resolve("cpu-x86-rebuilt.jar"), "0.1.1.hotswap", false);
        assertEquals(0, shell("dd if=/dev/vda of=/tmp/hs-sector bs=512 skip=" + HOTSWAP_SECTOR + " count=1 2>/dev/null").status(),
                "keep the sector the loop overwrites");
        if (cdFile != null) {                                // Linux locks the tray of a mounted CD
            assertEquals(0, shell("mkdir -p /mnt/cd && mount -t iso9660 -o ro /dev/sr0 /mnt/cd 2>&1").status(), "mount /dev/sr0");
        }

        int from = console.length();
        console.type("i=0; bad=0; while [ $i -lt " + HOTSWAP_ROUNDS + " ]; do i=$((i+1));"
                + " echo hs-$i | dd of=/dev/vda bs=512 seek=" + HOTSWAP_SECTOR + " conv=sync,fsync 2>/dev/null;"
                + " echo 3 > /proc/sys/vm/drop_caches;"
                + " r=$(dd if=/dev/vda bs=512 skip=" + HOTSWAP_SECTOR + " count=1 2>/dev/null | head -n 1);"
                + " [ \"$r\" = hs-$i ] || bad=$((bad+1)); echo HS-$i-$r; done; echo HS-DONE-$bad\n");
        console.await(Pattern.compile("HS-3-hs-3\n"), from, COMMAND_TIMEOUT_S, "the hot-swap loop's third round");

        List<String> pauses = new ArrayList<>();
        try (QmpTestClient qmp = QmpTestClient.connect(out.resolve("qmp.sock"))) {
            if (cdFile != null) {
                assertTrue(ejectRefusedAsLocked(qmp), "the mounted CD's tray is locked before the swap");
            }
            assertEquals("0.1.1.hotswap", update(qmp, "org.machina.devices-storage", storage2)
                    .getAsJsonObject("return").get("version").getAsString(), "devices-storage updated");
            if (cdFile != null) {
                assertTrue(ejectRefusedAsLocked(qmp), "the guest's lock on the CD's tray survived the devices-storage swap");
            }
            assertEquals("0.1.1.hotswap", update(qmp, "org.machina.devices-pc", pc2)
                    .getAsJsonObject("return").get("version").getAsString(), "devices-pc updated");
            JsonObject refused = update(qmp, "org.machina.devices-storage", storageNoTypes);
            assertTrue(refused.has("error") && refused.toString().contains("device type 'virtio-blk-pci' (machine")
                    && refused.toString().contains("Nothing was paused"),
                    "an update whose jar declares no virtio-blk-pci is refused before any pause: " + refused);
            JsonObject failed = update(qmp, "org.machina.devices-storage", storageBroken);
            assertTrue(failed.has("error") && failed.toString().contains("rolled back"),
                    "an update whose virtio-blk-pci cannot load the saved state is rolled back: " + failed);
            assertEquals("0.1.1.hotswap", update(qmp, "org.machina.cpu-x86", cpu2)
                    .getAsJsonObject("return").get("version").getAsString(), "cpu-x86 updated under the guest");
            JsonObject list = qmp.execute("x-machina-bundle-list", new JsonObject());
            assertTrue(list.toString().contains("\"symbolic-name\":\"org.machina.devices-storage\",\"version\":\"0.1.1.hotswap\""),
                    "devices-storage runs the rebuilt jar again after the rollback: " + list);
            for (JsonObject e : qmp.events("X_MACHINA_BUNDLE_SWAPPED")) {
                JsonObject d = e.getAsJsonObject("data");
                pauses.add(d.get("bundle").getAsString() + " " + d.get("outcome").getAsString() + " "
                        + d.get("pause-us").getAsLong() / 1000 + " ms");
            }
        }
        int swapsEnded = console.length();
        System.out.println("LinuxGuestIT: hot-swap pauses: " + pauses);
        assertEquals(4, pauses.size(), "four swaps reported their pause: " + pauses);

        Match done = console.await(Pattern.compile("HS-DONE-(\\d+)\n"), from, COMMAND_TIMEOUT_S, "the end of the hot-swap loop");
        assertTrue(done.start() > swapsEnded, "the loop was still running when the swaps ended; raise HOTSWAP_ROUNDS"
                + context());
        assertEquals("0", done.group(), "rounds whose record did not come back from the disk" + context());
        List<String> lines = KERNEL_MESSAGE.matcher(console.text().substring(from, done.start())).replaceAll("")
                .lines().filter(l -> l.startsWith("HS-")).toList();
        List<String> expected = new ArrayList<>();
        for (int i = 1; i <= HOTSWAP_ROUNDS; i++) {
            expected.add("HS-" + i + "-hs-" + i);
        }
        assertEquals(expected, lines, "every line of the loop, once and in order, on the swapped UART");
        console.await(PROMPT, done.end(), COMMAND_TIMEOUT_S, "the prompt after the loop");
        assertEquals(0, shell("dd if=/tmp/hs-sector of=/dev/vda bs=512 seek=" + HOTSWAP_SECTOR + " conv=fsync 2>/dev/null")
                .status(), "restore the sector");
        if (cdFile != null) {
            assertEquals(md5(cdFile) + "  /mnt/cd/pattern.bin", shell("md5sum /mnt/cd/pattern.bin").single(),
                    "the CD still reads after the swaps");
            assertEquals(0, shell("umount /mnt/cd").status(), "umount");
        }
    }

    /** QMP eject of the CD-ROM without force: true when refused because the guest locked the tray. */
    private static boolean ejectRefusedAsLocked(QmpTestClient qmp) throws IOException {
        JsonObject args = new JsonObject();
        args.addProperty("device", "ide1-cd0");
        JsonObject r = qmp.execute("eject", args);
        System.out.println("LinuxGuestIT: eject of the mounted CD: " + r);
        return r.has("error") && r.toString().contains("is locked");
    }

    /**
     * Runtime install under the running guest: the example bundle {@code examples/pci-scratch}
     * (not in the distribution) is installed over QMP, {@code device_add} plugs a
     * {@code pci-scratch} function, and Linux finds it after {@code echo 1 > /sys/bus/pci/rescan},
     * assigns its I/O BAR, enables it and reads the ID register ("MSCR", little-endian "RCSM")
     * through {@code resource0}.
     */
    @Test
    @Order(21)
    void aDeviceTypeInstalledAtRunTimeIsFoundByTheGuestAfterARescan() throws Exception {
        Path jar = Path.of(System.getProperty("fixture.pciScratch", "examples/pci-scratch/target/missing.jar"));
        assertTrue(Files.isRegularFile(jar), "the example bundle is built before the itests: " + jar);
        try (QmpTestClient qmp = QmpTestClient.connect(out.resolve("qmp.sock"))) {
            JsonObject args = new JsonObject();
            args.addProperty("location", jar.toString());
            JsonObject installed = qmp.execute("x-machina-bundle-install", args);
            assertTrue(installed.toString().contains("device:pci-scratch"), "installed, providing pci-scratch: " + installed);
            JsonObject dev = new JsonObject();
            dev.addProperty("driver", "pci-scratch");
            dev.addProperty("id", "scratch0");
            JsonObject added = qmp.execute("device_add", dev);
            assertTrue(added.has("return"), "device_add pci-scratch: " + added);
        }
        Output found = shell("echo 1 > /sys/bus/pci/rescan; for d in /sys/bus/pci/devices/*; do"
                + " if [ \"$(cat $d/vendor)\" = 0x1234 ] && [ \"$(cat $d/device)\" = 0x4d01 ]; then"
                + " echo 1 > $d/enable; echo \"FOUND $(dd if=$d/resource0 bs=4 count=1 2>/dev/null)\"; fi; done");
        assertTrue(found.text().contains("FOUND RCSM"), "the guest finds the function and reads its ID: " + found
                + context());
    }

    /**
     * Opt-in ({@code -Dmachina.fwSwap=true}): updates devices-firewire (ohci-1394 and sbp2-disk) to a
     * rebuilt jar while a shell loop reads the whole SBP-2 disk through md5sum: every read has the
     * disk's md5, and the guest sees no bus reset (firewire_sbp2 logs no reconnect).
     */
    private void firewireHotSwap(String sd) throws Exception {
        byte[] expected = sbp2Data.clone();
        System.arraycopy(sectorWithRecord(), 0, expected, SBP2_WRITE_SECTOR * 512, 512);
        String md5 = md5(expected);
        Path bundles = launcher().getParent().getParent().resolve("bundles");
        Path fw2 = HotSwapJars.rebuilt(distributionJar(bundles, "devices-firewire-"), out.resolve("devices-firewire-rebuilt.jar"),
                "0.1.1.hotswap", false);
        String reconnects = "dmesg | grep -c 'reconnected to LUN'; true";
        String before = shell(reconnects).single();
        int from = console.length();
        console.type("j=0; while [ $j -lt 12 ]; do j=$((j+1)); echo 3 > /proc/sys/vm/drop_caches;"
                + " m=$(dd if=/dev/" + sd + " bs=64k 2>/dev/null | md5sum); echo FW-$j-${m%% *}; done; echo FW-END-$j\n");
        console.await(Pattern.compile("FW-2-"), from, COMMAND_TIMEOUT_S, "the FireWire read loop's second round");
        String pause;
        try (QmpTestClient qmp = QmpTestClient.connect(out.resolve("qmp.sock"))) {
            assertEquals("0.1.1.hotswap", update(qmp, "org.machina.devices-firewire", fw2)
                    .getAsJsonObject("return").get("version").getAsString(), "devices-firewire updated");
            List<JsonObject> events = qmp.events("X_MACHINA_BUNDLE_SWAPPED");
            JsonObject d = events.isEmpty() ? null : events.get(0).getAsJsonObject("data");
            pause = d == null ? "(no event yet)" : d.get("outcome").getAsString() + " " + d.get("pause-us").getAsLong() / 1000
                    + " ms, devices " + d.get("devices");
        }
        int swapEnded = console.length();
        System.out.println("LinuxGuestIT: devices-firewire hot-swap: " + pause);
        Match done = console.await(Pattern.compile("FW-END-(\\d+)\n"), from, COMMAND_TIMEOUT_S, "the end of the FireWire read loop");
        assertTrue(done.start() > swapEnded, "the loop was still running when the swap ended" + context());
        List<String> lines = KERNEL_MESSAGE.matcher(console.text().substring(from, done.start())).replaceAll("")
                .lines().filter(l -> l.startsWith("FW-")).toList();
        List<String> want = new ArrayList<>();
        for (int j = 1; j <= 12; j++) {
            want.add("FW-" + j + "-" + md5);
        }
        assertEquals(want, lines, "every read of /dev/" + sd + " before, during and after the swap has the disk's md5");
        console.await(PROMPT, done.end(), COMMAND_TIMEOUT_S, "the prompt after the loop");
        assertEquals(before, shell(reconnects).single(), "no SBP-2 reconnect: the guest saw no bus reset; "
                + shell("dmesg | grep -i -E 'firewire|sbp2' | tail -20"));
    }

    private static JsonObject update(QmpTestClient qmp, String bundle, Path jar) throws IOException {
        JsonObject args = new JsonObject();
        args.addProperty("bundle", bundle);
        args.addProperty("location", jar.toString());
        return qmp.execute("x-machina-bundle-update", args);
    }

    private static Path distributionJar(Path bundles, String prefix) throws IOException {
        try (var s = Files.list(bundles)) {
            return s.filter(p -> p.getFileName().toString().startsWith(prefix)).findFirst()
                    .orElseThrow(() -> new AssertionError("no " + prefix + "*.jar in " + bundles));
        }
    }

    /**
     * FireWire: firewire_ohci binds the ohci-1394 controller, the bus resets, the controller and the
     * SBP-2 node appear under /sys/bus/firewire/devices with the disk's unit directory, firewire_sbp2
     * logs in and the disk is a /dev/sdX; it reads back the host's pattern, and a record written with
     * fsync is read back from the device after the caches are dropped. dd throughput of it and
     * /dev/vda (4 MiB each, host time) is printed for the note, not asserted.
     */
    @Test
    @Order(14)
    void firewireSbp2DiskReadsWritesAndUnplugs() throws Exception {
        String sd = scsiDisk("/fw");
        Assumptions.assumeTrue(disks, "no disks attached (qemu-img missing)");
        Output modules = shell("cat /proc/modules");
        for (String m : List.of("firewire_core", "firewire_ohci", "firewire_sbp2", "sd_mod")) {
            assertTrue(modules.lines().stream().anyMatch(l -> l.startsWith(m + " ")), "module " + m + " loaded: " + modules);
        }
        assertTrue(shell("dmesg | grep firewire_ohci | sed 's/^\\[[^]]*\\] //'").text().contains("added OHCI v1.10 device as card 0"),
                "firewire_ohci bound the controller: " + shell("dmesg | grep -i firewire"));
        Output wait = shell("i=0; while [ ! -b /dev/" + sd + " ] && [ $i -lt 60 ]; do sleep 1; i=$((i+1)); done; ls /sys/bus/firewire/devices");
        List<String> entries = wait.nonBlank().stream().flatMap(l -> Arrays.stream(l.trim().split("\\s+"))).toList();
        String fw = shell("dmesg | grep -i -E 'firewire|sbp2|scsi|sd '").text();
        assertEquals(2, entries.stream().filter(e -> e.matches("fw\\d+")).count(),
                "two nodes (the controller and the disk) under /sys/bus/firewire/devices: " + wait + fw);
        // firewire_net (in the initramfs for FirewireNetIT) may give the controller's own node an IPv4
        // unit (specifier 0x00005e): the disk's is the one SBP-2 unit
        List<String> units = new ArrayList<>();
        for (String u : entries.stream().filter(e -> e.matches("fw\\d+\\.\\d+")).toList()) {
            if (shell("cat /sys/bus/firewire/devices/" + u + "/specifier_id").text().contains("0x00609e")) {
                units.add(u);
            }
        }
        System.out.println("LinuxGuestIT: /sys/bus/firewire/devices: " + entries);
        assertEquals(1, units.size(), "one SBP-2 unit (the disk's unit directory): " + wait + fw);
        String unit = "/sys/bus/firewire/devices/" + units.get(0);
        assertEquals("0x00609e", shell("cat " + unit + "/specifier_id").single(), "SBP-2 specifier id");
        assertEquals("0x010483", shell("cat " + unit + "/version").single(), "SBP-2 version");
        assertEquals(Integer.toString(DISK_BYTES / 512), shell("cat /sys/block/" + sd + "/size").single(), "/dev/" + sd + " size in sectors");

        Output sda = shell("dd if=/dev/" + sd + " bs=64k 2>/dev/null | md5sum");
        assertEquals(md5(sbp2Data) + "  -", sda.single(), "/dev/" + sd + " reads back the pattern written on the host");
        Output vda = shell("dd if=/dev/vda bs=64k 2>/dev/null | md5sum");
        System.out.printf("LinuxGuestIT: dd of 4 MiB (bs=64k, through md5sum): /dev/" + sd + " (SBP-2 over OHCI 1394) %.1f s,"
                + " /dev/vda (virtio-blk) %.1f s of host time%n", (sda.endNanos() - sda.startNanos()) / 1e9,
                (vda.endNanos() - vda.startNanos()) / 1e9);
        if (Boolean.getBoolean("machina.fwBench")) {
            // opt-in (-Dmachina.fwBench=true), printed for the note: raw reads of the whole SBP-2 disk and
            // of vda, the page cache dropped before each, busybox dd's report and the host time
            for (String dev : List.of(sd, "vda", sd, "vda")) {
                shell("sync; echo 3 > /proc/sys/vm/drop_caches");
                Output dd = shell("dd if=/dev/" + dev + " of=/dev/null bs=64k 2>&1");
                double seconds = (dd.endNanos() - dd.startNanos()) / 1e9;
                System.out.printf("LinuxGuestIT: fwBench: dd if=/dev/%s of=/dev/null bs=64k (%d KiB): %.2f s host time,"
                        + " %.2f MB/s; status %d; dd: %s%n", dev, DISK_BYTES >> 10, seconds, DISK_BYTES / 1e6 / seconds,
                        dd.status(), String.join(" | ", dd.lines()));
            }
        }

        assertEquals(0, shell("echo " + RECORD + " | dd of=/dev/" + sd + " bs=512 seek=" + SBP2_WRITE_SECTOR
                + " conv=sync,fsync 2>/dev/null").status(), "write a record to /dev/" + sd + "");
        assertEquals(0, shell("blockdev --flushbufs /dev/" + sd + " && echo 3 > /proc/sys/vm/drop_caches").status());
        assertEquals(md5(sectorWithRecord()) + "  -", shell("dd if=/dev/" + sd + " bs=512 skip=" + SBP2_WRITE_SECTOR
                + " count=1 2>/dev/null | md5sum").single(), "the record read back from /dev/" + sd + "");
        Output errors = shell("dmesg | grep -i -E 'firewire.*(error|fail|timed out)|sbp2.*(error|fail)' | sed 's/^\\[[^]]*\\] //'; true");
        assertTrue(errors.text().isBlank(), "no FireWire errors in the kernel log: " + errors);

        if (Boolean.getBoolean("machina.fwSwap")) {
            firewireHotSwap(sd);
        }

        // hot-unplug (QMP device_del): the bus resets without the disk's node, and the disk goes away
        assertEquals(0, shell("sync").status());
        try (QmpTestClient qmp = QmpTestClient.connect(out.resolve("qmp.sock"))) {
            JsonObject args = new JsonObject();
            args.addProperty("id", "fwdisk0");
            JsonObject r = qmp.execute("device_del", args);
            assertTrue(r.has("return"), "device_del fwdisk0: " + r);
        }
        // the kernel removes the disk and then the node (fw_device_shutdown, after its shutdown
        // delay): wait for both, or the listing may still show the node that is going away
        Output gone = shell("i=0; while { [ -b /dev/" + sd + " ] || [ $(ls /sys/bus/firewire/devices | grep -c -E '^fw[0-9]+$')"
                + " -gt 1 ]; } && [ $i -lt 60 ]; do sleep 1; i=$((i+1)); done;"
                + " ls /sys/bus/firewire/devices; [ ! -b /dev/" + sd + " ]");
        assertEquals(0, gone.status(), "/dev/" + sd + " went away after the unplug: " + gone + shell("dmesg | tail -20"));
        List<String> left = gone.nonBlank().stream().flatMap(l -> Arrays.stream(l.trim().split("\\s+"))).toList();
        assertEquals(1, left.stream().filter(e -> e.matches("fw\\d+")).count(), "only the controller's node is left: " + gone);
        Output sbp2Left = shell("grep -l 0x00609e /sys/bus/firewire/devices/fw*.*/specifier_id 2>/dev/null; true");
        assertTrue(sbp2Left.text().isBlank(), "no SBP-2 unit is left: " + gone + sbp2Left);
    }

    /**
     * The USB stick behind the xHCI controller: xhci_pci enumerated it, usb-storage and sd_mod made
     * it a /dev/sdX of the right size, the guest reads the host's pattern, writes a record that reads
     * back after the page cache is dropped; and the read throughput of that disk and /dev/vda (busybox
     * dd's own report and the host time of each command, printed, not asserted).
     */
    @Test
    @Order(15)
    void usbStorageBehindXhciReadsAndWrites() throws Exception {
        String sd = scsiDisk("/usb");
        Assumptions.assumeTrue(disks, "no disks attached (qemu-img missing)");
        Output wait = shell("for i in $(seq 1 120); do [ -b /dev/" + sd + " ] && break; sleep 1; done; cat /sys/block/" + sd + "/size");
        assertEquals(String.valueOf(USB_BYTES / 512), wait.single(), "/dev/" + sd + " appeared with the stick's size in sectors"
                + "; dmesg: " + shell("dmesg | grep -i -e usb -e xhci -e scsi -e sd | tail -40").text());
        assertEquals(List.of("1209", "0001", "Machina USB storage", "480"),
                shell("(cd /sys/bus/usb/devices/1-1 && cat idVendor idProduct product speed)").nonBlank(),
                "the device on the xHCI's first USB 2 port: ids, product string, high speed");
        assertTrue(shell("cat /sys/block/" + sd + "/device/vendor /sys/block/" + sd + "/device/model").text().contains("Machina"),
                "the SCSI INQUIRY vendor");
        assertEquals(md5(usbData) + "  -", shell("dd if=/dev/" + sd + " bs=64k 2>/dev/null | md5sum").single(),
                "the guest reads the stick's pattern");
        Output write = shell("echo " + USB_RECORD + " | dd of=/dev/" + sd + " bs=512 seek=" + USB_WRITE_SECTOR
                + " conv=sync,fsync 2>&1");
        assertEquals(0, write.status(), "dd to /dev/" + sd + ": " + write);
        assertEquals(0, shell("sync; echo 3 > /proc/sys/vm/drop_caches").status(), "sync and drop the page cache");
        assertEquals(md5(usbSectorWithRecord()) + "  -",
                shell("dd if=/dev/" + sd + " bs=512 skip=" + USB_WRITE_SECTOR + " count=1 2>/dev/null | md5sum").single(),
                "the record reads back from the stick");
        for (String dev : List.of("/dev/" + sd + "", "/dev/vda")) {
            assertEquals(0, shell("sync; echo 3 > /proc/sys/vm/drop_caches").status(), "drop the page cache");
            Output dd = shell("dd if=" + dev + " of=/dev/null bs=64k 2>&1");
            assertEquals(0, dd.status(), "dd from " + dev + ": " + dd);
            System.out.printf("LinuxGuestIT: read %s (%d KiB): %.2f s host time; dd: %s%n", dev, DISK_BYTES >> 10,
                    (dd.endNanos() - dd.startNanos()) / 1e9, String.join(" | ", dd.nonBlank()));
        }
    }

    /**
     * eth0 (e1000, {@code -nic user,model=e1000,hostfwd=...}): a DHCP lease, ping to the gateway,
     * {@value #NET_BYTES} bytes by wget from the test's HTTP server with the host's md5, and a
     * connection from the host through hostfwd to a guest {@code nc -l}.
     */
    @Test
    @Order(16)
    void e1000GetsALeasePingsFetchesAndAcceptsAHostfwdConnection() throws Exception {
        assertTrue(shell("cat /proc/modules").lines().stream().anyMatch(l -> l.startsWith("e1000 ")), "e1000 loaded");
        assertEquals(0, shell("ifconfig eth0 up").status(), "ifconfig eth0 up");
        Output dhcp = shell("udhcpc -i eth0 -n -q -t 10 -T 2");
        assertTrue(dhcp.text().contains("lease of 10.0.2.15 obtained from 10.0.2.2"), dhcp.toString());
        Output ping = shell("ping -c 2 -W 10 10.0.2.2");
        assertTrue(ping.text().contains("2 packets received"), ping.toString());
        fetch("eth0 (e1000)", "10.0.2.2");

        shell("(echo hello-from-guest | nc -l -p 8080 > /tmp/got &) ; sleep 1");
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", hostfwdPort)) {
            s.setSoTimeout((int) TimeUnit.SECONDS.toMillis(COMMAND_TIMEOUT_S));
            s.getOutputStream().write("hello-from-host\n".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            byte[] got = s.getInputStream().readNBytes("hello-from-guest\n".length());
            assertEquals("hello-from-guest\n", new String(got, StandardCharsets.US_ASCII));
        }
        Output received = shell("sleep 1; cat /tmp/got");
        assertTrue(received.text().contains("hello-from-host"), received.toString());
    }

    /** eth1 (virtio-net-pci on {@code -netdev user,net=10.0.3.0/24}): lease, ping, and the same fetch. */
    @Test
    @Order(17)
    void virtioNetGetsALeasePingsAndFetches() throws Exception {
        assertTrue(shell("cat /proc/modules").lines().stream().anyMatch(l -> l.startsWith("virtio_net ")), "virtio_net loaded");
        assertEquals(0, shell("ifconfig eth1 up").status(), "ifconfig eth1 up");
        Output dhcp = shell("udhcpc -i eth1 -n -q -t 10 -T 2");
        assertTrue(dhcp.text().contains("lease of 10.0.3.15 obtained from 10.0.3.2"), dhcp.toString());
        Output ping = shell("ping -c 2 -W 10 10.0.3.2");
        assertTrue(ping.text().contains("2 packets received"), ping.toString());
        fetch("eth1 (virtio-net-pci)", "10.0.3.2");
    }

    /**
     * IPv6 (on by default, as in QEMU): eth0's kernel takes a SLAAC address in fec0::/64 from the
     * stack's router advertisement, with the default route via the router's fe80::2 and the prefix
     * on-link; eth1's netdev ({@code ipv6-net=fd00:3::/64}) gives it an address in that prefix.
     */
    @Test
    @Order(18)
    void ipv6SlaacAddressesAndRoutesFromTheRouterAdvertisements() throws Exception {
        assertEquals(0, shell("ifconfig eth0 up; ifconfig eth1 up").status(), "ifconfig eth0/eth1 up");
        Output addr = shell(String.format(SLAAC_WAIT, "eth0", "inet6 fec0:"));
        if (!addr.text().contains("inet6 fec0::5054:ff:fe12:3456/64")) {
            fail("no SLAAC address on eth0: " + addr + "; " + shell("ip -6 addr; ip -6 route").text());
        }
        Output route = shell("ip -6 route");
        assertTrue(route.text().contains("default via fe80::2 dev eth0"), route.toString());
        assertTrue(route.text().contains("fec0::/64 dev eth0"), route.toString());
        Output addr1 = shell(String.format(SLAAC_WAIT, "eth1", "inet6 fd00:3:"));
        if (!addr1.text().contains("inet6 fd00:3::5054:ff:fe12:3457/64")) {
            fail("no SLAAC address on eth1: " + addr1 + "; " + shell("ip -6 addr; ip -6 route").text());
        }
    }

    /** Waits up to 90 s for an address (format: device, grep pattern) that is no longer tentative. */
    private static final String SLAAC_WAIT =
            "for i in $(seq 1 90); do ip -6 addr show dev %s | grep '%s' | grep -v tentative && break; sleep 1; done";

    /**
     * IPv6 through the gateway: ping -6 fec0::2, {@value #NET_BYTES} bytes by wget from the test's
     * HTTP server on the host's ::1 through {@code http://[fec0::2]:PORT/} (md5-checked), ping -6
     * fd00:3::2 on eth1.
     */
    @Test
    @Order(19)
    void ipv6PingAndFetchThroughTheGateway() throws Exception {
        assertEquals(0, shell("ifconfig eth0 up; ifconfig eth1 up").status(), "ifconfig eth0/eth1 up");
        shell(String.format(SLAAC_WAIT, "eth0", "inet6 fec0:"));
        Output ping = shell("ping -6 -c 2 -W 10 fec0::2");
        if (!ping.text().contains("2 packets received")) {
            fail(ping + "; " + shell("ip -6 neigh").text());
        }
        Output md5 = shell("wget -q -O - http://[fec0::2]:" + http6.port() + "/big | md5sum");
        assertTrue(md5.text().contains(md5(netData)), md5 + " (expected " + md5(netData) + ")");
        double seconds = (md5.endNanos() - md5.startNanos()) / 1e9;
        System.out.printf("LinuxGuestIT: eth0 (e1000) over IPv6: wget of %d MiB in %.1f s: %.2f MB/s%n", NET_BYTES >> 20, seconds,
                NET_BYTES / 1e6 / seconds);
        shell(String.format(SLAAC_WAIT, "eth1", "inet6 fd00:3:"));
        Output ping1 = shell("ping -6 -c 2 -W 10 fd00:3::2");
        assertTrue(ping1.text().contains("2 packets received"), ping1.toString());
    }

    /**
     * The name (sdX) of the SCSI disk whose sysfs device path contains {@code part} ({@code /ata}
     * for IDE: .../ata1/..., {@code /usb} for USB storage: .../usb1/..., {@code /fw} for SBP-2:
     * .../fw0/...), waiting up to 120 s for it:
     * with IDE, USB and FireWire disks in one guest, which one is sda depends on probe order.
     */
    /** Where sysfs puts the SCSI disk of the primary IDE channel's master and slave (scsiDisk patterns). */
    private static final String IDE_MASTER = "/ata1/host*/target*:0:0/";
    private static final String IDE_SLAVE = "/ata1/host*/target*:0:1/";

    private static String scsiDisk(String part) throws Exception {
        Output found = shell("(for i in $(seq 1 120); do for d in /sys/block/sd*; do case \"$(readlink -f $d)\" in *"
                + part + "*) echo \"${d##*/}\"; exit 0;; esac; done; sleep 1; done; echo none)");
        String name = found.single().trim();
        assertTrue(name.matches("sd[a-z]+"), "a SCSI disk under " + part + ": " + found
                + "; " + shell("ls -l /sys/block/").text());
        return name;
    }

    /** wget of the HTTP server's file through {@code gateway}, checked by md5; prints the throughput. */
    private static void fetch(String nic, String gateway) throws Exception {
        Output md5 = shell("wget -q -O - http://" + gateway + ":" + http.port() + "/big | md5sum");
        assertTrue(md5.text().contains(md5(netData)), md5 + " (expected " + md5(netData) + ")");
        double seconds = (md5.endNanos() - md5.startNanos()) / 1e9;
        System.out.printf("LinuxGuestIT: %s: wget of %d MiB in %.1f s: %.2f MB/s%n", nic, NET_BYTES >> 20, seconds,
                NET_BYTES / 1e6 / seconds);
    }

    /**
     * Routed traffic on eth0 (both NICs' netdevs have {@code outside=loopback}: every outside address
     * is the host's 127.0.0.1, so nothing leaves the machine, whichever way the guest routes): busybox {@code traceroute} to 203.0.113.7
     * with at most 2 hops. Its first UDP probe has TTL 1: the stack, the router, answers ICMP time
     * exceeded from 10.0.2.2 without sending anything on; the second, TTL 2, goes to 127.0.0.1's
     * closed port and the host's port unreachable comes back from 203.0.113.7 (read from the flow
     * socket's error queue). The same over IPv6 to 2001:db8::7 (::1): hop 1 fec0::2, hop 2 the outside
     * host. As root (the stack's JVM may open a raw ICMP socket), a ping to 203.0.113.7 is answered too.
     */
    @Test
    @Order(22)
    void tracerouteSeesTheGatewayTimeExceededAndTheOutsideHost() throws Exception {
        Output addr = shell("ip -4 addr show dev eth0");
        Assumptions.assumeTrue(addr.text().contains("10.0.2.15"), "eth0 has no lease (the e1000 test failed): " + addr);
        // the guest's default route may be either NIC's (both netdevs have outside=loopback): this one goes through eth0
        assertEquals(0, shell("ip route add 203.0.113.0/24 via 10.0.2.2 dev eth0").status(), "a route via eth0");
        traceroute("", "203.0.113.7", "10.0.2.2");
        // over IPv6 too: hop 1 the stack's time exceeded from fec0::2, hop 2 the probe (sent on with hop limit 1)
        // refused by ::1, whose ICMPv6 port unreachable the flow's socket reads from its error queue (IPV6_RECVERR)
        Output addr6 = shell("ip -6 addr show dev eth0");
        assertTrue(addr6.text().contains("inet6 fec0:"), "eth0's SLAAC address (ipv6PingAndFetchThroughTheGateway): " + addr6);
        assertEquals(0, shell("ip -6 route add 2001:db8::/64 via fe80::2 dev eth0").status(), "an IPv6 route via eth0");
        traceroute("-6 ", "2001:db8::7", "fec0::2");
        if ("root".equals(System.getProperty("user.name"))) {
            Output ping = shell("ping -c 1 -W 5 203.0.113.7");
            assertTrue(ping.text().contains("1 packets received"), "an outside ping through the host's ICMP socket: " + ping);
        }
    }

    /**
     * Busybox {@code traceroute} ({@code options}) to {@code target} with 2 hops: hop 1 the time exceeded
     * of the stack, the router, from {@code gateway}; hop 2 the port unreachable of the outside host.
     */
    private static void traceroute(String options, String target, String gateway) throws Exception {
        Output trace = shell("traceroute " + options + "-n -m 2 -q 1 -w 3 " + target + " 2>&1");
        assertTrue(trace.lines().stream().anyMatch(l -> l.matches("\\s*1\\s+" + Pattern.quote(gateway) + "\\s.*ms.*")),
                "hop 1: time exceeded from the gateway: " + trace);
        assertTrue(trace.lines().stream().anyMatch(l -> l.matches("\\s*2\\s+" + Pattern.quote(target) + "\\s.*ms.*")),
                "hop 2: port unreachable from the outside host: " + trace);
    }

    /**
     * The power button, pressed as {@code machina shutdown} presses it (QMP {@code system_powerdown}):
     * the event POWERDOWN, the ACPI fixed power button event (PWRBTN_STS, an SCI), Linux's button
     * driver reports it on an evdev device, busybox acpid runs {@code /etc/acpi/PWRF/00000080}
     * ({@code scripts/guest/power-button}), which says MACHINA-POWER-BUTTON and runs busybox
     * {@code poweroff} (not -f): it signals init (SIGUSR2), /init powers off, the kernel enters ACPI
     * S5 through PM1a_CNT, and the board's PM device ends the run with status 0 (event SHUTDOWN).
     */
    @Test
    @Order(23)
    void thePowerButtonPowersTheGuestOffThroughAcpiWithStatusZero() throws Exception {
        assertTrue(shell("ps").text().contains("acpid"), "busybox acpid runs (scripts/guest/init starts it)");
        int from = console.length();
        List<JsonObject> events;
        try (QmpTestClient qmp = QmpTestClient.connect(out.resolve("qmp.sock"))) {
            JsonObject pressed = qmp.execute("system_powerdown", new JsonObject());
            assertTrue(pressed.has("return"), "system_powerdown: " + pressed);
            if (!machina.waitFor(POWEROFF_TIMEOUT_S, TimeUnit.SECONDS)) {
                fail("the machine did not end within " + POWEROFF_TIMEOUT_S + " s of the power button (an initramfs"
                        + " built before scripts/build-initramfs.sh added acpid and the button module ignores it: run"
                        + " scripts/guest-images.sh)" + context());
            }
            events = qmp.eventsUntilClosed();
        }
        assertEquals(0, machina.exitValue(), "exit status after the power button" + context());
        console.drain();
        String after = console.text().substring(from);
        assertTrue(after.contains("MACHINA-POWER-BUTTON"), "the guest's acpid ran the power button's action" + context());
        assertTrue(after.contains("reboot: Power down"), "the kernel reports the power-off" + context());
        assertTrue(Files.readString(stderr).contains("guest entered ACPI S5"), "machina ended through ACPI S5" + context());
        List<String> names = events.stream().map(e -> e.get("event").getAsString()).toList();
        assertTrue(names.indexOf("POWERDOWN") >= 0 && names.indexOf("SHUTDOWN") > names.indexOf("POWERDOWN"),
                "QMP events POWERDOWN, then SHUTDOWN: " + names);
        poweredOff = true;
    }

    /** After the guest powered off: what the host finds in the image files. */
    @Test
    @Order(24)
    void hostFindsTheRecordInTheQcow2ImageAndTheReadOnlyImageUntouched() throws Exception {
        Assumptions.assumeTrue(disks, "no disks attached (qemu-img missing)");
        if (!poweredOff) {
            fail("the guest did not power off cleanly (see thePowerButtonPowersTheGuestOffThroughAcpiWithStatusZero): "
                    + "the images may be incomplete, not checked");
        }
        String check = host("qemu-img", "check", qcow2.toString());
        assertTrue(check.contains("No errors were found on the image."), "qemu-img check " + qcow2 + ":\n" + check);
        Path back = out.resolve("vda-after.raw");
        host("qemu-img", "convert", "-f", "qcow2", "-O", "raw", qcow2.toString(), back.toString());
        byte[] after = Files.readAllBytes(back);
        assertEquals(DISK_BYTES, after.length, "size of " + qcow2 + " as raw");
        byte[] expected = vdaAfterWrite();
        int sector = WRITE_SECTOR * 512;
        assertArrayEquals(sectorWithRecord(), Arrays.copyOfRange(after, sector, sector + 512),
                "sector " + WRITE_SECTOR + " of " + qcow2 + " holds the record");
        assertEquals(md5(expected), md5(after), qcow2 + ": only sector " + WRITE_SECTOR + " differs from the pattern");

        assertArrayEquals(vdbData, Files.readAllBytes(readonlyRaw), "the readonly=on image's content");

        String ideCheck = host("qemu-img", "check", ideQcow2.toString());
        assertTrue(ideCheck.contains("No errors were found on the image."), "qemu-img check " + ideQcow2 + ":\n" + ideCheck);
        Path ideBack = out.resolve("hda-after.raw");
        host("qemu-img", "convert", "-f", "qcow2", "-O", "raw", ideQcow2.toString(), ideBack.toString());
        assertEquals(md5(ideAfterWrite()), md5(Files.readAllBytes(ideBack)),
                ideQcow2 + ": only sector " + IDE_WRITE_SECTOR + " differs from the pattern");
        assertEquals(md5(withRecord(pioData, IDE_WRITE_SECTOR)), md5(Files.readAllBytes(pioRaw)),
                pioRaw + " (written by PIO): only sector " + IDE_WRITE_SECTOR + " differs from the pattern");
        assertEquals(READONLY_MTIME, Files.getLastModifiedTime(readonlyRaw), "the readonly=on image's mtime");
    }

    /** After the guest powered off: the USB stick's qcow2 is clean and holds the pattern and the record. */
    @Test
    @Order(25)
    void hostFindsTheUsbRecordAndACleanQcow2() throws Exception {
        Assumptions.assumeTrue(disks, "no disks attached (qemu-img missing)");
        if (!poweredOff) {
            fail("the guest did not power off cleanly: the USB image is not checked");
        }
        String check = host("qemu-img", "check", usbQcow2.toString());
        assertTrue(check.contains("No errors were found on the image."), "qemu-img check " + usbQcow2 + ":\n" + check);
        Path back = out.resolve("usb-after.raw");
        host("qemu-img", "convert", "-f", "qcow2", "-O", "raw", usbQcow2.toString(), back.toString());
        byte[] after = Files.readAllBytes(back);
        byte[] expected = usbData.clone();
        System.arraycopy(usbSectorWithRecord(), 0, expected, USB_WRITE_SECTOR * 512, 512);
        assertEquals(md5(expected), md5(after), usbQcow2 + ": the pattern with the record in sector " + USB_WRITE_SECTOR);
    }

    private static byte[] usbSectorWithRecord() {
        byte[] s = new byte[512];
        byte[] r = (USB_RECORD + "\n").getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(r, 0, s, 0, r.length);
        return s;
    }

    /** After the guest powered off: the SBP-2 disk's qcow2 image is clean and holds the pattern and the record. */
    @Test
    @Order(26)
    void hostFindsTheSbp2RecordInItsQcow2Image() throws Exception {
        Assumptions.assumeTrue(disks, "no disks attached (qemu-img missing)");
        if (!poweredOff) {
            fail("the guest did not power off cleanly: the SBP-2 image is not checked");
        }
        String check = host("qemu-img", "check", sbp2Qcow2.toString());
        assertTrue(check.contains("No errors were found on the image."), "qemu-img check " + sbp2Qcow2 + ":\n" + check);
        Path back = out.resolve("sbp2-after.raw");
        host("qemu-img", "convert", "-f", "qcow2", "-O", "raw", sbp2Qcow2.toString(), back.toString());
        byte[] expected = sbp2Data.clone();
        System.arraycopy(sectorWithRecord(), 0, expected, SBP2_WRITE_SECTOR * 512, 512);
        assertEquals(md5(expected), md5(Files.readAllBytes(back)), sbp2Qcow2 + ": the pattern and the record");
    }

    // ---- the serial console ----

    /** Types one command line and waits for its end marker; returns what it printed between the markers. */
    private static Output shell(String command) throws Exception {
        return console.shell(command, COMMAND_TIMEOUT_S);
    }

    private static String context() throws IOException {
        return console.context();
    }

    // ---- expected values computed here ----

    /** A reproducible pattern in which every 512-byte sector differs (xorshift64 from the seed). */
    static byte[] pattern(int length, long seed) {
        byte[] b = new byte[length];
        long x = seed;
        for (int i = 0; i < length; i += 8) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            for (int j = 0; j < 8 && i + j < length; j++) {
                b[i + j] = (byte) (x >>> 8 * j);
            }
        }
        return b;
    }

    /** What {@code echo RECORD | dd bs=512 conv=sync} writes: the line, padded with NULs to a sector. */
    private static byte[] sectorWithRecord() {
        byte[] sector = new byte[512];
        byte[] rec = (RECORD + "\n").getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(rec, 0, sector, 0, rec.length);
        return sector;
    }

    private static byte[] vdaAfterWrite() {
        return withRecord(vdaData, WRITE_SECTOR);
    }

    private static byte[] ideAfterWrite() {
        return withRecord(ideData, IDE_WRITE_SECTOR);
    }

    /** A copy of {@code data} with the record's sector at {@code sector}. */
    private static byte[] withRecord(byte[] data, int sector) {
        byte[] expected = data.clone();
        System.arraycopy(sectorWithRecord(), 0, expected, sector * 512, 512);
        return expected;
    }

    // ---- host tools ----

    private static boolean onPath(String program) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, program))) {
                return true;
            }
        }
        return false;
    }

    /** Runs a host tool; fails unless it ends within the time limit with status 0. Returns its output. */
    private static String host(String... cmd) throws Exception {
        Path log = Files.createTempFile(out, "host-", ".txt");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(HOST_TOOL_TIMEOUT_S, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(String.join(" ", cmd) + " did not finish within " + HOST_TOOL_TIMEOUT_S + " s: " + Files.readString(log));
        }
        String output = Files.readString(log);
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ": " + output);
        return output;
    }

    private static String md5(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(data));
    }

    /** One member of a gzip-compressed newc cpio archive (the initramfs format). */
    private static byte[] cpioMember(Path archive, String name) throws IOException {
        byte[] all;
        try (InputStream in = new GZIPInputStream(Files.newInputStream(archive))) {
            all = in.readAllBytes();
        }
        int pos = 0;
        while (pos + 110 <= all.length) {
            String header = new String(all, pos, 110, StandardCharsets.US_ASCII);
            assertTrue(header.startsWith("070701"), "newc header at " + pos + " of " + archive);
            int size = Integer.parseInt(header.substring(6 + 6 * 8, 6 + 7 * 8), 16);
            int nameSize = Integer.parseInt(header.substring(6 + 11 * 8, 6 + 12 * 8), 16);
            String member = new String(all, pos + 110, nameSize - 1, StandardCharsets.US_ASCII);
            int data = align4(pos + 110 + nameSize);
            if (member.equals(name)) {
                ByteArrayOutputStream b = new ByteArrayOutputStream(size);
                b.write(all, data, size);
                return b.toByteArray();
            }
            if (member.equals("TRAILER!!!")) {
                break;
            }
            pos = align4(data + size);
        }
        throw new AssertionError(name + " not in " + archive);
    }

    private static int align4(int n) {
        return (n + 3) & ~3;
    }
}
