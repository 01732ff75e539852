package org.machina.net.user;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class NetConfigTest {
    @Test
    void qemuDefaults() {
        NetConfig c = NetConfig.parse(Map.of());
        assertEquals("10.0.2.0", Bytes.ip(c.net));
        assertEquals("255.255.255.0", Bytes.ip(c.mask));
        assertEquals("10.0.2.2", Bytes.ip(c.host));
        assertEquals("10.0.2.3", Bytes.ip(c.dns));
        assertEquals("10.0.2.15", Bytes.ip(c.dhcpStart));
        assertFalse(c.restrict);
        assertNull(c.dnsUpstream);
        assertEquals(1500, c.mtu);
    }

    @Test
    void netMovesTheOtherAddresses() {
        NetConfig c = NetConfig.parse(Map.of("net", "192.168.76.0/24"));
        assertEquals("192.168.76.2", Bytes.ip(c.host));
        assertEquals("192.168.76.3", Bytes.ip(c.dns));
        assertEquals("192.168.76.15", Bytes.ip(c.dhcpStart));
        NetConfig d = NetConfig.parse(Map.of("net", "10.1.0.0/255.255.0.0", "host", "10.1.0.1"));
        assertEquals("255.255.0.0", Bytes.ip(d.mask));
        assertEquals("10.1.0.1", Bytes.ip(d.host));
    }

    @Test
    void hostfwdInQemuSpelling() {
        NetConfig c = NetConfig.parse(Map.of("hostfwd", "tcp::2222-:22\nudp:127.0.0.1:5353-10.0.2.20:53", "restrict", "on",
                "dns-upstream", "127.0.0.1:5300"));
        assertEquals(new NetConfig.HostFwd(false, "127.0.0.1", 2222, Wire.GUEST, 22), c.hostfwds.get(0));
        assertEquals(new NetConfig.HostFwd(true, "127.0.0.1", 5353, Wire.ip("10.0.2.20"), 53), c.hostfwds.get(1));
        assertTrue(c.restrict);
        assertEquals(5300, c.dnsUpstream.getPort());
    }

    @Test
    void badOptionsAreNamed() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> NetConfig.parse(Map.of("nett", "x"))).getMessage()
                .contains("'nett'"));
        assertThrows(IllegalArgumentException.class, () -> NetConfig.parse(Map.of("guestfwd", "tcp:10.0.2.100:1-cmd:netcat x")));
        assertThrows(IllegalArgumentException.class, () -> NetConfig.parse(Map.of("guestfwd", "tcp:10.0.2.2:1-tcp:127.0.0.1:2")));
        assertEquals(new NetConfig.GuestFwd(Wire.ip("10.0.2.100"), 1, "127.0.0.1", 2),
                NetConfig.parse(Map.of("guestfwd", "tcp:10.0.2.100:1-tcp:127.0.0.1:2")).guestfwds.get(0));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> NetConfig.parse(Map.of("smb", "/srv"))).getMessage()
                .contains("not implemented"));
        assertThrows(IllegalArgumentException.class, () -> NetConfig.parse(Map.of("host", "10.0.3.2")));
        assertThrows(IllegalArgumentException.class, () -> NetConfig.parse(Map.of("hostfwd", "tcp:2222:22")));
        assertThrows(IllegalArgumentException.class, () -> NetConfig.parse(Map.of("restrict", "maybe")));
        assertThrows(IllegalArgumentException.class, () -> NetConfig.parse(Map.of("net", "10.0.2.0/33")));
        assertThrows(IllegalArgumentException.class, () -> NetConfig.parse(Map.of("dns", "10.0.2.256")));
    }
}
