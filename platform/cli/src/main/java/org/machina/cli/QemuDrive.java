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
            Map.entry("bus", "bus/unit/index place a disk on an IDE, SCSI or floppy controller, which Machina does not have"
                    + " yet; a virtio disk is a PCI device (-device virtio-blk-pci,drive=ID,addr=N)"),
            Map.entry("unit", "bus/unit/index place a disk on an IDE, SCSI or floppy controller, which Machina does not have"
                    + " yet; a virtio disk is a PCI device (-device virtio-blk-pci,drive=ID,addr=N)"),
            Map.entry("index", "bus/unit/index place a disk on an IDE, SCSI or floppy controller, which Machina does not have"
                    + " yet; a virtio disk is a PCI device (-device virtio-blk-pci,drive=ID,addr=N)"),
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

    /** The drive description entry for {@code -drive value}, with {@code "if"} (virtio or none) to be removed by the caller. */
    static JsonObject parse(String value, int index) {
        Map<String, String> kv = QemuOptions.keyValues("drive", value, "file");
        JsonObject o = new JsonObject();
        o.addProperty("id", take(kv, "id", "drive" + index));
        o.addProperty("file", kv.remove("file"));
        String format = take(kv, "format", "raw");
        accept(format, "format", Set.of("raw", "qcow2"), "the block layer opens raw and qcow2 images");
        o.addProperty("format", format);
        String ifc = kv.remove("if");
        if (ifc == null) {
            throw new QemuOptions.UsageException("-drive " + value + ": no if= means QEMU's default if=ide, and Machina has no"
                    + " IDE controller yet (it comes with the IDE issue); use if=virtio (a virtio-blk-pci disk) or if=none"
                    + " (with -device virtio-blk-pci,drive=ID, or exported over NBD)");
        }
        if (!ifc.equals("none") && !ifc.equals("virtio")) {
            throw new QemuOptions.UsageException("-drive if=" + ifc + ": not supported; use if=virtio (a virtio-blk-pci disk)"
                    + " or if=none (with -device virtio-blk-pci,drive=ID, or exported over NBD)"
                    + (ifc.equals("ide") ? "; if=ide comes with the IDE issue" : ""));
        }
        o.addProperty("if", ifc);
        String ro = kv.remove("readonly");
        String ro2 = kv.remove("read-only");
        if (ro != null || ro2 != null) {
            o.addProperty("readonly", onOff(ro != null ? ro : ro2, ro != null ? "readonly" : "read-only"));
        }
        accept(take(kv, "media", "disk"), "media", Set.of("disk"), "there is no CD-ROM device yet");
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
