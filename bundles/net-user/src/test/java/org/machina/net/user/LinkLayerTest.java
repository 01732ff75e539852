package org.machina.net.user;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** ARP, ICMP echo to the gateway and DNS address, IPv4 header checks and fragment reassembly. */
class LinkLayerTest {
    private final Wire w;

    LinkLayerTest() throws Exception {
        w = new Wire(Map.of());
    }

    @AfterEach
    void close() {
        w.close();
    }

    @Test
    void arpAnswersForGatewayAndDns() throws Exception {
        for (int target : new int[] {Wire.GW, Wire.DNS}) {
            w.send(Wire.arpRequest(Wire.GUEST, target));
            Wire.Frame r = w.expect("ARP reply", f -> f.type() == 0x0806);
            byte[] b = r.b();
            assertArrayEquals(Wire.GUEST_MAC, Arrays.copyOfRange(b, 0, 6), "to the asker");
            assertEquals(2, Wire.u16(b, 20), "op reply");
            assertArrayEquals(new byte[] {0x52, 0x55, 10, 0, 2, (byte) (target & 0xff)}, Arrays.copyOfRange(b, 22, 28));
            assertEquals(target, Wire.i32(b, 28));
            assertArrayEquals(Wire.GUEST_MAC, Arrays.copyOfRange(b, 32, 38));
        }
        w.send(Wire.arpRequest(Wire.GUEST, Wire.ip("10.0.2.99")));
        assertTrue(w.collect(300, f -> f.type() == 0x0806).isEmpty(), "no answer for an address nobody has");
    }

    @Test
    void pingGatewayAndDns() {
        byte[] data = "abcdefghijklmnopqrstuvwxyz012345".getBytes();
        for (int dst : new int[] {Wire.GW, Wire.DNS}) {
            w.send(Wire.ip(Wire.GUEST, dst, 1, Wire.icmpEcho(0x1234, 7, data)));
            Wire.Frame r = w.expect("echo reply", f -> f.isIp(1)).verified();
            assertEquals(dst, r.src());
            assertEquals(Wire.GUEST, r.dst());
            byte[] b = r.b();
            assertEquals(0, b[r.l4()], "type echo reply");
            assertEquals(0x1234, Wire.u16(b, r.l4() + 4));
            assertEquals(7, Wire.u16(b, r.l4() + 6));
            assertArrayEquals(data, Arrays.copyOfRange(b, r.l4() + 8, r.l4() + 8 + data.length));
            assertArrayEquals(Wire.GUEST_MAC, Arrays.copyOfRange(b, 0, 6));
        }
    }

    @Test
    void badChecksumsAreDropped() throws Exception {
        byte[] f = Wire.ip(Wire.GUEST, Wire.GW, 1, Wire.icmpEcho(1, 1, new byte[8]));
        f[24] ^= 0x55; // IP header checksum
        w.send(f);
        byte[] g = Wire.ip(Wire.GUEST, Wire.GW, 1, Wire.icmpEcho(1, 1, new byte[8]));
        g[g.length - 1] ^= 1; // ICMP checksum
        w.send(g);
        assertTrue(w.collect(300, x -> x.isIp(1)).isEmpty());
        assertEquals(2L, (long) w.onLoop(() -> w.netdev.stats().malformed));
    }

    @Test
    void fragmentedEchoIsReassembledInAnyOrder() {
        byte[] data = new byte[3000];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 7);
        }
        byte[] icmp = Wire.icmpEcho(9, 9, data);
        // three fragments (1480, 1480, rest), sent last first
        int[][] parts = {{2960, icmp.length - 2960, 0}, {0, 1480, 0x2000}, {1480, 1480, 0x2000}};
        for (int[] p : parts) {
            byte[] piece = Arrays.copyOfRange(icmp, p[0], p[0] + p[1]);
            w.send(Wire.ipFrame(Wire.GUEST, Wire.GW, 1, 77, p[2] | p[0] / 8, piece));
        }
        // the reply is larger than the MTU: it comes back fragmented too
        byte[] whole = new byte[icmp.length];
        int got = 0;
        while (got < icmp.length) {
            Wire.Frame r = w.expect("reply fragment", f -> f.isIp(1));
            int off = (Wire.u16(r.b(), 20) & 0x1fff) * 8;
            int len = r.ipLen() - r.ihl();
            System.arraycopy(r.b(), r.l4(), whole, off, len);
            got += len;
        }
        assertEquals(0, whole[0], "echo reply");
        assertArrayEquals(data, Arrays.copyOfRange(whole, 8, whole.length));
        assertEquals(0, Wire.sum(0, whole, 0, whole.length), "ICMP checksum over the reassembled reply");
        assertEquals(0, (int) w.onLoop(() -> w.netdev.stack().reassembly.inProgress()));
    }

    @Test
    void overlappingFragmentsDropTheDatagram() throws Exception {
        byte[] icmp = Wire.icmpEcho(1, 1, new byte[64]);
        w.send(Wire.ipFrame(Wire.GUEST, Wire.GW, 1, 5, 0x2000, Arrays.copyOfRange(icmp, 0, 32)));
        w.send(Wire.ipFrame(Wire.GUEST, Wire.GW, 1, 5, 0x2000 | 2, Arrays.copyOfRange(icmp, 16, 48)));
        w.send(Wire.ipFrame(Wire.GUEST, Wire.GW, 1, 5, 6, Arrays.copyOfRange(icmp, 48, icmp.length)));
        assertTrue(w.collect(300, f -> f.isIp(1)).isEmpty());
        assertEquals(1L, (long) w.onLoop(() -> w.netdev.stats().fragmentsOverlapping));
    }
}
