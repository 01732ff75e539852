package org.machina.cli;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import picocli.CommandLine;

/**
 * The commands that only need an instance's folder and sockets (create, start, list, status,
 * console, stop, cont, shutdown, kill, delete, qmp, monitor, device, nbd NAME): they run without
 * the OSGi framework, from plain classes on the launcher's class path, so they answer in
 * milliseconds. {@link MachinaCli} registers the same command objects, so usage and help are the
 * same on both paths.
 *
 * <p>The launcher creates this class by name and asks {@link #test} whether it handles a command
 * line; anything else (run, types, bundle, completion, daemon, nbd serve, bare --help) starts the
 * framework. The plainest command lines of the commands scripts call in loops do not even build
 * picocli's model ({@link QuickCommands}).
 */
public final class ClientCli implements Function<String[], Integer>, Predicate<String[]> {
    /** The {@code nbd} subcommands that need the framework (the nbd-server bundle serves the image). */
    private static final Set<String> NBD_FRAMEWORK_SUBCOMMANDS = Set.of("serve");

    /**
     * The framework-free commands by name, in the order {@code machina --help} lists them. The
     * supplier makes a fresh command object: picocli keeps parsed values in it.
     */
    static Map<String, Supplier<Object>> commands(String[] args, Supplier<NbdCommand.Server> nbdServer) {
        Map<String, Supplier<Object>> m = new LinkedHashMap<>();
        m.put("create", InstanceCommands.Create::new);
        m.put("start", () -> new StartCommand(args));
        m.put("list", InstanceCommands.ListInstances::new);
        m.put("status", InstanceCommands.Status::new);
        m.put("console", ConsoleCommand::new);
        m.put("stop", ControlCommands.Stop::new);
        m.put("cont", ControlCommands.Cont::new);
        m.put("shutdown", ControlCommands.Shutdown::new);
        m.put("kill", ControlCommands.Kill::new);
        m.put("delete", InstanceCommands.Delete::new);
        m.put("qmp", QmpCommands.Qmp::new);
        m.put("monitor", QmpCommands.Monitor::new);
        m.put("device", QmpCommands.Device::new);
        m.put("nbd", () -> NbdCommand.commandLine(new NbdCommand(nbdServer)));
        return m;
    }

    /** Registers a command under {@code name}. */
    static void add(CommandLine cl, String name, Object command) {
        cl.addSubcommand(name, command);
        if (name.equals("run") || name.equals("create")) {
            // QEMU's -hda is an option of its own, not -h -d -a (which would print the usage)
            cl.getSubcommands().get(name).setPosixClusteredShortOptionsAllowed(false);
        }
        if (name.equals("create")) {
            // 'machina run' options after the name, such as -machine, are the command's parameters
            cl.getSubcommands().get(name).setUnmatchedOptionsArePositionalParams(true);
        }
    }

    /**
     * True when {@code args} is one of these commands: its name first, and for {@code nbd} an
     * instance name (not {@code serve} or an option) after it.
     */
    @Override
    public boolean test(String[] args) {
        if (args.length == 0 || !commands(args, null).containsKey(args[0])) {
            return false;
        }
        if (args[0].equals("nbd")) {
            return args.length > 1 && !args[1].startsWith("-") && !NBD_FRAMEWORK_SUBCOMMANDS.contains(args[1]);
        }
        return true;
    }

    /**
     * Runs a command line {@link #test} took. Only its command is registered under the root: picocli
     * reflects over one command class instead of all, and the command's usage is the same.
     */
    @Override
    public Integer apply(String[] args) {
        var quick = QuickCommands.parse(args);
        if (quick.isPresent()) {
            try {
                return quick.get().call();
            } catch (Exception e) {
                System.err.println("machina: " + e.getMessage());
                return statusOf(e);
            }
        }
        return applyWithPicocli(args);
    }

    /** Runs a command line through picocli's model of its command (every shape, help and usage). */
    Integer applyWithPicocli(String[] args) {
        Supplier<Object> command = commands(args, () -> {
            throw new CliException(CliException.FAILURE, "'nbd serve' runs in the OSGi framework, not the instance client");
        }).get(args[0]);
        CommandLine cl = rootWith(args[0], command.get());
        cl.setExecutionExceptionHandler(ClientCli::handle);
        cl.setOut(new PrintWriter(System.out, true));
        cl.setErr(new PrintWriter(System.err, true));
        return cl.execute(args);
    }

    /** The root command with one command under it: enough to run that command or print its usage. */
    static CommandLine rootWith(String name, Object command) {
        CommandLine cl = new CommandLine(new MachinaCommand());
        add(cl, name, command);
        return cl;
    }

    /** Prints a failure after {@code machina: } and returns its exit status (see {@link CliException}). */
    static int handle(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
        cmd.getErr().println("machina: " + e.getMessage());
        return statusOf(e);
    }

    /** The exit status for a command's failure (see {@link CliException}). */
    static int statusOf(Exception e) {
        if (e instanceof CliException c) {
            return c.status();
        }
        if (e instanceof Instance.NoSuchInstanceException) {
            return CliException.NO_INSTANCE;
        }
        return e instanceof IllegalArgumentException || e instanceof QemuOptions.UsageException ? CliException.USAGE
                : CliException.FAILURE;
    }
}
