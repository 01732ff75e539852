package org.machina.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A named instance: the folder {@code $MACHINA_HOME/instances/NAME/} with its description, sockets,
 * logs and pid file. Files in it are evidence to check, never trusted: a pid file whose process is
 * gone (or is not a machina daemon for this instance) means the instance crashed.
 */
record Instance(String name, Path dir) {
    private static final Pattern NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_.-]{0,63}");

    /** The per-user state folder: {@code $MACHINA_HOME}, default {@code ~/.machina}. */
    static Path home() {
        String home = System.getenv("MACHINA_HOME");
        return home != null && !home.isEmpty() ? Path.of(home) : Path.of(System.getProperty("user.home"), ".machina");
    }

    static Path instancesDir() {
        return home().resolve("instances");
    }

    /** Checks a name without touching the disk. */
    static String validName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("'" + name + "' is not a valid instance name: use a letter, then up to 63 "
                    + "letters, digits, '-', '_' or '.'");
        }
        return name;
    }

    /** The instance, which need not exist. */
    static Instance of(String name) {
        return new Instance(validName(name), instancesDir().resolve(name));
    }

    /** An instance that exists, or a {@link NoSuchInstanceException} naming the folder looked in. */
    static Instance existing(String name) {
        Instance i = of(name);
        if (!Files.isRegularFile(i.description())) {
            throw new NoSuchInstanceException("no instance '" + name + "' in " + instancesDir()
                    + " (see 'machina list'; create one with 'machina create " + name + " ...')");
        }
        return i;
    }

    /** Every instance, sorted by name. */
    static List<Instance> all() throws IOException {
        Path dir = instancesDir();
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<Instance> list = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.sorted().forEach(p -> {
                String n = p.getFileName().toString();
                if (NAME.matcher(n).matches() && Files.isRegularFile(p.resolve("description.json"))) {
                    list.add(new Instance(n, p));
                }
            });
        }
        return list;
    }

    Path description() {
        return dir.resolve("description.json");
    }

    Path monitorSocket() {
        return dir.resolve("monitor.sock");
    }

    Path consoleSocket() {
        return dir.resolve("console.sock");
    }

    Path consoleLog() {
        return dir.resolve("console.log");
    }

    Path daemonLog() {
        return dir.resolve("daemon.log");
    }

    Path pidFile() {
        return dir.resolve("pid");
    }

    Path startedFile() {
        return dir.resolve("started");
    }

    /** Written by the daemon when the machine shut down cleanly: the reason and exit status. */
    Path shutdownFile() {
        return dir.resolve("shutdown");
    }

    /** Present when the machine is to stay paused at start ({@code -S}). */
    Path startPausedFile() {
        return dir.resolve("start-paused");
    }

    JsonObject descriptionJson() throws IOException {
        return JsonParser.parseString(Files.readString(description())).getAsJsonObject();
    }

    /** The board type named by the description. */
    String board() {
        try {
            JsonElement b = descriptionJson().get("board");
            if (b == null) {
                return "?";
            }
            return b.isJsonObject() ? Optional.ofNullable(b.getAsJsonObject().get("type")).map(JsonElement::getAsString).orElse("?")
                    : b.getAsString();
        } catch (IOException | RuntimeException e) {
            return "?";
        }
    }

    /** The memory size as written in the description (MiB when a number). */
    String memory() {
        try {
            JsonElement m = descriptionJson().get("memory");
            if (m == null) {
                return "-";
            }
            return m.getAsJsonPrimitive().isNumber() ? m.getAsString() + "M" : m.getAsString();
        } catch (IOException | RuntimeException e) {
            return "?";
        }
    }

    /** The pid the pid file names, if it names one. */
    OptionalLong recordedPid() {
        try {
            return OptionalLong.of(Long.parseLong(Files.readString(pidFile()).trim()));
        } catch (IOException | NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /** The daemon process, when the pid file names a live machina daemon for this instance. */
    Optional<ProcessHandle> daemon() {
        OptionalLong pid = recordedPid();
        if (pid.isEmpty()) {
            return Optional.empty();
        }
        return ProcessHandle.of(pid.getAsLong()).filter(ProcessHandle::isAlive).filter(this::isOurDaemon);
    }

    /** True when {@code p}'s command line is a machina daemon for this instance. */
    private boolean isOurDaemon(ProcessHandle p) {
        String[] args = p.info().arguments().orElse(null);
        if (args == null) {
            return readCmdline(p.pid()).map(c -> c.contains("daemon\0" + name)).orElse(false);
        }
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals("daemon") && args[i + 1].equals(name)) {
                return true;
            }
        }
        return false;
    }

    private static Optional<String> readCmdline(long pid) {
        try {
            return Optional.of(Files.readString(Path.of("/proc", Long.toString(pid), "cmdline")));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** True when a pid file exists whose process is not a live daemon for this instance. */
    boolean crashed() {
        return Files.exists(pidFile()) && daemon().isEmpty();
    }

    Optional<Instant> started() {
        try {
            return Optional.of(Instant.parse(Files.readString(startedFile()).trim()));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Removes what a dead daemon left behind: sockets and pid file. */
    void clearRuntimeFiles() throws IOException {
        Files.deleteIfExists(monitorSocket());
        Files.deleteIfExists(consoleSocket());
        Files.deleteIfExists(pidFile());
    }

    /** Thrown for a name with no instance folder; exit status 3. */
    static final class NoSuchInstanceException extends RuntimeException {
        NoSuchInstanceException(String message) {
            super(message);
        }
    }
}
