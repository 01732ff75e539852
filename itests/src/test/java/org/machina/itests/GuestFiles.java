package org.machina.itests;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;

/**
 * What a Linux-guest IT needs on the host: the project's root, the Debian guest's kernel and
 * initramfs (made by scripts/guest-images.sh, or where {@code machina.images} says) and an output
 * folder under itests/target, emptied for the run.
 */
record GuestFiles(Path root, Path kernel, Path initramfs, Path out) {
    /** Finds them, failing with what is missing; {@code out} is itests/target/{@code outName}, empty. */
    static GuestFiles locate(String outName) throws IOException {
        Path root = Path.of("").toAbsolutePath();
        while (root != null && !Files.isRegularFile(root.resolve("scripts/build-initramfs.sh"))) {
            root = root.getParent();
        }
        assertTrue(root != null, "project root not found above " + Path.of("").toAbsolutePath());
        Path images = Path.of(System.getProperty("machina.images", root.resolve("images").toString()));
        Path kernel = images.resolve("vmlinuz");
        Path initramfs = images.resolve("initramfs.cpio.gz");
        assertTrue(Files.isRegularFile(kernel) && Files.isRegularFile(initramfs),
                "guest images missing in " + images + ": run scripts/guest-images.sh");
        Path out = root.resolve("itests/target").resolve(outName);
        emptyFolder(out);
        return new GuestFiles(root, kernel, initramfs, out);
    }

    /** Deletes {@code dir} with everything in it, if it exists, and creates it again, empty. */
    static void emptyFolder(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (var paths = Files.walk(dir)) {
                for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        Files.createDirectories(dir);
    }
}
