package org.machina.api.bus.ieee1394;

/**
 * What a node's PHY puts into its self-ID packet #0 besides its PHY ID and port states.
 *
 * @param linkActive L: the link (transaction layer) is powered and enabled
 * @param contender c: a contender for isochronous resource manager
 * @param speed maximum speed code (0 S100, 1 S200, 2 S400)
 * @param powerClass pwr 0..7
 * @param initiatedReset i: this PHY initiated the current bus reset
 */
public record PhyConfig(boolean linkActive, boolean contender, int speed, int powerClass, boolean initiatedReset) {
}
