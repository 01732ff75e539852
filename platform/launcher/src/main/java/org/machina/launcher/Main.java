package org.machina.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.function.Function;
import java.util.stream.Stream;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;
import org.osgi.util.tracker.ServiceTracker;

/**
 * Starts a Machina distribution: an embedded Felix framework with every bundle from the
 * distribution's {@code bundles/} folder, the drop-in folders ({@code drop-in/} in the
 * distribution and {@code $MACHINA_HOME/bundles}), then hands the command line to the CLI
 * bundle (a {@code Function<String[], Integer>} service with {@code machina.main=cli}) and exits
 * with its status. Commands that only talk to instances skip all that: see {@link ClientPath}.
 */
public final class Main {
    private static final long CLI_TIMEOUT_MS = 30_000;

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        Optional<Function<String[], Integer>> client = ClientPath.forArgs(args, ClientPath.CLIENT_CLASS,
                Main.class.getClassLoader());
        if (client.isPresent()) {
            Integer status = client.get().apply(args);
            System.exit(status == null ? 0 : status);
        }
        Path home = distributionHome();
        int status;
        Framework framework = null;
        try {
            framework = start(home);
            status = runCli(framework.getBundleContext(), args);
        } catch (LaunchException e) {
            System.err.println("machina: " + e.getMessage());
            status = 2;
        } finally {
            if (framework != null) {
                framework.stop();
                framework.waitForStop(10_000);
            }
        }
        System.exit(status);
    }

    /** The distribution folder: {@code -Dmachina.dist}, else the folder above this jar's {@code lib/}. */
    static Path distributionHome() throws Exception {
        String prop = System.getProperty("machina.dist");
        if (prop != null) {
            return Path.of(prop);
        }
        Path jar = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        return jar.getParent().getParent();
    }

    /**
     * Folders whose jars are installed: the distribution's bundles, then the drop-in folders; a
     * later folder's jar replaces an earlier one with the same symbolic name ({@link BundleJars}).
     */
    static List<Path> bundleFolders(Path home) {
        List<Path> folders = new ArrayList<>(List.of(home.resolve("bundles"), home.resolve("drop-in")));
        folders.add(machinaHome().resolve("bundles"));
        return folders;
    }

    /** {@code $MACHINA_HOME}, default {@code ~/.machina}. */
    static Path machinaHome() {
        String machinaHome = System.getenv("MACHINA_HOME");
        return machinaHome != null ? Path.of(machinaHome) : Path.of(System.getProperty("user.home"), ".machina");
    }

    static Framework start(Path home) throws Exception {
        if (!Files.isDirectory(home.resolve("bundles"))) {
            throw new LaunchException("no 'bundles' folder in the distribution at " + home
                    + " (build it with 'mvn install', or set -Dmachina.dist)");
        }
        Map<String, String> config = new HashMap<>();
        Path cache = Files.createTempDirectory("machina-felix");
        config.put(Constants.FRAMEWORK_STORAGE, cache.toString());
        config.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        config.put("felix.log.level", "1");
        // The runtime persists bundle updates to $MACHINA_HOME/bundles and rolls back to the
        // private copies of the jars as they were installed (machina.jars/<bundle id>.jar; the
        // folder is made after init, which cleans the storage).
        Path privateJars = cache.resolve("machina-jars");
        config.put("machina.home", machinaHome().toString());
        config.put("machina.jars", privateJars.toString());
        FrameworkFactory factory = ServiceLoader.load(FrameworkFactory.class).findFirst()
                .orElseThrow(() -> new LaunchException("no OSGi framework on the class path"));
        Framework framework = factory.newFramework(config);
        framework.init();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(cache)));
        try {
            installAndStart(framework, home, privateJars);
        } catch (Exception | Error e) {
            // a framework that is not handed back must not keep the JVM alive
            framework.stop();
            framework.waitForStop(10_000);
            throw e;
        }
        return framework;
    }

    private static void installAndStart(Framework framework, Path home, Path privateJars) throws Exception {
        Files.createDirectories(privateJars);
        BundleContext ctx = framework.getBundleContext();
        List<Bundle> installed = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        for (BundleJars.Choice choice : BundleJars.choose(bundleFolders(home), warnings)) {
            Path copy = privateJars.resolve("installing.jar");
            Files.copy(choice.jar(), copy, StandardCopyOption.REPLACE_EXISTING);
            try (InputStream in = Files.newInputStream(copy)) {
                Bundle b = ctx.installBundle(choice.jar().toUri().toString(), in);
                Files.move(copy, privateJars.resolve(b.getBundleId() + ".jar"), StandardCopyOption.REPLACE_EXISTING);
                installed.add(b);
            } catch (BundleException e) {
                warnings.add("skipping bundle " + choice.jar() + ": " + e.getMessage());
            }
        }
        warnings.forEach(w -> System.err.println("machina: " + w));
        framework.start();
        for (Bundle b : installed) {
            if (b.getHeaders().get(Constants.FRAGMENT_HOST) == null) {
                try {
                    b.start();
                } catch (BundleException e) {
                    System.err.println("machina: bundle " + b.getSymbolicName() + " did not start: " + e.getMessage());
                }
            }
        }
    }

    @SuppressWarnings("unchecked")
    static int runCli(BundleContext ctx, String[] args) throws Exception {
        ServiceTracker<Object, Object> tracker = new ServiceTracker<>(ctx,
                ctx.createFilter("(&(objectClass=java.util.function.Function)(machina.main=cli))"), null);
        tracker.open();
        try {
            Object cli = tracker.waitForService(CLI_TIMEOUT_MS);
            if (cli == null) {
                throw new LaunchException("the CLI bundle did not start within " + CLI_TIMEOUT_MS / 1000
                        + " s; is org.machina.cli in the distribution's bundles folder?");
            }
            Integer status = ((Function<String[], Integer>) cli).apply(args);
            return status == null ? 0 : status;
        } finally {
            tracker.close();
        }
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            // best effort: a temp folder
        }
    }

    /** A launch problem with a message for the user. */
    static final class LaunchException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        LaunchException(String message) {
            super(message);
        }
    }
}
