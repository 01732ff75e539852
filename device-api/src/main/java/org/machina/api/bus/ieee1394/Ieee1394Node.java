package org.machina.api.bus.ieee1394;

import org.osgi.annotation.versioning.ConsumerType;

/** What a node gives the bus: its PHY's self-ID fields and its link's handling of packets. */
@ConsumerType
public interface Ieee1394Node {
    /** The self-ID fields of this node's PHY, read at every bus reset. */
    PhyConfig phy();

    /** A bus reset completed: this node's new PHY ID and everyone's self-IDs. */
    void busReset(BusResetInfo info);

    /**
     * An asynchronous request addressed to this node (or broadcast). Returns the acknowledge:
     * {@link Ieee1394#ACK_PENDING} promises exactly one call of {@code responder} (at once or later);
     * {@link Ieee1394#ACK_COMPLETE} completes a write without a response (a unified or posted write);
     * a busy or error ack rejects the request. A node that does not decode the offset acknowledges
     * pending and responds {@link Ieee1394#RCODE_ADDRESS_ERROR}.
     */
    int request(AsyncRequest request, Responder responder);

    /** A PHY packet another node sent (PHY configuration, link-on); self-ID packets come with {@link #busReset}. */
    default void phyPacket(int quadlet) {
    }

    /** An isochronous packet on a channel this node listens to ({@link Ieee1394Port#listen}). */
    default void isochronous(IsochronousPacket packet) {
    }
}
