package org.machina.runtime.machine;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.util.Map;
import org.machina.api.state.SavedState;
import org.machina.api.state.StateException;
import org.machina.api.state.Stateful;
import org.machina.runtime.state.StateJson;

/**
 * Turns device state records into neutral JSON and back ({@link StateJson}: exact numbers,
 * base64 bytes, strict fields). Nothing but the JSON text crosses from one bundle version to the
 * next, so no class of an old bundle outlives the swap.
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
        try {
            return new SavedState(id, type, device.stateVersion(), GSON.toJson(StateJson.write(state, device.stateType())));
        } catch (StateException e) {
            throw new StateException("device '" + id + "': cannot save its state: " + e.getMessage(), e);
        }
    }

    @SuppressWarnings("unchecked")
    static <S extends Record> void load(Stateful<S> device, SavedState saved) {
        int current = device.stateVersion();
        String who = "device '" + saved.deviceId() + "'";
        S state;
        try {
            JsonElement json = JsonParser.parseString(saved.json());
            if (saved.version() == current) {
                state = (S) StateJson.read(json, device.stateType());
            } else if (saved.version() < current) {
                if (!json.isJsonObject()) {
                    throw new StateException("saved state version " + saved.version() + " is not a JSON object");
                }
                state = device.migrate(saved.version(), (Map<String, Object>) StateJson.tree(json));
                if (state == null) {
                    throw new StateException("migration from version " + saved.version() + " returned no state");
                }
            } else {
                throw new StateException("saved state version " + saved.version()
                        + " is newer than version " + current + " understood by the installed '" + saved.type()
                        + "'; refusing to load it");
            }
        } catch (JsonParseException e) {
            throw new StateException(who + ": saved state is not JSON: " + e.getMessage(), e);
        } catch (StateException e) {
            throw new StateException(who + ": " + e.getMessage() + " (loading " + device.stateType().getSimpleName()
                    + " version " + current + ")", e);
        }
        device.loadState(state);
    }
}
