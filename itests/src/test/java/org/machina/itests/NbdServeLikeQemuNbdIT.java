package org.machina.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same command lines run as {@code qemu-nbd ...} and as {@code machina nbd serve ...} (the built
 * distribution's launcher): {@code nbdinfo --json} must report the same export (all but the URI, whose
 * socket path differs), and both servers must end, or stay, after that one client alike.
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class NbdServeLikeQemuNbdIT {
    private static final int MIB = 1 << 20;

    @TempDir
    Path home;

    private MachinaCli cli;
    private Path image;
    private final List<Process> started = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        cli = new MachinaCli(home);
        image = home.resolve("disk.qcow2");
        tool("qemu-img", "create", "-q", "-f", "qcow2", image.toString(), "16M");
        tool("qemu-io", "-f", "qcow2", "-c", "write -P 0x5a 0 1M", "-c", "write -P 0x6b 8M 64k", image.toString());
    }

    @AfterEach
    void stopServers() {
        started.forEach(Process::destroyForcibly);
    }

    private static String tool(String... cmd) throws Exception {
        for (int attempt = 0; ; attempt++) {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(MachinaCli.COMMAND_TIMEOUT_S, TimeUnit.SECONDS), String.join(" ", cmd) + " hung");
            if (p.exitValue() != 0 && out.contains("Connection refused") && attempt < 50) {
                Thread.sleep(100); // qemu-nbd makes the socket file at bind(), before listen(): not a client yet
                continue;
            }
            assertEquals(0, p.exitValue(), () -> String.join(" ", cmd) + ":\n" + out);
            return out;
        }
    }

    private List<String> machina(List<String> args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-jar", cli.launcher().toString(), "nbd", "serve"));
        cmd.addAll(args);
        return cmd;
    }

    /** Starts a server on a fresh Unix socket and waits until it accepts connections. */
    private Process start(boolean qemu, List<String> options, String imageArg, Path sock) throws Exception {
        List<String> args = new ArrayList<>(options);
        args.addAll(List.of("-k", sock.toString(), imageArg));
        List<String> cmd = qemu ? new ArrayList<>(List.of("qemu-nbd")) : machina(args);
        if (qemu) {
            cmd.addAll(args);
        }
        Path log = home.resolve(sock.getFileName() + ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        started.add(p);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(MachinaCli.COMMAND_TIMEOUT_S);
        // qemu-nbd prints nothing; machina prints 'listening on' once the socket listens
        while (qemu ? !Files.exists(sock) : !Files.readString(log).contains("listening on")) {
            assertTrue(p.isAlive(), () -> cmd + " ended: " + read(log));
            assertTrue(System.nanoTime() < end, () -> cmd + " never listened: " + read(log));
            Thread.sleep(50);
        }
        return p;
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }

    /**
     * What nbdinfo reports about the one export, without its URI (the socket paths differ). With the content
     * probe nbdinfo opens the export (NBD_OPT_GO); without it, it only asks (NBD_OPT_INFO), which does not
     * count as a client for qemu-nbd's exit after the last client.
     */
    private static JsonObject info(Path sock, String export) throws Exception {
        JsonObject all = JsonParser.parseString(tool("nbdinfo", "--json",
                "nbd+unix:///" + export + "?socket=" + sock)).getAsJsonObject();
        JsonArray exports = all.getAsJsonArray("exports");
        assertEquals(1, exports.size(), all.toString());
        JsonObject e = exports.get(0).getAsJsonObject();
        e.remove("uri");
        return all;
    }

    /** Outcome of one command line on one server: nbdinfo's report and whether the server stayed after the client. */
    private record Outcome(JsonElement info, boolean stayed) {
    }

    private Outcome outcome(boolean qemu, List<String> options, String imageArg, String export) throws Exception {
        Path sock = home.resolve((qemu ? "q" : "m") + started.size() + ".sock");
        Process p = start(qemu, options, imageArg, sock);
        JsonObject info = info(sock, export);
        boolean stayed = !p.waitFor(5, TimeUnit.SECONDS);
        if (stayed) {
            p.destroy();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "ends on SIGTERM");
        }
        return new Outcome(info, stayed);
    }

    private void same(List<String> options, String export) throws Exception {
        same(options, image.toString(), export);
    }

    private void same(List<String> options, String imageArg, String export) throws Exception {
        Outcome q = outcome(true, options, imageArg, export);
        Outcome m = outcome(false, options, imageArg, export);
        assertEquals(q.info().toString(), m.info().toString(), "nbdinfo --json for " + options);
        assertEquals(q.stayed(), m.stayed(), "after the last client, " + options + ": qemu-nbd "
                + (q.stayed() ? "stayed" : "exited"));
        assertEquals(options.contains("-t") || options.contains("--persistent"), m.stayed(), "only -t stays: " + options);
    }

    @Test
    void onlyAskingAboutTheExportDoesNotEndEither() throws Exception {
        for (boolean qemu : List.of(true, false)) {
            Path sock = home.resolve((qemu ? "q" : "m") + "-ask.sock");
            Process p = start(qemu, List.of("-r"), image.toString(), sock);
            tool("nbdinfo", "--json", "--no-content", "nbd+unix:///?socket=" + sock);
            tool("nbdinfo", "--list", "nbd+unix:///?socket=" + sock);
            assertTrue(p.isAlive(), (qemu ? "qemu-nbd" : "machina") + " stays: no client opened the export");
            tool("nbdinfo", "--size", "nbd+unix:///?socket=" + sock);
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), (qemu ? "qemu-nbd" : "machina") + " ends after a client opened it");
        }
    }

    @Test
    void readOnlyNamedAndDescribed() throws Exception {
        same(List.of("-r", "-x", "d", "-D", "a disk, described"), "d");
        same(List.of("-t", "-r", "-f", "qcow2", "-x", "d"), "d");
    }

    @Test
    void writableSharedAndPersistent() throws Exception {
        same(List.of(), "");
        same(List.of("--persistent", "-e", "3", "-x", "shared"), "shared");
    }

    @Test
    void snapshotOverlayWritableOrReadOnly() throws Exception {
        same(List.of("-s"), "");
        same(List.of("-s", "-r", "-t"), "");
    }

    @Test
    void cacheAioDiscardDetectZeroesAndOffset() throws Exception {
        same(List.of("--cache=writethrough", "--discard=unmap", "--detect-zeroes=unmap", "--aio=threads"), "");
        same(List.of("-n", "--aio=native", "-o", String.valueOf(MIB)), "");
        same(List.of("--cache", "unsafe", "--detect-zeroes", "on", "-f", "qcow2"), "");
    }

    @Test
    void allocationDepthOfABackingChainAndOfASnapshotOverlay() throws Exception {
        Path top = home.resolve("top.qcow2");
        tool("qemu-img", "create", "-q", "-f", "qcow2", "-b", image.toString(), "-F", "qcow2", top.toString());
        tool("qemu-io", "-f", "qcow2", "-c", "write -P 0x22 2M 64k", "-c", "write -z 4M 64k", "-c", "write -P 0x33 8M 4k",
                top.toString());
        for (List<String> options : List.of(List.of("-A", "-r", "-t"), List.of("-A", "-s", "-t"))) {
            List<String> maps = new ArrayList<>();
            for (boolean qemu : List.of(true, false)) {
                Path sock = home.resolve((qemu ? "q" : "m") + "-depth" + started.size() + ".sock");
                Process p = start(qemu, options, top.toString(), sock);
                String uri = "nbd+unix:///?socket=" + sock;
                if (options.contains("-s")) {
                    tool("qemu-io", "-f", "raw", "-c", "write -P 0x44 12M 64k", uri); // lands in the overlay: depth 1
                }
                JsonObject info = info(sock, "");
                assertTrue(info.toString().contains("qemu:allocation-depth"), info.toString());
                maps.add(tool("nbdinfo", "--map=qemu:allocation-depth", uri) + tool("nbdinfo", "--map", uri));
                p.destroy();
                assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            }
            assertEquals(maps.get(0), maps.get(1), "allocation depth and base:allocation maps, " + options);
            assertTrue(maps.get(1).contains("backing depth " + (options.contains("-s") ? 3 : 2))
                    && maps.get(1).contains("local") && maps.get(1).contains("absent"), maps.get(1));
        }
    }

    @Test
    void imageOpts() throws Exception {
        same(List.of("-r", "--image-opts", "-x", "o"), "driver=qcow2,file.driver=file,file.filename=" + image + ",read-only=on", "o");
        same(List.of("--image-opts", "-t"), "file.filename=" + image, "");
    }

    @Test
    void forkReturnsOnceListeningAndThePidFileNamesTheServer() throws Exception {
        for (boolean qemu : List.of(true, false)) {
            Path sock = home.resolve((qemu ? "q" : "m") + "-fork.sock");
            Path pid = home.resolve((qemu ? "q" : "m") + "-fork.pid");
            List<String> args = List.of("--fork", "--pid-file", pid.toString(), "-k", sock.toString(), "-x", "f",
                    image.toString());
            List<String> cmd = qemu ? new ArrayList<>(List.of("qemu-nbd")) : machina(args);
            if (qemu) {
                cmd.addAll(args);
            }
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(MachinaCli.COMMAND_TIMEOUT_S, TimeUnit.SECONDS) && p.exitValue() == 0, cmd + ": " + out);
            assertTrue(Files.exists(sock), cmd + ": listening when the command returns");
            long serverPid = Long.parseLong(Files.readString(pid).trim());
            assertTrue(serverPid != p.pid() && ProcessHandle.of(serverPid).isPresent(), cmd + ": the pid file names the server");
            assertEquals(String.valueOf(16 * MIB), tool("nbdinfo", "--size", "nbd+unix:///f?socket=" + sock).trim());
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (Files.exists(sock)) {
                assertTrue(System.nanoTime() < end, cmd + ": the forked server ends after its last client");
                Thread.sleep(100);
            }
        }
    }

    @Test
    void sameRefusalsForBadCombinations() throws Exception {
        for (List<String> bad : List.of(List.of("--detect-zeroes=unmap"), List.of("--aio=native"), List.of("--cache=fast"),
                List.of("--image-opts", "-f", "raw"), List.of("--image-opts"))) {
            List<String> args = new ArrayList<>(bad);
            args.addAll(List.of("-k", home.resolve("bad.sock").toString(), bad.equals(List.of("--image-opts"))
                    ? "driver=qcow2,file.filename=" + image + ",read-only=on" : image.toString()));
            List<String> q = new ArrayList<>(List.of("qemu-nbd"));
            q.addAll(args);
            Process qp = new ProcessBuilder(q).redirectErrorStream(true).start();
            String qout = new String(qp.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(qp.waitFor(30, TimeUnit.SECONDS) && qp.exitValue() != 0, "qemu-nbd refuses " + bad + ": " + qout);
            MachinaCli.Result m = cli.run(machinaArgs(args));
            assertEquals(2, m.status(), m.toString());
            assertEquals(1, m.err().lines().count(), "one line: " + m.err());
            assertTrue(m.err().contains(bad.getFirst().split("=")[0]), m.err());
        }
    }

    private static String[] machinaArgs(List<String> args) {
        List<String> a = new ArrayList<>(List.of("nbd", "serve"));
        a.addAll(args);
        return a.toArray(String[]::new);
    }

    @Test
    void theIssuesCommandLineAndUnsupportedOptions() throws Exception {
        MachinaCli.Result r = cli.run("nbd", "serve", "-t", "-r", "-f", "qcow2", "-b", "127.0.0.1", "-p", "1", image.toString(),
                "--bogus");
        assertEquals(2, r.status(), r.toString());
        assertEquals("machina: nbd serve: unknown option '--bogus' (see 'machina nbd serve --help')\n", r.err());
        for (String opt : List.of("-B", "-l", "--object", "-T", "--tls-creds")) {
            List<String> a = new ArrayList<>(List.of("nbd", "serve", opt, "x", image.toString()));
            MachinaCli.Result u = cli.run(a.toArray(String[]::new));
            assertEquals(2, u.status(), u.toString());
            assertEquals(1, u.err().lines().count(), u.toString());
            assertTrue(u.err().contains(opt + "/") || u.err().contains(opt + " is not supported"), u.toString());
        }
    }
}
