package org.machina.api.bus.ieee1394;

import java.util.List;

/**
 * The bus after a reset, as every node learns it.
 *
 * @param generation bus generation, incremented by every reset (the OHCI selfIDGeneration counts it modulo 256)
 * @param phyId this node's PHY ID
 * @param rootPhyId the root's PHY ID (the highest)
 * @param irmPhyId the isochronous resource manager (highest contender with an active link), or -1
 * @param selfIds the self-ID packets in PHY ID order (one packet #0 per node)
 */
public record BusResetInfo(int generation, int phyId, int rootPhyId, int irmPhyId, List<Integer> selfIds) {
    public BusResetInfo {
        selfIds = List.copyOf(selfIds);
    }

    public int nodeId() {
        return Ieee1394.nodeId(phyId);
    }
}
