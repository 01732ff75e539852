package org.machina.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a QEMU-style command line ({@code -m 256 -kernel K -append "..." -serial stdio
 * -device isa-debugcon,chardev=c ...}) into a machine description. Options take one or two
 * dashes. Unknown options are errors naming the option.
 */
public final class QemuOptions {
    /** Bad command line; the message names the option. */
    public static final class UsageException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public UsageException(String message) {
            super(message);
        }
    }

    /** What the command line asked for besides the description. */
    /**
     * What the command line asked for besides the description.
     *
     * @param qmpSocket the Unix socket of {@code -qmp unix:PATH,server=on,wait=off}, or null
     */
    public record Parsed(JsonObject description, boolean printDescription, boolean startPaused, String descriptionFile,
                         String qmpSocket) {
    }

    private static final List<String> WITH_VALUE = List.of("m", "kernel", "initrd", "append", "bios", "serial", "chardev",
            "device", "display", "machine", "M", "cpu", "debugcon", "post-log", "drive", "name", "vga", "monitor", "qmp",
            "accel", "netdev", "nic", "net", "object", "hda", "hdb", "hdc", "hdd", "cdrom", "global");
    private static final List<String> FLAGS = List.of("nographic", "no-reboot", "S", "print-description", "no-shutdown",
            "usb");

    private QemuOptions() {
    }

    public static Parsed parse(List<String> args) {
        JsonObject d = new JsonObject();
        JsonArray chardevs = new JsonArray();
        JsonArray devices = new JsonArray();
        JsonArray drives = new JsonArray();
        JsonObject globals = new JsonObject();
        QemuNet net = new QemuNet(devices);
        JsonObject[] ide = new JsonObject[QemuDrive.IDE_INDEXES];
        List<JsonObject> ideUnplaced = new ArrayList<>();
        List<String> serials = new ArrayList<>();
        boolean nographic = false;
        boolean usb = false;
        boolean print = false;
        boolean paused = false;
        String file = null;
        String qmp = null;
        String accel = null;
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (!arg.startsWith("-")) {
                if (file != null) {
                    throw new UsageException("only one description file may be given, not '" + file + "' and '" + arg + "'");
                }
                file = arg;
                continue;
            }
            String name = arg.startsWith("--") ? arg.substring(2) : arg.substring(1);
            String value = null;
            if (WITH_VALUE.contains(name)) {
                if (i + 1 >= args.size()) {
                    throw new UsageException("option '" + arg + "' needs a value");
                }
                value = args.get(++i);
            } else if (!FLAGS.contains(name)) {
                throw new UsageException("unknown option '" + arg + "'; see 'machina run --help'");
            }
            switch (name) {
                case "m" -> d.addProperty("memory", value.matches("\\d+") ? value + "M" : value);
                case "kernel" -> d.addProperty("kernel", value);
                case "initrd" -> d.addProperty("initrd", value);
                case "append" -> d.addProperty("append", value);
                case "bios" -> d.addProperty("firmware", value);
                case "machine", "M" -> d.addProperty("board", keyValues("machine", value, "type").remove("type"));
                case "cpu" -> d.addProperty("cpu", value);
                case "accel" -> accel = value;
                case "serial" -> serials.add(value);
                case "chardev" -> chardevs.add(toJson(keyValues("chardev", value, "backend"), "backend"));
                case "device" -> devices.add(toJson(keyValues("device", value, "type"), "type"));
                case "global" -> global(value, globals);
                case "hda", "hdb", "hdc", "hdd", "cdrom" -> {
                    int index = name.equals("cdrom") ? 2 : name.charAt(2) - 'a';
                    if (value.contains(",") || value.isEmpty()) {
                        throw new UsageException("-" + name + " '" + value + "': give an image file name without"
                                + " commas");
                    }
                    String spec = "file=" + value + ",if=ide,index=" + index + (name.equals("cdrom") ? ",media=cdrom" : "");
                    ideDrive(QemuDrive.parse(spec, drives.size()), drives, ide, ideUnplaced, "-" + name + " " + value);
                }
                case "drive" -> {
                    JsonObject drive = QemuDrive.parse(value, drives.size());
                    if (drive.get("if").getAsString().equals("ide")) {
                        ideDrive(drive, drives, ide, ideUnplaced, "-drive " + value);
                        continue;
                    }
                    String ifc = drive.remove("if").getAsString();
                    drives.add(drive);
                    if (ifc.equals("virtio")) {
                        JsonObject dev = new JsonObject();
                        dev.addProperty("type", "virtio-blk-pci");
                        dev.addProperty("id", "virtio-" + drive.get("id").getAsString());
                        dev.addProperty("drive", drive.get("id").getAsString());
                        devices.add(dev);
                    }
                }
                case "netdev" -> net.netdev(value);
                case "nic" -> net.nic(value);
                case "net" -> net.net(value);
                case "object" -> net.object(value);
                case "debugcon" -> {
                    chardevs.add(simpleChardev("debugcon", value));
                    JsonObject dev = new JsonObject();
                    dev.addProperty("type", "isa-debugcon");
                    dev.addProperty("id", "debugcon");
                    dev.addProperty("chardev", "debugcon");
                    devices.add(dev);
                }
                case "post-log" -> {
                    JsonObject dev = new JsonObject();
                    dev.addProperty("type", "post-code");
                    dev.addProperty("id", "post-code");
                    dev.addProperty("path", value);
                    devices.add(dev);
                }
                case "display", "vga" -> {
                    if (!value.equals("none")) {
                        throw new UsageException("-" + name + " " + value + ": no display devices yet; only 'none' is accepted");
                    }
                }
                case "usb" -> {
                    // QEMU's -usb on pc gives a PIIX3 UHCI (USB 1.1) controller; Machina has no UHCI, so
                    // -usb gives the xHCI controller QEMU's own documentation recommends (qemu-xhci), id usb
                    usb = true;
                }
                case "nographic" -> nographic = true;
                case "no-reboot" -> d.addProperty("no-reboot", true);
                case "no-shutdown", "name" -> { }
                case "S" -> paused = true;
                case "print-description" -> print = true;
                case "qmp" -> qmp = qmpSocket(value);
                case "monitor" -> throw new UsageException("-monitor " + value + ": the human monitor (HMP) is not supported;"
                        + " use -qmp unix:PATH,server=on,wait=off");
                default -> throw new IllegalStateException(name);
            }
        }
        net.finish(d); // adds the -net NICs to devices: before the steps below build new arrays from it
        devices = placeIdeDrives(ide, ideUnplaced, devices);
        if (serials.isEmpty() && nographic) {
            serials.add("stdio");
        }
        for (int i = 0; i < serials.size(); i++) {
            if (!serials.get(i).equals("none")) {
                chardevs.add(simpleChardev("serial" + i, serials.get(i)));
            }
        }
        if (accel != null) { // the CPU checks the value: tcg[,thresh=N] or interp for x86
            JsonObject cpu = new JsonObject();
            if (d.has("cpu")) {
                if (d.get("cpu").getAsString().equals("none")) {
                    throw new UsageException("-accel " + accel + ": the machine has no CPU (-cpu none)");
                }
                cpu.addProperty("model", d.get("cpu").getAsString());
            }
            cpu.addProperty("accel", accel);
            d.add("cpu", cpu);
        }
        if (!chardevs.isEmpty()) {
            d.add("chardevs", chardevs);
        }
        if (!drives.isEmpty()) {
            d.add("drives", drives);
        }
        if (!globals.isEmpty()) {
            d.add("globals", globals);
        }
        if (usb) {
            // the controller comes first, so that USB devices given before -usb find its bus
            JsonArray all = new JsonArray();
            JsonObject dev = new JsonObject();
            dev.addProperty("type", "qemu-xhci");
            dev.addProperty("id", "usb");
            all.add(dev);
            all.addAll(devices);
            devices = all;
        }
        if (!devices.isEmpty()) {
            d.add("devices", devices);
        }
        if (!d.has("board") && file == null) {
            d.addProperty("board", "pc");
        }
        return new Parsed(d, print, paused, file, qmp);
    }

    /** Adds an if=ide drive and keeps it for {@link #placeIdeDrives} by its index (or as unplaced). */
    private static void ideDrive(JsonObject drive, JsonArray drives, JsonObject[] ide, List<JsonObject> unplaced,
            String option) {
        drive.remove("if");
        int index = drive.remove("index").getAsInt();
        JsonObject place = new JsonObject();
        place.addProperty("drive", drive.get("id").getAsString());
        place.addProperty("media", drive.remove("media").getAsString());
        drives.add(drive);
        if (index < 0) {
            unplaced.add(place);
        } else if (ide[index] != null) {
            throw new UsageException(option + ": IDE index " + index + " (bus " + index / QemuDrive.IDE_UNITS + ", unit "
                    + index % QemuDrive.IDE_UNITS + ") is already taken by drive '" + ide[index].get("drive").getAsString()
                    + "'");
        } else {
            ide[index] = place;
        }
    }

    /**
     * One {@code ide-hd} or {@code ide-cd} device per if=ide drive, at {@code bus=ide.(index/2)},
     * {@code unit=index%2}; drives without an index take the free indexes in order, as QEMU does.
     */
    private static JsonArray placeIdeDrives(JsonObject[] ide, List<JsonObject> unplaced, JsonArray others) {
        JsonArray devices = new JsonArray();
        for (JsonObject place : unplaced) {
            int free = 0;
            while (free < ide.length && ide[free] != null) {
                free++;
            }
            if (free == ide.length) {
                throw new UsageException("-drive " + place.get("drive").getAsString() + ": no free IDE index (the PIIX"
                        + " controller takes four drives: index 0..3)");
            }
            ide[free] = place;
        }
        for (int i = 0; i < ide.length; i++) {
            if (ide[i] != null) {
                JsonObject dev = new JsonObject();
                boolean cd = ide[i].get("media").getAsString().equals("cdrom");
                String drive = ide[i].get("drive").getAsString();
                dev.addProperty("type", cd ? "ide-cd" : "ide-hd");
                dev.addProperty("id", "ide-" + drive);
                dev.addProperty("drive", drive);
                dev.addProperty("bus", "ide." + i / QemuDrive.IDE_UNITS);
                dev.addProperty("unit", Integer.toString(i % QemuDrive.IDE_UNITS));
                devices.add(dev);
            }
        }
        devices.addAll(others);     // -drive places first, so -device ide-hd without bus= takes what is left
        return devices;
    }

    /**
     * {@code unix:PATH,server=on,wait=off} (or QEMU's older {@code unix:PATH,server,nowait}): the
     * socket path. Machina's QMP server never waits for a client before the machine starts, so
     * {@code wait} must be off, as must be said explicitly (QEMU's default is to wait).
     */
    static String qmpSocket(String value) {
        String[] items = value.split(",");
        if (!items[0].startsWith("unix:") || items[0].length() == 5) {
            throw new UsageException("-qmp " + value + ": only a Unix socket is supported: -qmp unix:PATH,server=on,wait=off");
        }
        boolean server = false;
        boolean noWait = false;
        for (int i = 1; i < items.length; i++) {
            switch (items[i]) {
                case "server", "server=on" -> server = true;
                case "nowait", "wait=off" -> noWait = true;
                case "server=off" -> throw new UsageException("-qmp " + value + ": Machina's QMP socket is always a server");
                case "wait=on" -> throw new UsageException("-qmp " + value
                        + ": wait=on (wait for a client before starting) is not supported; use wait=off");
                default -> throw new UsageException("-qmp " + value + ": unknown option '" + items[i]
                        + "'; accepted: server=on, wait=off (or server, nowait)");
            }
        }
        if (!server || !noWait) {
            throw new UsageException("-qmp " + value + ": give server=on,wait=off (Machina listens and starts the machine"
                    + " without waiting for a client)");
        }
        return items[0].substring(5);
    }

    /** {@code stdio}, {@code null}, {@code file:PATH}, {@code tcp::PORT[,server...]}, {@code unix:PATH[,...]}, or a path. */
    static JsonObject simpleChardev(String id, String spec) {
        JsonObject c = new JsonObject();
        c.addProperty("id", id);
        if (spec.equals("stdio") || spec.equals("mon:stdio")) {
            c.addProperty("backend", "stdio");
        } else if (spec.equals("null") || spec.equals("none")) {
            c.addProperty("backend", "null");
        } else if (spec.startsWith("file:")) {
            c.addProperty("backend", "file");
            c.addProperty("path", spec.substring(5));
        } else if (spec.startsWith("tcp:")) {
            String[] parts = spec.substring(4).split(",")[0].split(":");
            c.addProperty("backend", "socket");
            if (!parts[0].isEmpty()) {
                c.addProperty("host", parts[0]);
            }
            c.addProperty("port", parts.length > 1 ? parts[1] : "");
        } else if (spec.startsWith("unix:")) {
            c.addProperty("backend", "socket");
            c.addProperty("path", spec.substring(5).split(",")[0]);
        } else if (spec.contains(":") || spec.startsWith("chardev")) {
            throw new UsageException("chardev spec '" + spec + "' is not supported; use stdio, null, file:PATH, tcp::PORT or unix:PATH");
        } else {
            c.addProperty("backend", "file");
            c.addProperty("path", spec);
        }
        return c;
    }

    /**
     * {@code -global TYPE.PROP=VALUE} or {@code -global driver=TYPE,property=PROP,value=VALUE}
     * (QEMU's two spellings): a default for property PROP of every device of type TYPE, the
     * board's default devices included; a later one for the same property wins.
     */
    static void global(String value, JsonObject globals) {
        String type;
        String prop;
        String v;
        if (value.startsWith("driver=")) {
            Map<String, String> kv = keyValues("global", value, "driver");
            type = kv.remove("driver");
            prop = kv.remove("property");
            v = kv.remove("value");
            if (prop == null || v == null || !kv.isEmpty()) {
                throw new UsageException("-global " + value + ": give driver=TYPE,property=PROP,value=VALUE");
            }
        } else {
            int dot = value.indexOf('.');
            int eq = value.indexOf('=');
            if (dot <= 0 || eq < dot + 2) {
                throw new UsageException("-global " + value + ": give TYPE.PROP=VALUE, e.g. -global hpet.fastpath=off");
            }
            type = value.substring(0, dot);
            prop = value.substring(dot + 1, eq);
            v = value.substring(eq + 1);
        }
        if (!globals.has(type)) {
            globals.add(type, new JsonObject());
        }
        globals.getAsJsonObject(type).addProperty(prop, v);
    }

    /** Splits {@code a,b,...} at single commas; {@code ,,} is a literal comma, as in QEMU's options. */
    static String[] items(String value) {
        String[] items = value.replace(",,", "\u0000").split(",");
        for (int i = 0; i < items.length; i++) {
            items[i] = items[i].replace('\u0000', ',');
        }
        return items;
    }

    /** Parses {@code first,key=value,...}; the first item without '=' is stored under {@code firstKey}. */
    static Map<String, String> keyValues(String option, String value, String firstKey) {
        Map<String, String> out = new LinkedHashMap<>();
        String[] items = items(value);
        for (int i = 0; i < items.length; i++) {
            String item = items[i];
            int eq = item.indexOf('=');
            if (eq < 0) {
                if (i == 0) {
                    out.put(firstKey, item);
                    continue;
                }
                throw new UsageException("-" + option + " " + value + ": '" + item + "' is not key=value");
            }
            out.put(item.substring(0, eq), item.substring(eq + 1));
        }
        if (!out.containsKey(firstKey)) {
            throw new UsageException("-" + option + " " + value + ": missing " + firstKey);
        }
        return out;
    }

    private static JsonObject toJson(Map<String, String> kv, String typeKey) {
        JsonObject o = new JsonObject();
        o.addProperty(typeKey, kv.remove(typeKey));
        kv.forEach(o::addProperty);
        return o;
    }
}
