package org.machina.board.pc.acpi;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A small encoder for the ACPI Machine Language (ACPI 6.5, section 20.2 "AML Grammar
 * Definition"): just the terms the board's DSDT needs. Every method returns the complete
 * encoding of one term as a byte array; composite terms take their contents already encoded.
 *
 * <pre>
 * DefScope   := ScopeOp PkgLength NameString TermList          ScopeOp   = 0x10
 * DefName    := NameOp NameString DataRefObject                NameOp    = 0x08
 * DefDevice  := DeviceOp PkgLength NameString TermList         DeviceOp  = 0x5B 0x82
 * DefMethod  := MethodOp PkgLength NameString MethodFlags TermList   MethodOp = 0x14
 * DefPackage := PackageOp PkgLength NumElements PackageElementList   PackageOp = 0x12
 * DefReturn  := ReturnOp ArgObject                             ReturnOp  = 0xA4
 * Integers   := ZeroOp 0x00 | OneOp 0x01 | BytePrefix 0x0A | WordPrefix 0x0B
 *             | DWordPrefix 0x0C | QWordPrefix 0x0E (little-endian data)
 * String     := StringPrefix 0x0D AsciiCharList NullChar
 * </pre>
 */
public final class Aml {
    static final int ZERO_OP = 0x00;
    static final int ONE_OP = 0x01;
    static final int NAME_OP = 0x08;
    static final int BYTE_PREFIX = 0x0A;
    static final int WORD_PREFIX = 0x0B;
    static final int DWORD_PREFIX = 0x0C;
    static final int STRING_PREFIX = 0x0D;
    static final int QWORD_PREFIX = 0x0E;
    static final int SCOPE_OP = 0x10;
    static final int BUFFER_OP = 0x11;
    static final int PACKAGE_OP = 0x12;
    static final int METHOD_OP = 0x14;
    static final int DUAL_NAME_PREFIX = 0x2E;
    static final int MULTI_NAME_PREFIX = 0x2F;
    static final int EXT_OP_PREFIX = 0x5B;
    static final int DEVICE_OP = 0x82;
    static final int ROOT_CHAR = '\\';
    static final int PARENT_PREFIX_CHAR = '^';
    static final int RETURN_OP = 0xA4;
    /** Largest value a PkgLength can encode (28 bits). */
    static final int MAX_PKG_LENGTH = (1 << 28) - 1;

    private Aml() {
    }

    /** {@code Name(name, value)}. */
    public static byte[] name(String name, byte[] value) {
        return concat(new byte[] {NAME_OP}, nameString(name), value);
    }

    /** {@code Scope(name) { terms }}. */
    public static byte[] scope(String name, byte[]... terms) {
        return withPkgLength(new byte[] {SCOPE_OP}, concat(nameString(name), concat(terms)));
    }

    /** {@code Device(name) { terms }}. */
    public static byte[] device(String name, byte[]... terms) {
        return withPkgLength(new byte[] {EXT_OP_PREFIX, (byte) DEVICE_OP}, concat(nameString(name), concat(terms)));
    }

    /** {@code Method(name, args, NotSerialized) { terms }}. */
    public static byte[] method(String name, int args, byte[]... terms) {
        if (args < 0 || args > 7) {
            throw new IllegalArgumentException("a method takes 0 to 7 arguments, not " + args);
        }
        return withPkgLength(new byte[] {METHOD_OP}, concat(nameString(name), new byte[] {(byte) args}, concat(terms)));
    }

    /** {@code Return(value)}. */
    public static byte[] returnOf(byte[] value) {
        return concat(new byte[] {(byte) RETURN_OP}, value);
    }

    /** {@code Package(n) { elements }} with n = the number of elements given. */
    public static byte[] pkg(byte[]... elements) {
        if (elements.length > 255) {
            throw new IllegalArgumentException("a Package holds at most 255 elements, not " + elements.length);
        }
        return withPkgLength(new byte[] {PACKAGE_OP}, concat(new byte[] {(byte) elements.length}, concat(elements)));
    }

    /** {@code Buffer (n) { bytes }}: DefBuffer := BufferOp (0x11) PkgLength BufferSize ByteList. */
    public static byte[] buffer(byte[] bytes) {
        return withPkgLength(new byte[] {BUFFER_OP}, concat(integer(bytes.length), bytes));
    }

    /** An integer in its shortest encoding (ZeroOp, OneOp or the smallest prefixed constant). */
    public static byte[] integer(long value) {
        if (value == 0) {
            return new byte[] {ZERO_OP};
        }
        if (value == 1) {
            return new byte[] {ONE_OP};
        }
        if ((value & ~0xFFL) == 0) {
            return new byte[] {BYTE_PREFIX, (byte) value};
        }
        if ((value & ~0xFFFFL) == 0) {
            return new byte[] {WORD_PREFIX, (byte) value, (byte) (value >>> 8)};
        }
        if ((value & ~0xFFFF_FFFFL) == 0) {
            return dword(value);
        }
        byte[] b = new byte[9];
        b[0] = QWORD_PREFIX;
        for (int i = 0; i < 8; i++) {
            b[1 + i] = (byte) (value >>> (8 * i));
        }
        return b;
    }

    /** A DWordConst, whatever its value (how EISAIDs are encoded). */
    public static byte[] dword(long value) {
        return new byte[] {DWORD_PREFIX, (byte) value, (byte) (value >>> 8), (byte) (value >>> 16), (byte) (value >>> 24)};
    }

    /** A String of printable ASCII (0x01-0x7F, no NUL). */
    public static byte[] string(String s) {
        byte[] chars = s.getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == 0 || c > 0x7F) {
                throw new IllegalArgumentException("AML strings are ASCII without NUL: \"" + s + "\"");
            }
        }
        byte[] b = new byte[chars.length + 2];
        b[0] = STRING_PREFIX;
        System.arraycopy(chars, 0, b, 1, chars.length);
        return b;
    }

    /**
     * {@code EISAID("PNP0A03")}: three upper-case letters compressed to 5 bits each ('A' = 1)
     * in a big-endian 16-bit word, then four hex digits as two bytes, read as a little-endian
     * DWord (ACPI 6.5, section 19.6.35).
     */
    public static byte[] eisaId(String id) {
        if (!id.matches("[A-Z]{3}[0-9A-F]{4}")) {
            throw new IllegalArgumentException("an EISA id is three upper-case letters and four hex digits, not \"" + id + "\"");
        }
        int vendor = (id.charAt(0) - '@') << 10 | (id.charAt(1) - '@') << 5 | (id.charAt(2) - '@');
        int product = Integer.parseInt(id.substring(3), 16);
        long v = (vendor >>> 8) | (vendor & 0xFF) << 8 | (long) (product >>> 8) << 16 | (long) (product & 0xFF) << 24;
        return dword(v);
    }

    /**
     * A NameString: an optional root prefix ({@code \}) or parent prefixes ({@code ^}), then
     * dot-separated segments of 1-4 characters ({@code [A-Z_][A-Z0-9_]*}), each padded with
     * {@code _} to 4; two segments take DualNamePrefix, more take MultiNamePrefix and a count.
     */
    public static byte[] nameString(String path) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int i = 0;
        if (path.startsWith("\\")) {
            out.write(ROOT_CHAR);
            i = 1;
        } else {
            while (i < path.length() && path.charAt(i) == '^') {
                out.write(PARENT_PREFIX_CHAR);
                i++;
            }
        }
        String rest = path.substring(i);
        String[] segs = rest.isEmpty() ? new String[0] : rest.split("\\.", -1);
        if (segs.length == 0) {
            out.write(0); // NullName
        } else if (segs.length == 2) {
            out.write(DUAL_NAME_PREFIX);
        } else if (segs.length > 2) {
            if (segs.length > 255) {
                throw new IllegalArgumentException("too many name segments in \"" + path + "\"");
            }
            out.write(MULTI_NAME_PREFIX);
            out.write(segs.length);
        }
        for (String s : segs) {
            out.writeBytes(nameSeg(s, path));
        }
        return out.toByteArray();
    }

    private static byte[] nameSeg(String seg, String path) {
        if (!seg.matches("[A-Z_][A-Z0-9_]{0,3}")) {
            throw new IllegalArgumentException("bad AML name segment \"" + seg + "\" in \"" + path
                    + "\": 1-4 characters, A-Z or _ first, then A-Z, 0-9 or _");
        }
        byte[] b = {'_', '_', '_', '_'};
        for (int i = 0; i < seg.length(); i++) {
            b[i] = (byte) seg.charAt(i);
        }
        return b;
    }

    /**
     * The PkgLength encoding of a package whose contents (after the PkgLength) are
     * {@code contentLength} bytes long. The encoded length counts the PkgLength bytes too: one
     * byte (bits 0-5) up to 63; otherwise bits 7-6 of the lead byte give the number of
     * following bytes (1-3), its bits 0-3 the low nibble, each following byte the next 8 bits.
     */
    public static byte[] pkgLength(int contentLength) {
        if (contentLength < 0) {
            throw new IllegalArgumentException("negative package length " + contentLength);
        }
        if (contentLength + 1 <= 0x3F) {
            return new byte[] {(byte) (contentLength + 1)};
        }
        for (int extra = 1; extra <= 3; extra++) {
            long total = (long) contentLength + 1 + extra;
            if (total < 1L << (4 + 8 * extra)) {
                byte[] b = new byte[1 + extra];
                b[0] = (byte) (extra << 6 | (total & 0x0F));
                for (int i = 1; i <= extra; i++) {
                    b[i] = (byte) (total >>> (4 + 8 * (i - 1)));
                }
                return b;
            }
        }
        throw new IllegalArgumentException("package of " + contentLength + " bytes is too long for a PkgLength (2^28 - 1)");
    }

    static byte[] withPkgLength(byte[] op, byte[] contents) {
        return concat(op, pkgLength(contents.length), contents);
    }

    static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] b = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, b, at, p.length);
            at += p.length;
        }
        return b;
    }
}
