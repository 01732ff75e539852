package org.machina.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code create}, {@code list}, {@code status} and {@code delete}: instance folders and what they hold. */
final class InstanceCommands {
    private InstanceCommands() {
    }

    @Command(name = "create", mixinStandardHelpOptions = true, footer = CliException.EXIT_CODES,
            description = {"Create a named instance from 'machina run' options or a JSON description file.",
                "The description is stored in $MACHINA_HOME/instances/NAME/description.json (MACHINA_HOME",
                "defaults to ~/.machina); 'machina start NAME' runs it in the background. The serial",
                "console (chardev serial0) is always connected to the instance's console socket.",
                "Example: machina create web -machine none -cpu none -device tick-counter"})
    static final class Create implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "NAME", description = "a letter, then letters, digits, '-', '_', '.' (up to 64)")
        String name;

        @Parameters(index = "1..*", paramLabel = "OPTION", description = "'machina run' options, or one machine.json")
        List<String> options = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            Instance i = Instance.of(name);
            QemuOptions.Parsed parsed = QemuOptions.parse(options);
            String json = parsed.descriptionFile() != null
                    ? Files.readString(Path.of(parsed.descriptionFile()))
                    : new GsonBuilder().setPrettyPrinting().create().toJson(parsed.description());
            try {
                com.google.gson.JsonParser.parseString(json).getAsJsonObject();
            } catch (RuntimeException e) {
                throw new CliException(CliException.USAGE, parsed.descriptionFile() + " is not a JSON object: " + e.getMessage());
            }
            Files.createDirectories(Instance.instancesDir());
            try {
                Files.createDirectory(i.dir());
            } catch (FileAlreadyExistsException e) {
                throw new CliException(CliException.WRONG_STATE, "an instance '" + name + "' exists already in "
                        + Instance.instancesDir() + "; delete it first with 'machina delete " + name + "'");
            }
            Files.writeString(i.description(), json);
            if (parsed.startPaused()) {
                Files.writeString(i.startPausedFile(), "-S\n");
            }
            System.out.println("created " + name + " (" + i.board() + ", " + i.memory() + "); start it with 'machina start "
                    + name + "'");
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, footer = CliException.EXIT_CODES,
            description = {"List instances with state, uptime, board and memory.",
                "States: created, running, paused, shutdown, crashed, unresponsive."})
    static final class ListInstances implements Callable<Integer> {
        @Option(names = "--json", description = "print a JSON array")
        boolean json;

        @Override
        public Integer call() throws IOException {
            List<InstanceStatus> all = Instance.all().stream().map(InstanceStatus::of).toList();
            if (json) {
                JsonArray a = new JsonArray();
                all.forEach(s -> a.add(s.toJson()));
                System.out.println(new GsonBuilder().setPrettyPrinting().create().toJson(a));
                return 0;
            }
            System.out.printf("%-20s %-12s %-10s %-8s %s%n", "NAME", "STATE", "UPTIME", "BOARD", "MEMORY");
            for (InstanceStatus s : all) {
                System.out.printf("%-20s %-12s %-10s %-8s %s%n", s.name(), s.state(),
                        InstanceStatus.formatUptime(s.uptimeSeconds()), s.board(), s.memory());
            }
            return 0;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, footer = CliException.EXIT_CODES,
            description = "Show an instance's state, pid, uptime, board, memory and files.")
    static final class Status implements Callable<Integer> {
        @Parameters(paramLabel = "NAME")
        String name;

        @Option(names = "--json", description = "print a JSON object")
        boolean json;

        @Override
        public Integer call() {
            Instance i = Instance.existing(name);
            InstanceStatus s = InstanceStatus.of(i);
            if (json) {
                System.out.println(new GsonBuilder().setPrettyPrinting().create().toJson(s.toJson()));
                return 0;
            }
            System.out.println("name:    " + s.name());
            System.out.println("state:   " + s.state());
            s.detail().ifPresent(d -> System.out.println("detail:  " + d));
            s.pid().ifPresent(p -> System.out.println("pid:     " + p));
            s.started().ifPresent(t -> System.out.println("started: " + t + " (up " + InstanceStatus.formatUptime(s.uptimeSeconds()) + ")"));
            System.out.println("board:   " + s.board());
            System.out.println("memory:  " + s.memory());
            System.out.println("folder:  " + i.dir());
            return 0;
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, footer = CliException.EXIT_CODES,
            description = "Delete an instance's folder (description, logs). Refuses a running instance unless --force.")
    static final class Delete implements Callable<Integer> {
        @Parameters(paramLabel = "NAME")
        String name;

        @Option(names = "--force", description = "kill the instance first if it is running")
        boolean force;

        @Override
        public Integer call() throws Exception {
            Instance i = Instance.existing(name);
            if (i.daemon().isPresent()) {
                if (!force) {
                    throw new CliException(CliException.WRONG_STATE, "instance '" + name + "' is running; stop it with "
                            + "'machina shutdown " + name + "' or delete it anyway with 'machina delete --force " + name + "'");
                }
                ControlCommands.Kill.kill(i);
            }
            try (Stream<Path> s = Files.walk(i.dir())) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
            System.out.println("deleted " + name);
            return 0;
        }
    }
}
