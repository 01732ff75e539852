package org.machina.runtime.machine;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.machina.api.device.DeviceConfig;
import org.machina.api.device.PropertySpec;
import org.machina.api.machine.DescriptionException;

/** Checks properties against a type's {@link PropertySpec}s and fills in defaults. */
final class ConfigValidator {
    private ConfigValidator() {
    }

    /**
     * Checks that every given property is one of the type's and its value is of the property's
     * kind, without asking for the required ones (for {@code -global} defaults).
     */
    static void checkGiven(String path, String typeName, List<PropertySpec> specs, Map<String, String> given) {
        Map<String, PropertySpec> byName = specs.stream().collect(Collectors.toMap(PropertySpec::name, s -> s, (a, b) -> a, LinkedHashMap::new));
        for (Map.Entry<String, String> e : given.entrySet()) {
            PropertySpec spec = byName.get(e.getKey());
            if (spec == null) {
                throw new DescriptionException(path + "." + e.getKey(), "'" + typeName + "' has no property '" + e.getKey()
                        + "'; accepted: " + (byName.isEmpty() ? "(none)" : String.join(", ", byName.keySet())));
            }
            check(path + "." + e.getKey(), spec, e.getValue());
        }
    }

    static DeviceConfig validate(String path, String typeName, String id, List<PropertySpec> specs, Map<String, String> given) {
        Map<String, PropertySpec> byName = specs.stream().collect(Collectors.toMap(PropertySpec::name, s -> s, (a, b) -> a, LinkedHashMap::new));
        for (String key : given.keySet()) {
            if (!byName.containsKey(key)) {
                throw new DescriptionException(path + "." + key, "'" + typeName + "' has no property '" + key + "'; accepted: "
                        + (byName.isEmpty() ? "(none)" : String.join(", ", byName.keySet())));
            }
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (PropertySpec spec : specs) {
            String v = given.get(spec.name());
            String where = path + "." + spec.name();
            if (v == null) {
                if (spec.required()) {
                    throw new DescriptionException(where, "'" + typeName + "' needs property '" + spec.name() + "' (" + spec.description() + ")");
                }
                v = spec.defaultValue();
            } else {
                v = check(where, spec, v);
            }
            values.put(spec.name(), v);
        }
        return new DeviceConfig(id, values);
    }

    private static String check(String where, PropertySpec spec, String v) {
        switch (spec.type()) {
            case INT -> {
                try {
                    DeviceConfig.parseLong(v);
                } catch (NumberFormatException | ArithmeticException e) {
                    throw new DescriptionException(where, "'" + v + "' is not an integer (decimal, 0x hex, or with k/M/G)");
                }
            }
            case BOOL -> {
                switch (v) {
                    case "true", "on", "yes" -> v = "true";
                    case "false", "off", "no" -> v = "false";
                    default -> throw new DescriptionException(where, "'" + v + "' is not a boolean; use true/false (or on/off)");
                }
            }
            case ENUM -> {
                if (!spec.choices().contains(v)) {
                    throw new DescriptionException(where, "'" + v + "' is not accepted; choose one of " + String.join(", ", spec.choices()));
                }
            }
            default -> {
            }
        }
        return v;
    }
}
