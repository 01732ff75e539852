package org.machina.net.user;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Stateful DHCPv6 ({@code dhcpv6=stateful}, RFC 8415 section 18.3) on messages the test builds:
 * whole exchanges of one client (Solicit, Advertise, Request, Reply, Renew, Rebind, Release), Rapid
 * Commit, a second client, Decline, Confirm, the pool running out, IA_PD, and the RA's M flag.
 */
class Dhcp6StatefulTest {
    static final Map<String, String> STATEFUL = Map.of("dhcpv6", "stateful");
    static final int IAID = 0x01020304;

    /** An IA_NA with {@code iaid}, T1 = T2 = 0, holding IA Address options for {@code addresses}. */
    static byte[] iaNa(int iaid, String... addresses) {
        ByteArrayOutputStream v = new ByteArrayOutputStream();
        v.writeBytes(new byte[] {(byte) (iaid >>> 24), (byte) (iaid >>> 16), (byte) (iaid >>> 8), (byte) iaid});
        v.writeBytes(new byte[8]);
        for (String a : addresses) {
            byte[] ia = new byte[24];
            System.arraycopy(Wire6.addr(a), 0, ia, 0, 16);
            v.writeBytes(Dhcp6Test.option(5, ia));
        }
        return Dhcp6Test.option(3, v.toByteArray());
    }

    static byte[] client(byte last) {
        byte[] d = Dhcp6Test.CLIENT_DUID.clone();
        d[9] = last;
        return d;
    }

    /** The message's one IA_NA (after the 4-byte header): IAID, T1, T2, then its options by code. */
    record Ia(int iaid, int t1, int t2, Map<Integer, byte[]> options) {
        static Ia of(byte[] value) {
            byte[] opts = new byte[4 + value.length - 12];
            System.arraycopy(value, 12, opts, 4, value.length - 12);
            return new Ia(Wire.i32(value, 0), Wire.i32(value, 4), Wire.i32(value, 8), Dhcp6Test.options(opts));
        }

        byte[] address() {
            return Arrays.copyOfRange(options.get(5), 0, 16);
        }

        int preferred() {
            return Wire.i32(options.get(5), 16);
        }

        int valid() {
            return Wire.i32(options.get(5), 20);
        }

        int status() {
            return Wire.u16(options.get(13), 0);
        }
    }

    static byte[] exchange(Wire w, int type, byte[]... options) {
        w.send(Dhcp6Test.message(type, options));
        return Dhcp6Test.expectAnswer(w);
    }

    static int bound(Wire w) {
        return w.onLoop(() -> w.netdev.stack().dhcp6.leases.bound());
    }

    @Test
    void aClientSolicitsRequestsRenewsRebindsAndReleases() throws Exception {
        try (Wire w = new Wire(STATEFUL)) {
            byte[] cid = Dhcp6Test.option(1, Dhcp6Test.CLIENT_DUID);
            byte[] sid = Dhcp6Test.option(2, Dhcp6Test.serverDuid());
            byte[] adv = exchange(w, 1, cid, iaNa(IAID), Dhcp6Test.option(8, new byte[2]));
            assertEquals(2, adv[0], "Advertise");
            Map<Integer, byte[]> o = Dhcp6Test.options(adv);
            assertArrayEquals(Dhcp6Test.serverDuid(), o.get(2));
            assertArrayEquals(Dhcp6Test.CLIENT_DUID, o.get(1));
            assertArrayEquals(Wire6.DNS, o.get(23), "the DNS server with the address");
            Ia offered = Ia.of(o.get(3));
            assertEquals(IAID, offered.iaid());
            assertArrayEquals(Wire6.addr("fec0::100"), offered.address(), "the pool's first address");
            assertEquals(0, bound(w), "an Advertise binds nothing");

            Ia given = Ia.of(Dhcp6Test.options(exchange(w, 3, cid, sid, iaNa(IAID, "fec0::100"))).get(3));
            assertArrayEquals(Wire6.addr("fec0::100"), given.address());
            assertEquals(86_400, given.valid());
            assertEquals(86_400, given.preferred());
            assertEquals(43_200, given.t1(), "T1: half the preferred lifetime");
            assertEquals(69_120, given.t2(), "T2: 0.8 of it");
            assertEquals(1, bound(w));

            byte[] renewed = exchange(w, 5, cid, sid, iaNa(IAID, "fec0::100"));
            assertEquals(7, renewed[0], "Reply");
            assertArrayEquals(Wire6.addr("fec0::100"), Ia.of(Dhcp6Test.options(renewed).get(3)).address());

            byte[] rebound = exchange(w, 6, cid, iaNa(IAID, "fec0::100", "fec0::999"));
            byte[] ia = Dhcp6Test.options(rebound).get(3);
            assertEquals(12 + 2 * 28, ia.length, "the binding's address, and the stale one with lifetimes 0");
            assertArrayEquals(Wire6.addr("fec0::100"), Arrays.copyOfRange(ia, 16, 32));
            assertArrayEquals(Wire6.addr("fec0::999"), Arrays.copyOfRange(ia, 44, 60));
            assertEquals(0, Wire.i32(ia, 60));
            assertEquals(0, Wire.i32(ia, 64));

            Map<Integer, byte[]> released = Dhcp6Test.options(exchange(w, 8, cid, sid, iaNa(IAID, "fec0::100")));
            assertEquals(0, Wire.u16(released.get(13), 0), "Success");
            assertNull(released.get(3), "no IA left to tell of");
            assertEquals(0, bound(w));

            Ia gone = Ia.of(Dhcp6Test.options(exchange(w, 5, cid, sid, iaNa(IAID, "fec0::100"))).get(3));
            assertEquals(3, gone.status(), "a Renew of a released IA: NoBinding");
            assertNull(gone.options().get(5));
            assertEquals(6L, (long) w.onLoop(() -> w.netdev.stats().dhcp6Answered));
        }
    }

