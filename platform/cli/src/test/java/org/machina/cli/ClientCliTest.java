package org.machina.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The framework-free instance commands: which command lines the launcher's client path takes,
 * and that their usage is the one the full CLI prints.
 */
class ClientCliTest {
    private static final Set<String> CLIENT_COMMANDS = Set.of("create", "start", "list", "status", "console", "stop",
            "cont", "shutdown", "kill", "delete", "qmp", "monitor", "device", "nbd");

    private final ClientCli client = new ClientCli();

    @Test
    void instanceCommandsTakeTheClientPath() {
        for (String[] args : List.of(new String[] {"list"}, new String[] {"list", "--json"}, new String[] {"status", "web"},
                new String[] {"qmp", "web", "query-status"}, new String[] {"stop", "web"}, new String[] {"cont", "web"},
                new String[] {"shutdown", "web"}, new String[] {"kill", "web"}, new String[] {"delete", "--force", "web"},
                new String[] {"console", "web"}, new String[] {"monitor", "web"}, new String[] {"device", "add", "web", "x"},
                new String[] {"create", "web", "-machine", "none"}, new String[] {"start", "web"},
                new String[] {"nbd", "web", "list"}, new String[] {"list", "--help"})) {
            assertTrue(client.test(args), String.join(" ", args));
        }
    }

    @Test
    void everythingElseStartsTheFramework() {
        for (String[] args : List.of(new String[0], new String[] {"--help"}, new String[] {"-h"}, new String[] {"--version"},
                new String[] {"help", "list"}, new String[] {"run", "-machine", "pc"}, new String[] {"types"},
                new String[] {"bundle", "list"}, new String[] {"completion"}, new String[] {"daemon", "web"},
                new String[] {"nbd"}, new String[] {"nbd", "--help"}, new String[] {"nbd", "serve", "disk.img"},
                new String[] {"lst"})) {
            assertFalse(client.test(args), String.join(" ", args));
        }
    }

    @Test
    void theClientHasExactlyTheInstanceCommands() {
        assertEquals(CLIENT_COMMANDS, ClientCli.commands(new String[0], null).keySet());
    }

    @Test
    void helpIsTheFullCliHelp() {
        CommandLine full = new MachinaCli(null, null, null).commandLine(new String[0]);
        for (String name : CLIENT_COMMANDS) {
            Result r = name.equals("nbd") ? run("nbd", "web", "--help") : run(name, "--help");
            assertEquals(0, r.status(), r.err());
            assertEquals(full.getSubcommands().get(name).getUsageMessage(), r.out(), name);
        }
        CommandLine nbd = full.getSubcommands().get("nbd");
        for (String sub : List.of("start", "add", "remove", "stop", "list")) {
            Result r = run("nbd", "web", sub, "--help");
            assertEquals(nbd.getSubcommands().get(sub).getUsageMessage(), r.out(), "nbd " + sub);
        }
        assertTrue(run("list", "--help").out().startsWith("Usage: machina list [-hV] [--json]"));
    }

    @Test
    void failuresKeepTheirExitStatus() {
        Result bad = run("status", "1bad");
        assertEquals(CliException.USAGE, bad.status());
        assertTrue(bad.err().contains("machina: '1bad' is not a valid instance name"), bad.err());
        Result usage = run("status");
        assertEquals(CliException.USAGE, usage.status());
        assertTrue(usage.err().contains("Missing required parameter: 'NAME'"), usage.err());
    }

    @Test
    void plainCommandLinesSkipPicocli() {
        for (String[] args : List.of(new String[] {"list"}, new String[] {"list", "--json"}, new String[] {"status", "web"},
                new String[] {"status", "web", "--json"}, new String[] {"stop", "web"}, new String[] {"cont", "web"},
                new String[] {"kill", "web"}, new String[] {"qmp", "web", "query-status"},
                new String[] {"qmp", "web", "device_del", "{\"id\": \"d\"}"})) {
            assertTrue(QuickCommands.parse(args).isPresent(), String.join(" ", args));
        }
        for (String[] args : List.of(new String[] {"list", "--help"}, new String[] {"list", "x"},
                new String[] {"list", "--json", "--json"}, new String[] {"status"}, new String[] {"status", "a", "b"},
                new String[] {"status", "-h"}, new String[] {"stop", "web", "--json"}, new String[] {"qmp", "web"},
                new String[] {"qmp", "web", "a", "b", "c"}, new String[] {"status", "--", "web"}, new String[] {"status", ""},
                new String[] {"shutdown", "web"}, new String[] {"delete", "web"}, new String[] {"create", "web"})) {
            assertTrue(QuickCommands.parse(args).isEmpty(), String.join(" ", args));
        }
    }

    @Test
    void theQuickPathFailsLikePicocli() {
        for (String[] args : List.of(new String[] {"status", "1bad"}, new String[] {"status", "no-such-instance-q7"},
                new String[] {"stop", "no-such-instance-q7"}, new String[] {"cont", "no-such-instance-q7"},
                new String[] {"kill", "no-such-instance-q7"}, new String[] {"qmp", "no-such-instance-q7", "query-status"},
                new String[] {"qmp", "1bad", "query-status", "{"})) {
            Result quick = run(args);
            Result full = capture(() -> client.applyWithPicocli(args));
            assertEquals(full, quick, String.join(" ", args));
            assertTrue(quick.status() != 0 && quick.err().startsWith("machina: "), quick.toString());
        }
    }

    /**
     * The {@code machina} script picks JVM options (C1 only, the client archive) by command name;
     * its list must be the client's commands, less {@code start} (whose options its daemon inherits)
     * and {@code nbd} (a case of its own: serve is a server).
     */
    @Test
    void theScriptTunesTheClientCommands() throws Exception {
        Path script = Path.of("../../machina");
        Assumptions.assumeTrue(Files.isRegularFile(script), "the machina script is at the repository root");
        String line = Files.readAllLines(script).stream().filter(l -> l.strip().endsWith(") kind=client;;"))
                .findFirst().orElseThrow(() -> new AssertionError("no 'kind=client' case in " + script));
        Set<String> tuned = Set.of(line.strip().replace(") kind=client;;", "").split("\\|"));
        Set<String> expected = new java.util.TreeSet<>(CLIENT_COMMANDS);
        expected.removeAll(Set.of("start", "nbd"));
        assertEquals(expected, new java.util.TreeSet<>(tuned));
    }

    record Result(int status, String out, String err) {
    }

    private Result run(String... args) {
        return capture(() -> client.apply(args));
    }

    private static Result capture(java.util.function.IntSupplier command) {
        PrintStream savedOut = System.out;
        PrintStream savedErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int status;
        try {
            status = command.getAsInt();
        } finally {
            System.setOut(savedOut);
            System.setErr(savedErr);
        }
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
