package org.machina.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class MachinaCliTest {
    @Test
    void noCommandIsAUsageErrorListingEveryCommand() {
        PrintStream saved = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            // no command runs, so the services are not touched
            status = new MachinaCli(null, null, null).apply(new String[0]);
        } finally {
            System.setErr(saved);
        }
        String text = err.toString(StandardCharsets.UTF_8);
        assertEquals(2, status);
        assertTrue(text.startsWith("a command is needed; see 'machina --help'"), text);
        for (String command : new String[] {"run", "types", "create", "start", "list", "nbd", "bundle"}) {
            assertTrue(text.contains("\n  " + command + " "), "usage lists '" + command + "':\n" + text);
        }
    }

    @Test
    void eachCommandAloneHasTheUsageItHasAmongAll() {
        MachinaCli cli = new MachinaCli(null, null, null);
        CommandLine full = cli.commandLine(new String[0]);
        for (String name : cli.commands(new String[0]).keySet()) {
            if (full.getSubcommands().get(name).getCommandSpec().optionsMap().get("--help") == null) {
                continue; // the hidden daemon command has no --help
            }
            PrintStream saved = System.out;
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int status;
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            try {
                // only the command named first is registered; --help never touches the services
                status = cli.apply(new String[] {name, "--help"});
            } finally {
                System.setOut(saved);
            }
            assertEquals(0, status, name);
            assertEquals(full.getSubcommands().get(name).getUsageMessage(), out.toString(StandardCharsets.UTF_8), name);
        }
    }
}
