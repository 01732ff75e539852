package org.machina.nbd;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.CountDownLatch;
import org.machina.api.block.BlockDriver;
import org.machina.api.block.BlockNode;

/**
 * {@code serve IMAGE [--port N | --socket PATH] [--bind ADDR] [--read-only] [--format raw|qcow2] [--export-name NAME]}:
 * serves one image like {@code qemu-nbd}, until killed. Block drivers come from {@link ServiceLoader}
 * (the block bundle's jar on the class path). Prints {@code listening on ADDRESS} when ready.
 */
public final class Standalone {
    private static final String USAGE = "usage: serve IMAGE [--port N | --socket PATH] [--bind ADDR] [--read-only]"
            + " [--format raw|qcow2] [--export-name NAME]";

    private Standalone() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2 || !args[0].equals("serve")) {
            System.err.println(USAGE);
            System.exit(2);
        }
        Path image = Path.of(args[1]);
        int port = 10809;
        String socket = null;
        String bind = "127.0.0.1";
        boolean readOnly = false;
        String format = null;
        String name = "";
        for (int i = 2; i < args.length; i++) {
            String a = args[i];
            String v = i + 1 < args.length ? args[i + 1] : null;
            switch (a) {
                case "--port" -> { port = Integer.parseInt(need(a, v)); i++; }
                case "--socket" -> { socket = need(a, v); i++; }
                case "--bind" -> { bind = need(a, v); i++; }
                case "--format" -> { format = need(a, v); i++; }
                case "--export-name" -> { name = need(a, v); i++; }
                case "--read-only", "-r" -> readOnly = true;
                default -> {
                    System.err.println("unknown option '" + a + "'\n" + USAGE);
                    System.exit(2);
                }
            }
        }
        BlockNode node = open(image, format, readOnly);
        NbdServer server = new NbdServer();
        server.addExport(name, node, readOnly, image.getFileName().toString());
        SocketAddress addr = socket != null ? UnixDomainSocketAddress.of(socket)
                : new InetSocketAddress(InetAddress.getByName(bind), port);
        server.start(addr);
        CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.stop();
            try {
                node.close();
            } catch (IOException e) {
                System.err.println("closing " + image + ": " + e.getMessage());
            }
            done.countDown();
        }));
        System.out.println("listening on " + server.address());
        System.out.flush();
        done.await();
    }

    private static String need(String opt, String v) {
        if (v == null) {
            System.err.println("option " + opt + " needs a value\n" + USAGE);
            System.exit(2);
        }
        return v;
    }

    /** Opens an image with the named driver, or probes every driver (falling back to raw). */
    static BlockNode open(Path image, String format, boolean readOnly) throws IOException {
        Map<String, BlockDriver> drivers = new java.util.TreeMap<>();
        for (BlockDriver d : ServiceLoader.load(BlockDriver.class, Standalone.class.getClassLoader())) {
            drivers.put(d.format(), d);
        }
        if (format == null) {
            byte[] head = new byte[512];
            try (FileChannel c = FileChannel.open(image, StandardOpenOption.READ)) {
                c.read(ByteBuffer.wrap(head), 0);
            }
            format = drivers.values().stream().filter(d -> d.probe(head)).map(BlockDriver::format).findFirst().orElse("raw");
        }
        BlockDriver d = drivers.get(format);
        if (d == null) {
            throw new IOException("no block driver for format '" + format + "' (available: " + drivers.keySet() + ")");
        }
        return d.open("nbd0", image, readOnly, Map.of());
    }
}
