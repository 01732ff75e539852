package org.machina.tools.initramfs;

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
 * Runs the tool from source, as scripts/build-initramfs.sh does, and lists its output with the
 * host's cpio.
 */
class MkInitramfsTest {
    static final Path SOURCE = Path.of("src/main/java/org/machina/tools/initramfs/MkInitramfs.java");

    @TempDir
    Path dir;

    private static Result run(Path cwd, String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(cwd.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "timed out: " + String.join(" ", command));
        return new Result(p.exitValue(), out);
    }

    record Result(int status, String output) {
        Result ok() {
            assertEquals(0, status, output);
            return this;
        }
    }

    private Result tool(String... args) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new java.util.ArrayList<>(List.of(java, SOURCE.toAbsolutePath().toString()));
        cmd.addAll(List.of(args));
        return run(dir, cmd.toArray(String[]::new));
    }

    @Test
    void writesNewcWithResolvedModulesThatCpioLists() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/cpio")), "host cpio not installed");
        Path kernel = dir.resolve("lib/modules/6.1.0-99-686");
        KernelModulesTest.module(kernel, "drivers/virtio/virtio.ko", "virtio_ring");
        KernelModulesTest.module(kernel, "drivers/virtio/virtio_ring.ko", "");
        KernelModulesTest.module(kernel, "drivers/block/virtio_blk.ko", "virtio,virtio_ring");
        Path payload = Files.writeString(dir.resolve("hello.txt"), "hello, initramfs\n");
        Path init = Files.writeString(dir.resolve("init.sh"), "#!/bin/sh\necho hi\n");
        Path out = dir.resolve("out.cpio.gz");
        Result r = tool(out.toString(), "--dir", "proc", "--file", "etc/greeting=" + payload,
                "--symlink", "bin/sh=busybox", "--init", init.toString(),
                "--kernel-modules", kernel.toString(), "--module", "virtio_blk").ok();
        assertTrue(r.output().contains("modules in load order: virtio_ring virtio virtio_blk"), r.output());
        String listing = run(dir, "sh", "-c", "gzip -dc " + out + " | cpio -tv 2>&1").ok().output();
        for (String name : List.of("dev/console", "dev/ttyS0", "proc", "etc/greeting", "bin/sh -> busybox", "init",
                "lib/modules/virtio.ko", "lib/modules/virtio_ring.ko", "lib/modules/virtio_blk.ko", "etc/modules")) {
            assertTrue(listing.contains(name), name + " missing from:\n" + listing);
        }
        assertTrue(listing.matches("(?s).*crw.*5,\\s+1 .*dev/console.*"), listing);
        assertTrue(listing.matches("(?s).*crw.*4,\\s+64 .*dev/ttyS0.*"), listing);
        Path x = Files.createDirectory(dir.resolve("x"));
        run(x, "sh", "-c", "gzip -dc " + out + " | cpio -id --no-absolute-filenames 'etc/*' 2>&1").ok();
        assertEquals("hello, initramfs\n", Files.readString(x.resolve("etc/greeting")));
        assertEquals("virtio_ring\nvirtio\nvirtio_blk\n", Files.readString(x.resolve("etc/modules")));
    }

    @Test
    void aMissingModuleFailsNamingIt() throws Exception {
        Path kernel = dir.resolve("lib/modules/6.1.0-99-686");
        KernelModulesTest.module(kernel, "drivers/block/virtio_blk.ko", "virtio");
        Result r = tool(dir.resolve("out.cpio.gz").toString(), "--kernel-modules", kernel.toString(),
                "--module", "virtio_blk");
        assertEquals(2, r.status(), r.output());
        assertTrue(r.output().contains("module virtio (needed by virtio_blk) is neither a module of nor built into"),
                r.output());
        assertTrue(Files.notExists(dir.resolve("out.cpio.gz")), "no archive is written on failure");
    }
}
