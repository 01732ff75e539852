package org.machina.nbd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.machina.api.block.BlockNode;
import org.machina.block.BlockImages;
import org.machina.block.FrozenView;

/**
 * A frozen-view export copied with nbdcopy while a writer keeps changing the disk: the copy equals
 * the disk at the moment of the freeze.
 */
class NbdPointInTimeTest {
    @TempDir
    Path dir;

    @Test
    void nbdcopyOfFrozenViewEqualsFreezeMoment() throws Exception {
        Tools.need("nbdcopy", "qemu-img");
        Path img = dir.resolve("live.qcow2");
        Tools.ok("qemu-img", "create", "-q", "-f", "qcow2", img.toString(), "64M");
        Tools.qemuIo(img, "qcow2", "write -P 0x61 0 48M");
        try (BlockNode disk = BlockImages.open("live", img, null, false)) {
            byte[] atFreeze = new byte[(int) disk.size()];
            disk.read(0, ByteBuffer.wrap(atFreeze));
            NbdServer server = new NbdServer();
            try (FrozenView view = FrozenView.freeze("frozen", disk)) {
                BlockNode live = view.writer(); // the guest's path to the disk from now on
                server.addExport("frozen", view, true, "point-in-time view");
                server.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                int port = ((InetSocketAddress) server.address()).getPort();
                AtomicBoolean copying = new AtomicBoolean(true);
                AtomicInteger writesDuringCopy = new AtomicInteger();
                Thread writer = Thread.ofPlatform().start(() -> {
                    Random r = new Random(11);
                    byte[] d = new byte[100_000];
                    for (int i = 0; i < 100_000 && (copying.get() || i < 50); i++) {
                        r.nextBytes(d);
                        try {
                            live.write(r.nextInt((int) live.size() - d.length), ByteBuffer.wrap(d));
                        } catch (Exception e) {
                            throw new RuntimeException(e);
                        }
                        if (copying.get()) {
                            writesDuringCopy.incrementAndGet();
                        }
                    }
                });
                Path out = dir.resolve("copy.raw");
                Process p = new ProcessBuilder("nbdcopy", "nbd://127.0.0.1:" + port + "/frozen", out.toString())
                        .redirectErrorStream(true).start();
                byte[] msg = p.getInputStream().readAllBytes();
                assertTrue(p.waitFor(120, TimeUnit.SECONDS));
                copying.set(false);
                writer.join(60_000);
                assertEquals(0, p.exitValue(), new String(msg));
                assertTrue(writesDuringCopy.get() > 0, "the writer ran during the copy");
                assertArrayEquals(atFreeze, Files.readAllBytes(out), "copy equals the freeze moment");
                byte[] now = new byte[(int) disk.size()];
                disk.read(0, ByteBuffer.wrap(now));
                assertFalse(Arrays.equals(atFreeze, now), "the live disk did change");
            } finally {
                server.stop();
            }
        }
        String check = Tools.ok("qemu-img", "check", img.toString());
        assertTrue(check.contains("No errors were found"), check);
    }
}
