package org.machina.net.user;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Read-only TFTP (RFC 1350, blksize/tsize options) from the gateway, and DHCP's boot file. */
class TftpTest {
    @TempDir
    Path dir;
    Wire w;

    @AfterEach
    void close() {
        if (w != null) {
            w.close();
        }
    }

    static byte[] request(int op, String... fields) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(op >> 8);
        b.write(op);
        for (String f : fields) {
            b.writeBytes(f.getBytes(StandardCharsets.US_ASCII));
            b.write(0);
        }
        return b.toByteArray();
    }

    static byte[] ack(int block) {
        return new byte[] {0, 4, (byte) (block >> 8), (byte) block};
    }

    void toServer(int port, byte[] p) {
        w.send(Wire.ip(Wire.GUEST, Wire.GW, 17, Wire.udp(Wire.GUEST, Wire.GW, 3000, port, p)));
    }

    Wire.Frame reply() {
        return w.expect("TFTP packet", f -> f.isIp(17) && f.dport() == 3000).verified();
    }

    @Test
    void readsAFileBlockByBlock() throws Exception {
        byte[] content = new byte[1300];
        new Random(3).nextBytes(content);
        Files.write(dir.resolve("boot.img"), content);
        w = new Wire(Map.of("tftp", dir.toString()));
        toServer(69, request(1, "boot.img", "octet"));
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        for (int block = 1;; block++) {
            Wire.Frame f = reply();
            byte[] d = f.udpData();
            assertEquals(3, Wire.u16(d, 0), "DATA");
            assertEquals(block, Wire.u16(d, 2));
            got.write(d, 4, d.length - 4);
            toServer(f.sport(), ack(block)); // to the transfer's own port (TID)
            if (d.length - 4 < 512) {
                break;
            }
        }
        assertArrayEquals(content, got.toByteArray());
        assertEquals(0, (int) w.onLoop(() -> w.netdev.stack().tftp.sessionCount()), "finished");
    }

    @Test
    void optionsAreAcknowledged() throws Exception {
        Files.write(dir.resolve("f"), new byte[3000]);
        w = new Wire(Map.of("tftp", dir.toString()));
        toServer(69, request(1, "f", "octet", "blksize", "1400", "tsize", "0"));
        Wire.Frame o = reply();
        byte[] d = o.udpData();
        assertEquals(6, Wire.u16(d, 0), "OACK");
        assertEquals("blksize\u00001400\u0000tsize\u00003000\u0000", new String(d, 2, d.length - 2, StandardCharsets.US_ASCII));
        toServer(o.sport(), ack(0));
        Wire.Frame data = reply();
        assertEquals(3, Wire.u16(data.udpData(), 0));
        assertEquals(4 + 1400, data.udpData().length);
    }

    @Test
    void errorsForMissingFilesEscapesAndWrites() throws Exception {
        Files.writeString(dir.getParent().resolve("secret-" + dir.getFileName()), "no");
        w = new Wire(Map.of("tftp", dir.toString()));
        for (String name : new String[] {"missing", "../secret-" + dir.getFileName(), "/../../etc/passwd"}) {
            toServer(69, request(1, name, "octet"));
            byte[] d = reply().udpData();
            assertEquals(5, Wire.u16(d, 0), "ERROR for " + name);
            assertEquals(1, Wire.u16(d, 2), "file not found: " + name);
        }
        toServer(69, request(2, "new", "octet"));
        byte[] d = reply().udpData();
        assertEquals(5, Wire.u16(d, 0));
        assertEquals(2, Wire.u16(d, 2), "access violation: read-only");
        Files.delete(dir.getParent().resolve("secret-" + dir.getFileName()));
    }

    @Test
    void unacknowledgedBlockIsSentAgain() throws Exception {
        Files.write(dir.resolve("f"), new byte[100]);
        w = new Wire(Map.of("tftp", dir.toString()));
        toServer(69, request(1, "f", "octet"));
        Wire.Frame first = reply();
        Wire.Frame again = reply();
        assertArrayEquals(first.udpData(), again.udpData());
        assertEquals(first.sport(), again.sport());
    }

    @Test
    void dhcpCarriesTheBootFile() throws Exception {
        w = new Wire(Map.of("tftp", dir.toString(), "bootfile", "pxelinux.0"));
        w.send(Wire.ip(0, -1, 17, Wire.udp(0, -1, 68, 67, DhcpTest.bootp(1, Wire.GUEST_MAC, 1, 0, 0))));
        byte[] offer = w.expect("offer", f -> f.isIp(17) && f.dport() == 68).udpData();
        assertEquals("pxelinux.0", new String(DhcpTest.options(offer).get(67), StandardCharsets.US_ASCII));
        assertEquals("pxelinux.0", new String(offer, 108, 10, StandardCharsets.US_ASCII));
        assertEquals(0, offer[118]);
    }
}
