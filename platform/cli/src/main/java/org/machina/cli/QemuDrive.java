package org.machina.cli;

import com.google.gson.JsonObject;
import java.util.Map;
import java.util.Set;

/**
 * QEMU's {@code -drive} as Machina takes it: every key QEMU documents for the PC machine is either
 * accepted (with QEMU's meaning) or refused with the reason; unknown keys are errors naming the key.
 * The README's "QEMU options: what is accepted" lists the same table.
 */
final class QemuDrive {
    /** Keys refused whatever their value, with the reason. */
    private static final Map<String, String> REFUSED = Map.ofEntries(
            Map.entry("snapshot", "throw-away overlays for machine drives are not supported yet"
                    + " (for a disk over NBD: machina nbd serve -s)"),
            Map.entry("copy-on-read", "copy-on-read is not supported by Machina's block layer"),
            Map.entry("detect-zeroes", "zero detection is not supported for machine drives (for a disk over NBD:"
                    + " machina nbd serve --detect-zeroes)"),
            Map.entry("node-name", "Machina has no -blockdev node graph; a drive is named by id="),
            Map.entry("auto-read-only", "Machina opens an image read-only only when asked (readonly=on)"),
            Map.entry("force-share", "Machina takes no image locks, so there is nothing to share"),
            Map.entry("serial", "QEMU removed serial= from -drive; use -drive if=none,id=ID -device virtio-blk-pci,drive=ID,serial=S"),
            Map.entry("addr", "QEMU removed addr= from -drive; use -drive if=none,id=ID -device virtio-blk-pci,drive=ID,addr=N"),
            Map.entry("group", "I/O throttling is not supported"),
            Map.entry("iops_size", "I/O throttling is not supported"));

    private QemuDrive() {
    }

    /** IDE places: two buses of two units each (index = 2 * bus + unit, as QEMU numbers them). */
    static final int IDE_UNITS = 2;
    static final int IDE_INDEXES = 4;

