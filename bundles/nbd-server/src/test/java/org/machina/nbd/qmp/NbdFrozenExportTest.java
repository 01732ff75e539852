package org.machina.nbd.qmp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.machina.api.block.BlockNode;
import org.machina.api.machine.Machine;
import org.machina.api.monitor.CommandContext;
import org.machina.block.BlockImages;
import org.machina.nbd.NbdServer;
import org.machina.nbd.Tools;

/**
 * {@code nbd-server-add {"frozen": true}} / {@code block-export-add {"frozen": true}} on a machine's drive: the
 * drive keeps taking writes (a test driver standing in for the guest, writing to the very node the machine
 * holds) while qemu-img and nbdinfo over nbd+unix see the contents of the moment the export was added.
 */
class NbdFrozenExportTest {
    @TempDir
    Path dir;

    @Test
    void frozenExportKeepsTheMomentWhileTheDriveChanges() throws Exception {
        Tools.need("qemu-img", "qemu-io", "nbdinfo", "nbdcopy");
        Path img = dir.resolve("hd0.qcow2");
        Tools.ok("qemu-img", "create", "-q", "-f", "qcow2", img.toString(), "16M");
        Tools.qemuIo(img, "qcow2", "write -P 0x61 0 6M");
        Path before = dir.resolve("before.qcow2");
        Files.copy(img, before);

        NbdServer server = new NbdServer();
        try (BlockNode drive = BlockImages.open("hd0", img, null, false)) {
            Machine machine = (Machine) java.lang.reflect.Proxy.newProxyInstance(Machine.class.getClassLoader(),
                    new Class<?>[] {Machine.class}, (p, m, a) -> m.getName().equals("drives") ? Map.of("hd0", drive) : null);
            CommandContext ctx = new CommandContext() {
                @Override
                public Optional<Machine> machine() {
                    return Optional.of(machine);
                }

                @Override
                public void emitEvent(String event, Map<String, Object> data) {
                }
            };
            NbdExports exports = NbdQmpCommandsTest.exports(server);
            NbdServerStart start = new NbdServerStart();
            start.server = server;
            NbdServerAdd add = new NbdServerAdd();
            add.exports = exports;
            BlockExportAdd bea = new BlockExportAdd();
            bea.exports = exports;
            NbdServerRemove remove = new NbdServerRemove();
            remove.exports = exports;
            BlockExportDel del = new BlockExportDel();
            del.exports = exports;
            QueryBlockExports query = new QueryBlockExports();
            query.exports = exports;
            Path sock = dir.resolve("nbd.sock");
            start.execute(ctx, Map.of("addr", Map.of("type", "unix", "path", sock.toString())));

            add.execute(ctx, Map.of("device", "hd0", "name", "pit", "frozen", true));
            // the guest writes on: new data, zeroes, a discard, over and past the frozen range
            byte[] b = new byte[3 << 20];
            Arrays.fill(b, (byte) 0x62);
            drive.write(1 << 20, ByteBuffer.wrap(b));
            drive.writeZeroes(5 << 20, 1 << 20);
            drive.discard(8 << 20, 1 << 20);
            drive.write(12 << 20, ByteBuffer.wrap(b, 0, 1 << 20));
            bea.execute(ctx, Map.of("type", "nbd", "id", "backup1", "node-name", "hd0", "name", "pit2", "frozen", true));
            drive.write(0, ByteBuffer.wrap(b, 0, 1 << 20));

            String u = "nbd+unix:///pit?socket=" + sock;
            Tools.Result cmp = Tools.run("qemu-img", "compare", "-f", "qcow2", "-F", "raw", before.toString(), u);
            assertEquals(0, cmp.exit(), "the frozen export equals the image before the writes: " + cmp.out());
            String info = Tools.ok("nbdinfo", "--json", u);
            assertTrue(info.contains("\"is_read_only\": true"), info);
            Path copy = dir.resolve("pit.raw");
            Tools.ok("nbdcopy", u, copy.toString());
            Path beforeRaw = dir.resolve("before.raw");
            Tools.ok("qemu-img", "convert", "-f", "qcow2", "-O", "raw", before.toString(), beforeRaw.toString());
            assertEquals(Tools.sha256(beforeRaw), Tools.sha256(copy));

            ByteBuffer now = ByteBuffer.allocate(b.length);
            drive.read(1 << 20, now);
            assertArrayEquals(b, now.array(), "the drive has the new data");
            // the second export froze a later moment: the first 3 writes, not the last one
            Tools.Result cmp2 = Tools.run("qemu-img", "compare", "-f", "qcow2", "-F", "raw", before.toString(),
                    "nbd+unix:///pit2?socket=" + sock);
            assertEquals(1, cmp2.exit(), "pit2 froze after the first writes: " + cmp2.out());
            ByteBuffer head = ByteBuffer.allocate(16);
            Tools.ok("nbdcopy", "nbd+unix:///pit2?socket=" + sock, dir.resolve("pit2.raw").toString());
            try (var ch = java.nio.channels.FileChannel.open(dir.resolve("pit2.raw"))) {
                ch.read(head, 0);
            }
            assertEquals(0x61, head.get(0), "pit2 has the data from before the last write");

            List<?> list = (List<?>) query.execute(ctx, Map.of());
            assertEquals(2, list.size());
            assertEquals(true, ((Map<?, ?>) list.get(0)).get("frozen"));
            remove.execute(ctx, Map.of("name", "pit"));
            del.execute(ctx, Map.of("id", "backup1"));
            assertEquals(List.of(), query.execute(ctx, Map.of()));
            drive.write(2 << 20, ByteBuffer.wrap(b, 0, 4096)); // no view left to copy into
        } finally {
            server.stop();
        }
        String check = Tools.ok("qemu-img", "check", img.toString());
        assertTrue(check.contains("No errors were found"), check);
        assertEquals(1, Tools.run("qemu-img", "compare", img.toString(), before.toString()).exit(), "the drive changed");
    }
}
