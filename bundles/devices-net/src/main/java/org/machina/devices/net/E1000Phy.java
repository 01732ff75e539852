package org.machina.devices.net;

/**
 * The 82540EM's internal PHY (a Marvell 88E1011-compatible copper PHY at MDIO address 1), as
 * the MAC's MDIC register reaches it: the IEEE 802.3 clause 22 registers plus the vendor status
 * register the driver reads for speed. The link is always up at 1000 Mb/s full duplex with
 * auto-negotiation complete.
 */
final class E1000Phy {
    static final int ADDRESS = 1;
    static final int CTRL = 0;
    static final int STATUS = 1;
    static final int ID1 = 2;
    static final int ID2 = 3;
    static final int AUTONEG_ADV = 4;
    static final int LP_ABILITY = 5;
    static final int AUTONEG_EXP = 6;
    static final int GIG_CTRL = 9;
    static final int GIG_STATUS = 10;
    static final int EXT_STATUS = 15;
    static final int SPEC_CTRL = 16;
    static final int SPEC_STATUS = 17;

    static final int CTRL_RESET = 1 << 15;
    static final int CTRL_RESTART_AUTONEG = 1 << 9;
    static final int STATUS_LINK = 1 << 2;
    static final int STATUS_AUTONEG_COMPLETE = 1 << 5;

    private final int[] regs = new int[32];

    E1000Phy() {
        reset();
    }

    void reset() {
        java.util.Arrays.fill(regs, 0);
        regs[CTRL] = 0x1140;             // auto-negotiation enabled, full duplex, 1000 Mb/s
        regs[STATUS] = 0x7949 | STATUS_LINK | STATUS_AUTONEG_COMPLETE;
        regs[ID1] = 0x0141;              // Marvell OUI
        regs[ID2] = 0x0C20;              // 88E1011
        regs[AUTONEG_ADV] = 0x0DE1;
        regs[LP_ABILITY] = 0x45E1;
        regs[AUTONEG_EXP] = 0x0007;
        regs[GIG_CTRL] = 0x0E00;
        regs[GIG_STATUS] = 0x3C00;       // link partner 1000 full/half, local and remote receiver OK
        regs[EXT_STATUS] = 0x3000;
        regs[SPEC_CTRL] = 0x0068;
        regs[SPEC_STATUS] = 0xBC00;      // 1000 Mb/s, full duplex, speed/duplex resolved, link up
    }

    int[] save() {
        return regs.clone();
    }

    void load(int[] saved) {
        for (int i = 0; i < 32; i++) {
            regs[i] = saved[i] & 0xFFFF;
        }
    }

    int read(int reg) {
        return regs[reg & 31];
    }

    void write(int reg, int value) {
        reg &= 31;
        value &= 0xFFFF;
        switch (reg) {
            case CTRL -> {
                if ((value & CTRL_RESET) != 0) {
                    reset();
                    return;
                }
                regs[CTRL] = value & ~CTRL_RESTART_AUTONEG;   // negotiation completes at once
            }
            case STATUS, ID1, ID2, LP_ABILITY, AUTONEG_EXP, GIG_STATUS, EXT_STATUS, SPEC_STATUS -> { }   // read-only
            default -> regs[reg] = value;
        }
    }
}
