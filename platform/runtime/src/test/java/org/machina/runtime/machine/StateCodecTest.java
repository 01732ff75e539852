package org.machina.runtime.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.machina.api.state.SavedState;
import org.machina.api.state.StateException;
import org.machina.api.state.Stateful;

class StateCodecTest {
    record V2(long count, int[] fifo, String name) {
    }

    static final class Dev implements Stateful<V2> {
        V2 loaded;

        @Override
        public Class<V2> stateType() {
            return V2.class;
        }

        @Override
        public int stateVersion() {
            return 2;
        }

        @Override
        public V2 saveState() {
            return new V2(7, new int[] {1, 2, 3}, "dev");
        }

        @Override
        public void loadState(V2 state) {
            loaded = state;
        }

        @Override
        public V2 migrate(int fromVersion, Map<String, Object> fields) {
            return new V2(((Number) fields.get("count")).longValue(), new int[0], "migrated from " + fromVersion);
        }
    }

    @Test
    void roundTripThroughJson() {
        Dev d = new Dev();
        SavedState s = StateCodec.save("d", "t", d);
        assertEquals(2, s.version());
        assertTrue(s.json().contains("\"fifo\":[1,2,3]"), s.json());
        StateCodec.load(d, s);
        assertEquals(7, d.loaded.count());
        assertEquals(3, d.loaded.fifo()[2]);
    }

    @Test
    void olderVersionsAreMigratedNewerRefused() {
        Dev d = new Dev();
        StateCodec.load(d, new SavedState("d", "t", 1, "{\"count\": 41}"));
        assertEquals(41, d.loaded.count());
        assertEquals("migrated from 1", d.loaded.name());
        StateException e = assertThrows(StateException.class, () -> StateCodec.load(d, new SavedState("d", "t", 3, "{}")));
        assertTrue(e.getMessage().contains("version 3 is newer than version 2"), e.getMessage());
        assertThrows(StateException.class, () -> StateCodec.load(d, new SavedState("d", "t", 2, "{\"count\": \"x\"}")));
    }

    @Test
    void migrationSeesLongsExactly() {
        Dev d = new Dev();
        StateCodec.load(d, new SavedState("d", "t", 1, "{\"count\": 9007199254740993}"));
        assertEquals(9_007_199_254_740_993L, d.loaded.count());
    }

    @Test
    void aStateWithAFieldMissingIsRefusedNamingDeviceAndField() {
        Dev d = new Dev();
        StateException e = assertThrows(StateException.class,
                () -> StateCodec.load(d, new SavedState("pit", "t", 2, "{\"count\": 1, \"name\": \"x\"}")));
        assertEquals("device 'pit': $.fifo: missing: the saved state has no field 'fifo' of V2 (loading V2 version 2)",
                e.getMessage());
        assertEquals(null, d.loaded, "nothing was loaded");
    }
}
