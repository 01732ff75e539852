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
        boolean flag = false;
        List<String> params = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            if (args[i].equals("--json") && !flag) {
                flag = true;
            } else if (args[i].isEmpty() || args[i].startsWith("-")) {
                return Optional.empty();
            } else {
                params.add(args[i]);
            }
        }
        boolean json = flag;
        boolean oneName = params.size() == 1 && !json;
        return Optional.ofNullable(switch (args[0]) {
            case "list" -> params.isEmpty() ? with(new InstanceCommands.ListInstances(), c -> c.json = json) : null;
            case "status" -> params.size() == 1 ? with(new InstanceCommands.Status(), c -> {
                c.name = params.get(0);
                c.json = json;
            }) : null;
            case "stop" -> oneName ? with(new ControlCommands.Stop(), c -> c.name = params.get(0)) : null;
            case "cont" -> oneName ? with(new ControlCommands.Cont(), c -> c.name = params.get(0)) : null;
            case "kill" -> oneName ? with(new ControlCommands.Kill(), c -> c.name = params.get(0)) : null;
            case "qmp" -> (params.size() == 2 || params.size() == 3) && !json ? with(new QmpCommands.Qmp(), c -> {
                c.name = params.get(0);
                c.command = params.get(1);
                c.args = params.size() == 3 ? params.get(2) : null;
            }) : null;
            default -> null;
        });
    }

    /** {@code command} with its fields set by {@code fields}. */
    private static <T extends Callable<Integer>> Callable<Integer> with(T command, java.util.function.Consumer<T> fields) {
        fields.accept(command);
        return command;
    }
}
