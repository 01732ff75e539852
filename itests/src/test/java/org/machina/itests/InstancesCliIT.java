package org.machina.itests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
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
import org.machina.itests.MachinaCli.Result;

/**
 * Drives the built distribution's {@code machina} command as a user would, each command a child
 * process with {@code MACHINA_HOME} in a temporary folder: named instances from create to delete.
 * Machines are {@code board none, cpu none}, so nothing here needs the PC board or the x86 CPU.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class InstancesCliIT {
    private static final String[] MACHINE = {"-machine", "none", "-cpu", "none", "-device", "tick-counter",
        "-device", "isa-debugcon"};

    @TempDir
    Path home;

    private MachinaCli cli;

    @BeforeEach
    void findDistribution() throws IOException {
        cli = new MachinaCli(home);
    }

    /** Kills whatever daemon a failed test left behind. */
    @AfterEach
    void killLeftovers() throws IOException {
        cli.killLeftoverDaemons();
    }

    private Result machina(String... args) throws Exception {
        return cli.run(args);
    }

    private Result machinaWithInput(String input, String... args) throws Exception {
        return cli.runWithInput(input, args);
    }

    private Result ok(String... args) throws Exception {
        return cli.ok(args);
    }

    private Result fails(int status, String... args) throws Exception {
        return cli.fails(status, args);
    }

    private String state(String name) throws Exception {
        return JsonParser.parseString(ok("status", name, "--json").out()).getAsJsonObject().get("state").getAsString();
    }

    private String[] create(String name) {
        List<String> a = new ArrayList<>(List.of("create", name));
        a.addAll(List.of(MACHINE));
        return a.toArray(String[]::new);
    }

    /** An update through the instance hot-swaps now, is persisted, and runs again after a restart. */
    @Test
    void aBundleUpdateSurvivesARestart() throws Exception {
        ok(create("vm2"));
        ok("start", "vm2");
        Path v2 = Path.of(System.getProperty("fixture.v2"));
        Result updated = ok("bundle", "update", "org.machina.tick-counter", v2.toString(), "--instance", "vm2");
        assertTrue(updated.out().contains("2.0.0"), updated.toString());
        Path persisted = home.resolve("bundles/org.machina.tick-counter.jar");
        assertArrayEquals(Files.readAllBytes(v2), Files.readAllBytes(persisted), "the update's exact bytes are persisted");
        Result list = ok("bundle", "list", "--instance", "vm2");
        assertTrue(list.out().contains("jar: updated from " + v2.toAbsolutePath() + "; persisted to " + persisted),
                list.toString());

        ok("kill", "vm2");
        ok("start", "vm2");
        Result after = ok("bundle", "list", "--instance", "vm2");
        String tick = after.out().lines().filter(l -> l.contains("org.machina.tick-counter")).findFirst().orElseThrow();
        assertTrue(tick.contains("2.0.0"), "the persisted version runs after the restart: " + after);
        assertTrue(after.out().contains("jar: " + persisted), "and comes from $MACHINA_HOME/bundles: " + after);
        assertEquals(1, after.out().lines().filter(l -> l.contains("org.machina.tick-counter ")).count(),
                "one tick-counter bundle, not the distribution's beside it: " + after);
        ok("kill", "vm2");
        ok("delete", "vm2");
    }

    @Test
    void lifecycleFromCreateToDelete() throws Exception {
        ok(create("vm1"));
        assertTrue(Files.isRegularFile(home.resolve("instances/vm1/description.json")));
        assertTrue(fails(4, create("vm1")).err().contains("exists already"));
        assertEquals("created", state("vm1"));

        Result start = ok("start", "vm1");
        assertTrue(start.out().contains("started vm1"), start.toString());
        Path dir = home.resolve("instances/vm1");
        for (String f : new String[] {"monitor.sock", "console.sock", "pid", "started", "daemon.log", "console.log"}) {
            assertTrue(Files.exists(dir.resolve(f)), f + " exists while running");
        }
        assertEquals(4, machina("start", "vm1").status(), "a second start is refused");

        JsonArray list = JsonParser.parseString(ok("list", "--json").out()).getAsJsonArray();
        assertEquals(1, list.size());
        JsonObject vm = list.get(0).getAsJsonObject();
        assertEquals("vm1", vm.get("name").getAsString());
        assertEquals("running", vm.get("state").getAsString());
        assertEquals("none", vm.get("board").getAsString());
        assertTrue(vm.has("pid") && vm.has("uptime"), vm.toString());
        assertTrue(ok("list").out().lines().anyMatch(l -> l.startsWith("vm1") && l.contains("running")));

        JsonObject status = JsonParser.parseString(ok("qmp", "vm1", "query-status").out()).getAsJsonObject();
        assertEquals("running", status.get("status").getAsString());
        Result bad = fails(1, "qmp", "vm1", "no-such-command");
        assertTrue(bad.err().contains("CommandNotFound") || bad.err().contains("no-such-command"), bad.toString());
        fails(2, "qmp", "vm1", "device_del", "{not json");

        ok("stop", "vm1");
        assertEquals("paused", state("vm1"));
        ok("cont", "vm1");
        assertEquals("running", state("vm1"));

        try (SocketChannel console = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            console.connect(UnixDomainSocketAddress.of(dir.resolve("console.sock")));
            assertTrue(console.isConnected(), "the console socket accepts a client");
        }
        Result attach = machinaWithInput("typed\u001dnot sent\n", "console", "vm1");
        assertEquals(0, attach.status(), attach.toString());
        assertTrue(attach.err().contains("Ctrl-] detaches") && attach.err().contains("detached from vm1"), attach.toString());

        Result monitor = machinaWithInput("query-status\n{\"execute\": \"stop\"}\nquery-status\n", "monitor", "vm1");
        assertEquals(0, monitor.status(), monitor.toString());
        assertTrue(monitor.out().contains("\"QMP\""), "greeting: " + monitor);
        assertTrue(monitor.out().contains("\"status\":\"paused\""), monitor.toString());
        assertEquals("paused", state("vm1"));
        ok("cont", "vm1");

        Result added = ok("device", "add", "vm1", "tick-counter", "id=t2", "iobase=0x520");
        assertTrue(added.out().contains("added tick-counter 't2'"), added.toString());
        ok("device", "del", "vm1", "t2");
        assertTrue(fails(1, "device", "del", "vm1", "t2").err().contains("t2"), "a second removal names the id");
        fails(2, "device", "add", "vm1", "tick-counter", "novalue");

        Result bundles = ok("bundle", "list", "--instance", "vm1");
        assertTrue(bundles.out().contains("org.machina.runtime"), bundles.toString());

        assertTrue(fails(4, "delete", "vm1").err().contains("--force"));
        Result down = ok("shutdown", "vm1", "--timeout", "60");
        assertTrue(down.out().contains("shut down vm1"), down.toString());
        assertEquals("shutdown", state("vm1"));
        assertFalse(Files.exists(dir.resolve("pid")), "pid file removed");
        assertFalse(Files.exists(dir.resolve("monitor.sock")), "monitor socket removed");
        assertFalse(Files.exists(dir.resolve("console.sock")), "console socket removed");
        fails(4, "stop", "vm1");

        ok("delete", "vm1");
        assertFalse(Files.exists(dir));
        assertEquals(0, JsonParser.parseString(ok("list", "--json").out()).getAsJsonArray().size());
    }

    @Test
    void killedDaemonShowsAsCrashedAndCanBeDeleted() throws Exception {
        ok(create("vm2"));
        ok("start", "vm2");
        long pid = Long.parseLong(Files.readString(home.resolve("instances/vm2/pid")).trim());
        ProcessHandle daemon = ProcessHandle.of(pid).orElseThrow();
        daemon.destroyForcibly();
        daemon.onExit().get(30, TimeUnit.SECONDS);
        assertEquals("crashed", state("vm2"));
        assertTrue(ok("list").out().contains("crashed"));
        fails(4, "qmp", "vm2", "query-status");
        // a crashed instance starts again: stale files are not trusted
        ok("start", "vm2");
        assertEquals("running", state("vm2"));
        ok("kill", "vm2");
        assertFalse(Files.exists(home.resolve("instances/vm2/pid")));
        ok("delete", "vm2");
    }

    @Test
    void deleteForceKillsARunningInstance() throws Exception {
        ok(create("vm3"));
        ok("start", "vm3");
        long pid = Long.parseLong(Files.readString(home.resolve("instances/vm3/pid")).trim());
        ok("delete", "--force", "vm3");
        ProcessHandle.of(pid).ifPresent(p -> {
            try {
                p.onExit().get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new AssertionError("daemon " + pid + " still alive", e);
            }
        });
        assertFalse(Files.exists(home.resolve("instances/vm3")));
    }

    @Test
    void badNamesAndUnknownInstances() throws Exception {
        assertTrue(fails(2, "create", "1bad", "-machine", "none").err().contains("not a valid instance name"));
        fails(2, "create", "a/b", "-machine", "none");
        fails(2, "status", "x".repeat(65));
        assertTrue(fails(3, "status", "ghost").err().contains("no instance 'ghost'"));
        fails(3, "start", "ghost");
        fails(3, "qmp", "ghost", "query-status");
        fails(3, "delete", "ghost");
        ok(create("idle"));
        assertTrue(fails(4, "stop", "idle").err().contains("not running"));
        fails(4, "console", "idle");
        fails(4, "kill", "idle");
        fails(2, "create", "opts", "-frobnicate");
        assertFalse(Files.exists(home.resolve("instances/opts")), "no folder for a refused description");
    }

    @Test
    void helpAndCompletion() throws Exception {
        Result help = ok("--help");
        assertTrue(help.out().contains("Exit codes"), help.toString());
        for (String c : new String[] {"create", "start", "list", "status", "console", "stop", "cont", "shutdown", "kill",
            "delete", "qmp", "monitor", "device", "completion"}) {
            assertTrue(help.out().contains(c), c);
        }
        Result console = ok("console", "--help");
        assertTrue(console.out().contains("Usage: machina console") && console.out().contains("Ctrl-]"), console.toString());
        assertTrue(ok("shutdown", "--help").out().contains("Exit codes"));
        assertTrue(ok("completion").out().contains("complete -F"));
    }
}
