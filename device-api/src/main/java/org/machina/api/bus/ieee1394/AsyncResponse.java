package org.machina.api.bus.ieee1394;

/**
 * The response of a split transaction (IEEE 1394-1995 6.2.4.2), as the requester receives it.
 *
 * @param source node ID of the responder
 * @param rcode {@code RCODE_*} of {@link Ieee1394} ({@link Ieee1394#RCODE_CANCELLED} when a bus reset
 *        cancelled the transaction)
 * @param data the data of a read or the old value of a lock, big-endian; empty for writes and errors
 */
public record AsyncResponse(int source, int rcode, byte[] data) {
    public AsyncResponse {
        if (data == null) {
            data = new byte[0];
        }
    }

    /** The first data quadlet (big-endian), or 0 without data. */
    public int quadlet() {
        return data.length < 4 ? 0 : (data[0] & 0xFF) << 24 | (data[1] & 0xFF) << 16 | (data[2] & 0xFF) << 8 | data[3] & 0xFF;
    }
}
