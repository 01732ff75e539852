package org.machina.net.user;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** DHCP (RFC 2131) DISCOVER/OFFER/REQUEST/ACK with the options a client needs. */
class DhcpTest {
    private final Wire w;

    DhcpTest() throws Exception {
        w = new Wire(Map.of("hostname", "guest1", "domainname", "example.test"));
    }

    @AfterEach
    void close() {
        w.close();
    }

    static byte[] bootp(int xid, byte[] mac, int type, int requested, int serverId) {
        byte[] b = new byte[300];
        b[0] = 1;
        b[1] = 1;
        b[2] = 6;
        Wire.put32(b, 4, xid);
        System.arraycopy(mac, 0, b, 28, 6);
        Wire.put32(b, 236, 0x63825363);
        int i = 240;
        b[i++] = 53;
        b[i++] = 1;
        b[i++] = (byte) type;
        if (requested != 0) {
            b[i++] = 50;
            b[i++] = 4;
            Wire.put32(b, i, requested);
            i += 4;
        }
        if (serverId != 0) {
            b[i++] = 54;
            b[i++] = 4;
            Wire.put32(b, i, serverId);
            i += 4;
        }
        b[i] = (byte) 255;
        return b;
    }

    private byte[] exchange(byte[] bootp) {
        w.send(Wire.ip(0, -1, 17, Wire.udp(0, -1, 68, 67, bootp)));
        Wire.Frame r = w.expect("DHCP reply", f -> f.isIp(17) && f.dport() == 68).verified();
        assertEquals(Wire.GW, r.src());
        assertEquals(67, r.sport());
        return r.udpData();
    }

    static Map<Integer, byte[]> options(byte[] d) {
        Map<Integer, byte[]> m = new HashMap<>();
        for (int i = 240; i < d.length && (d[i] & 0xff) != 255;) {
            if (d[i] == 0) {
                i++;
                continue;
            }
            int l = d[i + 1] & 0xff;
            byte[] v = new byte[l];
            System.arraycopy(d, i + 2, v, 0, l);
            m.put(d[i] & 0xff, v);
            i += 2 + l;
        }
        return m;
    }

    @Test
    void discoverOfferRequestAck() {
        byte[] offer = exchange(bootp(0x1111, Wire.GUEST_MAC, 1, 0, 0));
        assertEquals(2, offer[0], "BOOTREPLY");
        assertEquals(0x1111, Wire.i32(offer, 4));
        assertEquals(Wire.GUEST, Wire.i32(offer, 16), "yiaddr is dhcpstart");
        Map<Integer, byte[]> o = options(offer);
        assertEquals(2, o.get(53)[0], "OFFER");
        assertEquals(Wire.ip("255.255.255.0"), Wire.i32(o.get(1), 0));
        assertEquals(Wire.GW, Wire.i32(o.get(3), 0), "router");
        assertEquals(Wire.DNS, Wire.i32(o.get(6), 0), "DNS server");
        assertEquals(Wire.GW, Wire.i32(o.get(54), 0), "server id");
        assertNotNull(o.get(51), "lease time");
        assertEquals("guest1", new String(o.get(12)));
        assertEquals("example.test", new String(o.get(15)));

        byte[] ack = exchange(bootp(0x2222, Wire.GUEST_MAC, 3, Wire.GUEST, Wire.GW));
        assertEquals(5, options(ack).get(53)[0], "ACK");
        assertEquals(Wire.GUEST, Wire.i32(ack, 16));

        byte[] other = {0x52, 0x54, 0, 0, 0, 2};
        byte[] offer2 = exchange(bootp(0x3333, other, 1, 0, 0));
        assertEquals(Wire.ip("10.0.2.16"), Wire.i32(offer2, 16), "a second client gets the next address");

        byte[] nak = exchange(bootp(0x4444, other, 3, Wire.GUEST, Wire.GW));
        assertEquals(6, options(nak).get(53)[0], "NAK for an address leased to someone else");
    }
}
