package org.machina.api.bus.ieee1394;

/**
 * Self-ID packet #0 (IEEE 1394a-2000 table 4-1): {@code 10 phy_ID(6) 0 L gap_cnt(6) sp(2) del(2)
 * c pwr(3) p0(2) p1(2) p2(2) i m}. Port states: {@link #PORT_NOT_PRESENT}, {@link #PORT_NOT_CONNECTED},
 * {@link #PORT_PARENT} (connected to the parent), {@link #PORT_CHILD} (connected to a child).
 */
public final class SelfId {
    private SelfId() {
    }

    public static final int PORT_NOT_PRESENT = 0;
    public static final int PORT_NOT_CONNECTED = 1;
    public static final int PORT_PARENT = 2;
    public static final int PORT_CHILD = 3;

    /** Builds packet #0 for up to three ports. */
    public static int packet0(int phyId, PhyConfig phy, int gapCount, int[] ports) {
        int q = 0x8000_0000 | (phyId & 0x3F) << 24 | (phy.linkActive() ? 1 << 22 : 0) | (gapCount & 0x3F) << 16
                | (phy.speed() & 3) << 14 | (phy.contender() ? 1 << 11 : 0) | (phy.powerClass() & 7) << 8
                | (phy.initiatedReset() ? 2 : 0);
        for (int p = 0; p < 3; p++) {
            q |= (p < ports.length ? ports[p] & 3 : PORT_NOT_PRESENT) << 6 - 2 * p;
        }
        return q;
    }

    public static int phyId(int selfId) {
        return selfId >>> 24 & 0x3F;
    }

    public static boolean linkActive(int selfId) {
        return (selfId & 1 << 22) != 0;
    }

    public static int gapCount(int selfId) {
        return selfId >>> 16 & 0x3F;
    }

    public static boolean contender(int selfId) {
        return (selfId & 1 << 11) != 0;
    }

    /** Port state 0..2 of packet #0. */
    public static int port(int selfId, int port) {
        return selfId >>> 6 - 2 * port & 3;
    }
}
