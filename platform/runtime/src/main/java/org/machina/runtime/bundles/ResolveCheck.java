package org.machina.runtime.bundles;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.machina.api.machine.HotSwapException;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.wiring.FrameworkWiring;

/**
 * Checks that a jar will resolve and link before any machine pauses for it: a copy of the jar,
 * renamed ({@code Bundle-SymbolicName} suffixed) so it can sit beside the bundle it will replace,
 * is installed but never started, resolved by the framework, and every Declarative Services
 * component class it names is loaded; then it is uninstalled again. A jar that fails is refused
 * with the reason and the guest never pauses.
 */
final class ResolveCheck {
    static final String SUFFIX = ".machina-resolve-check";
    private static final Pattern IMPLEMENTATION = Pattern.compile("<implementation\\s+class\\s*=\\s*\"([^\"]+)\"");

    private ResolveCheck() {
    }

    /**
     * Throws {@link HotSwapException} naming the reason when {@code jar} would not resolve or link.
     * {@code refresh} refreshes bundles synchronously: the probe is refreshed away after its
     * uninstall, so no package it exported stays available to the real update's refresh.
     */
    static void check(BundleContext context, Path jar, Consumer<List<Bundle>> refresh) {
        Path probe = null;
        Bundle candidate = null;
        try {
            probe = renamedCopy(jar);
            try (InputStream in = Files.newInputStream(probe)) {
                candidate = context.installBundle("machina-resolve-check:" + jar.toAbsolutePath(), in);
            }
            FrameworkWiring wiring = context.getBundle(0).adapt(FrameworkWiring.class);
            if (!wiring.resolveBundles(List.of(candidate))) {
                throw new HotSwapException(jar + " does not resolve in this runtime: " + unresolvedReason(candidate));
            }
            for (String component : componentClasses(candidate)) {
                try {
                    candidate.loadClass(component);
                } catch (ClassNotFoundException | LinkageError e) {
                    throw new HotSwapException(jar + ": its component class " + component + " does not load: " + e);
                }
            }
        } catch (IOException | BundleException e) {
            throw new HotSwapException("cannot check " + jar + " before the update: " + e.getMessage(), e);
        } finally {
            if (candidate != null) {
                try {
                    candidate.uninstall();
                    refresh.accept(List.of(candidate));
                } catch (BundleException | IllegalStateException ignored) {
                    // already gone
                }
            }
            if (probe != null) {
                try {
                    Files.deleteIfExists(probe);
                } catch (IOException ignored) {
                    // a temp file
                }
            }
        }
    }

    /** The jar with its symbolic name suffixed; everything else as it was. */
    private static Path renamedCopy(Path jar) throws IOException {
        Path copy = Files.createTempFile("machina-resolve-check", ".jar");
        try (JarInputStream in = new JarInputStream(Files.newInputStream(jar))) {
            Manifest manifest = in.getManifest();
            if (manifest == null || manifest.getMainAttributes().getValue("Bundle-SymbolicName") == null) {
                throw new HotSwapException(jar + " is not an OSGi bundle (no Bundle-SymbolicName in its manifest)");
            }
            Attributes main = manifest.getMainAttributes();
            String bsn = main.getValue("Bundle-SymbolicName");
            int semicolon = bsn.indexOf(';');
            main.putValue("Bundle-SymbolicName", semicolon < 0 ? bsn.strip() + SUFFIX
                    : bsn.substring(0, semicolon).strip() + SUFFIX + bsn.substring(semicolon));
            try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(copy), manifest)) {
                for (JarEntry e = in.getNextJarEntry(); e != null; e = in.getNextJarEntry()) {
                    out.putNextEntry(new JarEntry(e.getName()));
                    in.transferTo(out);
                    out.closeEntry();
                }
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(copy);
            throw e;
        }
        return copy;
    }

    /** The implementation classes of the components in the bundle's Service-Component files. */
    private static List<String> componentClasses(Bundle b) throws IOException {
        List<String> out = new ArrayList<>();
        String header = b.getHeaders().get("Service-Component");
        if (header == null) {
            return out;
        }
        for (String path : header.split(",")) {
            var url = b.getEntry(path.strip());
            if (url == null) {
                throw new HotSwapException("Service-Component names " + path.strip() + ", which is not in the jar");
            }
            try (InputStream in = url.openStream()) {
                Matcher m = IMPLEMENTATION.matcher(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                while (m.find()) {
                    out.add(m.group(1));
                }
            }
        }
        return out;
    }

    /** Felix says why when a class load triggers the failed resolution; fall back to the header. */
    private static String unresolvedReason(Bundle candidate) {
        try {
            candidate.loadClass("machina.resolve.check.Nothing");
        } catch (ClassNotFoundException | IllegalStateException e) {
            Throwable t = e;
            while (t.getCause() != null) {
                t = t.getCause();
            }
            if (t.getMessage() != null && !t.getMessage().contains("machina.resolve.check.Nothing")) {
                return t.getMessage().replace(SUFFIX, "");
            }
        }
        return "Import-Package: " + candidate.getHeaders().get("Import-Package");
    }
}
