package org.machina.runtime.description;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.Strictness;
import com.google.gson.TypeAdapter;
import com.google.gson.Gson;
import com.google.gson.JsonPrimitive;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.machina.api.device.DeviceConfig;
import org.machina.api.machine.DescriptionException;

/**
 * Reads a JSON machine description and checks its shape: every error names the JSON path, the
 * bad value and what would be accepted. Type names are checked later against installed services.
 *
 * <pre>{@code
 * {
 *   "board": "pc",                       // or {"type": "pc", ...board properties}
 *   "cpu": {"type": "x86", "model": "pentium3", "accel": "tcg"},   // or "pentium3", or "none"
 *   "memory": "256M",                    // a number is MiB, as QEMU's -m
 *   "kernel": "images/vmlinuz", "initrd": "...", "append": "console=ttyS0",
 *   "firmware": "rom.bin",
 *   "chardevs": [{"id": "serial0", "backend": "stdio"}],
 *   "drives": [{"id": "disk0", "file": "disk.qcow2", "format": "qcow2", "readonly": false}],
 *   "netdevs": [{"id": "n0", "type": "user", "hostfwd": ["tcp::2222-:22"]}],   // a list joins with '\n'
 *   "devices": [{"type": "isa-debugcon", "id": "dbg", "chardev": "serial0"}],
 *   "globals": {"hpet": {"fastpath": false}},   // per device type: property defaults (-global)
 *   "filters": [{"type": "filter-dump", "id": "f0", "netdev": "n0", "file": "n0.pcap"}],   // -object filter-dump
 *   "no-reboot": false
 * }
 * }</pre>
 */
public final class DescriptionParser {
    /** Ids: a letter, then letters, digits, '-', '_', '.'. */
    public static final Pattern ID = Pattern.compile("[A-Za-z][A-Za-z0-9_.-]{0,63}");
    private static final Set<String> TOP_KEYS = Set.of("board", "cpu", "memory", "firmware", "kernel", "initrd",
            "append", "chardevs", "drives", "netdevs", "devices", "globals", "no-reboot", "filters");
    private static final long MAX_MEMORY = 3584L << 20;

    private static final TypeAdapter<JsonElement> STRICT = new Gson().getAdapter(JsonElement.class);

    private final Path baseDirectory;

    /** @param baseDirectory relative file names are resolved against it */
    public DescriptionParser(Path baseDirectory) {
        this.baseDirectory = baseDirectory;
    }

