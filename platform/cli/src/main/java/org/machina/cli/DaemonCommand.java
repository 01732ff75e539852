package org.machina.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.Callable;
import org.machina.api.machine.Machine;
import org.machina.api.machine.MachineService;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * The hidden {@code machina daemon NAME}, run by {@code machina start}: builds the machine from
 * the instance's description with its serial console on {@code console.sock} (logged to
 * {@code console.log}), serves QMP on {@code monitor.sock}, writes the pid file, runs the machine,
 * and removes sockets and pid file when the machine shuts down.
 */
@Command(name = "daemon", hidden = true, description = "Run an instance in this process (used by 'machina start').")
final class DaemonCommand implements Callable<Integer> {
    private final MachineService machines;
    private final MonitorLink monitors;

    @Parameters(paramLabel = "NAME")
    String name;

    DaemonCommand(MachineService machines, MonitorLink monitors) {
        this.machines = machines;
        this.monitors = monitors;
    }

    /** The description with chardev {@code serial0} set to the console socket and log. */
    static String withConsole(JsonObject description, Instance i) {
        JsonObject d = description.deepCopy();
        JsonArray chardevs = new JsonArray();
        if (d.has("chardevs")) {
            for (JsonElement e : d.getAsJsonArray("chardevs")) {
                JsonElement id = e.getAsJsonObject().get("id");
                if (id == null || !id.getAsString().equals("serial0")) {
                    chardevs.add(e);
                }
            }
        }
        JsonObject console = new JsonObject();
        console.addProperty("id", "serial0");
        console.addProperty("backend", "socket");
        console.addProperty("path", i.consoleSocket().toString());
        console.addProperty("logfile", i.consoleLog().toString());
        chardevs.add(console);
        d.add("chardevs", chardevs);
        return new GsonBuilder().setPrettyPrinting().create().toJson(d);
    }

    @Override
    public Integer call() throws Exception {
        Instance i = Instance.existing(name);
        if (i.daemon().isPresent()) {
            throw new CliException(CliException.WRONG_STATE, "instance '" + name + "' has a daemon already (pid "
                    + i.daemon().get().pid() + ")");
        }
        // held for the daemon's lifetime: a second daemon for the same instance (two racing starts) stops here
        FileChannel lockChannel = FileChannel.open(i.dir().resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        if (lockChannel.tryLock() == null) {
            lockChannel.close();
            throw new CliException(CliException.WRONG_STATE, "another daemon holds the lock of instance '" + name + "'");
        }
        i.clearRuntimeFiles();
        System.err.println("machina daemon " + name + ": pid " + ProcessHandle.current().pid() + ", started " + Instant.now());
        Machine m = machines.create(name, withConsole(i.descriptionJson(), i));
        AutoCloseable monitor;
        try {
            monitor = monitors.start(m, i.monitorSocket());
        } catch (Exception e) {
            m.shutdown("the monitor did not start", 1);
            throw e;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (m.shutdownReason().isEmpty()) {
                m.shutdown("daemon terminated by a signal", 143);
                try {
                    Files.writeString(i.shutdownFile(), "daemon terminated by a signal (" + Instant.now() + ")\n");
                } catch (java.io.IOException e) {
                    // best effort while the JVM exits
                }
            }
            cleanUp(i);
        }));
        Files.writeString(i.startedFile(), Instant.now() + "\n");
        Files.writeString(i.pidFile(), ProcessHandle.current().pid() + "\n");
        if (Files.exists(i.startPausedFile())) {
            System.err.println("machina daemon " + name + ": -S given, the machine waits for 'machina cont " + name + "'");
        } else {
            m.start();
        }
        int status = RunCommand.awaitEnd(m);
        String reason = m.shutdownReason().orElse("machine stopped");
        System.err.println("machina daemon " + name + ": " + reason + " (exit status " + status + ")");
        Files.writeString(i.shutdownFile(), reason + " (exit status " + status + ", " + Instant.now() + ")\n");
        try {
            monitor.close();
        } catch (Exception e) {
            System.err.println("machina daemon " + name + ": closing the monitor: " + e.getMessage());
        }
        cleanUp(i);
        return status;
    }

    private static void cleanUp(Instance i) {
        try {
            Files.deleteIfExists(i.monitorSocket());
            Files.deleteIfExists(i.consoleSocket());
            // the pid file last: while it names us, we are the instance's daemon
            if (i.recordedPid().orElse(-1) == ProcessHandle.current().pid()) {
                Files.deleteIfExists(i.pidFile());
            }
        } catch (java.io.IOException e) {
            System.err.println("machina daemon " + i.name() + ": cleaning up: " + e.getMessage());
        }
    }

    /** Starts a QMP monitor for a machine; implemented over the monitor bundle's service. */
    interface MonitorLink {
        AutoCloseable start(Machine machine, Path socket) throws Exception;
    }
}
