package org.machina.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.jar.JarFile;
import org.machina.api.machine.BundleInfo;
import org.machina.api.machine.BundleService;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code machina bundle}: the drop-in folder ({@code $MACHINA_HOME/bundles}, default
 * {@code ~/.machina/bundles}) whose jars every machina process installs at start.
 */
@Command(name = "bundle", mixinStandardHelpOptions = true, footer = CliException.EXIT_CODES,
        description = {"List bundles, or add/remove bundles in the drop-in folder.",
            "With --instance NAME: list/install/update/uninstall bundles of a running instance."})
final class BundleCommand {
    private final BundleService bundles;

    BundleCommand(BundleService bundles) {
        this.bundles = bundles;
    }

    static Path dropIn() {
        String home = System.getenv("MACHINA_HOME");
        return (home != null ? Path.of(home) : Path.of(System.getProperty("user.home"), ".machina")).resolve("bundles");
    }

    /** Runs an {@code x-machina-bundle-*} command on a running instance and prints the reply. */
    private static int onInstance(String instance, String command, JsonObject args) {
        JsonObject r = ControlCommands.run(Instance.existing(instance), command, args);
        System.out.println(new GsonBuilder().setPrettyPrinting().create().toJson(r.has("return") && r.size() == 1 ? r.get("return") : r));
        return 0;
    }

    private static JsonObject arg(String key, String value) {
        JsonObject o = new JsonObject();
        o.addProperty(key, value);
        return o;
    }

    /** A bundle named by id (a number) or symbolic name. */
    private static JsonObject bundleArg(String bundle) {
        JsonObject o = new JsonObject();
        if (bundle.matches("[0-9]+")) {
            o.addProperty("bundle", Long.parseLong(bundle));
        } else {
            o.addProperty("bundle", bundle);
        }
        return o;
    }

    @Command(name = "list", description = {"List installed bundles and the Machina types each provides.",
        "With --instance NAME: the bundles of that running instance (QMP x-machina-bundle-list)."})
    int list(@Option(names = "--instance", paramLabel = "NAME") String instance) {
        if (instance != null) {
            JsonObject r = ControlCommands.run(Instance.existing(instance), "x-machina-bundle-list", null);
            for (var e : r.getAsJsonArray("return")) {
                JsonObject b = e.getAsJsonObject();
                List<String> provides = new ArrayList<>();
                b.getAsJsonArray("provides").forEach(p -> provides.add(p.getAsString()));
                print(new BundleInfo(b.get("id").getAsLong(), b.get("symbolic-name").getAsString(),
                        b.get("version").getAsString(), b.get("state").getAsString(), provides,
                        b.has("source") ? b.get("source").getAsString() : ""));
            }
            return 0;
        }
        bundles.bundles().forEach(BundleCommand::print);
        return 0;
    }

    /** One bundle: id, state, name, version and types; then the jar it runs from, indented. */
    private static void print(BundleInfo b) {
        System.out.printf("%3d %-10s %-40s %-24s %s%n", b.id(), b.state(), b.symbolicName(), b.version(),
                String.join(" ", b.provides()));
        if (!b.source().isEmpty()) {
            System.out.printf("      jar: %s%n", b.source());
        }
    }

    @Command(name = "install", description = {"Copy a bundle jar into the drop-in folder (and install it now).",
        "With --instance NAME: install it into that running instance only (QMP x-machina-bundle-install)."})
    int install(@Parameters(paramLabel = "JAR") Path jar,
            @Option(names = "--instance", paramLabel = "NAME") String instance) throws Exception {
        if (instance != null) {
            return onInstance(instance, "x-machina-bundle-install", arg("location", jar.toAbsolutePath().toString()));
        }
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

    @Command(name = "update", description = {"Replace a bundle of a running instance with JAR, hot-swapping its devices",
        "(QMP x-machina-bundle-update). BUNDLE: symbolic name or id."})
    int update(@Parameters(index = "0", paramLabel = "BUNDLE") String bundle,
            @Parameters(index = "1", paramLabel = "JAR") Path jar,
            @Option(names = "--instance", paramLabel = "NAME", required = true) String instance) {
        JsonObject args = bundleArg(bundle);
        args.addProperty("location", jar.toAbsolutePath().toString());
        return onInstance(instance, "x-machina-bundle-update", args);
    }

    @Command(name = "uninstall", description = "Uninstall a bundle from a running instance (QMP x-machina-bundle-uninstall).")
    int uninstall(@Parameters(paramLabel = "BUNDLE") String bundle,
            @Option(names = "--instance", paramLabel = "NAME", required = true) String instance,
            @Option(names = "--force", description = "remove the devices that use the bundle first") boolean force) {
        JsonObject args = bundleArg(bundle);
        if (force) {
            args.addProperty("force", true);
        }
        return onInstance(instance, "x-machina-bundle-uninstall", args);
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
