package org.machina.devices.firewire;

/**
 * The register file of the controller's 1394a PHY (IEEE 1394a-2000 4.3.6, reached through the
 * OHCI PhyControl register), two ports. Base registers 0-7; registers 8-15 are paged by
 * register 7: page 0 the status of the port selected, page 1 the vendor identification.
 *
 * <pre>
 * 0  Physical_ID(7:2) R(1) CPS(0)                        RO
 * 1  RHB(7) IBR(6) Gap_count(5:0)                        IBR starts a long bus reset, self-clearing
 * 2  Extended=7(7:5) Num_ports(3:0)                      RO
 * 3  PHY_speed(7:5) Delay(3:0)                           RO (S400)
 * 4  LCtrl(7) C(6) Jitter(5:3) Pwr_class(2:0)            RW (L and c of the self-ID)
 * 5  Watchdog ISBR Loop Pwr_fail Timeout Port_event Enab_accel Enab_multi
 *                                                        ISBR starts a short reset; bits 5:2 write 1 to clear
 * 7  Page_select(7:5) Port_select(3:0)                   RW
 * 8+ page 0: AStat BStat Ch Con Bias Dis / Negotiated_speed ...; page 1: compliance 1, vendor and product ids
 * </pre>
 */
final class OhciPhy {
    static final int PORTS = 2;
    static final int VENDOR_OUI = 0x08_0028;   // Texas Instruments
    static final int PRODUCT = 0x42_4499;

    int phyId;
    boolean root;
    boolean rootHoldOff;
    int reg4 = 0x80;          // LCtrl on, not a contender, power class 0
    int reg5;
    int reg7;
    /** Connection of each port: 0 not connected, SelfId.PORT_PARENT or PORT_CHILD. */
    final int[] portState = new int[PORTS];

    /** What a write asked for beyond storing it. */
    enum Effect { NONE, LONG_RESET, SHORT_RESET }

    void reset() {
        reg4 = 0x80;
        reg5 = 0;
        reg7 = 0;
        rootHoldOff = false;
    }

    int read(int reg, int gapCount) {
        return switch (reg & 15) {
            case 0 -> phyId << 2 | (root ? 2 : 0) | 1;
            case 1 -> (rootHoldOff ? 0x80 : 0) | gapCount & 0x3F;
            case 2 -> 0xE0 | PORTS;
            case 3 -> 0x40;
            case 4 -> reg4;
            case 5 -> reg5;
            case 6 -> 0;
            case 7 -> reg7;
            default -> paged(reg & 15);
        };
    }

    private int paged(int reg) {
        int page = reg7 >>> 5 & 7;
        int port = reg7 & 15;
        if (page == 0) {
            if (port >= PORTS) {
                return 0;
            }
            int st = portState[port];
            if (reg == 8) {
                boolean con = st != 0;
                // AStat/BStat 00 invalid when disconnected; Ch(3) child, Con(2) connected, Bias(1)
                return (con ? 0x0 : 0xF0) | (st == org.machina.api.bus.ieee1394.SelfId.PORT_CHILD ? 8 : 0)
                        | (con ? 4 | 2 : 0);
            }
            if (reg == 9) {
                return st != 0 ? 2 << 5 : 0;   // negotiated S400
            }
            return 0;
        }
        if (page == 1) {
            return switch (reg) {
                case 8 -> 1;   // compliance level: IEEE 1394a-2000
                case 10 -> VENDOR_OUI >>> 16 & 0xFF;
                case 11 -> VENDOR_OUI >>> 8 & 0xFF;
                case 12 -> VENDOR_OUI & 0xFF;
                case 13 -> PRODUCT >>> 16 & 0xFF;
                case 14 -> PRODUCT >>> 8 & 0xFF;
                case 15 -> PRODUCT & 0xFF;
                default -> 0;
            };
        }
        return 0;
    }

    /** Writes a register; {@code gap} receives a new gap count for register 1 (or -1). */
    Effect write(int reg, int value, int[] gap) {
        value &= 0xFF;
        gap[0] = -1;
        switch (reg & 15) {
            case 1 -> {
                rootHoldOff = (value & 0x80) != 0;
                gap[0] = value & 0x3F;
                if ((value & 0x40) != 0) {
                    return Effect.LONG_RESET;
                }
            }
            case 4 -> reg4 = value;
            case 5 -> {
                int w1c = value & 0x3C;
                reg5 = (reg5 & ~w1c & 0x3C) | value & 0x83;
                if ((value & 0x40) != 0) {
                    return Effect.SHORT_RESET;
                }
            }
            case 7 -> reg7 = value & 0xEF;
            default -> {
                // read-only or reserved
            }
        }
        return Effect.NONE;
    }

    OhciState.PhyState save() {
        return new OhciState.PhyState(phyId, root, rootHoldOff, reg4, reg5, reg7, portState.clone());
    }

    void restore(OhciState.PhyState s) {
        if (s.portState().length != PORTS) {
            throw new org.machina.api.state.StateException("ohci-1394 state: " + s.portState().length
                    + " PHY ports, not " + PORTS);
        }
        phyId = s.phyId();
        root = s.root();
        rootHoldOff = s.rootHoldOff();
        reg4 = s.reg4();
        reg5 = s.reg5();
        reg7 = s.reg7();
        System.arraycopy(s.portState(), 0, portState, 0, PORTS);
    }

    boolean linkControl() {
        return (reg4 & 0x80) != 0;
    }

    boolean contender() {
        return (reg4 & 0x40) != 0;
    }

    int powerClass() {
        return reg4 & 7;
    }
}
