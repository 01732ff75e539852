package org.machina.api.bus.ieee1394;

import org.osgi.annotation.versioning.ProviderType;

/**
 * How a node answers a request it acknowledged with {@link Ieee1394#ACK_PENDING}: exactly once,
 * at once or later (a split transaction). Answers after a bus reset, or a second answer, are
 * dropped by the bus.
 */
@ProviderType
public interface Responder {
    /**
     * Sends the response.
     *
     * @param rcode {@code RCODE_*} of {@link Ieee1394}
     * @param data read data or the old lock value (big-endian); ignored for write responses
     */
    void respond(int rcode, byte[] data);
}
