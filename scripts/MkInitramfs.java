/*
 * Writes a gzip-compressed cpio "newc" archive (the Linux initramfs format, see the kernel's
 * Documentation/driver-api/early-userspace/buffer-format.rst), without needing root or the
 * host's cpio: device nodes are written as archive entries, not created on disk.
 *
 * Usage: java scripts/MkInitramfs.java OUT.cpio.gz [--dir DEST] [--file DEST=SRC]
 *            [--symlink DEST=TARGET] [--init SCRIPT]
 *
 * Parent directories are created automatically. /dev/console (char 5,1) and /dev/ttyS0
 * (char 4,64) are always included, so the kernel has a console before devtmpfs is mounted.
 */
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

public class MkInitramfs {
    // Mode bits (st_mode) as stored in the c_mode field.
    static final int S_IFDIR = 0040000, S_IFREG = 0100000, S_IFLNK = 0120000, S_IFCHR = 0020000;

    /** One archive member: mode, optional device numbers and data. */
    record Entry(int mode, int rdevMajor, int rdevMinor, byte[] data) {}

    final Map<String, Entry> entries = new LinkedHashMap<>();

    void dir(String path) {
        path = normalize(path);
        if (path.isEmpty() || entries.containsKey(path)) {
            return;
        }
        parents(path);
        entries.put(path, new Entry(S_IFDIR | 0755, 0, 0, new byte[0]));
    }

    void file(String path, byte[] data, int perm) {
        path = normalize(path);
        parents(path);
        entries.put(path, new Entry(S_IFREG | perm, 0, 0, data));
    }

    void symlink(String path, String target) {
        path = normalize(path);
        parents(path);
        entries.put(path, new Entry(S_IFLNK | 0777, 0, 0, target.getBytes(StandardCharsets.UTF_8)));
    }

    void charDevice(String path, int major, int minor) {
        path = normalize(path);
        parents(path);
        entries.put(path, new Entry(S_IFCHR | 0600, major, minor, new byte[0]));
    }

    private void parents(String path) {
        int slash = path.lastIndexOf('/');
        if (slash > 0) {
            dir(path.substring(0, slash));
        }
    }

    /** Archive names are relative ("bin/sh"), as the kernel and cpio(1) expect. */
    static String normalize(String path) {
        String p = path;
        while (p.startsWith("/")) {
            p = p.substring(1);
        }
        while (p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        return p;
    }

    /** Writes the newc archive: entries, then the TRAILER!!! record. */
    void write(OutputStream out) throws IOException {
        int ino = 1;
        long mtime = 0; // reproducible archives
        for (Map.Entry<String, Entry> e : entries.entrySet()) {
            Entry en = e.getValue();
            int nlink = (en.mode & 0170000) == S_IFDIR ? 2 : 1;
            header(out, ino++, en.mode, nlink, mtime, en.data.length, en.rdevMajor, en.rdevMinor, e.getKey());
            out.write(en.data);
            pad(out, en.data.length);
        }
        header(out, 0, 0, 1, 0, 0, 0, 0, "TRAILER!!!");
    }

    /*
     * newc header: "070701" then 13 fields of 8 hex digits: ino, mode, uid, gid, nlink, mtime,
     * filesize, devmajor, devminor, rdevmajor, rdevminor, namesize (with NUL), check (0).
     * The name follows, NUL-terminated, padded so header+name is a multiple of 4; the data is
     * padded to a multiple of 4 as well.
     */
    static void header(OutputStream out, int ino, int mode, int nlink, long mtime, int size,
                       int rmaj, int rmin, String name) throws IOException {
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        StringBuilder h = new StringBuilder("070701");
        for (long v : new long[] {ino, mode, 0, 0, nlink, mtime, size, 0, 0, rmaj, rmin, nameBytes.length + 1, 0}) {
            h.append(String.format("%08x", v));
        }
        out.write(h.toString().getBytes(StandardCharsets.US_ASCII));
        out.write(nameBytes);
        out.write(0);
        pad(out, 110 + nameBytes.length + 1);
    }

    static void pad(OutputStream out, long length) throws IOException {
        for (long i = length; (i & 3) != 0; i++) {
            out.write(0);
        }
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 1 || args[0].startsWith("--")) {
            System.err.println("usage: java MkInitramfs.java OUT.cpio.gz [--dir DEST] [--file DEST=SRC]"
                    + " [--symlink DEST=TARGET] [--init SCRIPT]");
            System.exit(2);
        }
        MkInitramfs a = new MkInitramfs();
        a.dir("dev");
        a.charDevice("dev/console", 5, 1);
        a.charDevice("dev/ttyS0", 4, 64);
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
                    int perm = Files.isExecutable(src) ? 0755 : 0644;
                    a.file(kv[0], Files.readAllBytes(src), perm);
                }
                case "--symlink" -> {
                    String[] kv = pair(opt, v);
                    a.symlink(kv[0], kv[1]);
                }
                case "--init" -> a.file("init", Files.readAllBytes(Path.of(v)), 0755);
                default -> fail("unknown option " + opt + "; accepted: --dir, --file, --symlink, --init");
            }
        }
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        a.write(raw);
        Path outPath = Path.of(args[0]);
        try (OutputStream gz = new GZIPOutputStream(Files.newOutputStream(outPath))) {
            raw.writeTo(gz);
        }
        System.err.printf("%s: %d entries, %d bytes uncompressed, %d compressed%n",
                outPath, a.entries.size(), raw.size(), Files.size(outPath));
    }

    static String[] pair(String opt, String v) {
        int eq = v.indexOf('=');
        if (eq <= 0) {
            fail(opt + " expects DEST=VALUE, got '" + v + "'");
        }
        return new String[] {v.substring(0, eq), v.substring(eq + 1)};
    }

    static void fail(String message) {
        System.err.println("MkInitramfs: " + message);
        System.exit(2);
    }
}
