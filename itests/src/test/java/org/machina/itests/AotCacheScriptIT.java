package org.machina.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code scripts/jvm/aot.sh}, which {@code ./machina} and the boot benchmark source for a
 * machine's JVM, with the real JDK on a copy of the built full distribution: a training run
 * records, the next writes the cache and uses it, a rebuilt jar makes both stale, and a JVM given
 * the cache and the options {@code ./machina} passes (no {@code --enable-native-access}) can map it:
 * {@code -XX:AOTMode=on} makes the JVM fail when it cannot. The training command here is
 * {@code types}, which starts the framework with every bundle and ends.
 */
class AotCacheScriptIT {
    private static final long TIMEOUT_S = 120;

    @TempDir
    Path tmp;

    @Test
    void recordsThenWritesThenUsesTheCache() throws Exception {
        Path dist = copyOfDistribution();
        Path cds = dist.resolve("cds");

        List<String> record = aotOptions(dist, "train", "on");
        assertEquals("-XX:AOTMode=record", record.get(0), record.toString());
        assertEquals(0, java(dist, record, "types").status, "the recording run");
        try (Stream<Path> s = Files.list(cds)) {
            assertEquals(List.of("aotconf"), s.map(p -> p.getFileName().toString().replaceAll(".*\\.", "")).toList());
        }

        List<String> use = aotOptions(dist, "train", "on");
        assertEquals(1, use.size(), use.toString());
        assertTrue(use.get(0).startsWith("-XX:AOTCache=" + cds.resolve("machine-")), use.toString());
        Path cache = Path.of(use.get(0).substring("-XX:AOTCache=".length()));
        assertTrue(Files.size(cache) > 1_000_000, "a cache of the framework's classes: " + Files.size(cache) + " bytes");
        try (Stream<Path> s = Files.list(cds)) {
            assertEquals(List.of(cache), s.toList(), "the training data is removed once the cache is written");
        }
        List<String> strict = new ArrayList<>(use);
        strict.add("-XX:AOTMode=on"); // fail, rather than run without, if the cache does not fit the options
        Run withCache = java(dist, strict, "types");
        assertEquals(0, withCache.status, withCache.err);
        assertEquals(use, aotOptions(dist, "use", "on"), "a run that does not train uses it too");
        assertEquals(List.of(), aotOptions(dist, "train", "off"), "MACHINA_AOT=off");

        // a rebuilt bundle: not used any more, and the next training run records again
        Path jar;
        try (Stream<Path> s = Files.list(dist.resolve("bundles"))) {
            jar = s.filter(p -> p.toString().endsWith(".jar")).findFirst().orElseThrow();
        }
        Files.setLastModifiedTime(jar, FileTime.from(Instant.now().plusSeconds(60)));
        assertEquals(List.of(), aotOptions(dist, "use", "on"), "a stale cache is not used");
        assertEquals("-XX:AOTMode=record", aotOptions(dist, "train", "on").get(0));
        assertTrue(Files.notExists(cache), "the stale cache is removed");
    }

    @Test
    void aRunThatDoesNotTrainNeverRecords() throws Exception {
        Path dist = copyOfDistribution();
        assertEquals(List.of(), aotOptions(dist, "use", "on"));
        assertTrue(Files.notExists(dist.resolve("cds")) || isEmpty(dist.resolve("cds")));
    }

    private static boolean isEmpty(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }

    /** lib/ and bundles/ of the built full distribution, in a folder of the test's own. */
    private Path copyOfDistribution() throws IOException {
        Path built = Path.of(System.getProperty("machina.bundles")).getParent();
        Path dist = tmp.resolve("machina");
        for (String dir : List.of("lib", "bundles")) {
            Files.createDirectories(dist.resolve(dir));
            try (Stream<Path> s = Files.list(built.resolve(dir))) {
                for (Path f : s.filter(Files::isRegularFile).toList()) {
                    Files.copy(f, dist.resolve(dir).resolve(f.getFileName()), StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
        return dist;
    }

    /** The options {@code machina_aot DIST MODE} chooses (it may write the cache first). */
    private List<String> aotOptions(Path dist, String mode, String aot) throws Exception {
        Path script = Path.of(GuestConsole.machineJvmOptions().substring(1)).resolveSibling("aot.sh");
        Run r = run(List.of("bash", "-c", ". \"$0\" && machina_aot \"$1\" \"$2\" && printf '%s\\n' \"${aot_opts[@]}\"",
                script.toString(), dist.toString(), mode), aot);
        assertEquals(0, r.status, r.err);
        return r.out.isBlank() ? List.of() : Arrays.asList(r.out.strip().split("\n"));
    }

    /** The launcher with the options ./machina gives a machine's JVM, plus {@code extra}. */
    private Run java(Path dist, List<String> extra, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xlog:disable", "-Xlog:all=warning,cds*=off,aot*=off:stderr", "--sun-misc-unsafe-memory-access=allow"));
        cmd.addAll(extra);
        cmd.addAll(List.of(GuestConsole.machineJvmOptions(), "-jar",
                dist.resolve("lib/launcher-0.1.0-SNAPSHOT.jar").toString()));
        cmd.addAll(List.of(args));
        return run(cmd, "on");
    }

    record Run(int status, String out, String err) {
    }

    private Run run(List<String> cmd, String aot) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().put("MACHINA_AOT", aot);
        pb.environment().put("MACHINA_HOME", tmp.resolve("home").toString());
        Path out = Files.createTempFile(tmp, "aot", ".out");
        Path err = Files.createTempFile(tmp, "aot", ".err");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        p.getOutputStream().close();
        if (!p.waitFor(TIMEOUT_S, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", cmd) + " did not end within " + TIMEOUT_S + " s");
        }
        Run r = new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err));
        Files.delete(out);
        Files.delete(err);
        return r;
    }
}
