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

    @Override
    public Integer apply(String[] args) {
        CommandLine cl = commandLine(args);
        cl.setOut(new PrintWriter(System.out, true));
        cl.setErr(new PrintWriter(System.err, true));
        return cl.execute(args);
    }

    /** Every command, the framework-free ones ({@link ClientCli}) in the middle, in help order. */
    CommandLine commandLine(String[] args) {
        CommandLine cl = new CommandLine(new MachinaCommand());
        cl.addSubcommand("run", new RunCommand(machines));
        cl.addSubcommand("types", new TypesCommand(machines));
        ClientCli.addCommands(cl, args, () -> NbdServeLink.fromFramework(context));
        cl.addSubcommand("bundle", new BundleCommand(bundles));
        cl.addSubcommand("completion", new CompletionCommand());
        cl.addSubcommand("daemon", new DaemonCommand(machines, new MonitorServiceLink(context)));
        cl.setExecutionExceptionHandler(MachinaCli::handle);
        return cl;
    }

    /** Prints a failure after {@code machina: } and returns its exit status. */
    static int handle(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
        if (e instanceof org.machina.api.machine.DescriptionException) {
            cmd.getErr().println("machina: " + e.getMessage());
            return CliException.USAGE;
        }
        return ClientCli.handle(e, cmd, parsed);
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
