package org.machina.net.user;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Stateless DHCPv6 (RFC 8415) on messages the test builds: Information-request answered with DNS
 * servers (RFC 3646 option 23) and the domain search list (option 24), Solicit with NoAddrsAvail,
 * the messages a server must discard.
 */
class Dhcp6Test {
    static final byte[] ALL_SERVERS = Wire6.addr("ff02::1:2");
    static final byte[] CLIENT_DUID = {0, 3, 0, 1, 0x52, 0x54, 0, 0x12, 0x34, 0x56};
    static final byte[] ROUTER_MAC = {0x52, 0x56, 0, 0, 0, 2};

    static byte[] option(int code, byte[] value) {
        byte[] o = new byte[4 + value.length];
        Wire.put16(o, 0, code);
        Wire.put16(o, 2, value.length);
        System.arraycopy(value, 0, o, 4, value.length);
        return o;
    }

    /** A DHCPv6 message of {@code type}, transaction id 0xabcdef, with {@code options}, from the guest's link-local address to ff02::1:2. */
    static byte[] message(int type, byte[]... options) {
        ByteArrayOutputStream m = new ByteArrayOutputStream();
        m.write(type);
        m.writeBytes(new byte[] {(byte) 0xab, (byte) 0xcd, (byte) 0xef});
        for (byte[] o : options) {
            m.writeBytes(o);
        }
        byte[] f = Wire6.udp(Wire6.GUEST_LL, ALL_SERVERS, 546, 547, m.toByteArray());
        System.arraycopy(new byte[] {0x33, 0x33, 0, 1, 0, 2}, 0, f, 0, 6);
        return f;
    }

    /** The options of a DHCPv6 message (after the 4-byte header) by code; the message's length checked against its options. */
    static Map<Integer, byte[]> options(byte[] m) {
        Map<Integer, byte[]> o = new HashMap<>();
        int i = 4;
        while (i < m.length) {
            int n = Wire.u16(m, i + 2);
            o.put(Wire.u16(m, i), java.util.Arrays.copyOfRange(m, i + 4, i + 4 + n));
            i += 4 + n;
        }
        assertEquals(m.length, i, "options end with the message");
        return o;
    }

    /** The next DHCPv6 answer: from fe80::2 port 547 to the guest's link-local port 546; its DHCPv6 message. */
    static byte[] expectAnswer(Wire w) {
        Wire6.F r = new Wire6.F(w.expect("a DHCPv6 answer", f -> Wire6.F.is(f, 17) && Wire.u16(f.b(), 54) == 547).b()).verified();
        assertArrayEquals(Wire6.ROUTER_LL, r.src(), "from the router's link-local address");
        assertArrayEquals(Wire6.GUEST_LL, r.dst());
        assertArrayEquals(Wire.GUEST_MAC, r.dstMac());
        assertEquals(546, r.u16(2), "to the client port");
        byte[] udp = r.l4();
        return java.util.Arrays.copyOfRange(udp, 8, udp.length);
    }

    static byte[] serverDuid() {
        return new byte[] {0, 3, 0, 1, 0x52, 0x56, 0, 0, 0, 2};
    }

    @Test
    void anInformationRequestGetsTheDnsServerAndTheSearchList() throws Exception {
        try (Wire w = new Wire(Map.of("domainname", "corp.example.test"))) {
            w.send(message(11, option(1, CLIENT_DUID), option(6, new byte[] {0, 23, 0, 24}), option(8, new byte[2])));
            byte[] m = expectAnswer(w);
            assertEquals(7, m[0], "Reply");
            assertArrayEquals(new byte[] {(byte) 0xab, (byte) 0xcd, (byte) 0xef}, java.util.Arrays.copyOfRange(m, 1, 4), "transaction id");
            Map<Integer, byte[]> o = options(m);
            assertArrayEquals(serverDuid(), o.get(2), "Server Identifier: DUID-LL of the router's MAC");
            assertArrayEquals(CLIENT_DUID, o.get(1), "the Client Identifier echoed");
            assertArrayEquals(Wire6.DNS, o.get(23), "DNS recursive name server: fec0::3");
            byte[] search = "\u0004corp\u0007example\u0004test\u0000".getBytes(StandardCharsets.US_ASCII);
            assertArrayEquals(search, o.get(24), "the domain search list in DNS wire format");
            assertEquals(1L, (long) w.onLoop(() -> w.netdev.stats().dhcp6Answered));
        }
    }

