package org.machina.tools.initramfs;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The {@code .modinfo} section of a Linux kernel module: the NUL-separated {@code key=value}
 * strings that modinfo(8) prints ({@code name=}, {@code depends=}, {@code alias=}, ...). Read from
 * the module's ELF section headers (ELF32 or ELF64, either byte order), per the System V ABI's
 * object file format; a file that is not such an ELF object is rejected with the reason.
 */
public record ModInfo(List<String> entries) {

    /** The values of {@code key}, in file order. */
    public List<String> values(String key) {
        String prefix = key + "=";
        return entries.stream().filter(e -> e.startsWith(prefix)).map(e -> e.substring(prefix.length())).toList();
    }

    /**
     * The modules this one needs loaded first ({@code depends=}, comma separated), with names
     * normalised as the kernel does ({@code -} and {@code _} are the same).
     */
    public List<String> depends() {
        List<String> out = new ArrayList<>();
        for (String v : values("depends")) {
            for (String d : v.split(",")) {
                if (!d.isBlank()) {
                    out.add(KernelModules.normalize(d.strip()));
                }
            }
        }
        return out;
    }

    /** Parses {@code elf}; {@code source} names the file in error messages. */
    public static ModInfo parse(byte[] elf, String source) {
        if (elf.length < 16 || elf[0] != 0x7f || elf[1] != 'E' || elf[2] != 'L' || elf[3] != 'F') {
            throw new IllegalArgumentException(source + ": not an ELF file (no \\x7fELF magic)");
        }
        boolean is64 = switch (elf[4]) {
            case 1 -> false;
            case 2 -> true;
            default -> throw new IllegalArgumentException(source + ": unknown ELF class " + elf[4]);
        };
        ByteBuffer b = ByteBuffer.wrap(elf).order(switch (elf[5]) {
            case 1 -> ByteOrder.LITTLE_ENDIAN;
            case 2 -> ByteOrder.BIG_ENDIAN;
            default -> throw new IllegalArgumentException(source + ": unknown ELF byte order " + elf[5]);
        });
        int headerSize = is64 ? 64 : 52;
        check(elf.length >= headerSize, source, "truncated ELF header");
        long shoff = is64 ? b.getLong(0x28) : Integer.toUnsignedLong(b.getInt(0x20));
        int shentsize = Short.toUnsignedInt(b.getShort(is64 ? 0x3a : 0x2e));
        int shnum = Short.toUnsignedInt(b.getShort(is64 ? 0x3c : 0x30));
        int shstrndx = Short.toUnsignedInt(b.getShort(is64 ? 0x3e : 0x32));
        check(shentsize >= (is64 ? 64 : 40), source, "section header size " + shentsize + " too small");
        check(shnum > 0 && shstrndx < shnum, source, "no section name table (shnum " + shnum + ", shstrndx " + shstrndx + ")");
        check(shoff >= 0 && shoff + (long) shnum * shentsize <= elf.length, source, "section headers lie outside the file");
        Section strtab = section(b, is64, shoff + (long) shstrndx * shentsize, elf.length, source);
        for (int i = 0; i < shnum; i++) {
            Section s = section(b, is64, shoff + (long) i * shentsize, elf.length, source);
            check(s.nameOffset < strtab.size, source, "section " + i + " name outside the name table");
            if (".modinfo".equals(cString(elf, (int) (strtab.offset + s.nameOffset), (int) (strtab.offset + strtab.size)))) {
                return new ModInfo(strings(elf, (int) s.offset, (int) (s.offset + s.size)));
            }
        }
        throw new IllegalArgumentException(source + ": no .modinfo section: not a kernel module");
    }

    private record Section(long nameOffset, long offset, long size) {}

    private static Section section(ByteBuffer b, boolean is64, long at, int fileSize, String source) {
        int p = (int) at;
        long name = Integer.toUnsignedLong(b.getInt(p));
        long offset = is64 ? b.getLong(p + 24) : Integer.toUnsignedLong(b.getInt(p + 16));
        long size = is64 ? b.getLong(p + 32) : Integer.toUnsignedLong(b.getInt(p + 20));
        int type = b.getInt(p + 4);
        if (type == 8) { // SHT_NOBITS occupies no file space
            size = 0;
        }
        check(offset >= 0 && size >= 0 && offset + size <= fileSize, source, "section data lies outside the file");
        return new Section(name, offset, size);
    }

    private static String cString(byte[] data, int from, int limit) {
        int end = from;
        while (end < limit && data[end] != 0) {
            end++;
        }
        return new String(data, from, end - from, StandardCharsets.UTF_8);
    }

    private static List<String> strings(byte[] data, int from, int to) {
        List<String> out = new ArrayList<>();
        int start = from;
        for (int i = from; i <= to; i++) {
            if (i == to || data[i] == 0) {
                if (i > start) {
                    out.add(new String(Arrays.copyOfRange(data, start, i), StandardCharsets.UTF_8));
                }
                start = i + 1;
            }
        }
        return List.copyOf(out);
    }

    private static void check(boolean ok, String source, String problem) {
        if (!ok) {
            throw new IllegalArgumentException(source + ": " + problem);
        }
    }
}
