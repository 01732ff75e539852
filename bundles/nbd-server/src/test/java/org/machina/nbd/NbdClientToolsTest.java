package org.machina.nbd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.machina.api.block.BlockNode;
import org.machina.block.BlockImages;

/** The server against real clients: nbdinfo, nbdcopy, qemu-img and qemu-io over TCP and Unix sockets. */
class NbdClientToolsTest {
    @TempDir
    Path dir;
    NbdServer server;
    Path qcow;
    BlockNode node;
    String url;

    @BeforeEach
    void start() throws Exception {
        Tools.need("qemu-img", "qemu-io", "nbdinfo", "nbdcopy");
        qcow = dir.resolve("disk.qcow2");
        Tools.ok("qemu-img", "create", "-q", "-f", "qcow2", qcow.toString(), "32M");
        Tools.qemuIo(qcow, "qcow2", "write -P 0xab 0 64k");
        Tools.qemuIo(qcow, "qcow2", "write -P 0x3c 5000000 3000000");
        Tools.qemuIo(qcow, "qcow2", "write -P 0x77 33488896 65536");
        node = BlockImages.open("disk", qcow, null, false);
        server = new NbdServer();
        server.addExport("disk", node, false, "the test disk");
        server.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        url = "nbd://127.0.0.1:" + ((InetSocketAddress) server.address()).getPort();
    }

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.stop();
        }
        if (node != null) {
            node.close();
        }
    }

    @Test
    void nbdinfoListsExportsSizesAndContexts() throws Exception {
        Path raw = dir.resolve("small.raw");
        Files.write(raw, new byte[12345]);
        BlockNode small = BlockImages.open("small", raw, "raw", true);
        server.addExport("small", small, true, "");
        String list = Tools.ok("nbdinfo", "--list", "--json", url);
        assertTrue(list.contains("\"export-name\": \"disk\""), list);
        assertTrue(list.contains("\"export-name\": \"small\""), list);
        assertTrue(list.contains("\"export-size\": 33554432"), list);
        assertTrue(list.contains("\"export-size\": 12345"), list);
        assertTrue(list.contains("the test disk"), list);
        assertTrue(list.contains("base:allocation"), list);
        String one = Tools.ok("nbdinfo", "--json", url + "/small");
        assertTrue(one.contains("\"is_read_only\": true"), one);
        String map = Tools.ok("nbdinfo", "--map", url + "/disk");
        assertTrue(map.contains("data") && map.contains("hole,zero"), map);
        assertTrue(map.trim().startsWith("0       65536    0  data") || map.contains("     0       65536    0  data"), map);
        small.close();
    }

    @Test
    void nbdcopyWholeImageMatchesChecksum() throws Exception {
        Path ref = dir.resolve("ref.raw");
        Tools.ok("qemu-img", "convert", "-O", "raw", qcow.toString(), ref.toString());
        Path out = dir.resolve("copy.raw");
        Tools.ok("nbdcopy", url + "/disk", out.toString());
        assertEquals(Tools.sha256(ref), Tools.sha256(out));
    }

    @Test
    void qemuImgCompareAndConvertOverTcpAndUnix() throws Exception {
        Tools.ok("qemu-img", "compare", "-f", "qcow2", "-F", "raw", qcow.toString(), url + "/disk");
        Path sock = dir.resolve("nbd.sock");
        NbdServer unix = new NbdServer();
        unix.addExport("disk", node, true, "");
        unix.start(UnixDomainSocketAddress.of(sock));
        try {
            String u = "nbd+unix:///disk?socket=" + sock;
            Tools.ok("qemu-img", "compare", "-f", "qcow2", "-F", "raw", qcow.toString(), u);
            Path conv = dir.resolve("conv.qcow2");
            Tools.ok("qemu-img", "convert", "-f", "raw", "-O", "qcow2", u, conv.toString());
            Tools.ok("qemu-img", "compare", qcow.toString(), conv.toString());
        } finally {
            unix.stop();
        }
    }

    @Test
    void writesThroughNbdLandInTheImage() throws Exception {
        Path src = dir.resolve("src.raw");
        Tools.ok("qemu-img", "create", "-q", "-f", "raw", src.toString(), "32M");
        Tools.qemuIo(src, "raw", "write -P 0x5a 1000000 7000000");
        Tools.qemuIo(src, "raw", "write -P 0x11 0 4096");
        Tools.ok("qemu-img", "convert", "-n", "-f", "raw", "-O", "raw", src.toString(), url + "/disk");
        Tools.qemuIo(src, "raw", "write -z 20000000 1000000");
        Tools.ok("qemu-io", "-f", "raw", "-c", "write -z 20000000 1000000", "-c", "discard 0 0", url + "/disk");
        Tools.ok("qemu-img", "compare", "-f", "raw", "-F", "raw", src.toString(), url + "/disk");
        server.stop();
        node.close();
        node = null;
        String check = Tools.ok("qemu-img", "check", qcow.toString());
        assertTrue(check.contains("No errors were found"), check);
        Tools.ok("qemu-img", "compare", "-f", "raw", "-F", "qcow2", src.toString(), qcow.toString());
    }

    @Test
    void exportsTheBackingFileOfAChain() throws Exception {
        Path top = dir.resolve("top.qcow2");
        Tools.ok("qemu-img", "create", "-q", "-f", "qcow2", "-b", "disk.qcow2", "-F", "qcow2", top.toString(), "32M");
        Tools.qemuIo(top, "qcow2", "write -P 0xee 0 1M");
        try (BlockNode chain = BlockImages.open("top", top, "qcow2", true)) {
            server.addExport("top", chain, true, "");
            server.addExport("top-backing", chain.backing(), true, "");
            Tools.ok("qemu-img", "compare", "-f", "qcow2", "-F", "raw", top.toString(), url + "/top");
            Tools.ok("qemu-img", "compare", "-f", "qcow2", "-F", "raw", qcow.toString(), url + "/top-backing");
            String map = Tools.ok("nbdinfo", "--map", url + "/top");
            assertTrue(map.contains("data"), map);
        }
    }

    @Test
    void readOnlyExportRefusesWrites() throws Exception {
        byte[] before = Files.readAllBytes(qcow);
        server.removeExport("disk");
        server.addExport("disk", node, true, "");
        Tools.Result r = Tools.run("qemu-io", "-f", "raw", "-c", "write -P 0x1 0 4k", url + "/disk");
        // qemu sees NBD_FLAG_READ_ONLY and refuses to open the export for writing
        assertTrue(r.exit() != 0 && (r.out().contains("Permission denied") || r.out().contains("read-only")), r.out());
        assertTrue(!r.out().contains("wrote 4096"), r.out());
        assertArrayEquals(before, Files.readAllBytes(qcow));
    }
}
