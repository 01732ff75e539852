package org.machina.itests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.machina.itests.MachinaCli.Result;

/**
 * {@code machina nbd} through the built distribution, with the real NBD and QEMU tools as peers:
 * a named instance (board {@code none}, no CPU) holding a qcow2 drive exports it live (writable)
 * and frozen; {@code nbdcopy} writes new contents through the live export, and the frozen
 * export still reads the disk as it was when it was added. After a shutdown the image holds the
 * new contents and passes {@code qemu-img check}. Also {@code machina nbd serve} on an image
 * with a backing file ({@code -t}: it serves both clients), read by {@code nbdinfo} and {@code qemu-img compare}.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class NbdCliIT {
    private static final int DISK = 8 << 20;

    @TempDir
    Path home;

    private MachinaCli cli;

    @BeforeEach
    void setUp() throws Exception {
        cli = new MachinaCli(home);
    }

    @AfterEach
    void killLeftovers() throws Exception {
        cli.killLeftoverDaemons();
    }

    /** Runs a host tool (qemu-img, nbdcopy, nbdinfo) that must succeed; returns its output. */
    private static String tool(String... cmd) throws Exception {
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (java.io.IOException e) {
            throw new AssertionError(cmd[0] + " is not installed (scripts/install-deps.sh installs it)", e);
        }
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(MachinaCli.COMMAND_TIMEOUT_S, TimeUnit.SECONDS), String.join(" ", cmd) + " hung");
        assertEquals(0, p.exitValue(), () -> String.join(" ", cmd) + ":\n" + out);
        return out;
    }

    /** A raw file whose every byte is {@code fill}, except a marker per MiB so that offsets matter. */
    private Path pattern(String name, int fill) throws Exception {
        byte[] b = new byte[DISK];
        Arrays.fill(b, (byte) fill);
        for (int mib = 0; mib < DISK >> 20; mib++) {
            b[(mib << 20) + 17] = (byte) (mib + 1);
        }
        Path p = home.resolve(name);
        Files.write(p, b);
        return p;
    }

    private static String uri(String out, String export) {
        for (String word : out.split("\\s+")) {
            if (word.startsWith("nbd+unix:///" + export + "?")) {
                return word;
            }
        }
        throw new AssertionError("no URI for export '" + export + "' in:\n" + out);
    }

    @Test
    void liveAndFrozenExportsOfARunningInstance() throws Exception {
        Path original = pattern("original.raw", 0x11);
        Path update = pattern("update.raw", 0x22);
        Path disk = home.resolve("disk.qcow2");
        tool("qemu-img", "convert", "-f", "raw", "-O", "qcow2", original.toString(), disk.toString());

        cli.ok("create", "web", "-machine", "none", "-cpu", "none",
                "-drive", "file=" + disk + ",format=qcow2,if=none,id=hd0");
        cli.ok("start", "web");
        assertTrue(cli.ok("nbd", "web", "start").out().contains("nbd.sock"));
        String frozen = uri(cli.ok("nbd", "web", "add", "hd0", "--frozen", "-x", "snap").out(), "snap");
        String live = uri(cli.ok("nbd", "web", "add", "hd0", "-x", "live", "--writable").out(), "live");
        cli.fails(1, "nbd", "web", "add", "nodrive", "-x", "bad");

        Result list = cli.ok("nbd", "web", "list");
        assertTrue(list.out().lines().anyMatch(l -> l.startsWith("snap") && l.contains("frozen")), list.toString());
        assertTrue(list.out().lines().anyMatch(l -> l.startsWith("live") && l.contains("writable")), list.toString());
        String info = tool("nbdinfo", frozen);
        assertTrue(info.contains("export-size: " + DISK) && info.contains("is_read_only: true"), info);

        tool("nbdcopy", update.toString(), live);
        Path snapCopy = home.resolve("snap.raw");
        Path liveCopy = home.resolve("live.raw");
        tool("nbdcopy", frozen, snapCopy.toString());
        tool("nbdcopy", live, liveCopy.toString());
        assertArrayEquals(Files.readAllBytes(original), Files.readAllBytes(snapCopy), "the frozen export is the disk as it was");
        assertArrayEquals(Files.readAllBytes(update), Files.readAllBytes(liveCopy), "the live export has the new data");

        cli.ok("nbd", "web", "remove", "snap");
        assertFalse(cli.ok("nbd", "web", "list").out().contains("snap"), "removed export is gone");
        cli.ok("nbd", "web", "stop");
        cli.ok("shutdown", "web", "--timeout", "60");
        tool("qemu-img", "check", disk.toString());
        assertTrue(tool("qemu-img", "compare", "-f", "qcow2", "-F", "raw", disk.toString(), update.toString())
                .contains("identical"));
        cli.ok("delete", "web");
    }

    @Test
    void serveAnImageAndItsBackingFile() throws Exception {
        Path base = pattern("base.raw", 0x33);
        Path top = home.resolve("top.qcow2");
        tool("qemu-img", "create", "-f", "qcow2", "-b", base.toString(), "-F", "raw", top.toString());
        tool("qemu-io", "-f", "qcow2", "-c", "write -P 0x44 0 1M", top.toString());
        Path topRaw = home.resolve("top.raw");
        tool("qemu-img", "convert", "-O", "raw", top.toString(), topRaw.toString());

        for (String[] c : List.of(new String[] {}, new String[] {"--backing"})) {
            Path sock = home.resolve("serve" + c.length + ".sock");
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
                    "-jar", cli.launcher().toString(), "nbd", "serve", top.toString(), "-t", "-k", sock.toString(), "-x", "d"));
            cmd.addAll(List.of(c));
            Process server = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(home.resolve("serve.log").toFile())
                    .start();
            try {
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(MachinaCli.COMMAND_TIMEOUT_S);
                while (!Files.readString(home.resolve("serve.log")).contains("listening on")) {
                    assertTrue(server.isAlive(), () -> "serve ended: " + readLog());
                    assertTrue(System.nanoTime() < end, () -> "serve never listened: " + readLog());
                    Thread.sleep(100);
                }
                String u = "nbd+unix:///d?socket=" + sock;
                assertTrue(tool("nbdinfo", u).contains("export-size: " + DISK));
                Path expected = c.length == 0 ? topRaw : base;
                assertTrue(tool("qemu-img", "compare", "-f", "raw", "-F", "raw", u, expected.toString()).contains("identical"),
                        "serve " + List.of(c) + " is " + expected.getFileName());
            } finally {
                server.destroy();
                assertTrue(server.waitFor(30, TimeUnit.SECONDS), "serve ends on SIGTERM");
            }
        }
        Result corrupt = cli.run("nbd", "serve", Files.writeString(home.resolve("bad.qcow2"), "QFI\u00fbjunk").toString(),
                "-f", "qcow2", "-k", home.resolve("bad.sock").toString());
        assertEquals(2, corrupt.status(), corrupt.toString());
        assertTrue(corrupt.err().contains("bad.qcow2"), corrupt.toString());
    }

    private String readLog() {
        try {
            return Files.readString(home.resolve("serve.log"));
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }
}
