package org.machina.runtime.state;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.lang.reflect.Array;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.machina.api.state.StateException;

/**
 * Converts state records to JSON and back, exactly and strictly, driven by the record's declared
 * component types rather than by what the JSON happens to hold:
 * <ul>
 * <li>every integer type round-trips exactly (a {@code long} above 2<sup>53</sup> included); a
 * number that does not fit the component's type is an error;</li>
 * <li>{@code byte[]} is a base64 string; other arrays and {@code List}s are JSON arrays;
 * {@code Map}s need {@code String} keys; enums are their names; records nest;</li>
 * <li>{@code float}/{@code double} NaN and infinities are the strings {@code "NaN"},
 * {@code "Infinity"}, {@code "-Infinity"};</li>
 * <li>reading, a missing or an unknown field is an error naming its path ({@code $.a.b[2]}).</li>
 * </ul>
 */
public final class StateJson {
    private StateJson() {
    }

    /** {@code value}, of declared type {@code type}, as JSON. */
    public static JsonElement write(Object value, Type type) {
        return write(value, type, "$");
    }

    /** The value of declared type {@code type} that {@code json} holds. */
    public static Object read(JsonElement json, Type type) {
        return read(json, type, "$");
    }

    private static JsonElement write(Object value, Type type, String path) {
        if (value == null) {
            if (type instanceof Class<?> c && c.isPrimitive()) {
                throw error(path, "null for a " + c.getName());
            }
            return JsonNull.INSTANCE;
        }
        Class<?> raw = rawClass(type, path);
        if (value instanceof Number n && (raw == double.class || raw == Double.class || raw == float.class || raw == Float.class)) {
            double d = n.doubleValue();
            return Double.isFinite(d) ? new JsonPrimitive(n) : new JsonPrimitive(Double.toString(d));
        }
        if (value instanceof Number n) {
            return new JsonPrimitive(n);
        }
        if (value instanceof Boolean || value instanceof String) {
            return value instanceof Boolean b ? new JsonPrimitive(b) : new JsonPrimitive((String) value);
        }
        if (value instanceof Character c) {
            return new JsonPrimitive(String.valueOf(c));
        }
        if (value instanceof Enum<?> e) {
            return new JsonPrimitive(e.name());
        }
        if (value instanceof byte[] bytes) {
            return new JsonPrimitive(Base64.getEncoder().encodeToString(bytes));
        }
        if (raw.isArray()) {
            JsonArray out = new JsonArray();
            Type element = elementType(type, raw);
            for (int i = 0, n = Array.getLength(value); i < n; i++) {
                out.add(write(Array.get(value, i), element, path + "[" + i + "]"));
            }
            return out;
        }
        if (value instanceof List<?> list) {
            JsonArray out = new JsonArray();
            Type element = typeArgument(type, 0, path);
            for (int i = 0; i < list.size(); i++) {
                out.add(write(list.get(i), element, path + "[" + i + "]"));
            }
            return out;
        }
        if (value instanceof Map<?, ?> map) {
            requireStringKeys(type, path);
            JsonObject out = new JsonObject();
            Type element = typeArgument(type, 1, path);
            for (Map.Entry<?, ?> e : map.entrySet()) {
                out.add((String) e.getKey(), write(e.getValue(), element, path + "." + e.getKey()));
            }
            return out;
        }
        if (value instanceof Record r) {
            JsonObject out = new JsonObject();
            for (RecordComponent c : r.getClass().getRecordComponents()) {
                out.add(c.getName(), write(component(r, c, path), c.getGenericType(), path + "." + c.getName()));
            }
            return out;
        }
        throw error(path, "a " + value.getClass().getName() + " cannot be part of a state record");
    }

