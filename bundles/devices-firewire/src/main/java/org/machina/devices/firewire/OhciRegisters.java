package org.machina.devices.firewire;

/**
 * The OHCI 1.1 register map (chapter 5) and bit assignments used by {@link Ohci1394}.
 *
 * <pre>
 * 0x000 Version (0x00010010: 1.1)   0x004 GUID_ROM (none)     0x008 ATRetries
 * 0x00C CSRData  0x010 CSRCompareData  0x014 CSRControl (compare-swap of BUS_MANAGER_ID .. CHANNELS_AVAILABLE_LO)
 * 0x018 ConfigROMhdr  0x01C BusID "1394"  0x020 BusOptions  0x024 GUIDHi  0x028 GUIDLo
 * 0x034 ConfigROMmap  0x038/0x03C PostedWriteAddressLo/Hi  0x040 VendorID
 * 0x050/0x054 HCControlSet/Clear    0x064 SelfIDBuffer  0x068 SelfIDCount
 * 0x070..0x07C IRMultiChanMask Hi/Lo Set/Clear
 * 0x080/0x084 IntEventSet/Clear (reading Clear gives event &amp; mask)  0x088/0x08C IntMaskSet/Clear
 * 0x090..0x0AC IsoXmit/IsoRecv IntEvent and IntMask Set/Clear
 * 0x0B0 InitialBandwidthAvailable  0x0B4/0x0B8 InitialChannelsAvailableHi/Lo  0x0DC FairnessControl
 * 0x0E0/0x0E4 LinkControlSet/Clear  0x0E8 NodeID  0x0EC PhyControl  0x0F0 IsochronousCycleTimer
 * 0x100..0x11C AsReqFilter, PhyReqFilter Hi/Lo Set/Clear  0x120 PhyUpperBound
 * 0x180 AT request, 0x1A0 AT response, 0x1C0 AR request, 0x1E0 AR response:
 *       +0 ContextControlSet, +4 ContextControlClear, +0xC CommandPtr
 * 0x200 + 16n IT context n (Set, Clear, CommandPtr);  0x400 + 32n IR context n (+0x10 ContextMatch)
 * </pre>
 */
final class OhciRegisters {
    private OhciRegisters() {
    }

    static final int VERSION = 0x000;
    static final int GUID_ROM = 0x004;
    static final int AT_RETRIES = 0x008;
    static final int CSR_DATA = 0x00C;
    static final int CSR_COMPARE = 0x010;
    static final int CSR_CONTROL = 0x014;
    static final int CONFIG_ROM_HDR = 0x018;
    static final int BUS_ID = 0x01C;
    static final int BUS_OPTIONS = 0x020;
    static final int GUID_HI = 0x024;
    static final int GUID_LO = 0x028;
    static final int CONFIG_ROM_MAP = 0x034;
    static final int POSTED_WRITE_LO = 0x038;
    static final int POSTED_WRITE_HI = 0x03C;
    static final int VENDOR_ID = 0x040;
    static final int HC_CONTROL_SET = 0x050;
    static final int HC_CONTROL_CLEAR = 0x054;
    static final int SELF_ID_BUFFER = 0x064;
    static final int SELF_ID_COUNT = 0x068;
    static final int IR_MULTI_CHAN_HI_SET = 0x070;
    static final int IR_MULTI_CHAN_HI_CLEAR = 0x074;
    static final int IR_MULTI_CHAN_LO_SET = 0x078;
    static final int IR_MULTI_CHAN_LO_CLEAR = 0x07C;
    static final int INT_EVENT_SET = 0x080;
    static final int INT_EVENT_CLEAR = 0x084;
    static final int INT_MASK_SET = 0x088;
    static final int INT_MASK_CLEAR = 0x08C;
    static final int ISO_XMIT_EVENT_SET = 0x090;
    static final int ISO_XMIT_EVENT_CLEAR = 0x094;
    static final int ISO_XMIT_MASK_SET = 0x098;
    static final int ISO_XMIT_MASK_CLEAR = 0x09C;
    static final int ISO_RECV_EVENT_SET = 0x0A0;
    static final int ISO_RECV_EVENT_CLEAR = 0x0A4;
    static final int ISO_RECV_MASK_SET = 0x0A8;
    static final int ISO_RECV_MASK_CLEAR = 0x0AC;
    static final int INITIAL_BANDWIDTH = 0x0B0;
    static final int INITIAL_CHANNELS_HI = 0x0B4;
    static final int INITIAL_CHANNELS_LO = 0x0B8;
    static final int FAIRNESS_CONTROL = 0x0DC;
    static final int LINK_CONTROL_SET = 0x0E0;
    static final int LINK_CONTROL_CLEAR = 0x0E4;
    static final int NODE_ID = 0x0E8;
    static final int PHY_CONTROL = 0x0EC;
    static final int CYCLE_TIMER = 0x0F0;
    static final int AS_REQ_FILTER_HI_SET = 0x100;
    static final int AS_REQ_FILTER_HI_CLEAR = 0x104;
    static final int AS_REQ_FILTER_LO_SET = 0x108;
    static final int AS_REQ_FILTER_LO_CLEAR = 0x10C;
    static final int PHY_REQ_FILTER_HI_SET = 0x110;
    static final int PHY_REQ_FILTER_HI_CLEAR = 0x114;
    static final int PHY_REQ_FILTER_LO_SET = 0x118;
    static final int PHY_REQ_FILTER_LO_CLEAR = 0x11C;
    static final int PHY_UPPER_BOUND = 0x120;
    static final int AT_REQ = 0x180;
    static final int AT_RESP = 0x1A0;
    static final int AR_REQ = 0x1C0;
    static final int AR_RESP = 0x1E0;
    static final int IT_BASE = 0x200;
    static final int IR_BASE = 0x400;

