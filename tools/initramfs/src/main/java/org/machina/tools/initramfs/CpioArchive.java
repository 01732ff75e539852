package org.machina.tools.initramfs;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A cpio archive in the "newc" format, the Linux initramfs format (the kernel's
 * Documentation/driver-api/early-userspace/buffer-format.rst). Entries are kept in memory and
 * written in insertion order; parent directories are added automatically, and device nodes are
 * archive entries only, so building one needs neither root nor the host's cpio.
 */
public final class CpioArchive {
    // Mode bits (st_mode) as stored in the c_mode field.
    static final int S_IFDIR = 0040000, S_IFREG = 0100000, S_IFLNK = 0120000, S_IFCHR = 0020000;

    /** One archive member: mode, optional device numbers and data. */
    record Entry(int mode, int rdevMajor, int rdevMinor, byte[] data) {}

    private final Map<String, Entry> entries = new LinkedHashMap<>();

    public void dir(String path) {
        path = normalize(path);
        if (path.isEmpty() || entries.containsKey(path)) {
            return;
        }
        parents(path);
        entries.put(path, new Entry(S_IFDIR | 0755, 0, 0, new byte[0]));
    }

    public void file(String path, byte[] data, int perm) {
        path = normalize(path);
        parents(path);
        entries.put(path, new Entry(S_IFREG | perm, 0, 0, data));
    }

    public void symlink(String path, String target) {
        path = normalize(path);
        parents(path);
        entries.put(path, new Entry(S_IFLNK | 0777, 0, 0, target.getBytes(StandardCharsets.UTF_8)));
    }

    public void charDevice(String path, int major, int minor) {
        path = normalize(path);
        parents(path);
        entries.put(path, new Entry(S_IFCHR | 0600, major, minor, new byte[0]));
    }

    public Set<String> names() {
        return entries.keySet();
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
    public void write(OutputStream out) throws IOException {
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
    private static void header(OutputStream out, int ino, int mode, int nlink, long mtime, int size,
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

    private static void pad(OutputStream out, long length) throws IOException {
        for (long i = length; (i & 3) != 0; i++) {
            out.write(0);
        }
    }
}
