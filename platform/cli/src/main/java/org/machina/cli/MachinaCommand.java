package org.machina.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The root {@code machina} command: its help, version and footer. Shared by the full CLI
 * ({@link MachinaCli}, in the framework) and the framework-free {@link ClientCli}, so both print
 * the same usage.
 */
@Command(name = "machina", mixinStandardHelpOptions = true, version = "machina 0.1.0",
        description = "A machine emulator built from OSGi bundles.",
        subcommands = {CommandLine.HelpCommand.class},
        footer = {"", "Instances (create, start, list, status, console, stop, cont, shutdown, kill,",
            "delete, qmp, monitor, device, nbd NAME) are named machines running in the background;",
            "their files are in $MACHINA_HOME/instances/NAME (default ~/.machina).",
            "", "Exit codes: 0 success (for 'run': the machine's exit status), 1 failure,",
            "  2 usage error, 3 no such instance, 4 instance in the wrong state, 5 time-out."})
final class MachinaCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        // the spec's own command line, so the usage that follows lists every subcommand
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is needed; see 'machina --help'");
    }
}
