package org.machina.api.bus.ieee1394;

/**
 * An isochronous stream packet (IEEE 1394-1995 6.2.3).
 *
 * @param channel channel 0..63
 * @param tag tag 0..3
 * @param sy synchronization code 0..15
 * @param speed speed code
 * @param data payload, big-endian
 */
public record IsochronousPacket(int channel, int tag, int sy, int speed, byte[] data) {
    public IsochronousPacket {
        if (channel < 0 || channel > 63) {
            throw new IllegalArgumentException("channel must be 0..63, not " + channel);
        }
        if (data == null) {
            data = new byte[0];
        }
    }
}
