package org.machina.devices.firewire;

import java.util.List;

/**
 * Version 1 of the {@code ohci-1394} state: the register file, the PHY registers, the four
 * asynchronous contexts (command pointer, ContextControl, the descriptor they stand on), the
 * isochronous contexts, the cycle timer's count, the bus (its generation, gap count and the nodes in
 * their order, so that the same nodes re-attaching after a hot-swap resume without a bus reset),
 * the requests received into AR request that wait for the driver's response, and the PCI
 * configuration space.
 */
record OhciState(Registers registers, PhyState phy, AtState atRequest, AtState atResponse, ArState arRequest,
        ArState arResponse, List<IsoState> it, List<IsoState> ir, long cycleTicks, int generation, int gapCount,
        List<String> nodes, int[] awaiting, byte[] pciConfig) {

    record Registers(int hcControl, int linkControl, int intEvent, int intMask, int isoXmitEvent, int isoXmitMask,
            int isoRecvEvent, int isoRecvMask, int configRomHdr, int busOptions, int configRomMap, int nextConfigRomMap,
            int selfIdBuffer, int selfIdCount, int nodeId, boolean nodeIdValid, int phyControl, int atRetries,
            int csrData, int csrCompare, int csrControl, int[] csr, int asReqFilterHi, int asReqFilterLo,
            int phyReqFilterHi, int phyReqFilterLo, int phyUpperBound, int postedWriteLo, int postedWriteHi,
            int fairness, int initialBandwidth, int initialChannelsHi, int initialChannelsLo, int irMultiChanHi,
            int irMultiChanLo) {
    }

    record PhyState(int phyId, boolean root, boolean rootHoldOff, int reg4, int reg5, int reg7, int[] portState) {
    }

    /** An AT context: ContextControl, CommandPtr and the *_LAST descriptor a wake re-reads (-1: none). */
    record AtState(int control, int commandPtr, long lastDescriptor) {
    }

    /** An AR context: ContextControl, CommandPtr, the descriptor being filled (-1: none) and whether it is the full last one. */
    record ArState(int control, int commandPtr, long current, boolean atEnd) {
    }

    /**
     * An isochronous context: ContextControl (IR: the mode bits, and run/active... in packet-per-buffer
     * mode), CommandPtr, ContextMatch (IR), the *_LAST descriptor a wake re-reads (-1: none), whether
     * an IR program waits for a sync match and whether it came, and the buffer-fill engine (IR).
     */
    record IsoState(int control, int commandPtr, int match, long lastDescriptor, boolean waitSync, boolean synced,
            ArState fill) {
    }
}
