package org.machina.board.pc.acpi;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * An ACPI system description table: the 36-byte header of ACPI 6.5 section 5.2.6 (signature,
 * length, revision, checksum, OEM ids, creator) in front of a body, with the checksum byte set
 * so that all bytes of the table sum to zero.
 */
public final class AcpiTable {
    public static final int HEADER_SIZE = 36;
    static final int CHECKSUM_OFFSET = 9;
    /** OEM id (6 bytes), OEM table id (8 bytes), creator id (4 bytes) written by this board. */
    public static final String OEM_ID = "MACHNA";
    public static final String OEM_TABLE_ID = "MACHINA ";
    public static final String CREATOR_ID = "MCHN";

    private AcpiTable() {
    }

    /** The complete table: header for {@code signature}/{@code revision}, then {@code body}. */
    public static byte[] of(String signature, int revision, byte[] body) {
        if (signature.length() != 4) {
            throw new IllegalArgumentException("an ACPI table signature has 4 characters, not \"" + signature + "\"");
        }
        byte[] t = new byte[HEADER_SIZE + body.length];
        ByteBuffer b = ByteBuffer.wrap(t).order(ByteOrder.LITTLE_ENDIAN);
        b.put(signature.getBytes(StandardCharsets.US_ASCII));
        b.putInt(t.length);
        b.put((byte) revision);
        b.put((byte) 0); // checksum, below
        b.put(OEM_ID.getBytes(StandardCharsets.US_ASCII));
        b.put(OEM_TABLE_ID.getBytes(StandardCharsets.US_ASCII));
        b.putInt(1); // OEM revision
        b.put(CREATOR_ID.getBytes(StandardCharsets.US_ASCII));
        b.putInt(1); // creator revision
        b.put(body);
        t[CHECKSUM_OFFSET] = checksum(t, 0, t.length);
        return t;
    }

    /** The byte that makes {@code length} bytes from {@code offset} (that byte counted as 0) sum to 0 mod 256. */
    public static byte checksum(byte[] bytes, int offset, int length) {
        int sum = 0;
        for (int i = offset; i < offset + length; i++) {
            sum += bytes[i];
        }
        return (byte) -sum;
    }

    /** Whether {@code length} bytes from {@code offset} sum to zero mod 256. */
    public static boolean sumsToZero(byte[] bytes, int offset, int length) {
        int sum = 0;
        for (int i = offset; i < offset + length; i++) {
            sum += bytes[i];
        }
        return (sum & 0xFF) == 0;
    }
}