    @Test
    void rapidCommitBindsAtOnceAndTwoClientsGetTwoAddresses() throws Exception {
        try (Wire w = new Wire(STATEFUL)) {
            byte[] reply = exchange(w, 1, Dhcp6Test.option(1, client((byte) 1)), iaNa(7), Dhcp6Test.option(14, new byte[0]));
            assertEquals(7, reply[0], "a Reply, not an Advertise");
            Map<Integer, byte[]> o = Dhcp6Test.options(reply);
            assertArrayEquals(new byte[0], o.get(14), "the Rapid Commit option in the Reply");
            assertArrayEquals(Wire6.addr("fec0::100"), Ia.of(o.get(3)).address());
            assertEquals(1, bound(w));
            byte[] other = exchange(w, 1, Dhcp6Test.option(1, client((byte) 2)), iaNa(7, "fec0::105"), Dhcp6Test.option(14, new byte[0]));
            assertArrayEquals(Wire6.addr("fec0::105"), Ia.of(Dhcp6Test.options(other).get(3)).address(), "the free address it asked for");
            byte[] taken = exchange(w, 1, Dhcp6Test.option(1, client((byte) 3)), iaNa(7, "fec0::100"));
            assertArrayEquals(Wire6.addr("fec0::101"), Ia.of(Dhcp6Test.options(taken).get(3)).address(), "not one already bound");
            byte[] again = exchange(w, 1, Dhcp6Test.option(1, client((byte) 1)), iaNa(7), Dhcp6Test.option(14, new byte[0]));
            assertArrayEquals(Wire6.addr("fec0::100"), Ia.of(Dhcp6Test.options(again).get(3)).address(), "the client's own binding again");
            assertEquals(2, bound(w));
        }
    }

    @Test
    void twoIasOfOneSolicitAreOfferedTwoAddressesAndAPrefixDelegationNone() throws Exception {
        try (Wire w = new Wire(STATEFUL)) {
            byte[] pd = Dhcp6Test.option(25, new byte[12]);
            byte[] m = exchange(w, 1, Dhcp6Test.option(1, Dhcp6Test.CLIENT_DUID), iaNa(1), iaNa(2), pd);
            byte[] body = Arrays.copyOfRange(m, 4, m.length);
            int i = 0;
            java.util.List<byte[]> nas = new java.util.ArrayList<>();
            byte[] pdAnswer = null;
            while (i < body.length) {
                int code = Wire.u16(body, i);
                byte[] v = Arrays.copyOfRange(body, i + 4, i + 4 + Wire.u16(body, i + 2));
                if (code == 3) {
                    nas.add(v);
                } else if (code == 25) {
                    pdAnswer = v;
                }
                i += 4 + v.length;
            }
            assertEquals(2, nas.size());
            assertArrayEquals(Wire6.addr("fec0::100"), Ia.of(nas.get(0)).address());
            assertArrayEquals(Wire6.addr("fec0::101"), Ia.of(nas.get(1)).address(), "a different address for the second IA");
            assertEquals(6, Ia.of(pdAnswer).status(), "NoPrefixAvail in the IA_PD");
        }
    }