    private static Object read(JsonElement json, Type type, String path) {
        Class<?> raw = rawClass(type, path);
        if (json == null || json.isJsonNull()) {
            if (raw.isPrimitive()) {
                throw error(path, "null where a " + raw.getName() + " is needed");
            }
            return null;
        }
        if (raw == boolean.class || raw == Boolean.class) {
            return primitive(json, path, "a boolean").isBoolean() ? json.getAsBoolean() : fail(path, "a boolean", json);
        }
        if (raw == String.class) {
            return primitive(json, path, "a string").isString() ? json.getAsString() : fail(path, "a string", json);
        }
        if (raw == char.class || raw == Character.class) {
            String s = primitive(json, path, "a character").getAsString();
            return s.length() == 1 ? s.charAt(0) : fail(path, "a single character", json);
        }
        if (Number.class.isAssignableFrom(raw) || (raw.isPrimitive() && raw != void.class)) {
            return number(primitive(json, path, "a number"), raw, path);
        }
        if (raw.isEnum()) {
            String name = primitive(json, path, "an enum name").getAsString();
            for (Object constant : raw.getEnumConstants()) {
                if (((Enum<?>) constant).name().equals(name)) {
                    return constant;
                }
            }
            throw error(path, "'" + name + "' is not a constant of " + raw.getSimpleName());
        }
        if (raw == byte[].class) {
            try {
                return Base64.getDecoder().decode(primitive(json, path, "a base64 string").getAsString());
            } catch (IllegalArgumentException e) {
                throw error(path, "not base64: " + e.getMessage());
            }
        }
        if (raw.isArray()) {
            JsonArray in = array(json, path);
            Type element = elementType(type, raw);
            Object out = Array.newInstance(raw.getComponentType(), in.size());
            for (int i = 0; i < in.size(); i++) {
                Array.set(out, i, read(in.get(i), element, path + "[" + i + "]"));
            }
            return out;
        }
        if (List.class.isAssignableFrom(raw)) {
            JsonArray in = array(json, path);
            Type element = typeArgument(type, 0, path);
            List<Object> out = new ArrayList<>(in.size());
            for (int i = 0; i < in.size(); i++) {
                out.add(read(in.get(i), element, path + "[" + i + "]"));
            }
            return out;
        }
        if (Map.class.isAssignableFrom(raw)) {
            requireStringKeys(type, path);
            Type element = typeArgument(type, 1, path);
            Map<String, Object> out = new LinkedHashMap<>();
            for (Map.Entry<String, JsonElement> e : object(json, path).entrySet()) {
                out.put(e.getKey(), read(e.getValue(), element, path + "." + e.getKey()));
            }
            return out;
        }
        if (raw.isRecord()) {
            return record(object(json, path), raw, path);
        }
        throw error(path, "a " + raw.getName() + " cannot be part of a state record");
    }

    private static Object record(JsonObject in, Class<?> type, String path) {
        RecordComponent[] components = type.getRecordComponents();
        Set<String> known = new java.util.HashSet<>();
        Object[] args = new Object[components.length];
        Class<?>[] types = new Class<?>[components.length];
        for (int i = 0; i < components.length; i++) {
            RecordComponent c = components[i];
            known.add(c.getName());
            types[i] = c.getType();
            if (!in.has(c.getName())) {
                throw error(path + "." + c.getName(), "missing: the saved state has no field '" + c.getName()
                        + "' of " + type.getSimpleName());
            }
            args[i] = read(in.get(c.getName()), c.getGenericType(), path + "." + c.getName());
        }
        for (String field : in.keySet()) {
            if (!known.contains(field)) {
                throw error(path + "." + field, "unknown field: " + type.getSimpleName() + " has no component '" + field + "'");
            }
        }
        try {
            var constructor = type.getDeclaredConstructor(types);
            constructor.setAccessible(true);
            return constructor.newInstance(args);
        } catch (InvocationTargetException e) {
            throw new StateException(path + ": " + type.getSimpleName() + " refused the saved values: "
                    + e.getCause().getMessage(), e.getCause());
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new StateException(path + ": cannot create " + type.getName() + ": " + e.getMessage(), e);
        }
    }

