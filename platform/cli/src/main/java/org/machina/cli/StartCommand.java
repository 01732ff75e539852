package org.machina.cli;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code machina start NAME}: spawns a detached daemon (this process's own JVM command line with
 * {@code daemon NAME} as the arguments) and waits until its monitor socket answers.
 */
@Command(name = "start", mixinStandardHelpOptions = true, footer = CliException.EXIT_CODES,
        description = {"Start an instance in the background (a detached daemon process).",
            "Waits until its QMP monitor answers; the daemon logs to daemon.log in the instance folder."})
final class StartCommand implements Callable<Integer> {
    private final String[] cliArgs;

    @Parameters(paramLabel = "NAME")
    String name;

    @Option(names = "--timeout", paramLabel = "S", defaultValue = "60", description = "seconds to wait for the monitor (default ${DEFAULT-VALUE})")
    long timeout;

    StartCommand(String[] cliArgs) {
        this.cliArgs = cliArgs.clone();
    }

    @Override
    public Integer call() throws Exception {
        Instance i = Instance.existing(name);
        if (i.daemon().isPresent()) {
            throw new CliException(CliException.WRONG_STATE, "instance '" + name + "' is running already (pid "
                    + i.daemon().get().pid() + ")");
        }
        i.clearRuntimeFiles();
        Files.deleteIfExists(i.shutdownFile());
        Files.deleteIfExists(i.startedFile());
        List<String> command = daemonCommand(name);
        Path setsid = Path.of("/usr/bin/setsid");
        if (Files.isExecutable(setsid)) {
            command.addFirst(setsid.toString());
        }
        Process p = new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(i.daemonLog().toFile()))
                .redirectErrorStream(true)
                .start();
        Instant deadline = Instant.now().plusSeconds(timeout);
        while (Instant.now().isBefore(deadline)) {
            if (!p.isAlive() && i.daemon().isEmpty()) {
                throw new CliException(CliException.FAILURE, "the daemon of '" + name + "' exited with status "
                        + p.exitValue() + " before its monitor answered:\n" + tail(i.daemonLog()) + "(full log: "
                        + i.daemonLog() + ")");
            }
            if (Files.exists(i.monitorSocket()) && i.daemon().isPresent()) {
                try (QmpClient q = QmpClient.connect(i.monitorSocket(), Duration.ofSeconds(5))) {
                    String state = q.execute("query-status", null).getAsJsonObject().get("status").getAsString();
                    System.out.println("started " + name + " (pid " + i.daemon().get().pid() + ", " + state + ")");
                    return 0;
                } catch (IOException | RuntimeException e) {
                    // not listening yet
                }
            }
            Thread.sleep(100);
        }
        p.destroyForcibly();
        throw new CliException(CliException.TIMEOUT, "the monitor of '" + name + "' did not answer within " + timeout
                + " s; the daemon was killed. See " + i.daemonLog() + ":\n" + tail(i.daemonLog()));
    }

    /** This process's JVM command line with {@code daemon NAME} in place of the CLI arguments. */
    List<String> daemonCommand(String instance) {
        return relaunch(cliArgs, List.of("daemon", instance));
    }

    /** This process's JVM command line (found by its CLI arguments {@code cliArgs}) with {@code newArgs} in their place. */
    static List<String> relaunch(String[] cliArgs, List<String> newArgs) {
        ProcessHandle.Info info = ProcessHandle.current().info();
        List<String> cmd = new ArrayList<>();
        String[] args = info.arguments().orElse(null);
        if (info.command().isPresent() && args != null && args.length >= cliArgs.length
                && Arrays.equals(Arrays.copyOfRange(args, args.length - cliArgs.length, args.length), cliArgs)) {
            cmd.add(info.command().get());
            cmd.addAll(Arrays.asList(args).subList(0, args.length - cliArgs.length));
        } else {
            // no usable command line (restricted /proc): the same java with the launcher's class path
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.add("--enable-native-access=ALL-UNNAMED");
            cmd.add("-cp");
            cmd.add(System.getProperty("java.class.path"));
            cmd.add("org.machina.launcher.Main");
        }
        cmd.addAll(newArgs);
        return cmd;
    }

    /** The last lines of a log, for error messages. */
    static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            StringBuilder sb = new StringBuilder();
            for (String l : lines.subList(Math.max(0, lines.size() - 15), lines.size())) {
                sb.append("  | ").append(l).append('\n');
            }
            return sb.toString();
        } catch (IOException e) {
            return "  (no log: " + e.getMessage() + ")\n";
        }
    }
}
