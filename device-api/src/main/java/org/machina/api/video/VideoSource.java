package org.machina.api.video;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * An open source of frames for one camera. The camera asks for frame {@code n} (0 at the start of
 * a stream, one more each frame interval) at the size the guest negotiated, in YUYV: 4:2:2, two
 * bytes a pixel in the order Y0 U Y1 V, BT.601 limited range (Y 16..235, U and V 16..240).
 *
 * <p>Calls come from the machine thread, one at a time: a source must answer at once (a live
 * source hands out the newest frame it has, it does not wait for one) and must not throw for any
 * size the camera offers. {@link #close()} is called when the camera goes away.
 */
@ConsumerType
public interface VideoSource extends AutoCloseable {
    /** Fills {@code yuyv} ({@code width * height * 2} bytes; width even) with frame number {@code n}. */
    void frame(long n, int width, int height, byte[] yuyv);

    /**
     * The camera's processing unit controls as the guest set them: brightness -64..64 (added to
     * luma, 0 = unchanged) and contrast in percent (100 = unchanged). Sources may ignore them.
     */
    default void adjust(int brightness, int contrast) {
    }

    /** Releases files or processes the source holds; the default holds none. */
    @Override
    default void close() {
    }
}
