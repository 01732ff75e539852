package org.machina.devices.usb.video.v4l2;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Map;

/**
 * A frame-capturing device as the V4L2 source drives it from its capture thread: the formats it
 * offers, configure, start streaming, wait for and take frames, stop. {@link V4l2Device} is the
 * host's; every call but {@link #name()} and {@link #formats()} comes from one thread.
 */
public interface CaptureDevice extends AutoCloseable {
    /**
     * A pixel format the device offers, its frame sizes and, for discrete sizes whose intervals the
     * driver lists, the most frames a second it offers at each (a size missing from it: unknown).
     */
    record PixelFormat(int fourcc, String description, boolean compressed, FrameSizes sizes,
            Map<FrameSizes.Size, Double> fastest) {
        public PixelFormat {
            fastest = Map.copyOf(fastest);
        }

        public PixelFormat(int fourcc, String description, boolean compressed, FrameSizes sizes) {
            this(fourcc, description, compressed, sizes, Map.of());
        }

        @Override
        public String toString() {
            return V4l2Abi.fourccName(fourcc) + " " + sizes;
        }
    }

    /** What the device agreed to (VIDIOC_S_FMT's answer); {@code bytesPerLine} is 0 for compressed formats. */
    record Mode(int fourcc, int width, int height, int bytesPerLine, int sizeImage) {
    }

    /** Receives a dequeued frame; {@code data} is valid only during the call. */
    @FunctionalInterface
    interface FrameSink {
        void frame(MemorySegment data, long sequence, boolean damaged);
    }

    /** The device node, for messages. */
    String name();

    List<PixelFormat> formats();

    /** Sets the format and size (the device may adjust the size) and asks for {@code fps} frames a second. */
    Mode configure(int fourcc, int width, int height, int fps) throws IOException;

    /** Allocates and maps buffers, queues them and starts streaming. */
    void start() throws IOException;

    /** Waits up to {@code millis} for a frame; true when one may be ready. */
    boolean await(int millis) throws IOException;

    /** Hands the next finished frame to {@code sink} and gives its buffer back; false if none is ready. */
    boolean take(FrameSink sink) throws IOException;

    /** Stops streaming and releases the buffers (nothing if not streaming). */
    void stop();

    @Override
    void close();
}
