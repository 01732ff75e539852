package org.machina.tools.initramfs;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;

/**
 * Writes a gzip-compressed initramfs (see {@link CpioArchive}) from the command line:
 *
 * <pre>
 * java tools/initramfs/src/main/java/org/machina/tools/initramfs/MkInitramfs.java OUT.cpio.gz
 *     [--dir DEST] [--file DEST=SRC] [--symlink DEST=TARGET] [--init SCRIPT]
 *     [--kernel-modules lib/modules/VERSION --module NAME ...]
 * </pre>
 *
 * Parent directories are created automatically. /dev/console (char 5,1) and /dev/ttyS0
 * (char 4,64) are always included, so the kernel has a console before devtmpfs is mounted.
 * Each {@code --module} is resolved against the kernel's modules with everything it depends on
 * ({@link LoadOrder}); the modules go to /lib/modules/NAME.ko and their load order, one name a
 * line, to /etc/modules.
 */
public final class MkInitramfs {
    private MkInitramfs() {}

    public static void main(String[] args) throws IOException {
        if (args.length < 1 || args[0].startsWith("--")) {
            fail("usage: MkInitramfs OUT.cpio.gz [--dir DEST] [--file DEST=SRC] [--symlink DEST=TARGET]"
                    + " [--init SCRIPT] [--kernel-modules DIR --module NAME ...]");
        }
        CpioArchive a = new CpioArchive();
        a.dir("dev");
        a.charDevice("dev/console", 5, 1);
        a.charDevice("dev/ttyS0", 4, 64);
        Path kernelModules = null;
        List<String> modules = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            String opt = args[i];
            if (i + 1 >= args.length) {
                fail("option " + opt + " needs a value");
            }
            String v = args[++i];
            switch (opt) {
                case "--dir" -> a.dir(v);
                case "--file" -> {
                    String[] kv = pair(opt, v);
                    Path src = Path.of(kv[1]);
                    a.file(kv[0], Files.readAllBytes(src), Files.isExecutable(src) ? 0755 : 0644);
                }
                case "--symlink" -> {
                    String[] kv = pair(opt, v);
                    a.symlink(kv[0], kv[1]);
                }
                case "--init" -> a.file("init", Files.readAllBytes(Path.of(v)), 0755);
                case "--kernel-modules" -> kernelModules = Path.of(v);
                case "--module" -> modules.add(v);
                default -> fail("unknown option " + opt
                        + "; accepted: --dir, --file, --symlink, --init, --kernel-modules, --module");
            }
        }
        if (!modules.isEmpty()) {
            if (kernelModules == null) {
                fail("--module needs --kernel-modules lib/modules/VERSION");
            }
            addModules(a, kernelModules, modules);
        }
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        a.write(raw);
        Path outPath = Path.of(args[0]);
        try (OutputStream gz = new GZIPOutputStream(Files.newOutputStream(outPath))) {
            raw.writeTo(gz);
        }
        System.err.printf("%s: %d entries, %d bytes uncompressed, %d compressed%n",
                outPath, a.names().size(), raw.size(), Files.size(outPath));
    }

    private static void addModules(CpioArchive a, Path dir, List<String> wanted) throws IOException {
        List<String> order;
        KernelModules kernel;
        try {
            kernel = KernelModules.index(dir);
            order = LoadOrder.resolve(wanted, kernel);
        } catch (LoadOrder.UnresolvableModule | IllegalArgumentException | IOException e) {
            fail(e.getMessage());
            return;
        }
        for (String m : order) {
            a.file("lib/modules/" + m + ".ko", Files.readAllBytes(kernel.file(m)), 0644);
        }
        StringBuilder list = new StringBuilder();
        order.forEach(m -> list.append(m).append('\n'));
        a.file("etc/modules", list.toString().getBytes(StandardCharsets.UTF_8), 0644);
        System.err.println("MkInitramfs: modules in load order: " + String.join(" ", order));
    }

    private static String[] pair(String opt, String v) {
        int eq = v.indexOf('=');
        if (eq <= 0) {
            fail(opt + " expects DEST=VALUE, got '" + v + "'");
        }
        return new String[] {v.substring(0, eq), v.substring(eq + 1)};
    }

    private static void fail(String message) {
        System.err.println("MkInitramfs: " + message);
        System.exit(2);
    }
}
