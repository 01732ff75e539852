package org.machina.devices.usb.video;

/**
 * The payload header the camera puts before the data of every payload (UVC 1.1 section 2.4.3.3):
 * 12 bytes, bHeaderLength, bmHeaderInfo (FID, EOF, PTS, SCR, EOH), the 32-bit presentation time
 * stamp of the frame and the 48-bit source clock reference (32 bits of the source clock when the
 * payload left, 11 bits of the 1 ms USB frame number then). The source clock runs at
 * {@value #CLOCK_HZ} Hz (dwClockFrequency of the VideoControl header and the probe control), here
 * derived from the machine's virtual clock.
 */
final class PayloadHeader {
    static final int LENGTH = 12;
    static final int FID = 0x01;
    static final int EOF = 0x02;
    static final int PTS = 0x04;
    static final int SCR = 0x08;
    static final int EOH = 0x80;
    static final int CLOCK_HZ = 48_000_000;

    private PayloadHeader() {
    }

    /**
     * Writes a header into {@code b[0..11]}.
     *
     * @param fid the frame id bit of the frame (0 or 1)
     * @param eof whether this payload ends the frame
     * @param frameNanos when the frame was taken (virtual clock), for the PTS
     * @param nowNanos when the payload leaves, for the SCR
     */
    static void write(byte[] b, int fid, boolean eof, long frameNanos, long nowNanos) {
        b[0] = LENGTH;
        b[1] = (byte) (EOH | SCR | PTS | fid & FID | (eof ? EOF : 0));
        UvcDescriptors.put32(b, 2, clock(frameNanos));
        UvcDescriptors.put32(b, 6, clock(nowNanos));
        UvcDescriptors.put16(b, 10, (int) (nowNanos / 1_000_000) & 0x7FF);
    }

    /** The source clock (32 bits, {@value #CLOCK_HZ} Hz) at {@code nanos}. */
    static int clock(long nanos) {
        return (int) (Math.floorDiv(nanos, 1000L) * (CLOCK_HZ / 1_000_000));
    }
}
