package org.machina.api.state;

import java.util.Map;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A device whose guest-visible state survives a hot-swap, a snapshot or a migration.
 *
 * <p>The state is a Java {@code record} of plain values (numbers, booleans, strings, arrays and
 * lists of them, nested records). The runtime serializes it to JSON together with
 * {@link #stateVersion()}; no object crosses from one bundle version to the next. Loading a
 * record of the same version is exact and strict: every integer keeps its value, and a field
 * missing from the saved state or unknown to the record is an error naming it. When the
 * saved version is older, {@link #migrate} turns the old JSON tree into the current record;
 * when it is newer the runtime refuses the load with a clear error.
 *
 * @param <S> the state record type
 */
@ConsumerType
public interface Stateful<S extends Record> {
    /** The current state record class. */
    Class<S> stateType();

    /** The version of {@link #stateType()}; bump it whenever the record changes shape. */
    int stateVersion();

    /** Captures the state (machine paused, on the machine thread). */
    S saveState();

    /** Restores the state after {@link org.machina.api.device.Device#realize()}, re-arming timers. */
    void loadState(S state);

    /**
     * Converts state saved by an older version into the current record. {@code fields} is the
     * old record as a JSON tree of {@code Map}, {@code List}, {@code String}, {@code Boolean} and
     * numbers: {@code Long} for every integer that fits one (exact, above 2<sup>53</sup> too),
     * {@code BigInteger} for larger integers, {@code Double} for the rest. A {@code byte[]}
     * component was saved as a base64 string; {@code float}/{@code double} NaN and infinities
     * as the strings {@code "NaN"}, {@code "Infinity"}, {@code "-Infinity"}. The default refuses.
     */
    default S migrate(int fromVersion, Map<String, Object> fields) {
        throw new StateException("state version " + fromVersion + " of " + stateType().getSimpleName()
                + " cannot be migrated to version " + stateVersion());
    }
}
