package org.machina.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * CD-ROM media change seen by a Linux guest (issue 18): the Debian i386 kernel and the test
 * initramfs with {@code -cdrom first.iso} and a QMP socket. The guest mounts the disc and reads
 * its file; QMP {@code eject} (by QEMU's drive name {@code ide1-cd0}) takes it out, and the
 * guest's mount then fails; QMP {@code blockdev-change-medium} (by the device id) puts in
 * {@code second.iso}, which the guest mounts and whose different file it reads; HMP
 * {@code change ide1-cd0 first.iso} brings the first disc back. The ISOs are made here with
 * genisoimage. Linux's sr driver learns of each change from the drive (UNIT ATTENTION and GET
 * EVENT STATUS NOTIFICATION) when the device is opened.
 *
 * <p>Not in the default suite (a boot costs 8-12 minutes): skipped unless
 * {@code -Dmachina.cdromGuest=true}; run it with
 * {@code mvn -pl itests verify -Dit.test=CdromChangeGuestIT -Dmachina.cdromGuest=true} after
 * {@code mvn install -DskipTests}, under the machine's guest lock.
 */
@Timeout(value = 40, unit = TimeUnit.MINUTES)
class CdromChangeGuestIT {
    private static final long BOOT_TIMEOUT_S = Long.getLong("machina.bootTimeout", 1200);
    private static final long COMMAND_TIMEOUT_S = 300;
    private static final String FIRST = "the first disc, MACHINA-CD-ONE";
    private static final String SECOND = "the second disc, MACHINA-CD-TWO";

    private static GuestConsole guest;
    private static Path out;

    @BeforeAll
    @Timeout(value = 40, unit = TimeUnit.MINUTES)
    static void boot() throws Exception {
        Assumptions.assumeTrue(Boolean.getBoolean("machina.cdromGuest"),
                "CdromChangeGuestIT boots a Linux guest (8-12 minutes): run with -Dmachina.cdromGuest=true");
        GuestFiles files = GuestFiles.locate("cdrom-change-guest");
        Path root = files.root(), kernel = files.kernel(), initramfs = files.initramfs();
        out = files.out();
        Path first = iso("first", "one.txt", FIRST);
        iso("second", "two.txt", SECOND);
        Path launcher = Path.of(System.getProperty("machina.bundles")).getParent().resolve("lib/launcher-0.1.0-SNAPSHOT.jar");
        assertTrue(Files.isRegularFile(launcher), "built distribution missing: " + launcher);
        guest = GuestConsole.boot(launcher, out, List.of("-machine", "pc", "-cpu", "pentium3", "-m", "256",
                "-kernel", kernel.toString(), "-initrd", initramfs.toString(),
                "-append", "console=ttyS0 panic=-1 " + GuestConsole.FAST_BOOT, "-nographic", "-cdrom", first.toString(),
                "-qmp", "unix:" + out.resolve("qmp.sock") + ",server=on,wait=off"), BOOT_TIMEOUT_S);
        assertEquals(0, guest.shell("dmesg -n 4; mkdir -p /mnt/cd", COMMAND_TIMEOUT_S).status(), "dmesg -n 4");
    }

    @AfterAll
    static void powerOff() throws Exception {
        if (guest != null) {
            System.out.println("CdromChangeGuestIT: poweroff status " + guest.powerOff(180));
        }
    }

    @Test
    void ejectAndChangeReachTheGuest() throws Exception {
        assertEquals(FIRST, mountAndRead("one.txt"), "the first disc");

        try (QmpTestClient qmp = QmpTestClient.connect(out.resolve("qmp.sock"))) {
            JsonObject eject = new JsonObject();
            eject.addProperty("device", "ide1-cd0");
            JsonObject r = qmp.execute("eject", eject);
            assertTrue(r.has("return"), "eject by QEMU's drive name: " + r);
            GuestConsole.Output mount = guest.shell("mount -t iso9660 -o ro /dev/sr0 /mnt/cd 2>&1", COMMAND_TIMEOUT_S);
            assertNotEquals(0, mount.status(), "no medium to mount after the eject: " + mount);
            System.out.println("CdromChangeGuestIT: mount after eject: " + String.join(" | ", mount.lines()));

            JsonObject peripheral = new JsonObject();
            peripheral.addProperty("path", "/machine/peripheral");
            JsonObject list = qmp.execute("qom-list", peripheral);
            String cd = null;
            for (var e : list.getAsJsonArray("return")) {
                if (e.getAsJsonObject().get("type").getAsString().equals("child<ide-cd>")) {
                    cd = e.getAsJsonObject().get("name").getAsString();
                }
            }
            assertTrue(cd != null, "the ide-cd device in " + list);
            JsonObject change = new JsonObject();
            change.addProperty("id", cd);
            change.addProperty("filename", out.resolve("second.iso").toString());
            change.addProperty("format", "raw");
            r = qmp.execute("blockdev-change-medium", change);
            assertTrue(r.has("return"), "blockdev-change-medium by the device id '" + cd + "': " + r);
            assertEquals(SECOND, mountAndRead("two.txt"), "the second disc after blockdev-change-medium");
            assertNotEquals(0, guest.shell("(mount -t iso9660 -o ro /dev/sr0 /mnt/cd && ls /mnt/cd/one.txt; s=$?; umount /mnt/cd;"
                    + " exit $s)", COMMAND_TIMEOUT_S).status(), "the first disc's file is not on the second");

            JsonObject hmp = new JsonObject();
            hmp.addProperty("command-line", "change ide1-cd0 " + out.resolve("first.iso"));
            r = qmp.execute("human-monitor-command", hmp);
            assertEquals("", r.get("return").getAsString(), "HMP change: " + r);
            assertEquals(FIRST, mountAndRead("one.txt"), "the first disc again after HMP change");
        }
    }

    /** Mounts /dev/sr0, returns the file's one line, unmounts. */
    private static String mountAndRead(String file) throws Exception {
        // in a subshell: its exit ends the subshell, not the console's shell
        GuestConsole.Output r = guest.shell("(mount -t iso9660 -o ro /dev/sr0 /mnt/cd 2>&1 && cat /mnt/cd/" + file
                + "; s=$?; umount /mnt/cd; exit $s)", COMMAND_TIMEOUT_S);
        assertEquals(0, r.status(), "mount and read " + file + ": " + r);
        return r.nonBlank().get(r.nonBlank().size() - 1);
    }

    private static Path iso(String name, String file, String text) throws Exception {
        Path tree = out.resolve(name + "-tree");
        Files.createDirectories(tree);
        Files.writeString(tree.resolve(file), text + "\n", StandardCharsets.US_ASCII);
        Path iso = out.resolve(name + ".iso");
        Process p = new ProcessBuilder("genisoimage", "-quiet", "-R", "-V", name.toUpperCase(), "-o", iso.toString(), tree.toString())
                .redirectErrorStream(true).start();
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            fail("genisoimage (scripts/install-deps.sh installs it): " + new String(p.getInputStream().readAllBytes()));
        }
        return iso;
    }

}
