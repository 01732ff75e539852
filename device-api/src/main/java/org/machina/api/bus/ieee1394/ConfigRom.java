package org.machina.api.bus.ieee1394;

import java.util.ArrayList;
import java.util.List;

/**
 * Builds a node's configuration ROM (IEEE 1212 and IEEE 1394-1995 8.3.2): the bus information
 * block, a root directory and leaves/subdirectories, with CRC-16 over each block. Quadlets are
 * big-endian values as read over the bus at {@link Ieee1394#CSR_CONFIG_ROM}.
 */
public final class ConfigRom {
    private ConfigRom() {
    }

    /** Key of an immediate entry, a CSR offset, a leaf and a directory (the type in bits 7..6). */
    public static final int TYPE_IMMEDIATE = 0;
    public static final int TYPE_CSR_OFFSET = 1;
    public static final int TYPE_LEAF = 2;
    public static final int TYPE_DIRECTORY = 3;

    /** Common key ids. */
    public static final int KEY_VENDOR = 0x03;
    public static final int KEY_NODE_CAPABILITIES = 0x0C;
    public static final int KEY_UNIT = 0x11;
    public static final int KEY_SPECIFIER_ID = 0x12;
    public static final int KEY_VERSION = 0x13;
    public static final int KEY_MODEL = 0x17;
    public static final int KEY_TEXTUAL_DESCRIPTOR = 0x01;

    /** The IEEE 1212 CRC-16 (ITU-T polynomial 0x1021) over quadlets, as in a block's header. */
    public static int crc16(int[] quadlets, int from, int count) {
        int crc = 0;
        for (int i = from; i < from + count; i++) {
            int data = quadlets[i];
            for (int shift = 28; shift >= 0; shift -= 4) {
                int sum = (crc >>> 12 ^ data >>> shift) & 0xF;
                crc = crc << 4 ^ sum << 12 ^ sum << 5 ^ sum;
            }
            crc &= 0xFFFF;
        }
        return crc;
    }

    /** A directory being built; entries are immediates, offsets, or references to leaves and directories. */
    public static final class Directory {
        private final List<Object[]> entries = new ArrayList<>();

        public Directory immediate(int key, int value) {
            entries.add(new Object[] {TYPE_IMMEDIATE << 6 | key, value & 0xFF_FFFF});
            return this;
        }

        /** A CSR offset entry: {@code offset} is in bytes from {@link Ieee1394#CSR_REGISTER_BASE}. */
        public Directory csrOffset(int key, long offset) {
            entries.add(new Object[] {TYPE_CSR_OFFSET << 6 | key, (int) (offset / 4) & 0xFF_FFFF});
            return this;
        }

        public Directory leaf(int key, int[] leafData) {
            entries.add(new Object[] {TYPE_LEAF << 6 | key, leafData});
            return this;
        }

        public Directory directory(int key, Directory sub) {
            entries.add(new Object[] {TYPE_DIRECTORY << 6 | key, sub});
            return this;
        }

        /** A textual descriptor leaf (minimal ASCII) after the entry it describes. */
        public Directory text(String ascii) {
            byte[] b = ascii.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            int[] leaf = new int[2 + (b.length + 3) / 4];
            for (int i = 0; i < b.length; i++) {
                leaf[2 + i / 4] |= (b[i] & 0xFF) << 24 - 8 * (i % 4);
            }
            return leaf(KEY_TEXTUAL_DESCRIPTOR, leaf);
        }
    }

    /**
     * The whole ROM: bus info block (4 quadlets after the header: "1394", bus options, GUID) and the
     * root directory, followed by the blocks it references in order.
     */
    public static int[] build(int busOptions, long guid, Directory root) {
        List<Integer> out = new ArrayList<>();
        out.add(0);
        out.add(0x3133_3934);
        out.add(busOptions);
        out.add((int) (guid >>> 32));
        out.add((int) guid);
        emitDirectory(out, root);
        int[] rom = out.stream().mapToInt(Integer::intValue).toArray();
        // header: info_length 4, crc_length covering the bus info block (4 quadlets), crc
        rom[0] = 4 << 24 | 4 << 16 | crc16(rom, 1, 4);
        return rom;
    }

    private static void emitDirectory(List<Integer> out, Directory dir) {
        int start = out.size();
        out.add(0);
        List<Object[]> pending = new ArrayList<>();
        for (Object[] e : dir.entries) {
            int key = (Integer) e[0];
            if (e[1] instanceof Integer v) {
                out.add(key << 24 | v);
            } else {
                pending.add(new Object[] {out.size(), e[1]});
                out.add(key << 24);
            }
        }
        int length = out.size() - start - 1;
        for (Object[] p : pending) {
            int entry = (Integer) p[0];
            out.set(entry, out.get(entry) | out.size() - entry);
            if (p[1] instanceof Directory sub) {
                emitDirectory(out, sub);
            } else {
                int[] leaf = (int[]) p[1];
                int s = out.size();
                out.add(0);
                for (int q : leaf) {
                    out.add(q);
                }
                finishBlock(out, s, leaf.length);
            }
        }
        finishBlock(out, start, length);   // after the references are filled in
    }

    private static void finishBlock(List<Integer> out, int start, int length) {
        int[] q = out.subList(start + 1, start + 1 + length).stream().mapToInt(Integer::intValue).toArray();
        out.set(start, length << 16 | crc16(q, 0, q.length));
    }
}
