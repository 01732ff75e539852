package org.machina.runtime.machine;

import com.google.gson.Gson;
import com.google.gson.JsonSyntaxException;
import com.google.gson.reflect.TypeToken;
import java.util.Map;
import org.machina.api.state.SavedState;
import org.machina.api.state.StateException;
import org.machina.api.state.Stateful;

/**
 * Turns device state records into neutral JSON and back. Nothing but the JSON text crosses from
 * one bundle version to the next, so no class of an old bundle outlives the swap.
 */
final class StateCodec {
    private static final Gson GSON = new Gson();

    private StateCodec() {
    }

    static SavedState save(String id, String type, Stateful<?> device) {
        Record state = device.saveState();
        if (state == null) {
            throw new StateException("device '" + id + "' returned no state");
        }
        return new SavedState(id, type, device.stateVersion(), GSON.toJson(state));
    }

    static <S extends Record> void load(Stateful<S> device, SavedState saved) {
        int current = device.stateVersion();
        S state;
        try {
            if (saved.version() == current) {
                state = GSON.fromJson(saved.json(), device.stateType());
            } else if (saved.version() < current) {
                Map<String, Object> fields = GSON.fromJson(saved.json(), new TypeToken<Map<String, Object>>() { }.getType());
                state = device.migrate(saved.version(), fields);
            } else {
                throw new StateException("device '" + saved.deviceId() + "': saved state version " + saved.version()
                        + " is newer than version " + current + " understood by the installed '" + saved.type()
                        + "'; refusing to load it");
            }
        } catch (JsonSyntaxException e) {
            throw new StateException("device '" + saved.deviceId() + "': saved state is not valid for "
                    + device.stateType().getSimpleName() + ": " + e.getMessage(), e);
        }
        device.loadState(state);
    }
}
