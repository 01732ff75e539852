package org.machina.monitor;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.TypeAdapter;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON for QMP: strict parsing of one message, conversion of arguments to the plain Java tree
 * commands receive ({@code Map}, {@code List}, {@code String}, {@code Long}/{@code Double},
 * {@code Boolean}), and serialisation of results and replies.
 */
final class QmpJson {
    static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();
    /** Writes finished messages; keeps explicit nulls (an {@code "id": null} is echoed as given). */
    private static final Gson WRITER = new GsonBuilder().disableHtmlEscaping().serializeNulls().create();
    private static final TypeAdapter<JsonElement> ELEMENT = GSON.getAdapter(JsonElement.class);

    private QmpJson() {
    }

    /** Parses one JSON text strictly; the exception message says what is wrong. */
    static JsonElement parse(String text) throws JsonParseException {
        try (JsonReader reader = new JsonReader(new StringReader(text))) {
            reader.setStrictness(Strictness.STRICT);
            JsonElement element = ELEMENT.read(reader);
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw new JsonParseException("unexpected data after the JSON value");
            }
            return element;
        } catch (IOException | IllegalStateException | NumberFormatException e) {
            throw new JsonParseException(describe(e), e);
        }
    }

    private static String describe(Exception e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int see = m.indexOf("\nSee ");
        return see > 0 ? m.substring(0, see) : m;
    }

    /** The plain Java tree of a JSON element. */
    static Object toJava(JsonElement element) {
        if (element == null || element.isJsonNull()) {
            return null;
        }
        if (element instanceof JsonObject object) {
            Map<String, Object> map = new LinkedHashMap<>();
            for (Map.Entry<String, JsonElement> e : object.entrySet()) {
                map.put(e.getKey(), toJava(e.getValue()));
            }
            return map;
        }
        if (element instanceof JsonArray array) {
            List<Object> list = new ArrayList<>(array.size());
            for (JsonElement e : array) {
                list.add(toJava(e));
            }
            return list;
        }
        JsonPrimitive p = element.getAsJsonPrimitive();
        if (p.isBoolean()) {
            return p.getAsBoolean();
        }
        if (p.isString()) {
            return p.getAsString();
        }
        String n = p.getAsNumber().toString();
        if (n.indexOf('.') < 0 && n.indexOf('e') < 0 && n.indexOf('E') < 0) {
            try {
                return Long.parseLong(n);
            } catch (NumberFormatException tooBig) {
                return Double.parseDouble(n);
            }
        }
        return Double.parseDouble(n);
    }

    /** The JSON form of a command result; {@code null} becomes the empty object, as for QEMU's void commands. */
    static JsonElement fromResult(Object result) {
        if (result == null) {
            return new JsonObject();
        }
        return GSON.toJsonTree(result);
    }

    static String write(JsonElement element) {
        return WRITER.toJson(element);
    }
}
