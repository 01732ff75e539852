package org.machina.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.jar.JarFile;
import org.machina.api.machine.BundleInfo;
import org.machina.api.machine.BundleService;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code machina bundle}: the drop-in folder ({@code $MACHINA_HOME/bundles}, default
 * {@code ~/.machina/bundles}) whose jars every machina process installs at start.
 */
@Command(name = "bundle", mixinStandardHelpOptions = true, description = "List bundles, or add/remove bundles in the drop-in folder.")
final class BundleCommand {
    private final BundleService bundles;

    BundleCommand(BundleService bundles) {
        this.bundles = bundles;
    }

    static Path dropIn() {
        String home = System.getenv("MACHINA_HOME");
        return (home != null ? Path.of(home) : Path.of(System.getProperty("user.home"), ".machina")).resolve("bundles");
    }

    @Command(name = "list", description = "List installed bundles and the Machina types each provides.")
    int list() {
        for (BundleInfo b : bundles.bundles()) {
            System.out.printf("%3d %-10s %-40s %-24s %s%n", b.id(), b.state(), b.symbolicName(), b.version(),
                    String.join(" ", b.provides()));
        }
        return 0;
    }

    @Command(name = "install", description = "Copy a bundle jar into the drop-in folder (and install it now).")
    int install(@Parameters(paramLabel = "JAR") Path jar) throws Exception {
        String bsn;
        try (JarFile jf = new JarFile(jar.toFile())) {
            bsn = jf.getManifest() == null ? null : jf.getManifest().getMainAttributes().getValue("Bundle-SymbolicName");
        }
        if (bsn == null) {
            throw new IllegalArgumentException(jar + " is not an OSGi bundle (no Bundle-SymbolicName)");
        }
        Files.createDirectories(dropIn());
        Path target = dropIn().resolve(jar.getFileName());
        Files.copy(jar, target, StandardCopyOption.REPLACE_EXISTING);
        BundleInfo b = bundles.install(target.toString());
        System.out.printf("installed %s %s into %s; provides: %s%n", b.symbolicName(), b.version(), dropIn(),
                b.provides().isEmpty() ? "(no Machina types)" : String.join(" ", b.provides()));
        return 0;
    }

    @Command(name = "remove", description = "Remove a jar from the drop-in folder.")
    int remove(@Parameters(paramLabel = "JAR-NAME") String name) throws Exception {
        Path target = dropIn().resolve(name);
        if (!Files.deleteIfExists(target)) {
            throw new IllegalArgumentException("no '" + name + "' in " + dropIn());
        }
        System.out.println("removed " + target);
        return 0;
    }

    @Command(name = "folder", description = "Print the drop-in folder.")
    int folder() {
        System.out.println(dropIn());
        return 0;
    }
}
