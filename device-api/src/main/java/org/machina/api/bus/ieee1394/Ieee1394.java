package org.machina.api.bus.ieee1394;

/**
 * Constants of IEEE 1394-1995/1394a: transaction codes, response codes, acknowledge codes, node
 * IDs and the CSR address space (IEEE 1212).
 */
public final class Ieee1394 {
    private Ieee1394() {
    }

    // transaction codes (tcode)
    public static final int TCODE_WRITE_QUADLET_REQUEST = 0x0;
    public static final int TCODE_WRITE_BLOCK_REQUEST = 0x1;
    public static final int TCODE_WRITE_RESPONSE = 0x2;
    public static final int TCODE_READ_QUADLET_REQUEST = 0x4;
    public static final int TCODE_READ_BLOCK_REQUEST = 0x5;
    public static final int TCODE_READ_QUADLET_RESPONSE = 0x6;
    public static final int TCODE_READ_BLOCK_RESPONSE = 0x7;
    public static final int TCODE_CYCLE_START = 0x8;
    public static final int TCODE_LOCK_REQUEST = 0x9;
    public static final int TCODE_ISOCHRONOUS_BLOCK = 0xA;
    public static final int TCODE_LOCK_RESPONSE = 0xB;
    /** PHY packets and link-internal packets (OHCI uses it for PHY packets and the bus-reset packet). */
    public static final int TCODE_LINK_INTERNAL = 0xE;

    // extended tcodes of lock requests
    public static final int EXTCODE_MASK_SWAP = 1;
    public static final int EXTCODE_COMPARE_SWAP = 2;
    public static final int EXTCODE_FETCH_ADD = 3;
    public static final int EXTCODE_LITTLE_ADD = 4;
    public static final int EXTCODE_BOUNDED_ADD = 5;
    public static final int EXTCODE_WRAP_ADD = 6;

    // response codes (rcode)
    public static final int RCODE_COMPLETE = 0x0;
    public static final int RCODE_CONFLICT_ERROR = 0x4;
    public static final int RCODE_DATA_ERROR = 0x5;
    public static final int RCODE_TYPE_ERROR = 0x6;
    public static final int RCODE_ADDRESS_ERROR = 0x7;
    /** Not on the wire: the transaction was cancelled by a bus reset before its response came. */
    public static final int RCODE_CANCELLED = 0x10;

    // acknowledge codes (ack)
    public static final int ACK_COMPLETE = 0x1;
    public static final int ACK_PENDING = 0x2;
    public static final int ACK_BUSY_X = 0x4;
    public static final int ACK_BUSY_A = 0x5;
    public static final int ACK_BUSY_B = 0x6;
    public static final int ACK_DATA_ERROR = 0xD;
    public static final int ACK_TYPE_ERROR = 0xE;
    /** Not on the wire: no node acknowledged the packet (no such node, or a broadcast). */
    public static final int ACK_MISSING = -1;

    // speeds
    public static final int S100 = 0;
    public static final int S200 = 1;
    public static final int S400 = 2;

    /** The bus ID of the local bus (the high 10 bits of a node ID). */
    public static final int LOCAL_BUS = 0x3FF;
    /** The broadcast PHY ID. */
    public static final int BROADCAST_PHY = 63;

    /** The node ID of PHY {@code phyId} on the local bus. */
    public static int nodeId(int phyId) {
        return LOCAL_BUS << 6 | phyId & 0x3F;
    }

    /** The PHY ID part of a node ID. */
    public static int phyId(int nodeId) {
        return nodeId & 0x3F;
    }

    /** Start of the CSR register space of every node (48-bit offset). */
    public static final long CSR_REGISTER_BASE = 0xFFFF_F000_0000L;
    public static final long CSR_STATE_CLEAR = CSR_REGISTER_BASE;
    public static final long CSR_STATE_SET = CSR_REGISTER_BASE + 0x4;
    public static final long CSR_NODE_IDS = CSR_REGISTER_BASE + 0x8;
    public static final long CSR_RESET_START = CSR_REGISTER_BASE + 0xC;
    public static final long CSR_SPLIT_TIMEOUT_HI = CSR_REGISTER_BASE + 0x18;
    public static final long CSR_SPLIT_TIMEOUT_LO = CSR_REGISTER_BASE + 0x1C;
    public static final long CSR_CYCLE_TIME = CSR_REGISTER_BASE + 0x200;
    public static final long CSR_BUS_TIME = CSR_REGISTER_BASE + 0x204;
    public static final long CSR_BUSY_TIMEOUT = CSR_REGISTER_BASE + 0x210;
    public static final long CSR_BUS_MANAGER_ID = CSR_REGISTER_BASE + 0x21C;
    public static final long CSR_BANDWIDTH_AVAILABLE = CSR_REGISTER_BASE + 0x220;
    public static final long CSR_CHANNELS_AVAILABLE_HI = CSR_REGISTER_BASE + 0x224;
    public static final long CSR_CHANNELS_AVAILABLE_LO = CSR_REGISTER_BASE + 0x228;
    public static final long CSR_BROADCAST_CHANNEL = CSR_REGISTER_BASE + 0x234;
    /** The configuration ROM (1 KiB). */
    public static final long CSR_CONFIG_ROM = CSR_REGISTER_BASE + 0x400;
    public static final long CSR_CONFIG_ROM_END = CSR_REGISTER_BASE + 0x800;

    /** Whether a tcode is a request that expects a response carrying data (reads and locks). */
    public static boolean isReadOrLock(int tcode) {
        return tcode == TCODE_READ_QUADLET_REQUEST || tcode == TCODE_READ_BLOCK_REQUEST || tcode == TCODE_LOCK_REQUEST;
    }

    /** The response tcode for a request tcode, or -1 when it is not a request. */
    public static int responseTcode(int requestTcode) {
        return switch (requestTcode) {
            case TCODE_WRITE_QUADLET_REQUEST, TCODE_WRITE_BLOCK_REQUEST -> TCODE_WRITE_RESPONSE;
            case TCODE_READ_QUADLET_REQUEST -> TCODE_READ_QUADLET_RESPONSE;
            case TCODE_READ_BLOCK_REQUEST -> TCODE_READ_BLOCK_RESPONSE;
            case TCODE_LOCK_REQUEST -> TCODE_LOCK_RESPONSE;
            default -> -1;
        };
    }
}
