package org.machina.chardev;

import java.util.Map;
import java.util.Set;

/** Option checks shared by the backend factories. */
final class Options {
    private Options() {
    }

    /** Fails naming the first option {@code kind} does not accept. */
    static void check(String kind, Map<String, String> options, String... accepted) {
        Set<String> ok = Set.of(accepted);
        for (String key : options.keySet()) {
            if (!ok.contains(key)) {
                throw new IllegalArgumentException("chardev backend '" + kind + "' has no option '" + key + "'; accepted: "
                        + (accepted.length == 0 ? "(none)" : String.join(", ", accepted)));
            }
        }
    }

    static String require(String kind, Map<String, String> options, String key) {
        String v = options.get(key);
        if (v == null || v.isEmpty()) {
            throw new IllegalArgumentException("chardev backend '" + kind + "' needs option '" + key + "'");
        }
        return v;
    }

    static boolean flag(Map<String, String> options, String key, boolean dflt) {
        String v = options.get(key);
        return v == null ? dflt : v.equals("on") || v.equals("true") || v.equals("yes");
    }
}
