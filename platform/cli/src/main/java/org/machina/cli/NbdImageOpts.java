package org.machina.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code qemu-nbd --image-opts}: the image given as QEMU block options, e.g.
 * {@code driver=qcow2,file.filename=disk.qcow2,read-only=on}. Accepted keys: {@code driver} (an image format
 * such as raw or qcow2, or file: the file's bytes, as raw), {@code file.filename}, {@code file.driver=file}, {@code filename}
 * (with {@code driver=file}), {@code read-only}, {@code cache.direct}, {@code cache.no-flush},
 * {@code discard}, {@code detect-zeroes}. Any other key is an error naming it.
 *
 * @param format the image format (a block driver's name), or null to probe
 * @param cache the cache mode the cache.* keys make, or null when none is given
 * @param discard the discard mode, or null
 * @param detectZeroes the detect-zeroes mode, or null
 */
record NbdImageOpts(Path file, String format, boolean readOnly, String cache, String discard, String detectZeroes) {
    static NbdImageOpts parse(String spec) {
        Map<String, String> kv = new LinkedHashMap<>();
        for (String item : spec.split(",")) {
            int eq = item.indexOf('=');
            if (eq <= 0) {
                throw bad("'" + item + "' is not key=value");
            }
            if (kv.put(item.substring(0, eq), item.substring(eq + 1)) != null) {
                throw bad("'" + item.substring(0, eq) + "' given twice");
            }
        }
        String driver = kv.remove("driver");
        String filename;
        if ("file".equals(driver)) {
            filename = kv.remove("filename");
            driver = "raw";
        } else {
            if (kv.containsKey("file")) {
                throw bad("file=" + kv.get("file") + " names a block node, which Machina does not have; give file.filename=PATH");
            }
            filename = kv.remove("file.filename");
            String proto = kv.remove("file.driver");
            if (proto != null && !proto.equals("file")) {
                throw bad("file.driver=" + proto + ": only 'file' (an image file) is supported");
            }
        }
        if (filename == null || filename.isEmpty()) {
            throw bad("no image file: give file.filename=PATH (or driver=file,filename=PATH)");
        }
        boolean readOnly = onOff(kv.remove("read-only"), "read-only");
        boolean direct = onOff(kv.remove("cache.direct"), "cache.direct");
        boolean noFlush = onOff(kv.remove("cache.no-flush"), "cache.no-flush");
        String cache = noFlush ? "unsafe" : direct ? "none" : null;
        String discard = kv.remove("discard");
        String detectZeroes = kv.remove("detect-zeroes");
        if (!kv.isEmpty()) {
            throw bad("'" + kv.keySet().iterator().next() + "' is not supported (accepted: driver, file.filename, file.driver,"
                    + " filename, read-only, cache.direct, cache.no-flush, discard, detect-zeroes)");
        }
        return new NbdImageOpts(Path.of(filename), driver, readOnly, cache, discard, detectZeroes);
    }

    private static boolean onOff(String v, String key) {
        if (v == null || v.equals("off") || v.equals("false")) {
            return false;
        }
        if (v.equals("on") || v.equals("true")) {
            return true;
        }
        throw bad(key + "=" + v + ": expected on or off");
    }

    private static CliException bad(String message) {
        return new CliException(CliException.USAGE, "nbd serve: --image-opts: " + message);
    }
}
