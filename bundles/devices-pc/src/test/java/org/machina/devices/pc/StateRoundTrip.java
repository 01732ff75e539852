package org.machina.devices.pc;

import com.google.gson.Gson;
import org.machina.api.state.Stateful;

/** Serializes a state record to JSON and back, as the runtime does across a hot-swap. */
final class StateRoundTrip {
    private static final Gson GSON = new Gson();

    private StateRoundTrip() {
    }

    static <S extends Record> S viaJson(Stateful<S> from) {
        S state = from.saveState();
        return GSON.fromJson(GSON.toJson(state), from.stateType());
    }
}
