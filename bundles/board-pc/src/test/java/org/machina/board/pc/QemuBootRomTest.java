package org.machina.board.pc;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * System test of the direct-boot path on a reference CPU: the generated boot ROM is given to
 * QEMU as its {@code -bios} (QEMU maps it exactly as the pc board does), and the kernel, initrd,
 * command line and zero page computed by {@link LinuxLoader} are placed in RAM with QEMU's
 * generic loader device. The Debian kernel must reach the initramfs /init marker. Skipped when
 * qemu-system-i386 or the guest images (scripts/guest-images.sh) are missing. timeout(1) ends
 * QEMU if the guest never gets there.
 */
class QemuBootRomTest {
    static final long RAM = 256L << 20;

    @TempDir
    Path dir;

    @Test
    void debianKernelBootsThroughTheGeneratedRom() throws Exception {
        Path root = GuestImagesTest.ROOT;
        Path vmlinuz = root.resolve("images/vmlinuz");
        Path initramfs = root.resolve("images/initramfs.cpio.gz");
        assumeTrue(Files.exists(vmlinuz) && Files.exists(initramfs), "guest images absent");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/qemu-system-i386")), "qemu-system-i386 absent");

        BzImage image = BzImage.parse(Files.readAllBytes(vmlinuz), vmlinuz.toString());
        LinuxLoader.Plan plan = LinuxLoader.plan(image, Files.readAllBytes(initramfs),
                "console=ttyS0 quiet panic=-1", RAM, LinuxBootRom.SIZE);
        Path rom = Files.write(dir.resolve("bootrom.bin"), LinuxBootRom.build(LinuxLoader.KERNEL, LinuxLoader.ZERO_PAGE));
        List<String> cmd = new ArrayList<>(List.of("timeout", "300", "qemu-system-i386", "-accel", "tcg", "-m", "256", "-cpu", "pentium3",
                "-nographic", "-no-reboot", "-bios", rom.toString()));
        loader(cmd, "zeropage", LinuxLoader.ZERO_PAGE, plan.zeroPage());
        loader(cmd, "cmdline", LinuxLoader.CMDLINE, plan.cmdline());
        loader(cmd, "kernel", LinuxLoader.KERNEL, plan.kernel());
        loader(cmd, "initrd", plan.initrdAddress(), plan.initrd());

        Process qemu = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        StringBuilder console = new StringBuilder();
        boolean seen = false;
        try (var in = qemu.getInputStream()) {
            byte[] buf = new byte[4096];
            int n;
            while (!seen && (n = in.read(buf)) > 0) {
                console.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
                seen = console.indexOf("MACHINA-INIT-OK") >= 0;
            }
        } finally {
            qemu.destroy();
            if (!qemu.waitFor(10, TimeUnit.SECONDS)) {
                qemu.destroyForcibly();
            }
        }
        assertTrue(seen, "no MACHINA-INIT-OK marker; console:\n" + console);
    }

    private void loader(List<String> cmd, String name, long address, byte[] bytes) throws IOException {
        Path f = Files.write(dir.resolve(name + ".bin"), bytes);
        cmd.add("-device");
        cmd.add("loader,file=" + f + ",addr=0x" + Long.toHexString(address) + ",force-raw=on");
    }
}
