package org.machina.runtime.bundles;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.machina.api.cpu.CpuType;
import org.machina.api.device.DeviceType;
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
    private static final Pattern PROVIDE = Pattern.compile("<provide\\s+interface\\s*=\\s*\"([^\"]+)\"");
    private static final Pattern PROPERTY = Pattern.compile("<property\\s([^>]*)>");
    private static final Pattern ATTRIBUTE = Pattern.compile("(\\w+)\\s*=\\s*\"([^\"]*)\"");

    /**
     * The types a jar declares through Declarative Services components: the {@code machina.name}
     * of each component providing a device or CPU type. {@code complete} is false when the jar
     * may register services another way (it has a {@code Bundle-Activator}), so a type missing
     * here may still come.
     */
    record Declared(Set<String> devices, Set<String> cpus, boolean complete) {
    }

    private ResolveCheck() {
    }

    /**
     * Throws {@link HotSwapException} naming the reason when {@code jar} would not resolve or link.
     * {@code refresh} refreshes bundles synchronously: the probe is refreshed away after its
     * uninstall, so no package it exported stays available to the real update's refresh.
     */
    static Declared check(BundleContext context, Path jar, Consumer<List<Bundle>> refresh) {
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
            Set<String> devices = new TreeSet<>();
            Set<String> cpus = new TreeSet<>();
            for (String xml : componentFiles(candidate)) {
                Matcher m = IMPLEMENTATION.matcher(xml);
                while (m.find()) {
                    try {
                        candidate.loadClass(m.group(1));
                    } catch (ClassNotFoundException | LinkageError e) {
                        throw new HotSwapException(jar + ": its component class " + m.group(1) + " does not load: " + e);
                    }
                }
                String name = machinaName(xml);
                Matcher p = PROVIDE.matcher(xml);
                while (p.find() && name != null) {
                    if (p.group(1).equals(DeviceType.class.getName())) {
                        devices.add(name);
                    } else if (p.group(1).equals(CpuType.class.getName())) {
                        cpus.add(name);
                    }
                }
            }
            return new Declared(devices, cpus, candidate.getHeaders().get("Bundle-Activator") == null);
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

    /** The jar's symbolic name (without directives) and version ("0.0.0" when absent), or null. */
    static String[] symbolicNameAndVersion(Path jar) {
        try (var f = new java.util.jar.JarFile(jar.toFile())) {
            Manifest m = f.getManifest();
            String bsn = m == null ? null : m.getMainAttributes().getValue("Bundle-SymbolicName");
            if (bsn == null) {
                return null;
            }
            String version = m.getMainAttributes().getValue("Bundle-Version");
            return new String[] {bsn.split(";")[0].strip(), version == null ? "0.0.0" : version.strip()};
        } catch (IOException e) {
            return null;
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

    /** The text of each of the bundle's Service-Component files (one component each, as bnd writes them). */
    private static List<String> componentFiles(Bundle b) throws IOException {
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
                out.add(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    /** The value of the component's {@code machina.name} property, or null. */
    static String machinaName(String xml) {
        Matcher p = PROPERTY.matcher(xml);
        while (p.find()) {
            String name = null;
            String value = null;
            Matcher a = ATTRIBUTE.matcher(p.group(1));
            while (a.find()) {
                if (a.group(1).equals("name")) {
                    name = a.group(2);
                } else if (a.group(1).equals("value")) {
                    value = a.group(2);
                }
            }
            if ("machina.name".equals(name)) {
                return value;
            }
        }
        return null;
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
