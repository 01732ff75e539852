package org.machina.net.user;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Neighbor discovery and router advertisements (RFC 4861, RDNSS RFC 8106) on frames the test builds. */
class NdpTest {
    static final int RS = 133, RA = 134, NS = 135, NA = 136;

    static Wire6.F expectIcmp(Wire w, String what, int type) {
        return new Wire6.F(w.expect(what, f -> Wire6.F.isIcmp(f, type)).b()).verified();
    }

    @Test
    void solicitationsForTheGatewayDnsAndRouterAddressesAreAnswered() throws Exception {
        try (Wire w = new Wire(Map.of())) {
            String[][] cases = {{"fec0::2", "52:56:00:00:00:02"}, {"fec0::3", "52:56:00:00:00:03"}, {"fe80::2", "52:56:00:00:00:02"}};
            for (String[] c : cases) {
                byte[] target = Wire6.addr(c[0]);
                w.send(Wire6.neighborSolicitation(Wire6.GUEST_LL, target));
                Wire6.F na = expectIcmp(w, "NA for " + c[0], NA);
                assertArrayEquals(Wire.GUEST_MAC, na.dstMac(), "to the guest's MAC");
                assertArrayEquals(Wire6.GUEST_LL, na.dst(), "to the soliciting address");
                assertArrayEquals(target, na.src(), "from the target");
                assertEquals(255, na.hopLimit());
                assertEquals(0, na.u8(1), "code");
                assertEquals(0xe0, na.u8(4), "Router, Solicited, Override");
                assertArrayEquals(target, na.bytes(8, 16), "target");
                assertEquals(2, na.u8(24), "target link-layer address option");
                assertEquals(1, na.u8(25));
                String mac = String.format("%02x:%02x:%02x:%02x:%02x:%02x", na.u8(26), na.u8(27), na.u8(28), na.u8(29), na.u8(30), na.u8(31));
                assertEquals(c[1], mac);
                assertEquals(mac, Ethernet.mac(na.srcMac()), "sent from that MAC");
            }
            // someone else's address: not ours to answer
            w.send(Wire6.neighborSolicitation(Wire6.GUEST_LL, Wire6.addr("fec0::99")));
            assertTrue(w.collect(300, f -> Wire6.F.isIcmp(f, NA)).isEmpty());
        }
    }

    @Test
    void duplicateAddressDetectionOfAStackAddressIsDefendedToAllNodes() throws Exception {
        try (Wire w = new Wire(Map.of())) {
            w.send(Wire6.neighborSolicitation(new byte[16], Wire6.GW));
            Wire6.F na = expectIcmp(w, "NA defending fec0::2", NA);
            assertArrayEquals(Wire6.ALL_NODES, na.dst());
            assertArrayEquals(new byte[] {0x33, 0x33, 0, 0, 0, 1}, na.dstMac());
            assertEquals(0xa0, na.u8(4), "Router and Override, not Solicited");
            // the guest's DAD for its own address gets no answer
            w.send(Wire6.neighborSolicitation(new byte[16], Wire6.GUEST));
            assertTrue(w.collect(300, f -> Wire6.F.isIcmp(f, NA)).isEmpty());
        }
    }

    @Test
    void ndpFromBeyondTheLinkIsDropped() throws Exception {
        try (Wire w = new Wire(Map.of())) {
            byte[] body = new byte[4 + 16];
            System.arraycopy(Wire6.GW, 0, body, 4, 16);
            w.send(Wire6.icmpFrame(Wire6.GW_MAC, Wire6.GUEST_LL, Wire6.GW, 64, NS, body)); // hop limit 64: forwarded, forged
            assertTrue(w.collect(300, f -> f.type() == 0x86DD).isEmpty());
            assertEquals(1, (long) w.onLoop(() -> w.netdev.stack().stats.malformed));
        }
    }

    @Test
    void routerSolicitationGetsAnAdvertisementWithPrefixMtuAndDns() throws Exception {
        try (Wire w = new Wire(Map.of())) {
            w.send(Wire6.routerSolicitation());
            checkAdvertisement(expectIcmp(w, "RA", RA), "fec0::", "fec0::3", 1500);
        }
        try (Wire w = new Wire(Map.of("ipv6-net", "fd00:1:2:3::/64", "mtu", "1400"))) {
            w.send(Wire6.routerSolicitation());
            checkAdvertisement(expectIcmp(w, "RA", RA), "fd00:1:2:3::", "fd00:1:2:3::3", 1400);
        }
    }

