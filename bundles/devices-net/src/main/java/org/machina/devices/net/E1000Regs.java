package org.machina.devices.net;

/** Register offsets and bits of the 8254x (Intel PCI/PCI-X GbE family manual, section 13). */
final class E1000Regs {
    private E1000Regs() {
    }

    static final int CTRL = 0x0000;
    static final int STATUS = 0x0008;
    static final int EECD = 0x0010;
    static final int EERD = 0x0014;
    static final int CTRL_EXT = 0x0018;
    static final int MDIC = 0x0020;
    static final int ICR = 0x00C0;
    static final int ITR = 0x00C4;
    static final int ICS = 0x00C8;
    static final int IMS = 0x00D0;
    static final int IMC = 0x00D8;
    static final int RCTL = 0x0100;
    static final int TCTL = 0x0400;
    static final int LEDCTL = 0x0E00;
    static final int PBA = 0x1000;
    static final int RDBAL = 0x2800;
    static final int RDBAH = 0x2804;
    static final int RDLEN = 0x2808;
    static final int RDH = 0x2810;
    static final int RDT = 0x2818;
    static final int TDBAL = 0x3800;
    static final int TDBAH = 0x3804;
    static final int TDLEN = 0x3808;
    static final int TDH = 0x3810;
    static final int TDT = 0x3818;
    static final int STATS_FIRST = 0x4000;
    static final int STATS_LAST = 0x40FC;
    static final int RXCSUM = 0x5000;
    static final int RXCSUM_IPOFL = 1 << 8;
    static final int RXCSUM_TUOFL = 1 << 9;
    static final int MTA = 0x5200;
    static final int RA = 0x5400;
    static final int RA_ENTRIES = 16;

    // statistics (clear on read)
    static final int MPC = 0x4010;
    static final int GPRC = 0x4074;
    static final int BPRC = 0x4078;
    static final int MPRC = 0x407C;
    static final int GPTC = 0x4080;
    static final int GORCL = 0x4088;
    static final int GORCH = 0x408C;
    static final int GOTCL = 0x4090;
    static final int GOTCH = 0x4094;
    static final int RNBC = 0x40A0;
    static final int ROC = 0x40AC;
    static final int TORL = 0x40C0;
    static final int TORH = 0x40C4;
    static final int TOTL = 0x40C8;
    static final int TOTH = 0x40CC;
    static final int TPR = 0x40D0;
    static final int TPT = 0x40D4;

    // CTRL
    static final int CTRL_FD = 1;
    static final int CTRL_SLU = 1 << 6;
    static final int CTRL_SPEED_1000 = 2 << 8;
    static final int CTRL_RST = 1 << 26;
    static final int CTRL_PHY_RST = 1 << 31;

    // STATUS
    static final int STATUS_FD = 1;
    static final int STATUS_LU = 1 << 1;
    static final int STATUS_SPEED_1000 = 2 << 6;

    // EERD
    static final int EERD_START = 1;
    static final int EERD_DONE = 1 << 4;

    // MDIC
    static final int MDIC_OP_WRITE = 1;
    static final int MDIC_OP_READ = 2;
    static final int MDIC_READY = 1 << 28;
    static final int MDIC_INT = 1 << 29;
    static final int MDIC_ERROR = 1 << 30;

    // interrupt causes
    static final int ICR_TXDW = 1;
    static final int ICR_TXQE = 1 << 1;
    static final int ICR_LSC = 1 << 2;
    static final int ICR_RXDMT0 = 1 << 4;
    static final int ICR_RXO = 1 << 6;
    static final int ICR_RXT0 = 1 << 7;
    static final int ICR_MDAC = 1 << 9;

    // RCTL
    static final int RCTL_EN = 1 << 1;
    static final int RCTL_UPE = 1 << 3;
    static final int RCTL_MPE = 1 << 4;
    static final int RCTL_LPE = 1 << 5;
    static final int RCTL_BAM = 1 << 15;
    static final int RCTL_BSEX = 1 << 25;
    static final int RCTL_SECRC = 1 << 26;

    // TCTL
    static final int TCTL_EN = 1 << 1;

    // descriptors
    static final int DESC_SIZE = 16;
    static final int RXD_STAT_DD = 1;
    static final int RXD_STAT_EOP = 1 << 1;
    static final int RXD_STAT_IXSM = 1 << 2;
    static final int RXD_STAT_TCPCS = 1 << 5;
    static final int RXD_STAT_IPCS = 1 << 6;
    static final int RXD_ERR_TCPE = 1 << 5;
    static final int RXD_ERR_IPE = 1 << 6;
    static final int TXD_CMD_EOP = 1;
    static final int TXD_CMD_IC = 1 << 2;
    static final int TXD_CMD_RS = 1 << 3;
    static final int TXD_CMD_DEXT = 1 << 5;
    static final int TXD_CMD_TSE = 1 << 2;       // in DCMD/TUCMD of extended descriptors
    static final int TXD_STAT_DD = 1;
    static final int TXD_POPTS_IXSM = 1;
    static final int TXD_POPTS_TXSM = 2;
    static final int TUCMD_TCP = 1;
    static final int TUCMD_IP = 1 << 1;

    /** Receive buffer size from RCTL.BSIZE and BSEX. */
    static int rxBufferSize(int rctl) {
        int bsize = rctl >>> 16 & 3;
        if ((rctl & RCTL_BSEX) != 0) {
            return bsize == 0 ? 2048 : 32768 >> bsize;    // 01 16384, 10 8192, 11 4096
        }
        return 2048 >> bsize;                             // 00 2048, 01 1024, 10 512, 11 256
    }
}
