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

    @Test
    void streamAndDgramNetdevsKeepQemusDottedOptions() {
        JsonObject d = parse("-netdev", "stream,id=s0,server=off,addr.type=inet,addr.host=127.0.0.1,addr.port=10111,reconnect=1",
                "-netdev", "dgram,id=d0,local.type=inet,local.host=127.0.0.1,local.port=1,remote.type=inet,remote.host=127.0.0.1,remote.port=2",
                "-netdev", "socket,id=k0,listen=:1234",
                "-device", "e1000,netdev=s0");
        var netdevs = d.getAsJsonArray("netdevs");
        JsonObject s0 = netdevs.get(0).getAsJsonObject();
        assertEquals("stream", s0.get("type").getAsString());
        assertEquals("127.0.0.1", s0.get("addr.host").getAsString());
        assertEquals("1", s0.get("reconnect").getAsString());
        assertEquals("2", netdevs.get(1).getAsJsonObject().get("remote.port").getAsString());
        assertEquals(":1234", netdevs.get(2).getAsJsonObject().get("listen").getAsString());
    }

    @Test
    void objectFilterDumpBecomesAFilterEntry() {
        JsonObject d = parse("-netdev", "user,id=n0", "-device", "e1000,netdev=n0",
                "-object", "filter-dump,id=f0,netdev=n0,file=out.pcap,maxlen=128");
        JsonObject f = d.getAsJsonArray("filters").get(0).getAsJsonObject();
        assertEquals("filter-dump", f.get("type").getAsString());
        assertEquals("f0", f.get("id").getAsString());
        assertEquals("n0", f.get("netdev").getAsString());
        assertEquals("out.pcap", f.get("file").getAsString());
        assertEquals("128", f.get("maxlen").getAsString());
        var e = assertThrows(QemuOptions.UsageException.class, () -> parse("-object", "memory-backend-ram,id=m,size=1M"));
        assertTrue(e.getMessage().contains("'memory-backend-ram' is not supported"), e.getMessage());
        assertThrows(QemuOptions.UsageException.class, () -> parse("-object", "filter-dump,netdev=n0,file=x"));
    }
}
