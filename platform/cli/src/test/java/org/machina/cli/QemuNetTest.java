package org.machina.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

class QemuNetTest {
    private static JsonObject parse(String... args) {
        return QemuOptions.parse(List.of(args)).description();
    }

    @Test
    void netdevAndDeviceWithRepeatedHostfwd() {
        JsonObject d = parse("-netdev", "user,id=n0,hostfwd=tcp::2222-:22,hostfwd=udp::5353-:53,restrict=on",
                "-device", "e1000,netdev=n0,mac=52:54:00:00:00:01");
        JsonObject n = d.getAsJsonArray("netdevs").get(0).getAsJsonObject();
        assertEquals("n0", n.get("id").getAsString());
        assertEquals("user", n.get("type").getAsString());
        assertEquals(2, n.getAsJsonArray("hostfwd").size());
        assertEquals("udp::5353-:53", n.getAsJsonArray("hostfwd").get(1).getAsString());
        assertEquals("on", n.get("restrict").getAsString());
        JsonObject dev = d.getAsJsonArray("devices").get(0).getAsJsonObject();
        assertEquals("e1000", dev.get("type").getAsString());
        assertEquals("n0", dev.get("netdev").getAsString());
        assertThrows(QemuOptions.UsageException.class, () -> parse("-netdev", "user,hostfwd=tcp::1-:2"));
    }

    @Test
    void nicMakesANetdevAndANicDefaultingToE1000() {
        JsonObject d = parse("-nic", "user,hostfwd=tcp::8080-:80", "-nic", "user,model=virtio,mac=52:54:00:aa:bb:cc");
        var netdevs = d.getAsJsonArray("netdevs");
        assertEquals(2, netdevs.size());
        JsonObject n0 = netdevs.get(0).getAsJsonObject();
        assertEquals("nic0", n0.get("id").getAsString());
        assertEquals("tcp::8080-:80", n0.get("hostfwd").getAsString());
        assertFalse(n0.has("model"), "model is the NIC's, not the netdev's");
        var devices = d.getAsJsonArray("devices");
        JsonObject e1000 = devices.get(0).getAsJsonObject();
        assertEquals("e1000", e1000.get("type").getAsString());
        assertEquals("nic0", e1000.get("netdev").getAsString());
        assertFalse(e1000.has("mac"));
        JsonObject virtio = devices.get(1).getAsJsonObject();
        assertEquals("virtio-net-pci", virtio.get("type").getAsString());
        assertEquals("nic1", virtio.get("netdev").getAsString());
        assertEquals("52:54:00:aa:bb:cc", virtio.get("mac").getAsString());
        assertFalse(parse("-nic", "none").has("netdevs"));
        var e = assertThrows(QemuOptions.UsageException.class, () -> parse("-nic", "user,model=rtl8139"));
        assertTrue(e.getMessage().contains("unknown NIC model 'rtl8139'"), e.getMessage());
    }

    @Test
    void netNicPairsWithNetUser() {
        JsonObject d = parse("-net", "nic,model=virtio-net-pci,macaddr=52:54:00:01:02:03", "-net", "user,hostfwd=tcp::1-:2");
        JsonObject nic = d.getAsJsonArray("devices").get(0).getAsJsonObject();
        assertEquals("virtio-net-pci", nic.get("type").getAsString());
        assertEquals("net0", nic.get("netdev").getAsString());
        assertEquals("52:54:00:01:02:03", nic.get("mac").getAsString());
        assertEquals("net0", d.getAsJsonArray("netdevs").get(0).getAsJsonObject().get("id").getAsString());
        JsonObject withIde = parse("-usb", "-drive", "file=d.qcow2,format=qcow2", "-net", "nic", "-net", "user");
        var types = new java.util.ArrayList<String>();
        withIde.getAsJsonArray("devices").forEach(x -> types.add(x.getAsJsonObject().get("type").getAsString()));
        assertEquals(java.util.List.of("qemu-xhci", "ide-hd", "e1000"), types, "-usb, an IDE drive and -net nic together");
        var e = assertThrows(QemuOptions.UsageException.class, () -> parse("-net", "nic"));
        assertTrue(e.getMessage().contains("no hub"), e.getMessage());
        assertThrows(QemuOptions.UsageException.class, () -> parse("-net", "nic,vlan=1", "-net", "user"));
    }
}
