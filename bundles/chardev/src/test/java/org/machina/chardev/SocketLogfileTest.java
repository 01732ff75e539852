package org.machina.chardev;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.machina.api.chardev.CharBackend;

/** The socket backend's {@code logfile} option: output reaches the file with and without a client. */
class SocketLogfileTest {
    @TempDir
    Path dir;

    private static void write(CharBackend b, String s) {
        byte[] d = s.getBytes(StandardCharsets.US_ASCII);
        b.write(d, 0, d.length);
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void outputGoesToLogAndClient() throws Exception {
        Path sock = dir.resolve("c.sock");
        Path log = dir.resolve("c.log");
        Files.writeString(log, "old contents\n");
        CharBackend b = new SocketBackendFactory().open("serial0",
                Map.of("path", sock.toString(), "logfile", log.toString()), null);
        try {
            write(b, "before ");
            try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                c.connect(UnixDomainSocketAddress.of(sock));
                InputStream in = Channels.newInputStream(c);
                // the accept thread may need a moment to take the client: write until it arrives
                byte[] got = new byte[1];
                Thread writer = Thread.ofPlatform().daemon().start(() -> {
                    while (!Thread.currentThread().isInterrupted()) {
                        write(b, "x");
                        try {
                            Thread.sleep(20);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                });
                assertEquals(1, in.read(got));
                writer.interrupt();
                writer.join();
                assertEquals('x', got[0]);
            }
            write(b, " after");
        } finally {
            b.close();
        }
        String text = Files.readString(log);
        assertTrue(text.startsWith("before x"), text);
        assertTrue(text.endsWith("x after"), text);
        assertTrue(!text.contains("old contents"), "truncated without logappend: " + text);
    }

    @Test
    void logappendKeepsOldContents() throws Exception {
        Path log = dir.resolve("a.log");
        Files.writeString(log, "old\n");
        CharBackend b = new SocketBackendFactory().open("s",
                Map.of("path", dir.resolve("a.sock").toString(), "logfile", log.toString(), "logappend", "on"), null);
        write(b, "new");
        b.close();
        assertEquals("old\nnew", Files.readString(log));
    }

    @Test
    void unknownOptionNamesTheAcceptedOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new SocketBackendFactory()
                .open("s", Map.of("path", dir.resolve("b.sock").toString(), "logfle", "x"), null));
        assertTrue(e.getMessage().contains("logfile"), e.getMessage());
    }
}
