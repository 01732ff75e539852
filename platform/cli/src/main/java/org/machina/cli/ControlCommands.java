package org.machina.cli;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code stop}, {@code cont}, {@code shutdown} and {@code kill}: a running instance's life, over QMP. */
final class ControlCommands {
    private ControlCommands() {
    }

    /** Connects to a running instance's monitor, or fails with {@link CliException#WRONG_STATE}. */
    static QmpClient connectRunning(Instance i) {
        if (i.daemon().isEmpty()) {
            String state = InstanceStatus.of(i).state();
            throw new CliException(CliException.WRONG_STATE, "instance '" + i.name() + "' is not running (state: " + state
                    + "); start it with 'machina start " + i.name() + "'");
        }
        try {
            return QmpClient.connect(i.monitorSocket(), InstanceStatus.QUERY_TIMEOUT);
        } catch (IOException e) {
            throw new CliException(CliException.FAILURE, "cannot talk to the monitor of '" + i.name() + "' at "
                    + i.monitorSocket() + ": " + e.getMessage() + "; see " + i.daemonLog());
        }
    }

    /** Runs one command on a running instance; QMP errors become {@link CliException#FAILURE}. */
    static JsonObject run(Instance i, String command, JsonObject args) {
        try (QmpClient q = connectRunning(i)) {
            var r = q.execute(command, args);
            return r.isJsonObject() ? r.getAsJsonObject() : wrap(r);
        } catch (QmpClient.QmpError e) {
            throw new CliException(CliException.FAILURE, command + ": " + e.errorClass() + ": " + e.getMessage());
        } catch (IOException e) {
            throw new CliException(CliException.FAILURE, command + " on '" + i.name() + "': " + e.getMessage());
        }
    }

    private static JsonObject wrap(com.google.gson.JsonElement e) {
        JsonObject o = new JsonObject();
        o.add("return", e);
        return o;
    }

    /** Waits for a process to end; true if it did within {@code timeout}. */
    static boolean awaitExit(ProcessHandle p, Duration timeout) throws InterruptedException {
        try {
            p.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (java.util.concurrent.TimeoutException e) {
            return false;
        } catch (java.util.concurrent.ExecutionException e) {
            return !p.isAlive();
        }
    }

    @Command(name = "stop", mixinStandardHelpOptions = true, footer = CliException.EXIT_CODES,
            description = "Pause a running instance (QMP 'stop').")
    static final class Stop implements Callable<Integer> {
        @Parameters(paramLabel = "NAME")
        String name;

        @Override
        public Integer call() {
            run(Instance.existing(name), "stop", null);
            System.out.println("paused " + name);
            return 0;
        }
    }

    @Command(name = "cont", mixinStandardHelpOptions = true, footer = CliException.EXIT_CODES,
            description = "Resume a paused instance (QMP 'cont').")
    static final class Cont implements Callable<Integer> {
        @Parameters(paramLabel = "NAME")
        String name;

        @Override
        public Integer call() {
            run(Instance.existing(name), "cont", null);
            System.out.println("resumed " + name);
            return 0;
        }
    }

    @Command(name = "shutdown", mixinStandardHelpOptions = true, footer = CliException.EXIT_CODES,
            description = {"Press the instance's power button (QMP 'system_powerdown') and wait for its daemon to end.",
                "After the time-out, say so and exit 5; 'machina kill NAME' then ends it for sure."})
    static final class Shutdown implements Callable<Integer> {
        @Parameters(paramLabel = "NAME")
        String name;

        @Option(names = "--timeout", paramLabel = "S", defaultValue = "60", description = "seconds to wait (default ${DEFAULT-VALUE})")
        long timeout;

        @Override
        public Integer call() throws InterruptedException {
            Instance i = Instance.existing(name);
            Optional<ProcessHandle> daemon = i.daemon();
            run(i, "system_powerdown", null);
            if (daemon.isPresent() && !awaitExit(daemon.get(), Duration.ofSeconds(timeout))) {
                throw new CliException(CliException.TIMEOUT, "instance '" + name + "' is still running " + timeout
                        + " s after the power button was pressed (the guest may ignore it); end it with 'machina kill "
                        + name + "'");
            }
            System.out.println("shut down " + name);
            return 0;
        }
    }

    @Command(name = "kill", mixinStandardHelpOptions = true, footer = CliException.EXIT_CODES,
            description = "End an instance now: QMP 'quit', then SIGKILL if the daemon has not ended within 5 s.")
    static final class Kill implements Callable<Integer> {
        @Parameters(paramLabel = "NAME")
        String name;

        /** Quits the daemon of {@code i}, killing it when it does not end; cleans up its files. */
        static void kill(Instance i) throws InterruptedException, IOException {
            Optional<ProcessHandle> daemon = i.daemon();
            if (daemon.isEmpty()) {
                return;
            }
            try (QmpClient q = QmpClient.connect(i.monitorSocket(), InstanceStatus.QUERY_TIMEOUT)) {
                q.execute("quit", null);
            } catch (IOException e) {
                // the monitor is gone or hangs: SIGKILL below
            }
            if (!awaitExit(daemon.get(), Duration.ofSeconds(5))) {
                daemon.get().destroyForcibly();
                if (!awaitExit(daemon.get(), Duration.ofSeconds(10))) {
                    throw new CliException(CliException.FAILURE, "process " + daemon.get().pid() + " of '" + i.name()
                            + "' survived SIGKILL");
                }
            }
            i.clearRuntimeFiles();
        }

        @Override
        public Integer call() throws Exception {
            Instance i = Instance.existing(name);
            if (i.daemon().isEmpty()) {
                throw new CliException(CliException.WRONG_STATE, "instance '" + name + "' is not running (state: "
                        + InstanceStatus.of(i).state() + ")");
            }
            kill(i);
            System.out.println("killed " + name);
            return 0;
        }
    }
}