    /**
     * The drive description entry for {@code -drive value}, with {@code "if"} (ide, virtio or none)
     * and, for if=ide, {@code "index"} (0..3, or -1 for the first free) and {@code "media"} (disk or
     * cdrom) to be removed by the caller.
     */
    static JsonObject parse(String value, int index) {
        Map<String, String> kv = QemuOptions.keyValues("drive", value, "file");
        JsonObject o = new JsonObject();
        o.addProperty("id", take(kv, "id", "drive" + index));
        o.addProperty("file", kv.remove("file"));
        String format = take(kv, "format", "raw");
        accept(format, "format", Set.of("raw", "qcow2"), "the block layer opens raw and qcow2 images");
        o.addProperty("format", format);
        String ifc = take(kv, "if", "ide");
        if (!ifc.equals("none") && !ifc.equals("virtio") && !ifc.equals("ide")) {
            throw new QemuOptions.UsageException("-drive if=" + ifc + ": not supported; use if=ide (the default: a disk or"
                    + " CD-ROM on the PIIX IDE controller), if=virtio (a virtio-blk-pci disk) or if=none (with -device"
                    + " ide-hd|ide-cd|virtio-blk-pci,drive=ID, or exported over NBD)");
        }
        o.addProperty("if", ifc);
        String media = take(kv, "media", "disk");
        accept(media, "media", Set.of("disk", "cdrom"), "a drive is a disk or a CD-ROM");
        String busKey = kv.remove("bus");
        String unitKey = kv.remove("unit");
        String indexKey = kv.remove("index");
        if (!ifc.equals("ide")) {
            if (media.equals("cdrom")) {
                throw new QemuOptions.UsageException("-drive media=cdrom: a CD-ROM is an IDE device (if=ide, the default);"
                        + " if=" + ifc + " gives a disk");
            }
            String placed = busKey != null ? "bus" : unitKey != null ? "unit" : indexKey != null ? "index" : null;
            if (placed != null) {
                throw new QemuOptions.UsageException("-drive " + placed + "="
                        + (placed.equals("bus") ? busKey : placed.equals("unit") ? unitKey : indexKey)
                        + ": not supported: bus/unit/index place a drive on the IDE controller (if=ide); a virtio disk"
                        + " is placed by -device virtio-blk-pci,drive=ID,addr=N");
            }
        } else {
            o.addProperty("index", ideIndex(busKey, unitKey, indexKey));
            o.addProperty("media", media);
        }
        String ro = kv.remove("readonly");
        String ro2 = kv.remove("read-only");
        if (ro != null || ro2 != null) {
            o.addProperty("readonly", onOff(ro != null ? ro : ro2, ro != null ? "readonly" : "read-only"));
        }
        if (media.equals("cdrom")) {
            o.addProperty("readonly", true);        // a CD-ROM medium is read-only
        }
        accept(take(kv, "cache", "writeback"), "cache", Set.of("writeback", "none"), "guest flushes always reach the"
                + " image and the host page cache is never bypassed, so only writeback and none (same behaviour) hold");
        accept(take(kv, "cache.direct", "off"), "cache.direct", Set.of("on", "off"), "on or off");
        accept(take(kv, "cache.no-flush", "off"), "cache.no-flush", Set.of("off"), "guest flushes always reach the image");
        accept(take(kv, "aio", "threads"), "aio", Set.of("threads", "native", "io_uring"), "Machina has one I/O path; any"
                + " of threads, native, io_uring is accepted and means the same");
        accept(take(kv, "discard", "ignore"), "discard", Set.of("ignore", "off"), "virtio-blk-pci offers the guest no"
                + " discard yet, so discards are always ignored");
        accept(take(kv, "rerror", "report"), "rerror", Set.of("report"), "I/O errors are always reported to the guest");
        accept(take(kv, "werror", "report"), "werror", Set.of("report"), "I/O errors are always reported to the guest;"
                + " the machine is never paused on an error (QEMU's default enospc pauses on a full disk)");
        for (String key : kv.keySet()) {
            String why = REFUSED.get(key);
            if (why == null && (key.startsWith("bps") || key.startsWith("iops") || key.startsWith("throttling."))) {
                why = "I/O throttling is not supported";
            } else if (why == null && (key.startsWith("encrypt") || key.startsWith("file."))) {
                why = "encrypted images and protocol options (file.*) are not supported";
            }
            throw new QemuOptions.UsageException("-drive " + key + "=" + kv.get(key) + ": "
                    + (why != null ? "not supported: " + why : "unknown option (see the README, 'QEMU options: what is accepted')"));
        }
        return o;
    }

    /** QEMU's IDE numbering: index = 2 * bus + unit; -1 when none is given (the first free index). */
    private static int ideIndex(String bus, String unit, String index) {
        if (index != null) {
            if (bus != null || unit != null) {
                throw new QemuOptions.UsageException("-drive index=" + index + ": give index= or bus=/unit=, not both");
            }
            return number("index", index, IDE_INDEXES - 1);
        }
        if (bus == null && unit == null) {
            return -1;
        }
        int b = bus == null ? 0 : number("bus", bus, IDE_INDEXES / IDE_UNITS - 1);
        int u = unit == null ? 0 : number("unit", unit, IDE_UNITS - 1);
        return b * IDE_UNITS + u;
    }

    private static int number(String key, String v, int max) {
        try {
            int n = Integer.parseInt(v);
            if (n >= 0 && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new QemuOptions.UsageException("-drive " + key + "=" + v + ": must be 0.." + max
                + " (the PIIX IDE controller has buses 0 and 1 with units 0 and 1: index 0..3)");
    }

    private static String take(Map<String, String> kv, String key, String dflt) {
        String v = kv.remove(key);
        return v == null ? dflt : v;
    }

    private static void accept(String value, String key, Set<String> accepted, String why) {
        if (!accepted.contains(value)) {
            throw new QemuOptions.UsageException("-drive " + key + "=" + value + ": not supported (accepted: "
                    + String.join(", ", new java.util.TreeSet<>(accepted)) + "): " + why);
        }
    }

    private static boolean onOff(String v, String key) {
        return switch (v) {
            case "on", "true", "yes" -> true;
            case "off", "false", "no" -> false;
            default -> throw new QemuOptions.UsageException("-drive " + key + "=" + v + ": expected on or off");
        };
    }
}
