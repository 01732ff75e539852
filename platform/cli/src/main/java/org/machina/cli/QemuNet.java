package org.machina.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * QEMU's networking options as Machina takes them, turned into description entries:
 * <ul>
 * <li>{@code -netdev KIND,id=ID[,opts]}: a {@code netdevs} entry (the options go to the
 * {@code NetdevType} of that kind; a repeated option such as {@code hostfwd} becomes a list);</li>
 * <li>{@code -nic KIND[,model=M][,mac=MAC][,id=ID][,opts]}: a netdev and a NIC on it in one step
 * (default model {@value #DEFAULT_MODEL}, as on QEMU's pc); {@code -nic none} adds nothing;</li>
 * <li>{@code -net nic[,model=M][,macaddr=MAC]} and {@code -net user[,opts]}: QEMU's older pairing
 * on one hub; Machina has no hub, so the n-th {@code -net nic} is wired to the n-th
 * {@code -net KIND}, and the counts must match.</li>
 * <li>{@code -object filter-dump,id=ID,netdev=NETDEV,file=FILE[,maxlen=N]}: a {@code filters} entry
 * (a pcap capture of that netdev's frames).</li>
 * </ul>
 */
final class QemuNet {
    static final String DEFAULT_MODEL = "e1000";
    /** NIC models by QEMU's names (and {@code virtio}, QEMU's short name for the PCI virtio NIC). */
    private static final Map<String, String> MODELS = Map.of("e1000", "e1000", "virtio-net-pci", "virtio-net-pci",
            "virtio", "virtio-net-pci");

    private final JsonArray netdevs = new JsonArray();
    private final JsonArray filters = new JsonArray();
    private final JsonArray devices;
    private int nics;
    private final List<JsonObject> netNics = new ArrayList<>();
    private final List<String> netBackends = new ArrayList<>();

    /** @param devices the description's device list, where NICs are appended */
    QemuNet(JsonArray devices) {
        this.devices = devices;
    }

    /** {@code -netdev KIND,id=ID,...}. */
    void netdev(String value) {
        Map<String, List<String>> kv = keyValues("netdev", value, "type");
        String id = single(kv, "id", null, "netdev", value);
        if (id == null) {
            throw new QemuOptions.UsageException("-netdev " + value + ": missing id= (the NIC names it with netdev=ID)");
        }
        netdevs.add(entry(id, single(kv, "type", null, "netdev", value), kv));
    }

    /** {@code -nic KIND[,model=M][,mac=MAC][,id=ID][,opts]}. */
    void nic(String value) {
        Map<String, List<String>> kv = keyValues("nic", value, "type");
        String kind = single(kv, "type", null, "nic", value);
        int index = nics++;
        if (kind.equals("none")) {
            return;
        }
        String model = model("nic", value, single(kv, "model", DEFAULT_MODEL, "nic", value));
        String mac = single(kv, "mac", null, "nic", value);
        String id = single(kv, "id", "nic" + index, "nic", value);
        netdevs.add(entry(id, kind, kv));
        devices.add(nicDevice(model, id + ".nic", id, mac));
    }

    /** {@code -net nic[,...]} or {@code -net KIND[,...]}. */
    void net(String value) {
        Map<String, List<String>> kv = keyValues("net", value, "type");
        String kind = single(kv, "type", null, "net", value);
        if (kind.equals("none")) {
            return;
        }
        for (String hub : List.of("vlan", "netdev", "name")) {
            if (kv.containsKey(hub)) {
                throw new QemuOptions.UsageException("-net " + value + ": '" + hub + "=' is not supported; use -netdev KIND,id=ID"
                        + " with -device MODEL,netdev=ID, or -nic");
            }
        }
        if (kind.equals("nic")) {
            String model = model("net", value, single(kv, "model", DEFAULT_MODEL, "net", value));
            String mac = single(kv, "macaddr", null, "net", value);
            if (!kv.isEmpty()) {
                throw new QemuOptions.UsageException("-net " + value + ": unknown option '" + kv.keySet().iterator().next()
                        + "'; accepted: model, macaddr");
            }
            netNics.add(nicDevice(model, "net-nic" + netNics.size(), null, mac));
        } else {
            String id = "net" + netBackends.size();
            netBackends.add(id);
            netdevs.add(entry(id, kind, kv));
        }
    }

    /**
     * {@code -object filter-dump,id=ID,netdev=NETDEV,file=FILE[,maxlen=N][,queue=all|rx|tx]...}: a
     * {@code filters} entry (the runtime checks the options); other object kinds are refused.
     */
    void object(String value) {
        Map<String, List<String>> kv = keyValues("object", value, "qom-type");
        String kind = single(kv, "qom-type", null, "object", value);
        if (!kind.equals("filter-dump")) {
            throw new QemuOptions.UsageException("-object " + value + ": object type '" + kind
                    + "' is not supported; Machina takes -object filter-dump");
        }
        String id = single(kv, "id", null, "object", value);
        if (id == null) {
            throw new QemuOptions.UsageException("-object " + value + ": missing id=");
        }
        for (Map.Entry<String, List<String>> e : kv.entrySet()) {
            if (e.getValue().size() > 1) {
                throw new QemuOptions.UsageException("-object " + value + ": '" + e.getKey() + "' is given more than once");
            }
        }
        filters.add(entry(id, kind, kv));
    }

    /** Adds the netdevs to the description (after every option was seen). */
    void finish(JsonObject description) {
        if (netNics.size() != netBackends.size()) {
            throw new QemuOptions.UsageException("-net: " + netNics.size() + " '-net nic' and " + netBackends.size()
                    + " '-net user' options; Machina has no hub, so each '-net nic' needs its own backend (or use -nic)");
        }
        for (int i = 0; i < netNics.size(); i++) {
            JsonObject nic = netNics.get(i);
            nic.addProperty("netdev", netBackends.get(i));
            devices.add(nic);
        }
        if (!netdevs.isEmpty()) {
            description.add("netdevs", netdevs);
        }
        if (!filters.isEmpty()) {
            description.add("filters", filters);
        }
    }

    private static String model(String option, String value, String model) {
        String type = MODELS.get(model);
        if (type == null) {
            throw new QemuOptions.UsageException("-" + option + " " + value + ": unknown NIC model '" + model
                    + "'; models: e1000, virtio-net-pci (or virtio)");
        }
        return type;
    }

    private static JsonObject nicDevice(String type, String id, String netdev, String mac) {
        JsonObject dev = new JsonObject();
        dev.addProperty("type", type);
        dev.addProperty("id", id);
        if (netdev != null) {
            dev.addProperty("netdev", netdev);
        }
        if (mac != null) {
            dev.addProperty("mac", mac);
        }
        return dev;
    }

    private static JsonObject entry(String id, String kind, Map<String, List<String>> opts) {
        JsonObject o = new JsonObject();
        o.addProperty("id", id);
        o.addProperty("type", kind);
        opts.forEach((k, v) -> {
            if (v.size() == 1) {
                o.addProperty(k, v.get(0));
            } else {
                JsonArray a = new JsonArray();
                v.forEach(a::add);
                o.add(k, a);
            }
        });
        return o;
    }

    /** Removes key {@code key} (given at most once) and returns its value or {@code dflt}. */
    private static String single(Map<String, List<String>> kv, String key, String dflt, String option, String value) {
        List<String> v = kv.remove(key);
        if (v == null) {
            return dflt;
        }
        if (v.size() > 1) {
            throw new QemuOptions.UsageException("-" + option + " " + value + ": '" + key + "' is given more than once");
        }
        return v.get(0);
    }

    /** {@code first,key=value,...} where a key may repeat (hostfwd); the first item without '=' is {@code firstKey}. */
    static Map<String, List<String>> keyValues(String option, String value, String firstKey) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        String[] items = QemuOptions.items(value);
        for (int i = 0; i < items.length; i++) {
            String item = items[i];
            int eq = item.indexOf('=');
            if (eq < 0) {
                if (i == 0 && !item.isEmpty()) {
                    out.put(firstKey, new ArrayList<>(List.of(item)));
                    continue;
                }
                throw new QemuOptions.UsageException("-" + option + " " + value + ": '" + item + "' is not key=value");
            }
            out.computeIfAbsent(item.substring(0, eq), k -> new ArrayList<>()).add(item.substring(eq + 1));
        }
        if (!out.containsKey(firstKey)) {
            throw new QemuOptions.UsageException("-" + option + " " + value + ": missing the kind (user, ...)");
        }
        return out;
    }
}
