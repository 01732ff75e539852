package org.machina.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.machina.api.block.BlockNode;
import org.machina.api.machine.Machine;
import org.machina.block.BlockImages;
import org.machina.monitor.CommandRegistry;
import org.machina.monitor.QmpServer;
import org.machina.nbd.NbdServer;
import org.machina.nbd.qmp.NbdExports;

/**
 * {@code machina nbd} as a user runs it, each command a child JVM ({@link NbdCliMain}), with qemu-img,
 * nbdinfo and nbdcopy as the peers: {@code nbd serve} on images qemu-img made, and {@code nbd NAME ...}
 * against an instance whose monitor is a real QMP server with the NBD commands and a qcow2 drive.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class NbdCommandTest {
    @TempDir
    Path dir;

    private final List<Process> processes = new ArrayList<>();

    record Result(int status, String out, String err) {
    }

    @AfterEach
    void killLeftovers() {
        processes.forEach(Process::destroyForcibly);
    }

    static void need(String... tools) {
        for (String tool : tools) {
            boolean found = false;
            for (String d : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
                found |= Files.isExecutable(Path.of(d, tool));
            }
            assumeTrue(found, tool + " is not installed (apt-get install qemu-utils libnbd-bin); skipping");
        }
    }

    static String tool(String... cmd) throws Exception {
        Result r = exec(new ProcessBuilder(cmd));
        if (r.status != 0) {
            throw new AssertionError(List.of(cmd) + " failed with " + r.status + ": " + r.out + r.err);
        }
        return r.out;
    }

    static Result exec(ProcessBuilder pb) throws Exception {
        Path out = Files.createTempFile("out", ".txt");
        Path err = Files.createTempFile("err", ".txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(pb.command() + " timed out");
        }
        Result r = new Result(p.exitValue(), Files.readString(out), Files.readString(err));
        Files.delete(out);
        Files.delete(err);
        return r;
    }

    private ProcessBuilder cli(String... args) {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), NbdCliMain.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("MACHINA_HOME", dir.resolve("home").toString());
        return pb;
    }

    private Result machina(String... args) throws Exception {
        return exec(cli(args));
    }

    /** Starts {@code machina nbd serve ...}; returns the process and its 'listening on' URI. */
    private Map.Entry<Process, String> serve(String... args) throws Exception {
        List<String> a = new ArrayList<>(List.of("serve"));
        a.addAll(List.of(args));
        Process p = cli(a.toArray(String[]::new)).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        processes.add(p);
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = r.readLine();
        assertTrue(line != null && line.startsWith("listening on "), "first line: " + line);
        return Map.entry(p, line.substring("listening on ".length()));
    }

    private static void stop(Process p) throws Exception {
        p.destroy(); // SIGTERM
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "ends on SIGTERM");
    }

    @Test
    void serveQcow2OnUnixSocket() throws Exception {
        need("qemu-img", "qemu-io", "nbdinfo");
        Path img = dir.resolve("d.qcow2");
        tool("qemu-img", "create", "-q", "-f", "qcow2", img.toString(), "8M");
        tool("qemu-io", "-f", "qcow2", "-c", "write -P 0xab 64k 1M", img.toString());
        Path sock = dir.resolve("d.sock");
        var s = serve(img.toString(), "-t", "-k", sock.toString(), "-r", "-x", "disk");
        assertEquals("nbd+unix:///disk?socket=" + sock, s.getValue());
        JsonObject info = JsonParser.parseString(tool("nbdinfo", "--json", s.getValue())).getAsJsonObject();
        JsonObject e = info.getAsJsonArray("exports").get(0).getAsJsonObject();
        assertEquals(8 << 20, e.get("export-size").getAsLong());
        assertTrue(e.get("is_read_only").getAsBoolean());
        assertFalse(e.get("can_multi_conn").getAsBoolean(), "one client at a time by default, like qemu-nbd");
        tool("qemu-img", "compare", "-f", "qcow2", "-F", "raw", img.toString(), s.getValue());
        stop(s.getKey());
        assertFalse(Files.exists(sock), "socket removed on exit");
    }

    @Test
    void serveRawOverTcpWritableAndShared() throws Exception {
        need("qemu-img", "qemu-io", "nbdcopy", "nbdinfo");
        Path img = dir.resolve("r.img");
        tool("qemu-img", "create", "-q", "-f", "raw", img.toString(), "4M");
        Path src = dir.resolve("src.raw");
        byte[] data = new byte[4 << 20];
        new java.util.Random(3).nextBytes(data);
        Files.write(src, data);
        var s = serve(img.toString(), "-f", "raw", "-p", "0", "-e", "4", "--persistent");
        assertTrue(s.getValue().startsWith("nbd://127.0.0.1:"), s.getValue());
        assertTrue(tool("nbdinfo", "--json", s.getValue()).contains("\"can_multi_conn\": true"));
        tool("nbdcopy", src.toString(), s.getValue());
        stop(s.getKey());
        assertTrue(Arrays.equals(data, Files.readAllBytes(img)), "nbdcopy wrote through the export");
    }

    @Test
    void serveTheBackingFileOfAChain() throws Exception {
        need("qemu-img", "qemu-io");
        Path base = dir.resolve("base.raw");
        tool("qemu-img", "create", "-q", "-f", "raw", base.toString(), "2M");
        tool("qemu-io", "-f", "raw", "-c", "write -P 0x11 0 2M", base.toString());
        Path top = dir.resolve("top.qcow2");
        tool("qemu-img", "create", "-q", "-f", "qcow2", "-b", base.toString(), "-F", "raw", top.toString());
        tool("qemu-io", "-f", "qcow2", "-c", "write -P 0x22 0 64k", top.toString());
        Path sock = dir.resolve("b.sock");
        var s = serve(top.toString(), "--backing", "-t", "-k", sock.toString());
        tool("qemu-img", "compare", "-f", "raw", "-F", "raw", base.toString(), s.getValue());
        assertEquals(1, exec(new ProcessBuilder("qemu-img", "compare", "-f", "qcow2", "-F", "raw", top.toString(),
                s.getValue())).status, "the top image differs from its backing file");
        stop(s.getKey());
        Result r = machina("serve", top.toString(), "--backing=2", "-k", sock.toString());
        assertEquals(2, r.status, r.toString());
        assertTrue(r.err.contains("no backing file at depth 2"), r.err);
    }

    @Test
    void withoutPersistentServeExitsAfterTheLastClientAndWithItStays() throws Exception {
        need("qemu-img", "nbdinfo");
        Path img = dir.resolve("e.raw");
        tool("qemu-img", "create", "-q", "-f", "raw", img.toString(), "1M");
        var once = serve(img.toString(), "-k", dir.resolve("once.sock").toString());
        tool("nbdinfo", "--list", once.getValue());
        assertTrue(once.getKey().isAlive(), "listing exports (no export opened) does not end it, as in qemu-nbd");
        tool("nbdinfo", once.getValue());
        assertTrue(once.getKey().waitFor(30, TimeUnit.SECONDS), "qemu-nbd semantics: exits when the last client leaves");
        assertEquals(0, once.getKey().exitValue());
        var stays = serve(img.toString(), "-t", "-k", dir.resolve("stays.sock").toString());
        tool("nbdinfo", stays.getValue());
        tool("nbdinfo", stays.getValue());
        assertFalse(stays.getKey().waitFor(1, TimeUnit.SECONDS), "-t: still serving after the last client");
        stop(stays.getKey());
    }

    @Test
    void forkReturnsOnceListeningAndThePidFileNamesTheServer() throws Exception {
        need("qemu-img", "nbdinfo");
        Path img = dir.resolve("f.raw");
        tool("qemu-img", "create", "-q", "-f", "raw", img.toString(), "1M");
        Path sock = dir.resolve("f.sock");
        Path pid = dir.resolve("f.pid");
        Result r = machina("serve", "--fork", "--pid-file", pid.toString(), "-k", sock.toString(), "-x", "f", img.toString());
        assertEquals(0, r.status, r.toString());
        assertEquals("listening on nbd+unix:///f?socket=" + sock + "\n", r.out);
        ProcessHandle server = ProcessHandle.of(Long.parseLong(Files.readString(pid).trim())).orElseThrow();
        assertTrue(server.isAlive() && server.pid() != ProcessHandle.current().pid());
        assertTrue(server.parent().map(p -> p.pid() != ProcessHandle.current().pid()).orElse(true), "detached");
        assertTrue(tool("nbdinfo", "--size", "nbd+unix:///f?socket=" + sock).trim().equals(String.valueOf(1 << 20)));
        assertTrue(server.onExit().get(30, TimeUnit.SECONDS) != null, "not persistent: gone after its client");
        assertFalse(Files.exists(pid), "the pid file goes with the server");

        Result bad = machina("serve", "--fork", "-k", sock.toString(), dir.resolve("missing.raw").toString());
        assertEquals(2, bad.status, "a server that fails before listening passes its status on: " + bad);
        assertTrue(bad.err.contains("missing.raw") && bad.out.isEmpty(), bad.toString());
    }

    @Test
    void snapshotServesAThrowAwayOverlay() throws Exception {
        need("qemu-img", "qemu-io");
        Path img = dir.resolve("s.qcow2");
        tool("qemu-img", "create", "-q", "-f", "qcow2", img.toString(), "1M");
        tool("qemu-io", "-f", "qcow2", "-c", "write -P 0x11 0 1M", img.toString());
        var s = serve(img.toString(), "-s", "-t", "-k", dir.resolve("s.sock").toString());
        tool("qemu-io", "-f", "raw", "-c", "write -P 0x99 4k 8k", s.getValue());
        assertTrue(tool("qemu-io", "-f", "raw", "-c", "read -P 0x99 4k 8k", s.getValue()).contains("read 8192/8192"));
        stop(s.getKey());
        tool("qemu-io", "-f", "qcow2", "-c", "read -P 0x11 0 1M", img.toString()); // fails on a 0x99 byte
    }

    @Test
    void missingOrCorruptImagesAreExitStatus2NamingTheFile() throws Exception {
        Path missing = dir.resolve("nope.qcow2");
        Result r = machina("serve", missing.toString(), "-k", dir.resolve("x.sock").toString());
        assertEquals(2, r.status, r.toString());
        assertTrue(r.err.contains("machina: '" + missing + "': no such image file"), r.err);
        assertEquals("", r.out);

        Path corrupt = dir.resolve("bad.qcow2");
        byte[] b = new byte[4096];
        ByteBuffer.wrap(b).putInt(0x514649fb).putInt(3).putLong(0).putInt(0).putInt(99); // cluster_bits 99
        Files.write(corrupt, b);
        r = machina("serve", corrupt.toString(), "-k", dir.resolve("x.sock").toString());
        assertEquals(2, r.status, r.toString());
        assertTrue(r.err.startsWith("machina: ") && r.err.contains(corrupt.toString()), r.err);
        assertFalse(r.err.contains("Exception"), "a message, not a stack trace: " + r.err);

        r = machina("serve", corrupt.toString(), "-f", "vmdk");
        assertEquals(2, r.status, r.toString());
        assertTrue(r.err.contains("no block driver for format 'vmdk'") && r.err.contains("qcow2"), r.err);
        r = machina("web", "serve", corrupt.toString());
        assertEquals(2, r.status, r.toString());
        r = machina("serve");
        assertEquals(2, r.status, r.toString());
    }

    /**
     * An instance whose "daemon" is a stand-in process and whose monitor is a real QMP server in this JVM with
     * the NBD commands and the machine's drive hd0: nbd NAME start/add --frozen/list/remove/stop.
     */
    @Test
    void instanceCommandsDriveTheMonitor() throws Exception {
        need("qemu-img", "qemu-io", "nbdinfo");
        Path img = dir.resolve("hd0.qcow2");
        tool("qemu-img", "create", "-q", "-f", "qcow2", img.toString(), "4M");
        tool("qemu-io", "-f", "qcow2", "-c", "write -P 0x61 0 4M", img.toString());
        Path before = dir.resolve("before.qcow2");
        Files.copy(img, before);

        Path inst = dir.resolve("home/instances/web");
        Files.createDirectories(inst);
        Files.writeString(inst.resolve("description.json"), "{\"board\": {\"type\": \"none\"}}");
        Process daemon = new ProcessBuilder("bash", "-c", "sleep 600; true", "daemon", "web").start();
        processes.add(daemon);
        Files.writeString(inst.resolve("pid"), Long.toString(daemon.pid()));

        NbdServer nbd = new NbdServer();
        try (BlockNode drive = BlockImages.open("hd0", img, null, false)) {
            Machine machine = (Machine) java.lang.reflect.Proxy.newProxyInstance(Machine.class.getClassLoader(),
                    new Class<?>[] {Machine.class}, (p, m, a) -> switch (m.getName()) {
                        case "drives" -> Map.of("hd0", drive);
                        case "name" -> "web";
                        case "toString" -> "machine web";
                        case "hashCode" -> 1;
                        case "equals" -> p == a[0];
                        default -> m.getReturnType() == Optional.class ? Optional.empty() : null;
                    });
            CommandRegistry registry = new CommandRegistry();
            NbdExports.commands(nbd, null).forEach(registry::add);
            try (QmpServer qmp = new QmpServer(machine, inst.resolve("monitor.sock"), Optional.empty(), registry)) {
                Result r = machina("web", "list");
                assertEquals(0, r.status, r.toString());
                assertTrue(r.out.contains("not running"), r.out);

                r = machina("web", "start");
                assertEquals(0, r.status, r.toString());
                Path sock = inst.resolve("nbd.sock");
                assertTrue(r.out.contains("listening on nbd+unix:///?socket=" + sock), r.out);

                r = machina("web", "add", "hd0", "--frozen", "-x", "backup");
                assertEquals(0, r.status, r.toString());
                String uri = "nbd+unix:///backup?socket=" + sock;
                assertTrue(r.out.contains("as 'backup' (frozen, read-only): " + uri), r.out);
                byte[] b = new byte[1 << 20];
                Arrays.fill(b, (byte) 0x62);
                drive.write(1 << 20, ByteBuffer.wrap(b)); // the guest writes on
                r = machina("web", "add", "hd0", "-x", "live");
                assertEquals(0, r.status, r.toString());

                tool("qemu-img", "compare", "-f", "qcow2", "-F", "raw", before.toString(), uri);
                assertEquals(1, exec(new ProcessBuilder("qemu-img", "compare", "-f", "qcow2", "-F", "raw", before.toString(),
                        "nbd+unix:///live?socket=" + sock)).status, "the live export has the new data");
                assertTrue(tool("nbdinfo", "--json", uri).contains("\"is_read_only\": true"));

                r = machina("web", "list");
                assertEquals(0, r.status, r.toString());
                assertTrue(r.out.contains("backup") && r.out.contains("frozen, read-only") && r.out.contains("live"), r.out);
                r = machina("web", "list", "--json");
                JsonObject info = JsonParser.parseString(r.out).getAsJsonObject();
                assertEquals(2, info.getAsJsonArray("exports").size());

                r = machina("web", "add", "hd9");
                assertEquals(1, r.status, r.toString());
                assertTrue(r.err.contains("hd9") && r.err.contains("hd0"), r.err);
                r = machina("web", "add", "hd0", "--frozen", "--writable");
                assertEquals(2, r.status, r.toString());

                r = machina("web", "remove", "backup");
                assertEquals(0, r.status, r.toString());
                r = machina("web", "remove", "backup");
                assertEquals(1, r.status, r.toString());
                assertTrue(r.err.contains("not found"), r.err);
                r = machina("web", "stop");
                assertEquals(0, r.status, r.toString());
                assertFalse(nbd.running());
                r = machina("ghost", "list");
                assertEquals(3, r.status, r.toString());
            }
        } finally {
            nbd.stop();
        }
    }
}
