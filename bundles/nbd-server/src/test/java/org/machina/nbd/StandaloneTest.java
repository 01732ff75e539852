package org.machina.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code Standalone serve} in a child JVM, probed by nbdinfo and qemu-img like qemu-nbd would be. */
class StandaloneTest {
    @TempDir
    Path dir;

    String listening;

    Process serve(String... args) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new java.util.ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                Standalone.class.getName(), "serve"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream()));
        for (int i = 0; i < 50; i++) {
            String line = r.readLine();
            if (line == null) {
                throw new AssertionError("standalone server exited");
            }
            if (line.startsWith("listening on")) {
                listening = line;
                Thread.ofVirtual().start(() -> {
                    try {
                        while (r.readLine() != null) {
                            // drain the log
                        }
                    } catch (java.io.IOException ignored) {
                        // exited
                    }
                });
                return p;
            }
        }
        p.destroyForcibly();
        throw new AssertionError("no 'listening on' line");
    }

    @Test
    void servesQcow2OverUnixSocketProbingTheFormat() throws Exception {
        Tools.need("qemu-img", "qemu-io", "nbdinfo");
        Path img = dir.resolve("s.qcow2");
        Tools.ok("qemu-img", "create", "-q", "-f", "qcow2", img.toString(), "8M");
        Tools.qemuIo(img, "qcow2", "write -P 0xab 0 64k");
        Path sock = dir.resolve("s.sock");
        Process p = serve(img.toString(), "--socket", sock.toString(), "--read-only", "--export-name", "x");
        try {
            String u = "nbd+unix:///x?socket=" + sock;
            String info = Tools.ok("nbdinfo", "--json", u);
            assertTrue(info.contains("\"export-size\": 8388608"), info);
            assertTrue(info.contains("\"is_read_only\": true"), info);
            Tools.ok("qemu-img", "compare", "-f", "qcow2", "-F", "raw", img.toString(), u);
        } finally {
            p.destroy();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        }
        assertEquals(false, Files.exists(sock), "socket removed on exit");
    }

    @Test
    void servesRawOverTcp() throws Exception {
        Tools.need("qemu-img", "qemu-io", "nbdcopy");
        Path img = dir.resolve("r.raw");
        Tools.ok("qemu-img", "create", "-q", "-f", "raw", img.toString(), "4M");
        Tools.qemuIo(img, "raw", "write -P 0x12 4096 1M");
        Process p = serve(img.toString(), "--port", "0", "--format", "raw");
        try {
            int port = Integer.parseInt(listening.substring(listening.lastIndexOf(':') + 1).trim());
            Path out = dir.resolve("out.raw");
            Tools.ok("nbdcopy", "nbd://127.0.0.1:" + port, out.toString());
            assertEquals(Tools.sha256(img), Tools.sha256(out));
        } finally {
            p.destroy();
            p.waitFor(30, TimeUnit.SECONDS);
        }
    }
}
