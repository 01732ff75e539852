package org.machina.runtime.state;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.machina.api.state.StateException;

class StateJsonTest {
    enum Mode { IDLE, BUSY }

    record Channel(int mode, long deadline, boolean armed) {}

    record Device(long counter, long minimum, int[] fifo, byte[] rom, Channel[] channels, List<Channel> more,
                  Map<String, Long> named, Mode mode, String label, double ratio, float nan, char c, short s, byte b) {}

    static Device sample() {
        return new Device((1L << 53) + 1, Long.MIN_VALUE, new int[] {1, -2, 3}, new byte[] {0, (byte) 0xff, 0x41},
                new Channel[] {new Channel(2, Long.MAX_VALUE, true)}, List.of(new Channel(3, -1, false)),
                Map.of("ticks", 9_007_199_254_740_993L), Mode.BUSY, null, 0.1, Float.NaN, 'x', (short) -5, (byte) 7);
    }

    static JsonElement roundTripText(Object value, Class<?> type) {
        return JsonParser.parseString(StateJson.write(value, type).toString());
    }

    @Test
    void everyValueRoundTripsExactly() {
        Device d = sample();
        JsonElement json = roundTripText(d, Device.class);
        assertTrue(json.toString().contains("\"counter\":9007199254740993"), json.toString());
        assertTrue(json.toString().contains("\"rom\":\"AP9B\""), "byte[] as base64: " + json);
        Device back = (Device) StateJson.read(json, Device.class);
        assertEquals(d.counter(), back.counter());
        assertEquals(Long.MIN_VALUE, back.minimum());
        assertArrayEquals(d.fifo(), back.fifo());
        assertArrayEquals(d.rom(), back.rom());
        assertEquals(d.channels()[0], back.channels()[0]);
        assertEquals(d.more(), back.more());
        assertEquals(9_007_199_254_740_993L, back.named().get("ticks"));
        assertEquals(Mode.BUSY, back.mode());
        assertEquals(null, back.label());
        assertEquals(0.1, back.ratio());
        assertTrue(Float.isNaN(back.nan()));
        assertEquals('x', back.c());
        assertEquals((short) -5, back.s());
        assertEquals((byte) 7, back.b());
    }

    @Test
    void aMissingFieldIsAnErrorNamingIt() {
        var json = JsonParser.parseString("{\"mode\":1,\"armed\":true}");
        var e = assertThrows(StateException.class, () -> StateJson.read(json, Channel.class));
        assertEquals("$.deadline: missing: the saved state has no field 'deadline' of Channel", e.getMessage());
    }

    @Test
    void anUnknownFieldIsAnErrorNamingIt() {
        var json = JsonParser.parseString("{\"mode\":1,\"deadline\":2,\"armed\":true,\"extra\":0}");
        var e = assertThrows(StateException.class, () -> StateJson.read(json, Channel.class));
        assertEquals("$.extra: unknown field: Channel has no component 'extra'", e.getMessage());
    }

    @Test
    void nestedErrorsCarryTheirPath() {
        JsonElement json = roundTripText(sample(), Device.class);
        json.getAsJsonObject().getAsJsonArray("channels").get(0).getAsJsonObject().addProperty("mode", 4294967296L);
        var e = assertThrows(StateException.class, () -> StateJson.read(json, Device.class));
        assertEquals("$.channels[0].mode: 4294967296 does not fit a int", e.getMessage());
        json.getAsJsonObject().getAsJsonArray("channels").get(0).getAsJsonObject().addProperty("mode", 1.5);
        assertThrows(StateException.class, () -> StateJson.read(json, Device.class));
        json.getAsJsonObject().addProperty("rom", "not base64!");
        String first = assertThrows(StateException.class, () -> StateJson.read(json, Device.class)).getMessage();
        assertTrue(first.startsWith("$.rom: not base64"), "fields are read in record order: " + first);
    }

    @Test
    void wrongShapesAreRefusedNotCoerced() {
        assertThrows(StateException.class, () -> StateJson.read(JsonParser.parseString("{\"mode\":\"1\",\"deadline\":2,\"armed\":true}"), Channel.class));
        assertThrows(StateException.class, () -> StateJson.read(JsonParser.parseString("{\"mode\":1,\"deadline\":2,\"armed\":null}"), Channel.class));
        assertThrows(StateException.class, () -> StateJson.read(JsonParser.parseString("[1,2]"), Channel.class));
    }

    @Test
    void theMigrationTreeKeepsIntegersExact() {
        @SuppressWarnings("unchecked")
        Map<String, Object> tree = (Map<String, Object>) StateJson.tree(
                JsonParser.parseString("{\"big\":9007199254740993,\"huge\":18446744073709551616,\"half\":0.5,\"list\":[1,true,\"s\"]}"));
        assertEquals(9_007_199_254_740_993L, tree.get("big"));
        assertEquals(new BigInteger("18446744073709551616"), tree.get("huge"));
        assertEquals(0.5, tree.get("half"));
        assertEquals(List.of(1L, true, "s"), tree.get("list"));
    }
}