    @Test
    void aDeclinedAddressIsNotGivenAgainAndAnExhaustedPoolSaysSo() throws Exception {
        try (Wire w = new Wire(STATEFUL)) {
            byte[] sid = Dhcp6Test.option(2, Dhcp6Test.serverDuid());
            byte[] rapid = Dhcp6Test.option(14, new byte[0]);
            exchange(w, 1, Dhcp6Test.option(1, client((byte) 0)), iaNa(1), rapid);
            Map<Integer, byte[]> declined = Dhcp6Test.options(exchange(w, 9, Dhcp6Test.option(1, client((byte) 0)), sid, iaNa(1, "fec0::100")));
            assertEquals(0, Wire.u16(declined.get(13), 0));
            for (int c = 1; c < Dhcp6Leases.POOL; c++) {
                byte[] r = exchange(w, 1, Dhcp6Test.option(1, client((byte) c)), iaNa(1), rapid);
                assertArrayEquals(Wire6.addr("fec0::" + Integer.toHexString(0x100 + c)), Ia.of(Dhcp6Test.options(r).get(3)).address(),
                        "fec0::100 was declined: never given again");
            }
            byte[] none = exchange(w, 1, Dhcp6Test.option(1, client((byte) 99)), iaNa(1));
            assertEquals(2, none[0], "Advertise");
            Map<Integer, byte[]> o = Dhcp6Test.options(none);
            assertEquals(3, o.size(), "only the identifiers and the status: " + o.keySet());
            assertEquals(2, Wire.u16(o.get(13), 0), "NoAddrsAvail");
            assertEquals(2, exchange(w, 1, Dhcp6Test.option(1, client((byte) 98)), iaNa(1), rapid)[0],
                    "with Rapid Commit too: nothing to commit, an Advertise");
            Ia full = Ia.of(Dhcp6Test.options(exchange(w, 3, Dhcp6Test.option(1, client((byte) 99)), sid, iaNa(1))).get(3));
            assertEquals(2, full.status(), "a Request gets NoAddrsAvail in the IA");
        }
    }

    @Test
    void confirmSaysWhetherTheAddressesAreOnLink() throws Exception {
        try (Wire w = new Wire(STATEFUL)) {
            byte[] cid = Dhcp6Test.option(1, Dhcp6Test.CLIENT_DUID);
            assertEquals(0, Wire.u16(Dhcp6Test.options(exchange(w, 4, cid, iaNa(1, "fec0::100"))).get(13), 0), "Success");
            assertEquals(4, Wire.u16(Dhcp6Test.options(exchange(w, 4, cid, iaNa(1, "2001:db8::1"))).get(13), 0), "NotOnLink");
            w.send(Dhcp6Test.message(4, cid, iaNa(1)));                       // no address to confirm: no answer
            assertTrue(w.collect(300, f -> Wire6.F.is(f, 17)).isEmpty());
            assertEquals(1L, (long) w.onLoop(() -> w.netdev.stats().dhcp6Ignored));
        }
    }

    @Test
    void messagesForAnotherServerOrWithoutIdentifiersAreDiscarded() throws Exception {
        try (Wire w = new Wire(STATEFUL)) {
            byte[] cid = Dhcp6Test.option(1, Dhcp6Test.CLIENT_DUID);
            byte[] other = Dhcp6Test.option(2, new byte[] {0, 3, 0, 1, 1, 2, 3, 4, 5, 6});
            w.send(Dhcp6Test.message(3, cid, other, iaNa(1)));                 // Request to another server
            w.send(Dhcp6Test.message(3, cid, iaNa(1)));                        // Request without a Server Identifier
            w.send(Dhcp6Test.message(6, cid, Dhcp6Test.option(2, Dhcp6Test.serverDuid()), iaNa(1))); // Rebind with one
            w.send(Dhcp6Test.message(8, Dhcp6Test.option(2, Dhcp6Test.serverDuid()), iaNa(1)));      // Release without a Client Identifier
            byte[] bad = iaNa(1, "fec0::105");
            Wire.put16(bad, 16 + 2, 200);                                         // an IA Address running past its IA
            byte[] r = exchange(w, 1, cid, bad);
            assertArrayEquals(Wire6.addr("fec0::100"), Ia.of(Dhcp6Test.options(r).get(3)).address(), "the bad hint ignored");
            assertEquals(4L, (long) w.onLoop(() -> w.netdev.stats().dhcp6Ignored));
            assertEquals(0, bound(w));
        }
    }

