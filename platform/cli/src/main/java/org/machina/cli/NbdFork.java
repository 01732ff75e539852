package org.machina.cli;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code machina nbd serve --fork}: a JVM cannot fork, so the same command line without {@code --fork}
 * runs as a new process in a session of its own (stdin and, once it listens, stdout and stderr unused);
 * this process relays what it prints until {@code listening on URI}, then exits 0, as qemu-nbd's parent
 * does. A server that fails before listening passes its message and exit status on.
 */
final class NbdFork {
    private NbdFork() {
    }

    static int run(List<String> cliArgs) throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(cliArgs);
        args.removeIf("--fork"::equals);
        List<String> command = StartCommand.relaunch(cliArgs.toArray(String[]::new), args);
        Path setsid = Path.of("/usr/bin/setsid");
        if (Files.isExecutable(setsid)) {
            command.addFirst(setsid.toString());
        }
        Process p = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true).start();
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        for (String line; (line = r.readLine()) != null; ) {
            if (line.startsWith("listening on ")) {
                System.out.println(line);
                System.out.flush();
                return 0;
            }
            System.err.println(line);
        }
        return p.waitFor();
    }
}
