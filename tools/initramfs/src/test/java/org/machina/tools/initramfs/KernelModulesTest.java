package org.machina.tools.initramfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KernelModulesTest {
    @TempDir
    Path dir;

    /** Writes lib/modules/VERSION/kernel/PATH as a module with these depends. */
    static void module(Path root, String path, String depends) throws IOException {
        Path p = root.resolve("kernel").resolve(path);
        Files.createDirectories(p.getParent());
        Files.write(p, TestElf.module(false, false, "license=GPL", "depends=" + depends));
    }

    @Test
    void resolvesAcrossTheTreeFromEachModulesModinfo() throws Exception {
        Path root = dir.resolve("lib/modules/6.1.0-99-686");
        module(root, "drivers/virtio/virtio.ko", "virtio_ring");
        module(root, "drivers/virtio/virtio_ring.ko", "");
        module(root, "drivers/block/virtio_blk.ko", "virtio,virtio_ring");
        module(root, "drivers/net/ethernet/intel/e1000/e1000.ko", "");
        module(root, "drivers/char/hw_random/virtio-rng.ko", "virtio,virtio_ring,rng_core");
        Files.writeString(root.resolve("modules.builtin"), "kernel/drivers/char/hw_random/rng-core.ko\n");
        KernelModules k = KernelModules.index(root);
        assertEquals(List.of("virtio_ring", "virtio", "virtio_rng", "virtio_blk"),
                LoadOrder.resolve(List.of("virtio_rng", "virtio_blk"), k));
        assertEquals(root.resolve("kernel/drivers/char/hw_random/virtio-rng.ko"), k.file("virtio_rng"));
        var missing = assertThrows(LoadOrder.UnresolvableModule.class, () -> LoadOrder.resolve(List.of("xhci_pci"), k));
        assertTrue(missing.getMessage().contains("module xhci_pci is neither a module of nor built into"), missing.getMessage());
    }

    @Test
    void compressedModulesAreNamedNotSilentlyMissing() throws Exception {
        Path root = dir.resolve("lib/modules/6.12.0-1-686");
        Files.createDirectories(root.resolve("kernel"));
        Files.write(root.resolve("kernel/virtio.ko.xz"), new byte[] {(byte) 0xfd, '7', 'z'});
        KernelModules k = KernelModules.index(root);
        var e = assertThrows(IllegalArgumentException.class, () -> LoadOrder.resolve(List.of("virtio"), k));
        assertTrue(e.getMessage().contains("virtio.ko.xz is compressed"), e.getMessage());
    }

    @Test
    void anEmptyOrMissingTreeIsRefused() throws Exception {
        assertThrows(IOException.class, () -> KernelModules.index(dir.resolve("nope")));
        var e = assertThrows(IOException.class, () -> KernelModules.index(dir));
        assertTrue(e.getMessage().contains("no kernel modules"), e.getMessage());
    }

    /** The kernel scripts/guest-images.sh fetched from Debian today, when it has run. */
    @Test
    void debiansKernelResolvesTheGuestDrivers() throws Exception {
        Path kernels = Path.of(System.getProperty("user.dir")).resolve("../../images/staging/kernel").normalize();
        assumeTrue(Files.isDirectory(kernels), "no extracted kernel package: run scripts/guest-images.sh");
        Path root;
        try (Stream<Path> s = Files.list(kernels)) {
            Path pkg = s.filter(Files::isDirectory).findFirst().orElseThrow();
            try (Stream<Path> v = Files.list(pkg.resolve("lib/modules"))) {
                root = v.findFirst().orElseThrow();
            }
        }
        KernelModules k = KernelModules.index(root);
        List<String> order = LoadOrder.resolve(List.of("virtio_pci", "virtio_blk"), k);
        assertTrue(order.containsAll(List.of("virtio_pci", "virtio_blk")), order.toString());
        for (int i = 0; i < order.size(); i++) {
            for (String dep : k.dependencies(order.get(i)).orElseThrow()) {
                assertTrue(k.builtin(dep) || order.indexOf(dep) < i, dep + " after " + order.get(i) + " in " + order);
            }
        }
    }
}