    // HCControl
    static final int HC_SOFT_RESET = 1 << 16;
    static final int HC_LINK_ENABLE = 1 << 17;
    static final int HC_POSTED_WRITE_ENABLE = 1 << 18;
    static final int HC_LPS = 1 << 19;
    static final int HC_A_PHY_ENHANCE_ENABLE = 1 << 22;
    static final int HC_PROGRAM_PHY_ENABLE = 1 << 23;
    static final int HC_NO_BYTE_SWAP_DATA = 1 << 30;
    static final int HC_BIB_IMAGE_VALID = 1 << 31;
    static final int HC_WRITABLE = HC_LINK_ENABLE | HC_POSTED_WRITE_ENABLE | HC_LPS | HC_A_PHY_ENHANCE_ENABLE
            | HC_PROGRAM_PHY_ENABLE | HC_NO_BYTE_SWAP_DATA | HC_BIB_IMAGE_VALID | 1 << 29;

    // LinkControl
    static final int LC_RCV_SELF_ID = 1 << 9;
    static final int LC_RCV_PHY_PKT = 1 << 10;
    static final int LC_CYCLE_TIMER_ENABLE = 1 << 20;
    static final int LC_CYCLE_MASTER = 1 << 21;
    static final int LC_WRITABLE = LC_RCV_SELF_ID | LC_RCV_PHY_PKT | LC_CYCLE_TIMER_ENABLE | LC_CYCLE_MASTER | 1 << 6;

    // PhyControl
    static final int PHY_RD_REG = 1 << 15;
    static final int PHY_WR_REG = 1 << 14;

    // IntEvent / IntMask
    static final int INT_REQ_TX_COMPLETE = 1;
    static final int INT_RESP_TX_COMPLETE = 1 << 1;
    static final int INT_ARRQ = 1 << 2;
    static final int INT_ARRS = 1 << 3;
    static final int INT_RQ_PKT = 1 << 4;
    static final int INT_RS_PKT = 1 << 5;
    static final int INT_ISOCH_TX = 1 << 6;
    static final int INT_ISOCH_RX = 1 << 7;
    static final int INT_POSTED_WRITE_ERR = 1 << 8;
    static final int INT_LOCK_RESP_ERR = 1 << 9;
    static final int INT_SELF_ID_COMPLETE_2 = 1 << 15;
    static final int INT_SELF_ID_COMPLETE = 1 << 16;
    static final int INT_BUS_RESET = 1 << 17;
    static final int INT_REG_ACCESS_FAIL = 1 << 18;
    static final int INT_PHY = 1 << 19;
    static final int INT_CYCLE_SYNCH = 1 << 20;
    static final int INT_CYCLE_64_SECONDS = 1 << 21;
    static final int INT_CYCLE_LOST = 1 << 22;
    static final int INT_CYCLE_INCONSISTENT = 1 << 23;
    static final int INT_UNRECOVERABLE = 1 << 24;
    static final int INT_CYCLE_TOO_LONG = 1 << 25;
    static final int INT_PHY_REG_RCVD = 1 << 26;
    static final int INT_ACK_TARDY = 1 << 27;
    static final int INT_SOFT_INTERRUPT = 1 << 29;
    static final int INT_MASTER = 1 << 31;

    static final int EVT_BUS_RESET = 0x09;
}