    @Test
    void withoutDomainnameNoSearchListAndTheClientIdIsOptional() throws Exception {
        try (Wire w = new Wire(Map.of("ipv6-net", "fd00:1::/64"))) {
            w.send(message(11, option(2, serverDuid())));
            Map<Integer, byte[]> o = options(expectAnswer(w));
            assertArrayEquals(Wire6.addr("fd00:1::3"), o.get(23), "the configured prefix's DNS address");
            assertNull(o.get(24));
            assertNull(o.get(1), "no Client Identifier sent, none returned");
        }
    }

    @Test
    void aSolicitIsToldNoAddrsAvail() throws Exception {
        try (Wire w = new Wire(Map.of())) {
            byte[] iaNa = option(3, new byte[12]);
            w.send(message(1, option(1, CLIENT_DUID), iaNa, option(8, new byte[2])));
            byte[] m = expectAnswer(w);
            assertEquals(2, m[0], "Advertise");
            Map<Integer, byte[]> o = options(m);
            assertEquals(3, o.size(), "only Server Identifier, Client Identifier and Status Code: " + o.keySet());
            assertArrayEquals(serverDuid(), o.get(2));
            assertArrayEquals(CLIENT_DUID, o.get(1));
            byte[] status = o.get(13);
            assertEquals(2, Wire.u16(status, 0), "NoAddrsAvail");
            assertTrue(new String(status, 2, status.length - 2, StandardCharsets.UTF_8).contains("SLAAC"));
        }
    }

    @Test
    void messagesAServerMustDiscardGetNothing() throws Exception {
        try (Wire w = new Wire(Map.of("restrict", "on"))) {
            byte[] otherServer = {0, 3, 0, 1, 1, 2, 3, 4, 5, 6};
            w.send(message(1));                                                 // Solicit without Client Identifier
            w.send(message(1, option(1, CLIENT_DUID), option(2, serverDuid()))); // Solicit with a Server Identifier
            w.send(message(11, option(2, otherServer)));                       // another server's Information-request
            w.send(message(11, option(3, new byte[12])));                      // Information-request with an IA
            w.send(message(3, option(1, CLIENT_DUID), option(2, serverDuid()))); // Request: no addresses to give
            w.send(message(1, option(1, new byte[200])));                      // a Client Identifier longer than any DUID
            byte[] good = message(11);
            w.send(Wire6.udp(Wire6.GUEST_LL, Wire6.ROUTER_LL, 546, 547, java.util.Arrays.copyOfRange(good, 62, good.length))); // not to ff02::1:2
            byte[] runs = message(11, option(1, CLIENT_DUID));
            Wire.put16(runs, 62 + 4 + 2, 11);                                    // the option's length runs past the end
            w.send(Wire6.udp(Wire6.GUEST_LL, ALL_SERVERS, 546, 547, java.util.Arrays.copyOfRange(runs, 62, runs.length)));
            w.send(message(11));                                                 // and a good one last: answered under restrict=on
            byte[] m = expectAnswer(w);
            assertEquals(7, m[0]);
            assertTrue(w.collect(300, f -> Wire6.F.is(f, 17)).isEmpty());
            assertEquals(6L, (long) w.onLoop(() -> w.netdev.stats().dhcp6Ignored));
            assertEquals(1L, (long) w.onLoop(() -> w.netdev.stats().dhcp6Answered));
            assertEquals(1L, (long) w.onLoop(() -> w.netdev.stats().malformed), "the option running past the end");
            assertEquals(1L, (long) w.onLoop(() -> w.netdev.stats().restricted), "the unicast one: plain UDP, refused by restrict=on");
        }
    }

    @Test
    void aNameThatIsNoDnsNameGivesNoSearchList() {
        assertNull(Dhcp6.encodeName("a..b", "t"));
        assertNull(Dhcp6.encodeName("x".repeat(64) + ".test", "t"));
        assertArrayEquals(new byte[] {1, 'a', 0}, Dhcp6.encodeName("a.", "t"));
    }
}
