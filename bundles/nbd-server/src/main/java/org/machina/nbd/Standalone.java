package org.machina.nbd;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.CountDownLatch;
import org.machina.api.block.BlockDriver;
import org.machina.nbd.api.NbdStandalone;

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
        SocketAddress addr = socket != null ? UnixDomainSocketAddress.of(socket)
                : new InetSocketAddress(InetAddress.getByName(bind), port);
        NbdStandalone.Serving serving;
        try {
            serving = new StandaloneServer(Standalone::drivers)
                    .serve(new NbdStandalone.Options(image, format, readOnly, addr, name, 0, 0));
        } catch (java.nio.file.NoSuchFileException e) {
            System.err.println("'" + e.getFile() + "': no such file");
            System.exit(2);
            return;
        } catch (IOException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            serving.close();
            done.countDown();
        }));
        System.out.println("listening on " + serving.address());
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

    /** {@link NbdStandalone} outside a framework, with the block drivers {@link ServiceLoader} finds (tools, tests). */
    public static NbdStandalone service() {
        return new StandaloneServer(Standalone::drivers);
    }

    /** The block drivers {@link ServiceLoader} finds next to this class (the block jar on the class path). */
    static List<BlockDriver> drivers() {
        List<BlockDriver> list = new ArrayList<>();
        ServiceLoader.load(BlockDriver.class, Standalone.class.getClassLoader()).forEach(list::add);
        return list;
    }
}
