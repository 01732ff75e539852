package org.machina.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code qmp} (one command), {@code monitor} (interactive) and {@code device add|del}, over QMP. */
final class QmpCommands {
    private static final Gson PRETTY = new GsonBuilder().setPrettyPrinting().create();
    private static final Gson COMPACT = new Gson();

    private QmpCommands() {
    }

    /** Parses {@code text} as a JSON object of arguments, naming the text on failure. */
    static JsonObject arguments(String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        try {
            return JsonParser.parseString(text).getAsJsonObject();
        } catch (RuntimeException e) {
            throw new CliException(CliException.USAGE, "'" + text + "' is not a JSON object of arguments, "
                    + "for example '{\"id\": \"dbg\"}'");
        }
    }

    @Command(name = "qmp", mixinStandardHelpOptions = true, footer = CliException.EXIT_CODES,
            description = {"Run one QMP command on a running instance and print its 'return' value as JSON.",
                "QMP errors go to stderr (exit 1). Example: machina qmp web query-status",
                "  machina qmp web device_del '{\"id\": \"dbg\"}'"})
    static final class Qmp implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Parameters(index = "1", paramLabel = "COMMAND")
        String command;

        @Parameters(index = "2", arity = "0..1", paramLabel = "JSON-ARGS", description = "the arguments, a JSON object")
        String args;

        @Override
        public Integer call() {
            JsonObject a = arguments(args);
            Instance i = Instance.existing(name);
            try (QmpClient q = ControlCommands.connectRunning(i)) {
                JsonElement r = q.execute(command, a);
                System.out.println(PRETTY.toJson(r));
                return 0;
            } catch (QmpClient.QmpError e) {
                throw new CliException(CliException.FAILURE, e.errorClass() + ": " + e.getMessage());
            } catch (IOException e) {
                throw new CliException(CliException.FAILURE, command + " on '" + name + "': " + e.getMessage());
            }
        }
    }

    @Command(name = "monitor", mixinStandardHelpOptions = true, footer = CliException.EXIT_CODES,
            description = {"Talk QMP with a running instance interactively.",
                "Each input line is either a QMP message ({\"execute\": \"query-status\"}) or the shorthand COMMAND [JSON-ARGS]",
                "(device_del {\"id\": \"dbg\"}).", "Replies and events are printed one JSON object a line.",
                "End with Ctrl-D (end of input); pending replies are awaited up to 10 s."})
    static final class Monitor implements Callable<Integer> {
        @Parameters(paramLabel = "NAME")
        String name;

        @Override
        public Integer call() throws Exception {
            Instance i = Instance.existing(name);
            ControlCommands.connectRunning(i).close();
            AtomicInteger pending = new AtomicInteger();
            java.util.concurrent.atomic.AtomicBoolean closing = new java.util.concurrent.atomic.AtomicBoolean();
            try (QmpClient q = QmpClient.connect(i.monitorSocket(), null)) {
                System.out.println(COMPACT.toJson(q.greeting()));
                Thread reader = Thread.ofPlatform().daemon().name("qmp-reader").start(() -> {
                    try {
                        JsonObject m;
                        while ((m = q.readMessage()) != null) {
                            System.out.println(COMPACT.toJson(m));
                            if (!m.has("event")) {
                                synchronized (pending) {
                                    pending.decrementAndGet();
                                    pending.notifyAll();
                                }
                            }
                        }
                        if (!closing.get()) {
                            System.err.println("machina: the monitor closed the connection");
                        }
                    } catch (IOException | RuntimeException e) {
                        if (!closing.get()) {
                            System.err.println("machina: monitor connection: " + e);
                        }
                    }
                    synchronized (pending) {
                        pending.set(0);
                        pending.notifyAll();
                    }
                });
                BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                String line;
                int errors = 0;
                while ((line = in.readLine()) != null && reader.isAlive()) {
                    line = line.strip();
                    if (line.isEmpty() || line.startsWith("#")) {
                        continue;
                    }
                    JsonObject msg;
                    try {
                        msg = parseLine(line);
                    } catch (CliException e) {
                        System.err.println("machina: " + e.getMessage());
                        errors++;
                        continue;
                    }
                    pending.incrementAndGet();
                    q.write(msg);
                }
                long deadline = System.currentTimeMillis() + 10_000;
                synchronized (pending) {
                    while (pending.get() > 0 && System.currentTimeMillis() < deadline) {
                        pending.wait(200);
                    }
                }
                closing.set(true);
                return errors == 0 ? 0 : CliException.USAGE;
            }
        }

        /** A QMP message from a line: JSON as is, or {@code COMMAND [JSON-ARGS]}. */
        static JsonObject parseLine(String line) {
            if (line.startsWith("{")) {
                try {
                    return JsonParser.parseString(line).getAsJsonObject();
                } catch (RuntimeException e) {
                    throw new CliException(CliException.USAGE, "not a JSON object: " + line);
                }
            }
            int sp = line.indexOf(' ');
            JsonObject msg = new JsonObject();
            msg.addProperty("execute", sp < 0 ? line : line.substring(0, sp));
            if (sp >= 0) {
                msg.add("arguments", arguments(line.substring(sp + 1)));
            }
            return msg;
        }
    }

    @Command(name = "device", mixinStandardHelpOptions = true, footer = CliException.EXIT_CODES,
            description = "Hot-plug or remove a device of a running instance (QMP device_add / device_del).")
    static final class Device {
        @Command(name = "add", mixinStandardHelpOptions = true, footer = CliException.EXIT_CODES,
                description = {"Add a device: machina device add NAME TYPE [id=ID] [PROP=VALUE...]",
                    "Example: machina device add web isa-debugcon id=dbg2 iobase=0x4e9 chardev=log"})
        int add(@Parameters(index = "0", paramLabel = "NAME") String name,
                @Parameters(index = "1", paramLabel = "TYPE") String type,
                @Parameters(index = "2..*", paramLabel = "PROP=VALUE") List<String> props) {
            JsonObject args = new JsonObject();
            args.addProperty("driver", type);
            for (Map.Entry<String, String> e : keyValues(props == null ? List.of() : props)) {
                args.addProperty(e.getKey(), e.getValue());
            }
            JsonObject r = ControlCommands.run(Instance.existing(name), "device_add", args);
            System.out.println("added " + type + (args.has("id") ? " '" + args.get("id").getAsString() + "'" : "")
                    + " to " + name + (r.size() > 0 ? ": " + COMPACT.toJson(r) : ""));
            return 0;
        }

        @Command(name = "del", mixinStandardHelpOptions = true, footer = CliException.EXIT_CODES,
                description = "Remove the device with id ID: machina device del NAME ID")
        int del(@Parameters(index = "0", paramLabel = "NAME") String name,
                @Parameters(index = "1", paramLabel = "ID") String id) {
            JsonObject args = new JsonObject();
            args.addProperty("id", id);
            ControlCommands.run(Instance.existing(name), "device_del", args);
            System.out.println("removed '" + id + "' from " + name);
            return 0;
        }

        private static List<Map.Entry<String, String>> keyValues(List<String> props) {
            List<Map.Entry<String, String>> list = new ArrayList<>();
            for (String p : props) {
                int eq = p.indexOf('=');
                if (eq <= 0) {
                    throw new CliException(CliException.USAGE, "device property '" + p + "' is not PROP=VALUE");
                }
                list.add(Map.entry(p.substring(0, eq), p.substring(eq + 1)));
            }
            return list;
        }
    }
}
