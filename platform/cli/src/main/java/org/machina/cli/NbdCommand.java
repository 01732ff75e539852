package org.machina.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code machina nbd serve IMAGE} (a standalone NBD server, like {@code qemu-nbd}) and
 * {@code machina nbd NAME start|add|remove|stop|list} (the NBD server of a running instance, over QMP).
 */
@Command(name = "nbd", mixinStandardHelpOptions = true, footer = CliException.EXIT_CODES,
        description = {"Export disks over NBD.",
            "  machina nbd serve IMAGE [options]         serve an image file, like qemu-nbd",
            "  machina nbd NAME start [-k PATH | -p PORT] start the NBD server of instance NAME",
            "  machina nbd NAME add DRIVE [--frozen]     export a drive (--frozen: a point-in-time view)",
            "  machina nbd NAME remove EXPORT            remove an export",
            "  machina nbd NAME list                     the server's address and exports",
            "  machina nbd NAME stop                     stop the server, removing every export"})
final class NbdCommand implements Runnable {
    /** Serves an image; returns when the server is to stop (process exit). */
    interface Server {
        int serve(NbdServe options, NbdServe.Resolved settings) throws Exception;
    }

    @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "the instance (not for 'serve')")
    String name;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    final Supplier<Server> server;

    NbdCommand(Supplier<Server> server) {
        this.server = server;
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is needed: serve, or NAME start|add|remove|stop|list");
    }

    /** Adds the subcommands. */
    static CommandLine commandLine(NbdCommand nbd) {
        CommandLine cl = new CommandLine(nbd);
        cl.addSubcommand("serve", new NbdServe());
        cl.addSubcommand("start", new Start());
        cl.addSubcommand("add", new Add());
        cl.addSubcommand("remove", new Remove());
        cl.addSubcommand("stop", new Stop());
        cl.addSubcommand("list", new ListExports());
        NbdServe.compactUsageErrors(cl);
        return cl;
    }

    Instance instance() {
        if (name == null) {
            throw new CliException(CliException.USAGE, "which instance? 'machina nbd NAME " + spec.commandLine().getParseResult()
                    .subcommand().commandSpec().name() + " ...'");
        }
        return Instance.existing(name);
    }

    @Command(name = "start", mixinStandardHelpOptions = true, footer = CliException.EXIT_CODES,
            description = {"Start the NBD server of a running instance (QMP nbd-server-start).",
                "Default: the Unix socket nbd.sock in the instance's folder."})
    static final class Start implements Callable<Integer> {
        @ParentCommand
        NbdCommand parent;

        @Option(names = {"-k", "--socket"}, paramLabel = "PATH", description = "Unix socket to listen on")
        Path socket;

        @Option(names = {"-p", "--port"}, paramLabel = "PORT", description = "TCP port instead (0 for any free port)")
        Integer port;

        @Option(names = {"-b", "--bind"}, paramLabel = "ADDR", defaultValue = "127.0.0.1",
                description = "address for --port (default ${DEFAULT-VALUE})")
        String bind;

        @Override
        public Integer call() {
            Instance i = parent.instance();
            if (socket != null && port != null) {
                throw new CliException(CliException.USAGE, "give --socket or --port, not both");
            }
            JsonObject addr = new JsonObject();
            if (port != null) {
                addr.addProperty("type", "inet");
                addr.addProperty("host", bind);
                addr.addProperty("port", String.valueOf(port));
            } else {
                addr.addProperty("type", "unix");
                addr.addProperty("path", (socket != null ? socket.toAbsolutePath() : i.dir().resolve("nbd.sock")).toString());
            }
            JsonObject args = new JsonObject();
            args.add("addr", addr);
            ControlCommands.run(i, "nbd-server-start", args);
            JsonObject info = serverInfo(i);
            System.out.println("NBD server of " + i.name() + " listening on " + uri(info, ""));
            return 0;
        }
    }

    @Command(name = "add", mixinStandardHelpOptions = true, footer = CliException.EXIT_CODES,
            description = {"Export a drive of a running instance (QMP nbd-server-add), read-only unless --writable.",
                "--frozen exports a point-in-time view of the drive taken now: clients see the disk as it was",
                "while the guest keeps writing (copy-before-write into a temporary overlay, dropped on remove)."})
    static final class Add implements Callable<Integer> {
        @ParentCommand
        NbdCommand parent;

        @Parameters(index = "0", paramLabel = "DRIVE", description = "the drive id (see the machine description)")
        String drive;

        @Option(names = {"-x", "--export-name"}, paramLabel = "NAME", description = "export name (default: the drive id)")
        String exportName;

        @Option(names = {"-w", "--writable"}, description = "let clients write")
        boolean writable;

        @Option(names = "--frozen", description = "export a point-in-time view (read-only)")
        boolean frozen;

        @Option(names = {"-D", "--description"}, paramLabel = "TEXT", description = "a description clients can read")
        String description;

        @Override
        public Integer call() {
            Instance i = parent.instance();
            if (frozen && writable) {
                throw new CliException(CliException.USAGE, "a --frozen export is read-only; drop --writable");
            }
            String name = exportName != null ? exportName : drive;
            JsonObject args = new JsonObject();
            args.addProperty("device", drive);
            args.addProperty("name", name);
            args.addProperty("writable", writable);
            if (frozen) {
                args.addProperty("frozen", true);
            }
            if (description != null) {
                args.addProperty("description", description);
            }
            ControlCommands.run(i, "nbd-server-add", args);
            System.out.println("exported drive '" + drive + "' of " + i.name() + " as '" + name + "' ("
                    + (frozen ? "frozen, read-only" : writable ? "writable" : "read-only") + "): " + uri(serverInfo(i), name));
            return 0;
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true, footer = CliException.EXIT_CODES,
            description = "Remove an export, disconnecting its clients (QMP nbd-server-remove).")
    static final class Remove implements Callable<Integer> {
        @ParentCommand
        NbdCommand parent;

        @Parameters(index = "0", paramLabel = "EXPORT")
        String export;

        @Override
        public Integer call() {
            Instance i = parent.instance();
            JsonObject args = new JsonObject();
            args.addProperty("name", export);
            ControlCommands.run(i, "nbd-server-remove", args);
            System.out.println("removed export '" + export + "' of " + i.name());
            return 0;
        }
    }

    @Command(name = "stop", mixinStandardHelpOptions = true, footer = CliException.EXIT_CODES,
            description = "Stop the NBD server of an instance, removing every export (QMP nbd-server-stop).")
    static final class Stop implements Callable<Integer> {
        @ParentCommand
        NbdCommand parent;

        @Override
        public Integer call() {
            Instance i = parent.instance();
            ControlCommands.run(i, "nbd-server-stop", null);
            System.out.println("stopped the NBD server of " + i.name());
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, footer = CliException.EXIT_CODES,
            description = "Show the NBD server's address and exports (QMP x-machina-query-nbd-server).")
    static final class ListExports implements Callable<Integer> {
        @ParentCommand
        NbdCommand parent;

        @Option(names = "--json", description = "print the QMP reply as JSON")
        boolean json;

        @Override
        public Integer call() {
            Instance i = parent.instance();
            JsonObject info = serverInfo(i);
            if (json) {
                System.out.println(new GsonBuilder().setPrettyPrinting().create().toJson(info));
                return 0;
            }
            if (!info.get("running").getAsBoolean()) {
                System.out.println("NBD server of " + i.name() + ": not running");
                return 0;
            }
            System.out.println("NBD server of " + i.name() + ": " + uri(info, ""));
            JsonArray exports = info.getAsJsonArray("exports");
            if (exports.isEmpty()) {
                System.out.println("no exports");
            } else {
                System.out.printf("%-16s %-12s %-18s %s%n", "EXPORT", "DRIVE", "MODE", "URI");
            }
            for (JsonElement e : exports) {
                JsonObject o = e.getAsJsonObject();
                String n = o.get("name").getAsString();
                String mode = o.get("frozen").getAsBoolean() ? "frozen, read-only"
                        : o.get("writable").getAsBoolean() ? "writable" : "read-only";
                System.out.printf("%-16s %-12s %-18s %s%n", n, o.get("node-name").getAsString(), mode, uri(info, n));
            }
            return 0;
        }
    }

    static JsonObject serverInfo(Instance i) {
        JsonObject r = ControlCommands.run(i, "x-machina-query-nbd-server", null);
        return r.has("return") && r.get("return").isJsonObject() ? r.getAsJsonObject("return") : r;
    }

    /** The NBD URI of an export, from {@code x-machina-query-nbd-server}'s address. */
    static String uri(JsonObject info, String export) {
        JsonObject addr = info.has("addr") ? info.getAsJsonObject("addr") : null;
        if (addr == null) {
            return "(not running)";
        }
        if (addr.get("type").getAsString().equals("unix")) {
            return "nbd+unix:///" + export + "?socket=" + addr.get("path").getAsString();
        }
        String host = addr.get("host").getAsString();
        return "nbd://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + addr.get("port").getAsString() + "/" + export;
    }
}
