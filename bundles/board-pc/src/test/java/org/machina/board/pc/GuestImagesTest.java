package org.machina.board.pc;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Checks against the real guest kernel: the Debian kernel in images/ (skipped when
 * scripts/fetch-guest.sh has not run). The initramfs tool has its own tests (tools/initramfs).
 */
class GuestImagesTest {
    static final Path ROOT = Path.of(System.getProperty("user.dir")).resolve("../..").normalize();

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
