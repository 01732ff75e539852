package org.machina.api.device;

import java.util.Map;
import java.util.Optional;

/**
 * The validated properties of one device instance. Every property the type declared is present
 * (defaults filled in) and of the declared type; asking for an undeclared one is a programming
 * error and throws.
 *
 * @param id the instance id (unique in the machine, stable across hot-swap)
 * @param values property values, already checked against the type's {@link PropertySpec}s; an optional
 *        reference ({@code chardev}, {@code drive}) that was not given maps to {@code null}
 */
public record DeviceConfig(String id, Map<String, String> values) {

    public DeviceConfig {
        values = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(values));
    }

    public String string(String name) {
        String v = values.get(name);
        if (v == null && !values.containsKey(name)) {
            throw new IllegalArgumentException("device '" + id + "' has no property '" + name + "'");
        }
        return v;
    }

    public Optional<String> optional(String name) {
        return Optional.ofNullable(values.get(name));
    }

    public long integer(String name) {
        return parseLong(string(name));
    }

    public int int32(String name) {
        return Math.toIntExact(integer(name));
    }

    public boolean bool(String name) {
        return Boolean.parseBoolean(string(name));
    }

    /** Parses decimal, {@code 0x} hexadecimal, and {@code k}/{@code M}/{@code G} suffixed sizes. */
    public static long parseLong(String text) {
        String t = text.trim();
        long scale = 1;
        char last = t.isEmpty() ? ' ' : Character.toUpperCase(t.charAt(t.length() - 1));
        if (last == 'K' || last == 'M' || last == 'G') {
            scale = last == 'K' ? 1L << 10 : last == 'M' ? 1L << 20 : 1L << 30;
            t = t.substring(0, t.length() - 1);
        }
        long v = t.startsWith("0x") || t.startsWith("0X") ? Long.parseUnsignedLong(t.substring(2), 16) : Long.parseLong(t);
        return Math.multiplyExact(v, scale);
    }
}