    public Description parse(String json) {
        JsonElement root;
        try {
            JsonReader reader = new JsonReader(new StringReader(json));
            reader.setStrictness(Strictness.STRICT);
            root = STRICT.read(reader);
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw new JsonParseException("unexpected data after the description object at " + reader.getPath());
            }
        } catch (JsonParseException | IllegalStateException | java.io.IOException e) {
            throw new DescriptionException("$", "not valid JSON: " + rootCause(e).getMessage());
        }
        if (!root.isJsonObject()) {
            throw new DescriptionException("$", "a machine description must be a JSON object, not " + kind(root));
        }
        JsonObject o = root.getAsJsonObject();
        for (String key : o.keySet()) {
            if (!TOP_KEYS.contains(key)) {
                throw new DescriptionException("$." + key, "unknown key; accepted: " + String.join(", ", new java.util.TreeSet<>(TOP_KEYS)));
            }
        }
        Description.Entry board = board(o.get("board"));
        Optional<Description.CpuSpec> cpu = cpu(o.get("cpu"));
        long memory = memory(o.get("memory"));
        Set<String> ids = new HashSet<>();
        List<Description.Entry> chardevs = entries(o, "chardevs", "backend", ids);
        List<Description.Entry> drives = entries(o, "drives", "format", ids);
        List<Description.Entry> netdevs = entries(o, "netdevs", "type", ids);
        List<Description.Entry> devices = entries(o, "devices", "type", ids);
        List<Description.Entry> filters = entries(o, "filters", "type", ids);
        return new Description(board, cpu, memory, file(o, "firmware"), file(o, "kernel"), file(o, "initrd"),
                optionalString(o, "append").orElse(""), chardevs, drives, netdevs, devices,
                optionalBoolean(o, "no-reboot"), globals(o.get("globals")), filters);
    }

    /** {@code "globals": {"TYPE": {"PROP": VALUE, ...}, ...}}: checked against the types later. */
    private static Map<String, Map<String, String>> globals(JsonElement e) {
        if (e == null) {
            return Map.of();
        }
        if (!e.isJsonObject()) {
            throw new DescriptionException("$.globals", "expected an object of device types, each an object of property"
                    + " values ({\"hpet\": {\"fastpath\": false}}), not " + kind(e));
        }
        Map<String, Map<String, String>> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> t : e.getAsJsonObject().entrySet()) {
            String path = "$.globals." + t.getKey();
            if (!t.getValue().isJsonObject()) {
                throw new DescriptionException(path, "expected an object of property values, not " + kind(t.getValue()));
            }
            out.put(t.getKey(), Map.copyOf(properties(path, t.getValue().getAsJsonObject(), Set.of(), false)));
        }
        return Map.copyOf(out);
    }

    private static Throwable rootCause(Throwable t) {
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private static String kind(JsonElement e) {
        if (e == null || e.isJsonNull()) {
            return "null";
        }
        if (e.isJsonArray()) {
            return "an array";
        }
        if (e.isJsonObject()) {
            return "an object";
        }
        JsonPrimitive p = e.getAsJsonPrimitive();
        return p.isBoolean() ? "a boolean (" + p + ")" : p.isNumber() ? "a number (" + p + ")" : "a string (" + p + ")";
    }

    private Description.Entry board(JsonElement e) {
        if (e == null) {
            throw new DescriptionException("$.board", "missing; name a board type, e.g. \"board\": \"pc\"");
        }
        if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isString()) {
            return new Description.Entry("$.board", e.getAsString(), null, Map.of());
        }
        if (e.isJsonObject()) {
            Map<String, String> props = properties("$.board", e.getAsJsonObject(), Set.of("type"), false);
            return new Description.Entry("$.board", requireString("$.board.type", e.getAsJsonObject().get("type")), null, props);
        }
        throw new DescriptionException("$.board", "expected a board type name or an object with \"type\", not " + kind(e));
    }

    private Optional<Description.CpuSpec> cpu(JsonElement e) {
        if (e == null) {
            return Optional.of(new Description.CpuSpec("$.cpu", Optional.empty(), Optional.empty()));
        }
        if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isString()) {
            String s = e.getAsString();
            return s.equals("none") ? Optional.empty()
                    : Optional.of(new Description.CpuSpec("$.cpu", Optional.empty(), Optional.of(s)));
        }
        if (e.isJsonObject()) {
            JsonObject o = e.getAsJsonObject();
            for (String key : o.keySet()) {
                if (!key.equals("type") && !key.equals("model") && !key.equals("accel")) {
                    throw new DescriptionException("$.cpu." + key, "unknown key; accepted: type, model, accel");
                }
            }
            return Optional.of(new Description.CpuSpec("$.cpu", optionalString(o, "type", "$.cpu"),
                    optionalString(o, "model", "$.cpu"), optionalString(o, "accel", "$.cpu").orElse("")));
        }
        throw new DescriptionException("$.cpu", "expected a CPU model name, \"none\", or {\"type\", \"model\", \"accel\"}, not " + kind(e));
    }

    private long memory(JsonElement e) {
        if (e == null) {
            return 128L << 20;
        }
        long bytes;
        if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()) {
            double mib = e.getAsDouble();
            if (mib != Math.rint(mib)) {
                throw new DescriptionException("$.memory", "a number means MiB and must be whole, not " + e);
            }
            bytes = (long) mib << 20;
        } else if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isString()) {
            String s = e.getAsString();
            try {
                bytes = s.matches("\\d+") ? Long.parseLong(s) << 20 : DeviceConfig.parseLong(s);
            } catch (NumberFormatException | ArithmeticException x) {
                throw new DescriptionException("$.memory", "'" + s + "' is not a size; use MiB or a suffix: \"256M\", \"1G\"");
            }
        } else {
            throw new DescriptionException("$.memory", "expected a size such as 256 (MiB) or \"256M\", not " + kind(e));
        }
        if (bytes < (1L << 20) || bytes > MAX_MEMORY || bytes % 4096 != 0) {
            throw new DescriptionException("$.memory", bytes + " bytes is not accepted: use a multiple of 4 KiB between 1 MiB and "
                    + (MAX_MEMORY >> 20) + " MiB");
        }
        return bytes;
    }

    private List<Description.Entry> entries(JsonObject root, String key, String typeKey, Set<String> ids) {
        JsonElement e = root.get(key);
        List<Description.Entry> out = new ArrayList<>();
        if (e == null) {
            return out;
        }
        if (!e.isJsonArray()) {
            throw new DescriptionException("$." + key, "expected an array of objects, not " + kind(e));
        }
        JsonArray a = e.getAsJsonArray();
        for (int i = 0; i < a.size(); i++) {
            String path = "$." + key + "[" + i + "]";
            JsonElement item = a.get(i);
            if (!item.isJsonObject()) {
                throw new DescriptionException(path, "expected an object, not " + kind(item));
            }
            JsonObject o = item.getAsJsonObject();
            String type = requireString(path + "." + typeKey, o.get(typeKey));
            String id = optionalString(o, "id", path).orElse(null);
            if (id == null) {
                if (!key.equals("devices")) {
                    throw new DescriptionException(path + ".id", "missing; every " + key.substring(0, key.length() - 1) + " needs an id");
                }
                id = type + "." + i;
            }
            if (!ID.matcher(id).matches() && !id.equals(type + "." + i)) {
                throw new DescriptionException(path + ".id", "'" + id + "' is not a valid id (a letter, then letters, digits, '-', '_', '.')");
            }
            if (!ids.add(key + ":" + id)) {
                throw new DescriptionException(path + ".id", "duplicate id '" + id + "'");
            }
            out.add(new Description.Entry(path, type, id, properties(path, o, Set.of(typeKey, "id"), key.equals("netdevs"))));
        }
        return out;
    }

    /** The entry's other keys as strings; with {@code lists}, an array of strings is joined with '\n' (a repeated option). */
    private static Map<String, String> properties(String path, JsonObject o, Set<String> skip, boolean lists) {
        Map<String, String> props = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> p : o.entrySet()) {
            if (skip.contains(p.getKey())) {
                continue;
            }
            JsonElement v = p.getValue();
            if (lists && v.isJsonArray()) {
                List<String> items = new ArrayList<>();
                for (JsonElement item : v.getAsJsonArray()) {
                    items.add(requireString(path + "." + p.getKey() + "[" + items.size() + "]", item));
                }
                props.put(p.getKey(), String.join("\n", items));
                continue;
            }
            if (!v.isJsonPrimitive()) {
                throw new DescriptionException(path + "." + p.getKey(), "property values must be strings, numbers or booleans, not " + kind(v));
            }
            JsonPrimitive prim = v.getAsJsonPrimitive();
            props.put(p.getKey(), prim.isNumber() ? prim.getAsBigDecimal().toPlainString() : prim.getAsString());
        }
        return props;
    }

    private static String requireString(String path, JsonElement e) {
        if (e == null) {
            throw new DescriptionException(path, "missing");
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString() || e.getAsString().isBlank()) {
            throw new DescriptionException(path, "expected a non-empty string, not " + kind(e));
        }
        return e.getAsString();
    }

    private static Optional<String> optionalString(JsonObject o, String key) {
        return optionalString(o, key, "$");
    }

    private static Optional<String> optionalString(JsonObject o, String key, String parent) {
        JsonElement e = o.get(key);
        return e == null ? Optional.empty() : Optional.of(requireString(parent + "." + key, e));
    }

    private static boolean optionalBoolean(JsonObject o, String key) {
        JsonElement e = o.get(key);
        if (e == null) {
            return false;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
            throw new DescriptionException("$." + key, "expected true or false, not " + kind(e));
        }
        return e.getAsBoolean();
    }

    private Optional<Path> file(JsonObject o, String key) {
        Optional<String> name = optionalString(o, key);
        if (name.isEmpty()) {
            return Optional.empty();
        }
        Path p = baseDirectory.resolve(name.get());
        if (!Files.isRegularFile(p)) {
            throw new DescriptionException("$." + key, "file '" + name.get() + "' does not exist (looked at " + p.toAbsolutePath() + ")");
        }
        return Optional.of(p);
    }
}
