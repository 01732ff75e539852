package org.machina.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BundleJarsTest {
    @TempDir
    Path dir;

    private Path jar(String folder, String file, String bsn, String version) throws IOException {
        Path f = Files.createDirectories(dir.resolve(folder)).resolve(file);
        Manifest m = new Manifest();
        m.getMainAttributes().putValue("Manifest-Version", "1.0");
        if (bsn != null) {
            m.getMainAttributes().putValue("Bundle-SymbolicName", bsn);
            m.getMainAttributes().putValue("Bundle-Version", version);
        }
        try (OutputStream out = Files.newOutputStream(f); JarOutputStream j = new JarOutputStream(out, m)) {
            j.flush();
        }
        return f;
    }

    @Test
    void aLaterFolderReplacesTheSameSymbolicNameAndTheHighestVersionWinsInAFolder() throws Exception {
        Path api = jar("dist", "device-api.jar", "org.machina.device-api", "0.1.0");
        Path tick = jar("dist", "tick-counter.jar", "org.machina.tick-counter", "0.1.0.202612021952");
        Path oldUpdate = jar("home", "tick-counter-2.jar", "org.machina.tick-counter;singleton:=true", "2.0.0");
        Path update = jar("home", "tick-counter-10.jar", "org.machina.tick-counter", "10.0.0");
        Path plain = jar("home", "notes.jar", null, null);
        List<String> warnings = new ArrayList<>();
        List<BundleJars.Choice> chosen = BundleJars.choose(List.of(dir.resolve("dist"), dir.resolve("drop-in"),
                dir.resolve("home")), warnings);
        assertEquals(List.of(api, update), chosen.stream().map(BundleJars.Choice::jar).toList());
        assertEquals("org.machina.tick-counter", chosen.get(1).symbolicName());
        assertTrue(chosen.get(1).replaced().containsAll(List.of(tick, oldUpdate)), chosen.get(1).toString());
        assertEquals(1, warnings.size());
        assertTrue(warnings.get(0).contains(plain + ": not an OSGi bundle"), warnings.toString());
    }

    @Test
    void versionsCompareAsOsgiVersions() {
        assertTrue(BundleJars.Versions.compare("10.0.0", "2.0.0") > 0);
        assertTrue(BundleJars.Versions.compare("1.0", "1.0.0") == 0);
        assertTrue(BundleJars.Versions.compare("1.0.0.b", "1.0.0.a") > 0);
        assertTrue(BundleJars.Versions.compare("1.0.0", "1.0.0.a") < 0);
    }
}
