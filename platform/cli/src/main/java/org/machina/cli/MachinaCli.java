package org.machina.cli;

import java.io.PrintWriter;
import java.util.Map;
import java.util.function.Function;
import org.machina.api.machine.BundleService;
import org.machina.api.machine.MachineService;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code machina} command line, published for the launcher as a
 * {@code Function<String[], Integer>} with {@code machina.main=cli}.
 *
 * <p>Exit codes: 0 success (or the guest's exit status for {@code run}), 1 the machine failed,
 * 2 usage or description error, 3 no such instance, 4 instance in the wrong state, 5 time-out
 * (see {@link CliException}).
 */
@Component(service = Function.class, property = "machina.main=cli")
public final class MachinaCli implements Function<String[], Integer> {
    private final MachineService machines;
    private final BundleService bundles;
    private final BundleContext context;

    @Activate
    public MachinaCli(@Reference MachineService machines, @Reference BundleService bundles, BundleContext context) {
        this.machines = machines;
        this.bundles = bundles;
        this.context = context;
    }

    @Command(name = "machina", mixinStandardHelpOptions = true, version = "machina 0.1.0",
            description = "A machine emulator built from OSGi bundles.",
            subcommands = {CommandLine.HelpCommand.class},
            footer = {"", "Instances (create, start, list, status, console, stop, cont, shutdown, kill,",
                "delete, qmp, monitor, device, nbd NAME) are named machines running in the background;",
                "their files are in $MACHINA_HOME/instances/NAME (default ~/.machina).",
                "", "Exit codes: 0 success (for 'run': the machine's exit status), 1 failure,",
                "  2 usage error, 3 no such instance, 4 instance in the wrong state, 5 time-out."})
    static final class Root implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            // the spec's own command line, so the usage that follows lists every subcommand
            throw new CommandLine.ParameterException(spec.commandLine(), "a command is needed; see 'machina --help'");
        }
    }

    @Override
    public Integer apply(String[] args) {
        CommandLine cl = new CommandLine(new Root());
        cl.addSubcommand("run", new RunCommand(machines));
        cl.addSubcommand("types", new TypesCommand(machines));
        cl.addSubcommand("create", new InstanceCommands.Create());
        cl.getSubcommands().get("create").setUnmatchedOptionsArePositionalParams(true);
        cl.addSubcommand("start", new StartCommand(args));
        cl.addSubcommand("list", new InstanceCommands.ListInstances());
        cl.addSubcommand("status", new InstanceCommands.Status());
        cl.addSubcommand("console", new ConsoleCommand());
        cl.addSubcommand("stop", new ControlCommands.Stop());
        cl.addSubcommand("cont", new ControlCommands.Cont());
        cl.addSubcommand("shutdown", new ControlCommands.Shutdown());
        cl.addSubcommand("kill", new ControlCommands.Kill());
        cl.addSubcommand("delete", new InstanceCommands.Delete());
        cl.addSubcommand("qmp", new QmpCommands.Qmp());
        cl.addSubcommand("monitor", new QmpCommands.Monitor());
        cl.addSubcommand("device", new QmpCommands.Device());
        cl.addSubcommand("nbd", NbdCommand.commandLine(new NbdCommand(() -> NbdServeLink.fromFramework(context))));
        cl.addSubcommand("net", NetCommand.commandLine(new NetCommand(() -> NetServeLink.fromFramework(context))));
        cl.addSubcommand("bundle", new BundleCommand(bundles));
        cl.addSubcommand("completion", new CompletionCommand());
        cl.addSubcommand("daemon", new DaemonCommand(machines, new MonitorServiceLink(context)));
        cl.setExecutionExceptionHandler(MachinaCli::handle);
        cl.setOut(new PrintWriter(System.out, true));
        cl.setErr(new PrintWriter(System.err, true));
        return cl.execute(args);
    }

    /** Prints a failure after {@code machina: } and returns its exit status. */
    static int handle(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
        cmd.getErr().println("machina: " + e.getMessage());
        if (e instanceof CliException c) {
            return c.status();
        }
        if (e instanceof Instance.NoSuchInstanceException) {
            return CliException.NO_INSTANCE;
        }
        return e instanceof IllegalArgumentException || e instanceof QemuOptions.UsageException
                || e instanceof org.machina.api.machine.DescriptionException ? 2 : 1;
    }

    /** {@code machina types}: installed board, CPU, device, chardev and block types. */
    @Command(name = "types", mixinStandardHelpOptions = true, description = "List installed board, CPU, device, chardev and block types.")
    static final class TypesCommand implements java.util.concurrent.Callable<Integer> {
        private final MachineService machines;

        TypesCommand(MachineService machines) {
            this.machines = machines;
        }

        @Override
        public Integer call() {
            for (Map.Entry<String, java.util.List<String>> e : machines.installedTypes().entrySet()) {
                System.out.printf("%-8s %s%n", e.getKey(), String.join(", ", e.getValue()));
            }
            return 0;
        }
    }
}
