package org.machina.net.user;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Moves the calling thread (a stack's loop thread, through {@link Wire#onLoop}) into a network
 * namespace of its own: {@code unshare(CLONE_NEWNET)} through {@code java.lang.foreign}. A network
 * namespace belongs to a thread, so the JVM's other threads and the host stay where they were, and
 * the sockets the loop opens, and the commands it starts, are in the new one: only {@code lo}, which
 * this brings up. Tests of the real kernel's ICMP errors use it, loopback only and leaving nothing on
 * the host (the namespace goes with the thread). Needs CAP_SYS_ADMIN and {@code ip}.
 */
final class LoopNamespace {
    static final int CLONE_NEWNET = 0x40000000;

    private LoopNamespace() {
    }

    /** Into a namespace of its own, lo up, then {@code commands} there; null when done, else why not (the test aborts). */
    @SafeVarargs
    static String enter(List<String>... commands) {
        try {
            Linker linker = Linker.nativeLinker();
            MethodHandle unshare = linker.downcallHandle(linker.defaultLookup().find("unshare").orElseThrow(),
                    FunctionDescriptor.of(JAVA_INT, JAVA_INT));
            if ((int) unshare.invokeExact(CLONE_NEWNET) != 0) {
                return "unshare(CLONE_NEWNET) refused: needs CAP_SYS_ADMIN";
            }
            String devices = Files.readString(Path.of("/proc/thread-self/net/dev"), StandardCharsets.US_ASCII);
            if (devices.lines().skip(2).anyMatch(l -> !l.trim().startsWith("lo:"))) {
                throw new AssertionError("a new network namespace has interfaces besides lo: " + devices);
            }
            String why = run(List.of("ip", "link", "set", "lo", "up"));
            for (int i = 0; why == null && i < commands.length; i++) {
                why = run(commands[i]);
            }
            return why;
        } catch (Throwable t) {
            return "no namespace: " + t;
        }
    }

    /** Runs a command from this thread (so in its namespace); null when it succeeded. */
    private static String run(List<String> cmd) throws Exception {
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (java.io.IOException e) {
            return String.join(" ", cmd) + ": " + e.getMessage();
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0 ? null : String.join(" ", cmd) + ": " + out;
    }
}
