package org.machina.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * The instance commands scripts call in loops ({@code list}, {@code status}, {@code stop},
 * {@code cont}, {@code kill}, {@code qmp}), run without picocli when the command line has their
 * plain shape: the instance name and other parameters, and at most the command's {@code --json}
 * flag. Building picocli's model of even one command (reflection over annotations, its Java 5
 * class files, which class-data sharing cannot store) takes most of such a command's time.
 *
 * <p>Anything else (another option, {@code --help}, a parameter starting with {@code -}, a wrong
 * number of parameters) is left to picocli, so usage, help and errors are exactly the same; the
 * command objects are the same too, only their fields are set here.
 */
final class QuickCommands {
    private QuickCommands() {
    }

    /** The command for {@code args} with its fields set, or empty when picocli must parse them. */
    static Optional<Callable<Integer>> parse(String[] args) {
        if (args.length == 0) {
            return Optional.empty();
        }
        boolean json = false;
        List<String> params = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            if (args[i].equals("--json") && !json) {
                json = true;
            } else if (args[i].isEmpty() || args[i].startsWith("-")) {
                return Optional.empty();
            } else {
                params.add(args[i]);
            }
        }
        return Optional.ofNullable(switch (args[0]) {
            case "list" -> params.isEmpty() ? list(json) : null;
            case "status" -> params.size() == 1 ? status(params.get(0), json) : null;
            case "stop" -> params.size() == 1 && !json ? stop(params.get(0)) : null;
            case "cont" -> params.size() == 1 && !json ? cont(params.get(0)) : null;
            case "kill" -> params.size() == 1 && !json ? kill(params.get(0)) : null;
            case "qmp" -> (params.size() == 2 || params.size() == 3) && !json ? qmp(params) : null;
            default -> null;
        });
    }

    private static Callable<Integer> list(boolean json) {
        var c = new InstanceCommands.ListInstances();
        c.json = json;
        return c;
    }

    private static Callable<Integer> status(String name, boolean json) {
        var c = new InstanceCommands.Status();
        c.name = name;
        c.json = json;
        return c;
    }

    private static Callable<Integer> stop(String name) {
        var c = new ControlCommands.Stop();
        c.name = name;
        return c;
    }

    private static Callable<Integer> cont(String name) {
        var c = new ControlCommands.Cont();
        c.name = name;
        return c;
    }

    private static Callable<Integer> kill(String name) {
        var c = new ControlCommands.Kill();
        c.name = name;
        return c;
    }

    private static Callable<Integer> qmp(List<String> params) {
        var c = new QmpCommands.Qmp();
        c.name = params.get(0);
        c.command = params.get(1);
        c.args = params.size() == 3 ? params.get(2) : null;
        return c;
    }
}
