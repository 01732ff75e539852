package org.machina.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.stream.Stream;

/**
 * Chooses the jars a launch installs: every jar of every folder, in folder order, where a jar of
 * a later folder replaces one of an earlier folder with the same {@code Bundle-SymbolicName}
 * (so {@code $MACHINA_HOME/bundles} overrides the distribution, and an update persisted there
 * survives a restart). Within one folder the highest {@code Bundle-Version} wins. Jars that are
 * no bundles are reported and skipped.
 */
final class BundleJars {
    /** A chosen jar and what it replaced, if anything. */
    record Choice(Path jar, String symbolicName, String version, List<Path> replaced) {}

    private BundleJars() {
    }

    static List<Choice> choose(List<Path> folders, List<String> warnings) throws IOException {
        Map<String, Choice> byName = new LinkedHashMap<>();
        for (Path folder : folders) {
            Map<String, Choice> inFolder = new LinkedHashMap<>();
            for (Path jar : jars(folder)) {
                String[] id = identity(jar, warnings);
                if (id == null) {
                    continue;
                }
                Choice earlier = inFolder.get(id[0]);
                if (earlier == null || Versions.compare(id[1], earlier.version()) > 0) {
                    List<Path> replaced = new ArrayList<>();
                    if (earlier != null) {
                        replaced.addAll(earlier.replaced());
                        replaced.add(earlier.jar());
                    }
                    inFolder.put(id[0], new Choice(jar, id[0], id[1], replaced));
                } else {
                    earlier.replaced().add(jar);
                }
            }
            for (Choice c : inFolder.values()) {
                Choice shadowed = byName.remove(c.symbolicName());
                if (shadowed != null) {
                    List<Path> replaced = new ArrayList<>(shadowed.replaced());
                    replaced.add(shadowed.jar());
                    replaced.addAll(c.replaced());
                    c = new Choice(c.jar(), c.symbolicName(), c.version(), replaced);
                }
                byName.put(c.symbolicName(), c);
            }
        }
        return List.copyOf(byName.values());
    }

    /** {symbolic name, version} from the manifest, or null (with a warning) for a jar that is no bundle. */
    private static String[] identity(Path jar, List<String> warnings) {
        try (JarFile f = new JarFile(jar.toFile())) {
            Manifest m = f.getManifest();
            String bsn = m == null ? null : m.getMainAttributes().getValue("Bundle-SymbolicName");
            if (bsn == null) {
                warnings.add("skipping " + jar + ": not an OSGi bundle (no Bundle-SymbolicName)");
                return null;
            }
            int semicolon = bsn.indexOf(';');
            String version = m.getMainAttributes().getValue("Bundle-Version");
            return new String[] {(semicolon < 0 ? bsn : bsn.substring(0, semicolon)).strip(),
                    version == null ? "0.0.0" : version.strip()};
        } catch (IOException e) {
            warnings.add("skipping " + jar + ": not a readable jar (" + e.getMessage() + ")");
            return null;
        }
    }

    private static List<Path> jars(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(folder)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".jar")).sorted().toList();
        }
    }

    /** OSGi version order: major.minor.micro numerically, then the qualifier as a string. */
    static final class Versions {
        private Versions() {
        }

        static int compare(String a, String b) {
            String[] x = a.split("\\.", 4);
            String[] y = b.split("\\.", 4);
            for (int i = 0; i < 3; i++) {
                int c = Long.compare(part(x, i), part(y, i));
                if (c != 0) {
                    return c;
                }
            }
            return (x.length > 3 ? x[3] : "").compareTo(y.length > 3 ? y[3] : "");
        }

        private static long part(String[] v, int i) {
            try {
                return i < v.length ? Long.parseLong(v[i]) : 0;
            } catch (NumberFormatException e) {
                return 0;
            }
        }
    }
}
