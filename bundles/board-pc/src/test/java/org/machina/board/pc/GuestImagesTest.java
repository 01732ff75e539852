package org.machina.board.pc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks against the real guest files: scripts/MkInitramfs.java output listed by the host's
 * cpio, and the Debian kernel in images/ (skipped when scripts/fetch-guest.sh has not run).
 */
class GuestImagesTest {
    static final Path ROOT = Path.of(System.getProperty("user.dir")).resolve("../..").normalize();

    @TempDir
    Path dir;

    private static String run(Path cwd, String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(cwd.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "timed out: " + String.join(" ", command));
        assertEquals(0, p.exitValue(), String.join(" ", command) + " failed:\n" + out);
        return out;
    }

    @Test
    void mkInitramfsWritesNewcThatCpioLists() throws Exception {
        Path script = ROOT.resolve("scripts/MkInitramfs.java");
        assumeTrue(Files.exists(script), "scripts/MkInitramfs.java not found from " + ROOT);
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/cpio")), "host cpio not installed");
        Path payload = Files.writeString(dir.resolve("hello.txt"), "hello, initramfs\n");
        Path init = Files.writeString(dir.resolve("init.sh"), "#!/bin/sh\necho hi\n");
        Path out = dir.resolve("out.cpio.gz");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        run(dir, java, script.toString(), out.toString(), "--dir", "proc", "--file", "etc/greeting=" + payload,
                "--symlink", "bin/sh=busybox", "--init", init.toString());
        String listing = run(dir, "sh", "-c", "gzip -dc " + out + " | cpio -tv 2>&1");
        for (String name : List.of("dev/console", "dev/ttyS0", "proc", "etc", "etc/greeting", "bin/sh -> busybox", "init")) {
            assertTrue(listing.contains(name), name + " missing from:\n" + listing);
        }
        assertTrue(listing.matches("(?s).*crw.*5,\\s+1 .*dev/console.*"), listing);
        assertTrue(listing.matches("(?s).*crw.*4,\\s+64 .*dev/ttyS0.*"), listing);
        Path x = Files.createDirectory(dir.resolve("x"));
        run(x, "sh", "-c", "gzip -dc " + out + " | cpio -id --no-absolute-filenames 'etc/*' 2>&1");
        assertEquals("hello, initramfs\n", Files.readString(x.resolve("etc/greeting")));
    }

    @Test
    void debianKernelParsesAndPlans() throws IOException {
        Path vmlinuz = ROOT.resolve("images/vmlinuz");
        assumeTrue(Files.exists(vmlinuz), "images/vmlinuz absent: run scripts/fetch-guest.sh");
        BzImage image = BzImage.parse(Files.readAllBytes(vmlinuz), vmlinuz.toString());
        assertTrue(image.protocol >= 0x020F, "Debian 6.x kernels speak protocol 2.15");
        assertTrue(image.relocatable);
        assertTrue(image.cmdlineSize >= 255);
        LinuxLoader.Plan plan = LinuxLoader.plan(image, new byte[2 << 20], "console=ttyS0", 256L << 20, LinuxBootRom.SIZE);
        assertTrue(plan.initrdAddress() >= LinuxLoader.KERNEL + image.footprint());
        assertTrue(plan.initrdAddress() + (2 << 20) <= 256L << 20);
    }
}
