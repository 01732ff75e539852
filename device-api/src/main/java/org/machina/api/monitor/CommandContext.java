package org.machina.api.monitor;

import java.util.Map;
import java.util.Optional;
import org.machina.api.machine.Machine;
import org.osgi.annotation.versioning.ProviderType;

/** The monitor session a command runs in. */
@ProviderType
public interface CommandContext {
    /** The machine this monitor belongs to (a daemon's monitor has one; a bare runtime may not). */
    Optional<Machine> machine();

    /** Sends an asynchronous QMP event to every client of this monitor. */
    void emitEvent(String event, Map<String, Object> data);

    /** The required machine, or a {@code GenericError} saying there is none. */
    default Machine requireMachine() throws MonitorException {
        return machine().orElseThrow(() -> new MonitorException(MonitorException.ErrorClass.GenericError,
                "this monitor has no machine"));
    }

    /** A required string argument, or an error naming it. */
    static String requireString(Map<String, Object> args, String name) throws MonitorException {
        Object v = args.get(name);
        if (v instanceof String s) {
            return s;
        }
        throw new MonitorException(MonitorException.ErrorClass.GenericError,
                v == null ? "Parameter '" + name + "' is missing" : "Invalid parameter type for '" + name + "', expected: string");
    }
}
