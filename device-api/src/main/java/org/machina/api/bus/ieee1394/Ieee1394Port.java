package org.machina.api.bus.ieee1394;

import org.osgi.annotation.versioning.ProviderType;

/** A node's attachment to a bus: its identity and what it can send. Calls on the machine thread. */
@ProviderType
public interface Ieee1394Port {
    /** PHY ID after the last bus reset (-1 before the first one). */
    int phyId();

    /** {@link Ieee1394#nodeId(int)} of {@link #phyId()}. */
    default int nodeId() {
        return Ieee1394.nodeId(phyId());
    }

    /** Generation of the last bus reset this node saw. */
    int generation();

    /** The gap count this node's PHY holds (PHY register 1; 63 after power-on). */
    int gapCount();

    /** Sets the gap count of this node's PHY (PHY register 1 written by its link); effective at the next reset. */
    void setGapCount(int gapCount);

    /**
     * Sends an asynchronous request and returns the responder's acknowledge. When it is
     * {@link Ieee1394#ACK_PENDING}, {@code handler} gets the response exactly once (maybe before this
     * returns), or {@link Ieee1394#RCODE_CANCELLED} when a bus reset comes first. The request's
     * {@code source} is replaced with this node's ID.
     */
    int send(AsyncRequest request, ResponseHandler handler);

    /** Sends a PHY packet (quadlet; the bus sends its inverse). PHY configuration packets set gap counts. */
    void sendPhyPacket(int quadlet);

    /** Sends an isochronous packet to the nodes listening on its channel. */
    void sendIsochronous(IsochronousPacket packet);

    /** Starts or stops receiving isochronous packets of {@code channel}. */
    void listen(int channel, boolean on);

    /** Asks for a bus reset (long, or 1394a short arbitrated); it happens after the current call returns. */
    void initiateBusReset(boolean shortReset);

    /** Leaves the bus (unplug); the others see a bus reset. Idempotent. */
    void detach();
}
