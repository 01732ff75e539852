package org.machina.itests;

import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;

import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import org.machina.api.machine.Machine;
import org.ops4j.pax.exam.Option;

/** Shared Pax Exam set-up: every bundle of the full distribution, plus JUnit. */
final class MachinaConfig {
    private MachinaConfig() {
    }

    static Option[] distribution() throws IOException {
        File dir = new File(System.getProperty("machina.bundles"));
        File[] jars = dir.listFiles((d, n) -> n.endsWith(".jar"));
        if (jars == null || jars.length == 0) {
            throw new IllegalStateException("no distribution bundles in " + dir + "; build distributions/full first");
        }
        Arrays.sort(jars);
        List<Option> options = new ArrayList<>();
        for (File jar : jars) {
            boolean fragment;
            try (JarFile jf = new JarFile(jar)) {
                fragment = jf.getManifest().getMainAttributes().getValue("Fragment-Host") != null;
            }
            options.add(fragment ? bundle(jar.toURI().toString()).noStart() : bundle(jar.toURI().toString()));
        }
        options.add(junitBundles());
        options.add(systemProperty("org.slf4j.simpleLogger.defaultLogLevel").value("warn"));
        for (String p : List.of("fixture.v1", "fixture.v2", "fixture.broken")) {
            options.add(systemProperty(p).value(System.getProperty(p)));
        }
        return options.toArray(Option[]::new);
    }

    /** Reads a 32-bit port on the machine thread. */
    static long in(Machine m, int port) throws Exception {
        return m.executor().submit(() -> m.io().read(port, 4)).get(10, TimeUnit.SECONDS);
    }

    /** Writes a 32-bit port on the machine thread. */
    static void out(Machine m, int port, long value) throws Exception {
        m.executor().submit(() -> {
            m.io().write(port, 4, value);
            return null;
        }).get(10, TimeUnit.SECONDS);
    }

    /** Waits (at most 20 s) until the port reads at least {@code atLeast}; returns the value. */
    static long awaitAtLeast(Machine m, int port, long atLeast) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        long v;
        while ((v = in(m, port)) < atLeast) {
            if (System.nanoTime() > end) {
                throw new AssertionError("port 0x" + Integer.toHexString(port) + " reads " + v + ", expected at least " + atLeast);
            }
            Thread.sleep(5);
        }
        return v;
    }
}
