package org.machina.devices.usb.video.source;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.machina.api.video.VideoSource;
import org.machina.devices.usb.video.v4l2.CaptureDevice;
import org.machina.devices.usb.video.v4l2.V4l2Abi;
import org.machina.devices.usb.video.v4l2.V4l2Device;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A live source: a host V4L2 capture device ({@code /dev/videoN}, {@link V4l2Device}). A capture
 * thread streams from the device while the camera asks for frames: when the camera first asks (or
 * asks for another size) it picks the device's format and size for it ({@link CapturePlan}: YUYV,
 * or MJPEG when that fits better or is all there is), configures the device for 30 frames a
 * second and starts streaming; it drains every finished buffer and keeps the newest frame only,
 * converted for the camera (YUYV into planes scaled by {@link Y4mFormat}, MJPEG decoded by
 * {@link MjpegFrame} into an {@link RgbPicture}). The camera is handed that frame for whatever
 * frame number it asks, black until the first. When the camera has asked for nothing for
 * {@link #IDLE_NANOS} (the guest stopped streaming) the device stops streaming until asked again.
 * If the device fails or goes away while streaming, the thread logs why once, closes it and the
 * camera keeps showing the last frame.
 */
public final class V4l2Source implements VideoSource {
    private static final Logger LOG = LoggerFactory.getLogger(V4l2Source.class);
    /** The frame rate asked of the device (the camera's fastest). */
    static final int FPS = 30;
    static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(2);
    private static final int POLL_MILLIS = 100;

    /** A converted frame as the camera's frame() shows it. */
    private interface Shown {
        void toYuyv(int width, int height, byte[] yuyv);
    }

    private record Planar(Y4mFormat format, byte[] planes) implements Shown {
        @Override
        public void toYuyv(int width, int height, byte[] yuyv) {
            format.toYuyv(planes, width, height, yuyv);
        }
    }

    private final CaptureDevice device;
    private final long idleNanos;
    private final Thread thread;
    private final Object lock = new Object();
    private Shown latest;
    private long framesShown;
    private volatile long wanted;
    private volatile long lastAsked;
    private volatile boolean closing;
    private volatile boolean stopped;

    // capture thread only
    private CaptureDevice.Mode mode;
    private byte[] raw = new byte[0];
    private int rawLength = -1;
    private long damaged;
    private boolean decodeFailureLogged;

    private V4l2Source(CaptureDevice device, long idleNanos) {
        this.device = device;
        this.idleNanos = idleNanos;
        this.thread = Thread.ofPlatform().daemon().name("video-v4l2-" + device.name()).unstarted(this::run);
    }

    /** Opens {@code path} and starts the capture thread; fails naming the device when it cannot be a source. */
    public static V4l2Source open(String path) throws IOException {
        V4l2Device d = V4l2Device.open(path);
        try {
            return start(d);
        } catch (IOException | RuntimeException e) {
            d.close();
            throw e;
        }
    }

    /** Starts capturing from an open device, which the source owns from now on. */
    static V4l2Source start(CaptureDevice device) throws IOException {
        return start(device, IDLE_NANOS);
    }

    /** As {@link #start(CaptureDevice)}, stopping the stream after {@code idleNanos} without a request. */
    static V4l2Source start(CaptureDevice device, long idleNanos) throws IOException {
        if (device.formats().stream().noneMatch(CapturePlan::usable)) {
            List<String> offered = new ArrayList<>();
            device.formats().forEach(f -> offered.add(V4l2Abi.fourccName(f.fourcc())));
            throw new IOException(device.name() + ": no YUYV or MJPEG capture format (it offers "
                    + (offered.isEmpty() ? "none" : String.join(", ", offered)) + ")");
        }
        V4l2Source s = new V4l2Source(device, idleNanos);
        s.thread.start();
        return s;
    }

    @Override
    public void frame(long n, int width, int height, byte[] yuyv) {
        long k = (long) width << 32 | height;
        lastAsked = System.nanoTime();
        if (k != wanted) {
            wanted = k;
            synchronized (lock) {
                lock.notifyAll();
            }
        }
        synchronized (lock) {
            if (latest == null) {
                Y4mFormat.blank(yuyv);
            } else {
                latest.toYuyv(width, height, yuyv);
            }
        }
    }

    /** Frames converted so far (the newest of each drained batch). */
    long framesShown() {
        synchronized (lock) {
            return framesShown;
        }
    }

    /** True once the capture thread has ended (closed, or the device failed). */
    boolean stopped() {
        return stopped;
    }

    private void run() {
        long streamingFor = 0;
        long captured = 0;
        try {
            while (!closing) {
                long want = wanted;
                if (want != 0 && System.nanoTime() - lastAsked > idleNanos) {
                    device.stop();                                  // the guest stopped streaming
                    streamingFor = 0;
                    wanted = 0;
                    continue;
                }
                if (want == 0) {
                    synchronized (lock) {
                        if (wanted == 0 && !closing) {
                            lock.wait(POLL_MILLIS);
                        }
                    }
                    continue;
                }
                if (want != streamingFor) {
                    configure((int) (want >>> 32), (int) want);
                    streamingFor = want;
                }
                if (device.await(POLL_MILLIS)) {
                    rawLength = -1;
                    while (device.take(this::copy)) {
                        captured++;
                    }
                    if (rawLength >= 0) {
                        convert();
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            if (!closing) {
                LOG.warn("video source {} stopped after {} frames: {}; the camera keeps showing the last frame",
                        device.name(), captured, e.getMessage());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            stopped = true;
            device.close();
        }
    }

    private void configure(int width, int height) throws IOException {
        CapturePlan plan = CapturePlan.choose(device.formats(), width, height);
        if (plan == null) {
            throw new IOException(device.name() + ": no YUYV or MJPEG size for a " + width + "x" + height + " frame");
        }
        device.stop();
        mode = device.configure(plan.fourcc(), plan.size().width(), plan.size().height(), FPS);
        if (mode.fourcc() == V4l2Abi.PIX_FMT_YUYV && (mode.width() < 2 || mode.height() < 1
                || mode.bytesPerLine() < mode.width() * 2)) {
            throw new IOException(device.name() + ": the driver set a YUYV mode of " + mode.width() + "x" + mode.height()
                    + " with " + mode.bytesPerLine() + " bytes a line");
        }
        device.start();
        LOG.info("video source {}: capturing {} {}x{} for {}x{} camera frames", device.name(),
                V4l2Abi.fourccName(mode.fourcc()), mode.width(), mode.height(), width, height);
    }

    /** Keeps a copy of a dequeued frame (the newest of a drained batch is the one converted). */
    private void copy(MemorySegment data, long sequence, boolean bad) {
        if (bad || data.byteSize() == 0) {
            damaged++;
            return;
        }
        int n = (int) data.byteSize();
        if (raw.length < n) {
            raw = new byte[n];
        }
        MemorySegment.copy(data, ValueLayout.JAVA_BYTE, 0, raw, 0, n);
        rawLength = n;
    }

    private void convert() {
        Shown shown;
        if (mode.fourcc() == V4l2Abi.PIX_FMT_YUYV) {
            int w = mode.width() & ~1;
            int h = mode.height();
            if (rawLength < (long) mode.bytesPerLine() * (h - 1) + w * 2) {
                damaged++;                                          // a short frame
                return;
            }
            Y4mFormat f = Y4mFormat.of(w, h, Y4mFormat.Chroma.C422);
            byte[] planes = new byte[f.frameBytes];
            deinterleave(raw, mode.bytesPerLine(), w, h, planes);
            shown = new Planar(f, planes);
        } else {
            try {
                shown = MjpegFrame.decode(raw, rawLength)::toYuyv;
            } catch (IOException | RuntimeException e) {
                damaged++;
                if (!decodeFailureLogged) {
                    decodeFailureLogged = true;
                    LOG.warn("video source {}: an MJPEG frame does not decode ({}); skipped (logged once)", device.name(),
                            e.getMessage());
                }
                return;
            }
        }
        synchronized (lock) {
            latest = shown;
            framesShown++;
        }
    }

    /**
     * Packed YUYV (Y0 U Y1 V, {@code stride} bytes a line) into 4:2:2 planes: Y ({@code w*h}),
     * then U and V ({@code w/2*h} each), the layout {@link Y4mFormat} scales from.
     */
    static void deinterleave(byte[] yuyv, int stride, int w, int h, byte[] planes) {
        int cw = w / 2;
        int u = w * h;
        int v = u + cw * h;
        for (int y = 0; y < h; y++) {
            int in = y * stride;
            int yo = y * w;
            int co = y * cw;
            for (int x = 0; x < cw; x++, in += 4) {
                planes[yo + 2 * x] = yuyv[in];
                planes[u + co + x] = yuyv[in + 1];
                planes[yo + 2 * x + 1] = yuyv[in + 2];
                planes[v + co + x] = yuyv[in + 3];
            }
        }
    }

    @Override
    public void close() {
        closing = true;
        synchronized (lock) {
            lock.notifyAll();
        }
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