    /**
     * Hostile input, straight into the server on the loop (so an exception would fail the test):
     * 5000 messages of every client type, with IAs of every kind holding addresses, then bits flipped,
     * option lengths made up and the message cut anywhere, from 64 clients. Nothing throws, the
     * bindings stay within the pool and every answer fits the minimum MTU.
     */
    @Test
    void hostileMessagesNeverBreakTheServer() throws Exception {
        java.util.Random rnd = new java.util.Random(8415);
        String longName = ("a".repeat(63) + ".").repeat(3) + "b".repeat(60);
        try (Wire w = new Wire(Map.of("dhcpv6", "stateful", "domainname", longName))) {
            int[] types = {1, 3, 4, 5, 6, 8, 9, 11};
            for (int n = 0; n < 5000; n++) {
                ByteArrayOutputStream m = new ByteArrayOutputStream();
                m.write(types[rnd.nextInt(types.length)]);
                m.writeBytes(new byte[3]);
                byte[] duid = new byte[1 + rnd.nextInt(130)];
                duid[duid.length - 1] = (byte) rnd.nextInt(64);
                m.writeBytes(Dhcp6Test.option(1, duid));
                if (rnd.nextBoolean()) {
                    m.writeBytes(Dhcp6Test.option(2, Dhcp6Test.serverDuid()));
                }
                if (rnd.nextBoolean()) {
                    m.writeBytes(Dhcp6Test.option(14, new byte[0]));
                }
                for (int k = rnd.nextInt(7); k > 0; k--) {
                    int code = new int[] {3, 3, 4, 25}[rnd.nextInt(4)];
                    byte[] ia = iaNa(rnd.nextInt(3), "fec0::" + Integer.toHexString(0x100 + rnd.nextInt(20)), "fec0::1" + rnd.nextInt(9),
                            "2001:db8::" + rnd.nextInt(9));
                    Wire.put16(ia, 0, code);
                    m.writeBytes(ia);
                }
                byte[] b = m.toByteArray();
                for (int f = rnd.nextInt(4); f > 0; f--) {
                    b[4 + rnd.nextInt(b.length - 4)] ^= (byte) (1 << rnd.nextInt(8));
                }
                int len = rnd.nextInt(8) == 0 ? rnd.nextInt(b.length + 1) : b.length;
                byte[] msg = b;
                w.onLoop(() -> {
                    w.netdev.stack().dhcp6.input(IpAddr.V6.of(Wire6.GUEST_LL, 0), 546, msg, 0, len);
                    return null;
                });
            }
            assertTrue(bound(w) <= Dhcp6Leases.POOL);
            long answered = w.onLoop(() -> w.netdev.stats().dhcp6Answered);
            assertTrue(answered > 1000, "answered: " + answered);
            for (Wire.Frame f : w.collect(500, f -> Wire6.F.is(f, 17))) {
                assertTrue(f.b().length - 14 <= 1280, "an answer of " + (f.b().length - 14) + " bytes");
            }
        }
    }

    @Test
    void theRouterAdvertisementSetsMOnlyWhenStateful() throws Exception {
        try (Wire w = new Wire(STATEFUL)) {
            w.send(Wire6.routerSolicitation());
            assertEquals(0xc0, NdpTest.expectIcmp(w, "RA", NdpTest.RA).u8(5), "M and O");
        }
        try (Wire w = new Wire(Map.of())) {
            w.send(Wire6.routerSolicitation());
            assertEquals(0x40, NdpTest.expectIcmp(w, "RA", NdpTest.RA).u8(5), "O only: QEMU's default");
        }
    }

    @Test
    void theOptionIsCheckedAndTheGatewayIsNeverInThePool() {
        assertThrows(IllegalArgumentException.class, () -> NetConfig.parse(Map.of("dhcpv6", "yes")));
        assertThrows(IllegalArgumentException.class, () -> NetConfig.parse(Map.of("dhcpv6", "stateful", "ipv6-net", "fec0::/120")));
        NetConfig c = NetConfig.parse(Map.of("dhcpv6", "stateful", "ipv6-host", "fec0::100"));
        Dhcp6Leases l = new Dhcp6Leases(c);
        assertEquals(1, l.pick(Dhcp6Test.CLIENT_DUID, 0, 10, 1, null, 0), "fec0::100 is the gateway: the next one");
        assertTrue(!NetConfig.parse(Map.of()).dhcpv6Stateful, "stateless by default, as QEMU");
    }
}
