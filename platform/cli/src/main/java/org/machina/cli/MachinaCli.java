package org.machina.cli;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
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

    /**
     * Runs a command line. A command named first is registered alone under the root (picocli then
     * reflects over one command class, not twenty; its usage is the same); the root's help, the
     * help command, completion and unknown commands get every command.
     */
    @Override
    public Integer apply(String[] args) {
        Map<String, Supplier<Object>> commands = commands(args);
        CommandLine cl;
        if (args.length > 0 && commands.containsKey(args[0]) && !args[0].equals("completion")) {
            cl = ClientCli.rootWith(args[0], commands.get(args[0]).get());
            cl.setExecutionExceptionHandler(MachinaCli::handle);
        } else {
            cl = commandLine(args);
        }
        NbdServe.compactUsageErrors(cl);
        cl.setOut(new PrintWriter(System.out, true));
        cl.setErr(new PrintWriter(System.err, true));
        return cl.execute(args);
    }

    /** Every command, in the order {@code machina --help} lists them: the framework-free ones in the middle. */
    Map<String, Supplier<Object>> commands(String[] args) {
        Map<String, Supplier<Object>> m = new LinkedHashMap<>();
        m.put("run", () -> new RunCommand(machines, new MonitorServiceLink(context)));
        m.put("types", () -> new TypesCommand(machines));
        m.putAll(ClientCli.commands(args, () -> NbdServeLink.fromFramework(context)));
        m.put("bundle", () -> new BundleCommand(bundles));
        m.put("completion", CompletionCommand::new);
        m.put("daemon", () -> new DaemonCommand(machines, new MonitorServiceLink(context)));
        return m;
    }

    /** The command line with every command. */
    CommandLine commandLine(String[] args) {
        CommandLine cl = new CommandLine(new MachinaCommand());
        commands(args).forEach((name, command) -> ClientCli.add(cl, name, command.get()));
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
