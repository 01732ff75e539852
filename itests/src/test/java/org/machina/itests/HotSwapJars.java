package org.machina.itests;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.Attributes;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/** Jars for hot-swap tests, made from a distribution's bundle. */
final class HotSwapJars {
    private HotSwapJars() {
    }

    /**
     * {@code jar} re-packaged as {@code Bundle-Version: version}: the same classes, which the
     * framework loads again in a new class loader. With {@code withoutComponents} the
     * Declarative Services header is dropped, so the bundle resolves and starts but registers no
     * device type, and an update to it fails after the devices were detached (a rollback).
     */
    static Path rebuilt(Path jar, Path target, String version, boolean withoutComponents) throws IOException {
        try (JarInputStream in = new JarInputStream(Files.newInputStream(jar))) {
            Manifest m = in.getManifest();
            m.getMainAttributes().putValue("Bundle-Version", version);
            if (withoutComponents) {
                m.getMainAttributes().remove(new Attributes.Name("Service-Component"));
            }
            try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(target), m)) {
                for (JarEntry e = in.getNextJarEntry(); e != null; e = in.getNextJarEntry()) {
                    out.putNextEntry(new JarEntry(e.getName()));
                    in.transferTo(out);
                    out.closeEntry();
                }
            }
        }
        return target;
    }
}
