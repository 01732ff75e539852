package org.machina.api.bus.ieee1394;

/**
 * One asynchronous request packet (IEEE 1394-1995 6.2.2), without CRCs.
 *
 * @param source node ID of the requester
 * @param destination node ID of the responder (PHY ID 63: broadcast)
 * @param tlabel transaction label 0..63 the requester chose
 * @param tcode {@code TCODE_*_REQUEST} of {@link Ieee1394}
 * @param offset 48-bit destination offset
 * @param data payload of writes and locks (4 bytes for a quadlet write; argument and data for a
 *        lock), big-endian as on the bus; empty for reads
 * @param length bytes asked for by a block read (4 for a quadlet read), the payload length otherwise
 * @param extendedTcode the lock function of a lock request ({@code EXTCODE_*}), 0 otherwise
 * @param speed the speed code of the packet ({@link Ieee1394#S100} ...)
 */
public record AsyncRequest(int source, int destination, int tlabel, int tcode, long offset, byte[] data, int length,
        int extendedTcode, int speed) {
    public AsyncRequest {
        if (data == null) {
            data = new byte[0];
        }
        if (tlabel < 0 || tlabel > 63) {
            throw new IllegalArgumentException("tlabel must be 0..63, not " + tlabel);
        }
        if (offset < 0 || offset > 0xFFFF_FFFF_FFFFL) {
            throw new IllegalArgumentException("offset must be 48 bits, not 0x" + Long.toHexString(offset));
        }
        if (length < 0 || length > 0xFFFF) {
            throw new IllegalArgumentException("length must be 0..65535, not " + length);
        }
    }

    public static AsyncRequest readQuadlet(int source, int destination, int tlabel, long offset) {
        return new AsyncRequest(source, destination, tlabel, Ieee1394.TCODE_READ_QUADLET_REQUEST, offset, null, 4, 0,
                Ieee1394.S400);
    }

    public static AsyncRequest readBlock(int source, int destination, int tlabel, long offset, int length) {
        return new AsyncRequest(source, destination, tlabel, Ieee1394.TCODE_READ_BLOCK_REQUEST, offset, null, length, 0,
                Ieee1394.S400);
    }

    /** A quadlet write when {@code data} is 4 bytes, a block write otherwise. */
    public static AsyncRequest write(int source, int destination, int tlabel, long offset, byte[] data) {
        int tcode = data.length == 4 ? Ieee1394.TCODE_WRITE_QUADLET_REQUEST : Ieee1394.TCODE_WRITE_BLOCK_REQUEST;
        return new AsyncRequest(source, destination, tlabel, tcode, offset, data, data.length, 0, Ieee1394.S400);
    }

    public static AsyncRequest lock(int source, int destination, int tlabel, long offset, int extendedTcode, byte[] data) {
        return new AsyncRequest(source, destination, tlabel, Ieee1394.TCODE_LOCK_REQUEST, offset, data, data.length,
                extendedTcode, Ieee1394.S400);
    }

    /** The same request with another transaction label (the bus assigns labels for nodes that do not). */
    public AsyncRequest withTlabel(int label) {
        return new AsyncRequest(source, destination, label, tcode, offset, data, length, extendedTcode, speed);
    }

    /** The first payload quadlet (big-endian), or 0 without payload. */
    public int quadlet() {
        return data.length < 4 ? 0 : (data[0] & 0xFF) << 24 | (data[1] & 0xFF) << 16 | (data[2] & 0xFF) << 8 | data[3] & 0xFF;
    }

    public boolean isWrite() {
        return tcode == Ieee1394.TCODE_WRITE_QUADLET_REQUEST || tcode == Ieee1394.TCODE_WRITE_BLOCK_REQUEST;
    }

    public boolean isRead() {
        return tcode == Ieee1394.TCODE_READ_QUADLET_REQUEST || tcode == Ieee1394.TCODE_READ_BLOCK_REQUEST;
    }
}