    static void checkAdvertisement(Wire6.F ra, String prefix, String dns, int mtu) {
        assertArrayEquals(Wire6.ROUTER_LL, ra.src(), "from the router's link-local address");
        assertArrayEquals(Wire6.ALL_NODES, ra.dst());
        assertArrayEquals(new byte[] {0x33, 0x33, 0, 0, 0, 1}, ra.dstMac());
        assertEquals(255, ra.hopLimit());
        assertEquals(64, ra.u8(4), "cur hop limit");
        assertEquals(0x40, ra.u8(5), "M clear (SLAAC), O set (stateless DHCPv6 for DNS)");
        assertEquals(1800, ra.u16(6), "router lifetime");
        assertEquals(88, ra.payloadLength());
        // options: source link-layer address, MTU, prefix information, RDNSS
        assertEquals(1, ra.u8(16));
        assertEquals(1, ra.u8(17));
        assertArrayEquals(new byte[] {0x52, 0x56, 0, 0, 0, 2}, ra.bytes(18, 6));
        assertEquals(5, ra.u8(24));
        assertEquals(1, ra.u8(25));
        assertEquals(mtu, ra.i32(28));
        assertEquals(3, ra.u8(32));
        assertEquals(4, ra.u8(33));
        assertEquals(64, ra.u8(34), "prefix length");
        assertEquals(0xc0, ra.u8(35), "on-link and autonomous");
        assertEquals(2_592_000, ra.i32(36), "valid lifetime");
        assertEquals(604_800, ra.i32(40), "preferred lifetime");
        assertArrayEquals(Wire6.addr(prefix), ra.bytes(48, 16));
        assertEquals(25, ra.u8(64), "RDNSS");
        assertEquals(3, ra.u8(65), "one address");
        assertEquals(1200, ra.i32(68), "RDNSS lifetime");
        assertArrayEquals(Wire6.addr(dns), ra.bytes(72, 16));
    }

    @Test
    void solicitationsAreAnsweredAtMostOnceEveryThreeSeconds() throws Exception {
        try (Wire w = new Wire(Map.of())) {
            w.send(Wire6.routerSolicitation());
            expectIcmp(w, "first RA", RA);
            for (int i = 0; i < 20; i++) {
                w.send(Wire6.routerSolicitation());
            }
            assertTrue(w.collect(1000, f -> Wire6.F.isIcmp(f, RA)).isEmpty(), "none within 3 s of the last");
            expectIcmp(w, "the one answer to the 20 solicitations, 3 s after the first RA", RA);
            assertTrue(w.collect(500, f -> Wire6.F.isIcmp(f, RA)).isEmpty());
            assertEquals(2, (int) w.onLoop(() -> w.netdev.stack().ndp.advertisementsSent()));
        }
    }

    @Test
    void advertisementsAreSentOnATimerWithoutSolicitation() throws Exception {
        try (Wire w = new Wire(Map.of())) {
            assertEquals(1, (int) w.onLoop(() -> w.netdev.stack().loop.armedTimers()), "the RA timer is armed from the start");
            w.onLoop(() -> {
                w.netdev.stack().ndp.advertiseIn(10);
                return null;
            });
            checkAdvertisement(expectIcmp(w, "unsolicited RA", RA), "fec0::", "fec0::3", 1500);
            assertEquals(1, (int) w.onLoop(() -> w.netdev.stack().loop.armedTimers()), "armed again for the next");
        }
    }

    @Test
    void ipv6OffAnswersNothing() throws Exception {
        try (Wire w = new Wire(Map.of("ipv6", "off"))) {
            assertEquals(0, (int) w.onLoop(() -> w.netdev.stack().loop.armedTimers()), "no RA timer");
            w.send(Wire6.routerSolicitation());
            w.send(Wire6.neighborSolicitation(Wire6.GUEST_LL, Wire6.GW));
            List<Wire.Frame> got = w.collect(500, f -> f.type() == 0x86DD);
            assertTrue(got.isEmpty());
        }
    }
}
