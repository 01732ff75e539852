package org.machina.runtime.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.machina.api.net.Netdev;

/** {@code -object filter-dump}: the libpcap file's bytes, both directions, maxlen, and what tcpdump makes of it. */
class DumpFilterTest {
    @TempDir
    Path dir;

    /** A backend that refuses every other frame (queue full) and hands the port whatever the test gives. */
    static final class FakeNetdev implements Netdev {
        final List<byte[]> sent = new ArrayList<>();
        Port port;
        boolean refuseNext;
        boolean closed;

        @Override
        public String id() {
            return "n0";
        }

        @Override
        public boolean send(ByteBuffer frame) {
            if (refuseNext) {
                refuseNext = false;
                return false;
            }
            byte[] f = new byte[frame.remaining()];
            frame.get(f);
            sent.add(f);
            return true;
        }

        @Override
        public void attach(Port p) {
            port = p;
        }

        @Override
        public void receiveReady() {
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    /** An Ethernet II frame with an IPv4 EtherType and a recognisable body. */
    static byte[] frame(int n, int marker) {
        byte[] f = new byte[n];
        ByteBuffer b = ByteBuffer.wrap(f);
        b.put(new byte[] {0x52, 0x54, 0, 0x12, 0x34, 0x56}).put(new byte[] {0x52, 0x55, 10, 0, 2, 2}).putShort((short) 0x0806);
        for (int i = 14; i < n; i++) {
            f[i] = (byte) (marker + i);
        }
        return f;
    }

    record Rec(int inclLen, int origLen, byte[] data) {
    }

    static List<Rec> records(byte[] file) {
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        b.position(24);
        List<Rec> out = new ArrayList<>();
        while (b.hasRemaining()) {
            b.getInt();
            int usec = b.getInt();
            assertTrue(usec >= 0 && usec < 1_000_000, "microseconds " + usec);
            int incl = b.getInt();
            int orig = b.getInt();
            byte[] d = new byte[incl];
            b.get(d);
            out.add(new Rec(incl, orig, d));
        }
        return out;
    }

    @Test
    void theGlobalHeaderIsLibpcapsForEthernet() {
        assertEquals("d4c3b2a1" + "0200" + "0400" + "00000000" + "00000000" + "00000100" + "01000000",
                HexFormat.of().formatHex(PcapWriter.globalHeader(65536)));
        assertEquals("78563412" + "3f420f00" + "3c000000" + "ea050000",
                HexFormat.of().formatHex(PcapWriter.recordHeader(0x12345678, 999_999, 60, 1514)));
    }

    @Test
    void bothDirectionsAreRecordedOnceWhenTakenAndMaxlenCuts() throws Exception {
        Path file = dir.resolve("n0.pcap");
        FakeNetdev inner = new FakeNetdev();
        DumpFilter f = new DumpFilter(inner, DumpFilter.Options.parse("f0", Map.of("netdev", "n0", "file", "n0.pcap", "maxlen", "100"), dir));
        List<byte[]> atNic = new ArrayList<>();
        boolean[] nicFull = {false};
        f.attach(new Netdev.Port() {
            @Override
            public boolean canReceive() {
                return !nicFull[0];
            }

            @Override
            public boolean receive(ByteBuffer frame) {
                if (nicFull[0]) {
                    return false;
                }
                byte[] b = new byte[frame.remaining()];
                frame.get(b);
                atNic.add(b);
                return true;
            }

            @Override
            public void sendReady() {
            }
        });
        byte[] out1 = frame(60, 1);
        byte[] out2 = frame(1514, 2);
        byte[] in1 = frame(90, 3);
        assertTrue(f.send(ByteBuffer.wrap(out1)));
        inner.refuseNext = true;
        ByteBuffer b2 = ByteBuffer.wrap(out2);
        assertFalse(f.send(b2), "refused: the NIC keeps it");
        assertTrue(f.send(b2), "sent again and taken");
        nicFull[0] = true;
        assertFalse(inner.port.receive(ByteBuffer.wrap(in1)), "the NIC is full");
        nicFull[0] = false;
        assertTrue(inner.port.receive(ByteBuffer.wrap(in1)));
        assertEquals(2, inner.sent.size());
        assertArrayEquals(out2, inner.sent.get(1), "frames pass unchanged");
        assertArrayEquals(in1, atNic.get(0));
        f.close();
        assertTrue(inner.closed);

        byte[] pcap = Files.readAllBytes(file);
        assertArrayEquals(PcapWriter.globalHeader(100), Arrays.copyOf(pcap, 24));
        List<Rec> recs = records(pcap);
        assertEquals(3, recs.size(), "one record per frame taken, none for refusals");
        assertEquals(60, recs.get(0).inclLen());
        assertEquals(60, recs.get(0).origLen());
        assertArrayEquals(out1, recs.get(0).data());
        assertEquals(100, recs.get(1).inclLen(), "cut at maxlen");
        assertEquals(1514, recs.get(1).origLen(), "with the original length kept");
        assertArrayEquals(Arrays.copyOf(out2, 100), recs.get(1).data());
        assertArrayEquals(in1, recs.get(2).data());
    }

    @Test
    void queueSelectsADirection() throws Exception {
        FakeNetdev inner = new FakeNetdev();
        DumpFilter f = new DumpFilter(inner, DumpFilter.Options.parse("f1", Map.of("netdev", "n0", "file", "rx.pcap", "queue", "rx"), dir));
        f.attach(new Netdev.Port() {
            @Override
            public boolean canReceive() {
                return true;
            }

            @Override
            public boolean receive(ByteBuffer frame) {
                return true;
            }

            @Override
            public void sendReady() {
            }
        });
        f.send(ByteBuffer.wrap(frame(60, 1)));
        inner.port.receive(ByteBuffer.wrap(frame(60, 2)));
        f.close();
        List<Rec> recs = records(Files.readAllBytes(dir.resolve("rx.pcap")));
        assertEquals(1, recs.size(), "rx: only what the netdev receives from the guest");
        assertArrayEquals(frame(60, 1), recs.get(0).data());
    }

    @Test
    void badOptionsAreNamed() {
        Map<Map<String, String>, String> bad = Map.of(
                Map.of("file", "x.pcap"), "missing 'netdev'",
                Map.of("netdev", "n0"), "missing 'file'",
                Map.of("netdev", "n0", "file", "x", "maxlen", "0"), "maxlen=0",
                Map.of("netdev", "n0", "file", "x", "queue", "both"), "queue=both",
                Map.of("netdev", "n0", "file", "x", "position", "id=f0"), "position=id=f0",
                Map.of("netdev", "n0", "file", "x", "bogus", "1"), "unknown option 'bogus'");
        bad.forEach((o, msg) -> {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DumpFilter.Options.parse("f", o, dir));
            assertTrue(e.getMessage().contains(msg), o + ": " + e.getMessage());
        });
    }

    @Test
    void tcpdumpReadsTheFile() throws Exception {
        boolean have = false;
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            have |= Files.isExecutable(Path.of(d, "tcpdump"));
        }
        if (!have && Boolean.getBoolean("machina.requireImages")) {
            throw new AssertionError("tcpdump missing (scripts/install-deps.sh installs it)");
        }
        Assumptions.assumeTrue(have, "tcpdump is not installed (scripts/install-deps.sh installs it)");
        Path file = dir.resolve("t.pcap");
        try (PcapWriter w = new PcapWriter("t", file, 65536)) {
            for (int i = 0; i < 5; i++) {
                w.capture(ByteBuffer.wrap(frame(60 + i, i)));
            }
        }
        Process p = new ProcessBuilder("tcpdump", "-r", file.toString(), "-nn", "-e").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("link-type EN10MB (Ethernet)"), out);
        assertEquals(5, out.lines().filter(l -> l.contains("52:55:0a:00:02:02 > 52:54:00:12:34:56")).count(), out);
        assertTrue(out.contains("length 64"), out);
    }
}