    private static Object number(JsonPrimitive p, Class<?> raw, String path) {
        if (raw == double.class || raw == Double.class || raw == float.class || raw == Float.class) {
            double d;
            if (p.isString()) {
                d = switch (p.getAsString()) {
                    case "NaN" -> Double.NaN;
                    case "Infinity" -> Double.POSITIVE_INFINITY;
                    case "-Infinity" -> Double.NEGATIVE_INFINITY;
                    default -> (Double) fail(path, "a number", p);
                };
            } else if (p.isNumber()) {
                d = p.getAsDouble();
            } else {
                return fail(path, "a number", p);
            }
            return raw == float.class || raw == Float.class ? (Object) (float) d : (Object) d;
        }
        if (!p.isNumber()) {
            return fail(path, "an integer", p);
        }
        try {
            BigDecimal exact = new BigDecimal(p.getAsString());
            if (raw == long.class || raw == Long.class) {
                return exact.longValueExact();
            }
            if (raw == int.class || raw == Integer.class) {
                return exact.intValueExact();
            }
            if (raw == short.class || raw == Short.class) {
                return exact.shortValueExact();
            }
            if (raw == byte.class || raw == Byte.class) {
                return exact.byteValueExact();
            }
        } catch (ArithmeticException | NumberFormatException e) {
            throw error(path, p.getAsString() + " does not fit a " + raw.getSimpleName());
        }
        throw error(path, "a " + raw.getName() + " cannot be part of a state record");
    }

    /** {@code json} as the plain tree {@link org.machina.api.state.Stateful#migrate} receives. */
    public static Object tree(JsonElement json) {
        if (json == null || json.isJsonNull()) {
            return null;
        }
        if (json.isJsonObject()) {
            Map<String, Object> out = new LinkedHashMap<>();
            json.getAsJsonObject().entrySet().forEach(e -> out.put(e.getKey(), tree(e.getValue())));
            return out;
        }
        if (json.isJsonArray()) {
            List<Object> out = new ArrayList<>();
            json.getAsJsonArray().forEach(e -> out.add(tree(e)));
            return out;
        }
        JsonPrimitive p = json.getAsJsonPrimitive();
        if (p.isBoolean()) {
            return p.getAsBoolean();
        }
        if (p.isString()) {
            return p.getAsString();
        }
        BigDecimal exact = new BigDecimal(p.getAsString());
        try {
            return exact.longValueExact();
        } catch (ArithmeticException notALong) {
            return exact.stripTrailingZeros().scale() <= 0 ? exact.toBigIntegerExact() : exact.doubleValue();
        }
    }

    private static Object component(Record r, RecordComponent c, String path) {
        try {
            var accessor = c.getAccessor();
            accessor.setAccessible(true);
            return accessor.invoke(r);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new StateException(path + "." + c.getName() + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static Class<?> rawClass(Type type, String path) {
        if (type instanceof Class<?> c) {
            return c;
        }
        if (type instanceof ParameterizedType p && p.getRawType() instanceof Class<?> c) {
            return c;
        }
        if (type instanceof GenericArrayType g) {
            return Array.newInstance(rawClass(g.getGenericComponentType(), path), 0).getClass();
        }
        throw error(path, "type " + type.getTypeName() + " cannot be part of a state record (use concrete types)");
    }

    private static Type elementType(Type type, Class<?> raw) {
        return type instanceof GenericArrayType g ? g.getGenericComponentType() : raw.getComponentType();
    }

    private static Type typeArgument(Type type, int index, String path) {
        if (type instanceof ParameterizedType p) {
            return p.getActualTypeArguments()[index];
        }
        throw error(path, "a raw " + type.getTypeName() + " cannot be part of a state record (give its element type)");
    }

    private static void requireStringKeys(Type type, String path) {
        if (typeArgument(type, 0, path) != String.class) {
            throw error(path, "maps in state records need String keys");
        }
    }

    private static JsonPrimitive primitive(JsonElement json, String path, String wanted) {
        if (!json.isJsonPrimitive()) {
            fail(path, wanted, json);
        }
        return json.getAsJsonPrimitive();
    }

    private static JsonArray array(JsonElement json, String path) {
        if (!json.isJsonArray()) {
            fail(path, "an array", json);
        }
        return json.getAsJsonArray();
    }

    private static JsonObject object(JsonElement json, String path) {
        if (!json.isJsonObject()) {
            fail(path, "an object", json);
        }
        return json.getAsJsonObject();
    }

    private static Object fail(String path, String wanted, JsonElement got) {
        String text = got.toString();
        throw error(path, "expected " + wanted + ", got " + (text.length() > 40 ? text.substring(0, 40) + "..." : text));
    }

    private static StateException error(String path, String problem) {
        return new StateException(path + ": " + problem);
    }
}
