package org.machina.block;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a writing process (SIGKILL) in the middle of cluster allocations and checks that
 * {@code qemu-img check} finds no corruption; leaked clusters are allowed by the spec and counted.
 */
class Qcow2CrashTest {
    @TempDir
    Path dir;

    @Test
    void killedWriterLeavesAtMostLeaks() throws Exception {
        Tools.need("qemu-img");
        String java = ProcessHandle.current().info().command().orElse("java");
        String[][] variants = {{"1.1", "65536"}, {"0.10", "4096"}, {"1.1", "512"}, {"1.1", "65536,lazy_refcounts=on"}};
        int run = 0;
        long totalLeaks = 0;
        for (String[] v : variants) {
            for (int kill = 0; kill < 2; kill++) {
                Path img = dir.resolve("crash" + run + ".qcow2");
                Tools.ok("qemu-img", "create", "-q", "-f", "qcow2", "-o", "compat=" + v[0] + ",cluster_size=" + v[1],
                        img.toString(), "64M");
                Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                        CrashWriter.class.getName(), img.toString(), String.valueOf(run))
                        .redirectErrorStream(true).start();
                int target = 20 + 37 * kill;
                int seen = 0;
                try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                    String line;
                    while (seen < target && System.nanoTime() < deadline && (line = in.readLine()) != null) {
                        if (line.startsWith("w ")) {
                            seen++;
                        } else {
                            System.out.println("writer: " + line);
                        }
                    }
                    Thread.sleep(run % 3); // vary where in the next write the kill lands
                    p.destroyForcibly(); // SIGKILL in the middle of whatever write comes next
                    p.waitFor(30, TimeUnit.SECONDS);
                }
                assertTrue(seen >= target, "writer made progress (" + seen + " writes)");
                long[] c = Tools.check(img);
                System.out.printf("crash run %d (%s, cluster %s): killed after %d writes, leaks %d, corruptions %d%n",
                        run, v[0], v[1], seen, c[2], c[1]);
                assertEquals(0, c[1], "corruptions after a crash");
                assertEquals(0, c[3], "check errors after a crash");
                assertTrue(c[0] == 0 || c[0] == 3, "qemu-img check exit " + c[0] + " (0 clean, 3 leaks only)");
                totalLeaks += c[2];
                run++;
            }
        }
        System.out.println("crash test: total leaked clusters over " + run + " kills: " + totalLeaks);
    }
}
