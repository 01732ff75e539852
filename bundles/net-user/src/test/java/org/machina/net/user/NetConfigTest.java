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

    @Test
    void ipv6DefaultsAndSpellings() {
        NetConfig c = NetConfig.parse(Map.of());
        assertTrue(c.ipv4);
        assertTrue(c.ipv6);
        assertEquals("fec0:0:0:0:0:0:0:0", c.ipv6Prefix.toString());
        assertEquals(64, c.ipv6PrefixLen);
        assertEquals("fec0:0:0:0:0:0:0:2", c.ipv6Host.toString());
        assertEquals("fec0:0:0:0:0:0:0:3", c.ipv6Dns.toString());
        NetConfig n = NetConfig.parse(Map.of("ipv6-net", "fd00:aa::99/56", "ipv6-dns", "fd00:aa::53"));
        assertEquals("fd00:aa:0:0:0:0:0:0", n.ipv6Prefix.toString(), "host bits cleared");
        assertEquals(56, n.ipv6PrefixLen);
        assertEquals("fd00:aa:0:0:0:0:0:2", n.ipv6Host.toString());
        assertEquals("fd00:aa:0:0:0:0:0:53", n.ipv6Dns.toString());
        NetConfig p = NetConfig.parse(Map.of("ipv6-prefix", "fd01::", "ipv6-prefixlen", "64", "ipv6-host", "fd01::1"));
        assertEquals("fd01:0:0:0:0:0:0:1", p.ipv6Host.toString());
        assertFalse(NetConfig.parse(Map.of("ipv6", "off")).ipv6);
        assertFalse(NetConfig.parse(Map.of("ipv4", "off")).ipv4);
    }

    @Test
    void badIpv6OptionsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> NetConfig.parse(Map.of("ipv4", "off", "ipv6", "off")));
        assertThrows(IllegalArgumentException.class, () -> NetConfig.parse(Map.of("ipv6-host", "fd00::2")), "outside fec0::/64");
        assertThrows(IllegalArgumentException.class, () -> NetConfig.parse(Map.of("ipv6-dns", "fec0::2")), "same as the host");
        assertThrows(IllegalArgumentException.class, () -> NetConfig.parse(Map.of("ipv6-net", "10.0.2.0/24")));
        assertThrows(IllegalArgumentException.class, () -> NetConfig.parse(Map.of("ipv6-net", "fec0::/128")));
        assertThrows(IllegalArgumentException.class, () -> NetConfig.parse(Map.of("ipv6-net", "fec0::/64", "ipv6-prefixlen", "64")));
        assertThrows(IllegalArgumentException.class, () -> NetConfig.parse(Map.of("ipv4", "off", "hostfwd", "tcp::2222-:22")));
    }
}
