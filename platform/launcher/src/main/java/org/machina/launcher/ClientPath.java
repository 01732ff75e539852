package org.machina.launcher;

import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The framework-free path: commands that only talk to a running instance (its folder and sockets)
 * run from the CLI's plain classes on the launcher's class path ({@code Class-Path} in the
 * manifest: the distribution's cli, picocli and gson jars) without starting Felix. The CLI class
 * decides which command lines it takes ({@code Predicate<String[]>}) and runs them
 * ({@code Function<String[], Integer>}); the launcher keeps no list of commands.
 */
final class ClientPath {
    /** The CLI's framework-free entry point. */
    static final String CLIENT_CLASS = "org.machina.cli.ClientCli";

    private ClientPath() {
    }

    /**
     * The client that runs {@code args} without the framework, or empty when the framework must run
     * them: the command is not one of the client's, or the client classes are not on the class path
     * (a distribution without them falls back to the framework, which has every command).
     */
    static Optional<Function<String[], Integer>> forArgs(String[] args, String className, ClassLoader loader) {
        Object client;
        try {
            client = Class.forName(className, true, loader).getConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            return Optional.empty();
        }
        if (!(client instanceof Predicate<?> p) || !(client instanceof Function<?, ?> f)) {
            throw new IllegalStateException(className + " is not a Predicate<String[]> and Function<String[], Integer>");
        }
        @SuppressWarnings("unchecked")
        boolean takes = ((Predicate<String[]>) p).test(args);
        if (!takes) {
            return Optional.empty();
        }
        @SuppressWarnings("unchecked")
        Function<String[], Integer> run = (Function<String[], Integer>) f;
        return Optional.of(run);
    }
}
