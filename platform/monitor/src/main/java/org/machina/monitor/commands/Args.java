package org.machina.monitor.commands;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.machina.api.machine.Machine;
import org.machina.api.monitor.CommandContext;
import org.machina.api.monitor.MonitorException;
import org.machina.api.monitor.MonitorException.ErrorClass;

/** Argument checks with QEMU's error texts, naming the parameter and the expected type. */
final class Args {
    private Args() {
    }

    /** A map keeping the given key order (replies read like QEMU's): {@code ordered("a", 1, "b", 2)}. */
    static Map<String, Object> ordered(Object... keysAndValues) {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }

    /**
     * Runs {@code task} on {@code machine}'s thread and waits up to {@code timeoutSeconds} for it;
     * a time-out, failure or interrupt is a GenericError naming {@code what} was not read.
     */
    static <T> T onMachineThread(Machine machine, String what, long timeoutSeconds, Callable<T> task)
            throws MonitorException {
        try {
            return machine.executor().submit(task).get(timeoutSeconds, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw error("the machine thread did not answer within " + timeoutSeconds + " s; " + what + " not read");
        } catch (ExecutionException e) {
            throw error("reading " + what + " failed: " + e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw error("interrupted while reading " + what);
        }
    }

    static MonitorException error(String message) {
        return new MonitorException(ErrorClass.GenericError, message);
    }

    /** Refuses parameters outside {@code allowed}. */
    static void only(Map<String, Object> args, Set<String> allowed) throws MonitorException {
        for (String name : args.keySet()) {
            if (!allowed.contains(name)) {
                throw error("Parameter '" + name + "' is unexpected");
            }
        }
    }

    static String string(Map<String, Object> args, String name) throws MonitorException {
        return CommandContext.requireString(args, name);
    }

    static String optString(Map<String, Object> args, String name) throws MonitorException {
        Object v = args.get(name);
        if (v == null) {
            return null;
        }
        if (v instanceof String s) {
            return s;
        }
        throw error("Invalid parameter type for '" + name + "', expected: string");
    }

    static boolean optBool(Map<String, Object> args, String name, boolean defaultValue) throws MonitorException {
        Object v = args.get(name);
        if (v == null) {
            return defaultValue;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        throw error("Invalid parameter type for '" + name + "', expected: boolean");
    }

    /** A string, or an integer given as a number (bundle ids), as a string. */
    static String stringOrInt(Map<String, Object> args, String name) throws MonitorException {
        Object v = args.get(name);
        if (v instanceof String s) {
            return s;
        }
        if (v instanceof Long l) {
            return Long.toString(l);
        }
        throw error(v == null ? "Parameter '" + name + "' is missing"
                : "Invalid parameter type for '" + name + "', expected: string or integer");
    }
}
