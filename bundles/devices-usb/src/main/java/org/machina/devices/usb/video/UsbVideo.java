package org.machina.devices.usb.video;

import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import org.machina.api.bus.usb.UsbBus;
import org.machina.api.bus.usb.UsbEndpointType;
import org.machina.api.bus.usb.UsbPort;
import org.machina.api.bus.usb.UsbSetup;
import org.machina.api.bus.usb.UsbSpeed;
import org.machina.api.bus.usb.UsbStatus;
import org.machina.api.bus.usb.UsbTransfer;
import org.machina.api.device.Device;
import org.machina.api.device.DeviceContext;
import org.machina.api.time.Timer;
import org.machina.api.video.VideoSource;
import org.machina.devices.usb.core.UsbFunction;
import org.machina.devices.usb.video.mjpeg.JpegEncoder;

/**
 * A USB Video Class 1.1 camera ({@link UvcDescriptors}) streaming YUYV or MJPEG over isochronous
 * alternate settings or a bulk IN endpoint from a {@link VideoSource} (API {@code org.machina.api.video}), high speed. MJPEG frames
 * are the source's YUYV frames through this bundle's {@link JpegEncoder}, each with a COM segment
 * {@code "machina frame N"}, encoded off the machine thread: when an MJPEG frame is due the source
 * fills it on the machine thread, an encoder thread compresses it, and the bulk transfer that
 * waits for it (NAKed, as a camera that is still compressing) completes in a task posted back to
 * the machine thread (isochronous packets carry headers alone meanwhile).
 *
 * <p>VideoStreaming interface 1 negotiates with probe and commit (UVC 1.1 section 4.3.1.1): the
 * 34-byte control (bmHint, bFormatIndex, bFrameIndex, dwFrameInterval, ..., dwMaxVideoFrameSize,
 * dwMaxPayloadTransferSize, dwClockFrequency, bmFramingInfo, bPreferedVersion, bMinVersion,
 * bMaxVersion); SET_CUR on probe takes the format (1 YUYV, 2 MJPEG; another falls back to 1) and
 * picks the nearest frame size index and interval the camera has for it,
 * GET_CUR/MIN/MAX/DEF answer it, SET_CUR on commit starts a bulk stream, SET_INTERFACE to a
 * non-zero alternate setting an isochronous one. Each bulk IN transfer is one payload (at most
 * {@value #PAYLOAD} bytes), each isochronous packet one payload of at most the alternate
 * setting's size: a {@link PayloadHeader} (FID toggling per frame, EOF on the frame's last
 * payload, PTS, SCR) and frame data. Frame n is due {@code n} intervals (guest time) after the
 * stream starts; a bulk transfer that arrives early is held, as a camera NAKs, until a timer
 * delivers it.
 *
 * <p>Processing unit 2: brightness (-64..64) and contrast (0..200 %), with GET_CUR, GET_MIN,
 * GET_MAX, GET_RES, GET_DEF, GET_INFO, GET_LEN and SET_CUR. Other controls stall.
 */
final class UsbVideo extends UsbFunction implements Device {
    static final int PAYLOAD = 16384;
    static final int PROBE_LENGTH = 34;
    static final int SET_CUR = 0x01;
    static final int GET_CUR = 0x81;
    static final int GET_MIN = 0x82;
    static final int GET_MAX = 0x83;
    static final int GET_RES = 0x84;
    static final int GET_LEN = 0x85;
    static final int GET_INFO = 0x86;
    static final int GET_DEF = 0x87;
    static final int VS_PROBE = 1;
    static final int VS_COMMIT = 2;
    static final int PU_BRIGHTNESS = 2;
    static final int PU_CONTRAST = 3;
    static final int MJPEG_QUALITY = 80;

    private final DeviceContext ctx;
    private final String busName;
    private final int portNumber;
    private final VideoSource source;
    /** Isochronous alternate settings (true) or one bulk endpoint (false). */
    private final boolean iso;
    /** SuperSpeed (a USB 3 root port; isochronous service intervals of 1 ms) rather than high speed. */
    private final boolean superSpeed;
    private final JpegEncoder jpeg = new JpegEncoder(MJPEG_QUALITY);
    /** Runs MJPEG encoding; null until the first MJPEG frame when not given (then a daemon thread). */
    private Executor encoder;
    private ExecutorService ownEncoder;
    private boolean encoding;
    /** Bumped by every stop and commit: an encoding finished for an older stream is dropped. */
    private int generation;
    private UsbPort port;
    private Timer timer;
    private boolean sourceFailed;

    private int brightness;
    private int contrast = 100;
    private int probeFormat = UvcDescriptors.FORMAT_YUYV;
    private int probeFrame = 1;
    private int probeInterval = UvcDescriptors.SIZES[0].intervals()[0];
    private int format;
    private int frameIndex;             // committed, 0 = not streaming
    private int interval;
    private long streamStart;
    private long frameNo;
    private byte[] frame;
    private int offset;
    private int fid;
    private UsbTransfer waiting;

    UsbVideo(DeviceContext ctx, String busName, int portNumber, VideoSource source) {
        this(ctx, busName, portNumber, source, null);
    }

    /** A bulk camera with {@code encoder} running the MJPEG encoding (tests pass {@code Runnable::run}). */
    UsbVideo(DeviceContext ctx, String busName, int portNumber, VideoSource source, Executor encoder) {
        this(ctx, busName, portNumber, source, encoder, false);
    }

    /** With {@code iso}: isochronous alternate settings rather than a bulk endpoint. */
    UsbVideo(DeviceContext ctx, String busName, int portNumber, VideoSource source, Executor encoder, boolean iso) {
        this(ctx, busName, portNumber, source, encoder, iso, false);
    }

    /** With {@code superSpeed}: a USB 3 camera (SuperSpeed descriptors, BOS, endpoint companions). */
    UsbVideo(DeviceContext ctx, String busName, int portNumber, VideoSource source, Executor encoder, boolean iso,
            boolean superSpeed) {
        this.iso = iso;
        this.superSpeed = superSpeed;
        this.ctx = ctx;
        this.busName = busName;
        this.portNumber = portNumber;
        this.source = source;
        this.encoder = encoder;
    }

    @Override
    public void realize() {
        timer = ctx.executor().newTimer("frame", this::frameDue);
        port = ctx.bus(busName, UsbBus.class).attach(ctx, this, portNumber);
    }

    @Override
    public void reset() {
        busReset();
    }

    @Override
    public void unrealize() {
        if (port != null) {
            port.detach();
            port = null;
        }
        stop();
        if (ownEncoder != null) {
            ownEncoder.shutdownNow();
        }
        source.close();
    }

    @Override
    public UsbSpeed speed() {
        return superSpeed ? UsbSpeed.SUPER : UsbSpeed.HIGH;
    }

    @Override
    protected byte[] deviceDescriptor() {
        return UvcDescriptors.device(superSpeed);
    }

    @Override
    protected byte[] bosDescriptor() {
        return superSpeed ? UvcDescriptors.bos() : null;
    }

    @Override
    protected byte[] configurationDescriptor() {
        return UvcDescriptors.configuration(iso, superSpeed);
    }

    @Override
    protected int maxAlternate(int iface) {
        return iface == 1 && iso ? UvcDescriptors.ISO_MAX_PACKET.length : 0;
    }

    /**
     * SET_INTERFACE on VideoStreaming interface 1 of an isochronous camera: alternate setting 0
     * stops the stream (the host gives the bandwidth back), another one starts the committed
     * stream with that much bandwidth (UVC 1.1 section 2.4.3).
     */
    @Override
    protected void alternateSelected(int iface, int alt) {
        if (iface != 1 || !iso) {
            return;
        }
        if (alt == 0) {
            stop();
        } else if (frameIndex != 0) {
            commit(format, frameIndex, interval);
        }
    }

    @Override
    protected String string(int index) {
        return switch (index) {
            case 1 -> "Machina";
            case 2 -> "Machina USB camera";
            default -> null;
        };
    }

    @Override
    public void busReset() {
        super.busReset();
        stop();
        probeFormat = UvcDescriptors.FORMAT_YUYV;
        probeFrame = 1;
        probeInterval = UvcDescriptors.SIZES[0].intervals()[0];
        brightness = 0;
        contrast = 100;
        source.adjust(brightness, contrast);
    }

    private void stop() {
        frameIndex = 0;
        frame = null;
        waiting = null;
        encoding = false;
        generation++;
        if (timer != null) {
            timer.cancel();
        }
    }

    @Override
    protected void configured(int value) {
        if (value == 0) {
            stop();
        }
    }

    @Override
    protected void haltCleared(int endpoint, boolean in) {
        if (endpoint == UvcDescriptors.EP_IN && in && !iso) {
            stop();                      // a bulk camera stops streaming on CLEAR_FEATURE(ENDPOINT_HALT)
        }
    }

    @Override
    public void cancel(UsbTransfer t) {
        if (waiting == t) {
            waiting = null;
        }
    }

    // ---- class requests ----

    @Override
    protected void classRequest(UsbTransfer t) {
        UsbSetup s = t.setup();
        int iface = s.index() & 0xFF;
        int entity = s.index() >> 8;
        int selector = s.value() >> 8;
        if (s.type() != UsbSetup.TYPE_CLASS || s.recipient() != UsbSetup.RECIPIENT_INTERFACE) {
            t.complete(UsbStatus.STALL, 0);
        } else if (iface == 1 && (selector == VS_PROBE || selector == VS_COMMIT)) {
            streaming(t, s, selector);
        } else if (iface == 0 && entity == UvcDescriptors.PROCESSING_UNIT
                && (selector == PU_BRIGHTNESS || selector == PU_CONTRAST)) {
            control(t, s, selector == PU_BRIGHTNESS);
        } else {
            t.complete(UsbStatus.STALL, 0);
        }
    }

    private void streaming(UsbTransfer t, UsbSetup s, int selector) {
        switch (s.request()) {
            case SET_CUR -> {
                byte[] b = t.buffer();
                if (b.length < 26) {
                    t.complete(UsbStatus.STALL, 0);
                    return;
                }
                int[] chosen = negotiate(b[2] & 0xFF, b[3] & 0xFF, u32(b, 4));
                probeFormat = chosen[0];
                probeFrame = chosen[1];
                probeInterval = chosen[2];
                if (selector == VS_COMMIT) {
                    commit(chosen[0], chosen[1], chosen[2]);
                }
                t.complete(UsbStatus.OK, b.length);
            }
            case GET_CUR -> {
                boolean committed = selector == VS_COMMIT && frameIndex != 0;
                reply(t, probe(committed ? format : probeFormat, committed ? frameIndex : probeFrame,
                        committed ? interval : probeInterval, iso, superSpeed));
            }
            case GET_MIN, GET_DEF -> reply(t, probe(probeFormat, 1, UvcDescriptors.sizes(probeFormat)[0].intervals()[0],
                    iso, superSpeed));
            case GET_MAX -> {
                UvcDescriptors.FrameSize[] sizes = UvcDescriptors.sizes(probeFormat);
                UvcDescriptors.FrameSize last = sizes[sizes.length - 1];
                reply(t, probe(probeFormat, sizes.length, last.intervals()[last.intervals().length - 1], iso,
                        superSpeed));
            }
            case GET_LEN -> reply(t, new byte[] {PROBE_LENGTH, 0});
            case GET_INFO -> reply(t, new byte[] {3});
            default -> t.complete(UsbStatus.STALL, 0);
        }
    }

    /** The format, frame index and interval the camera offers nearest to what the host asked for. */
    static int[] negotiate(int formatIndex, int frameIndex, int wantedInterval) {
        int fmt = formatIndex == UvcDescriptors.FORMAT_MJPEG ? UvcDescriptors.FORMAT_MJPEG : UvcDescriptors.FORMAT_YUYV;
        UvcDescriptors.FrameSize[] sizes = UvcDescriptors.sizes(fmt);
        int index = frameIndex < 1 || frameIndex > sizes.length ? 1 : frameIndex;
        int[] intervals = sizes[index - 1].intervals();
        int best = intervals[0];
        if (wantedInterval > 0) {
            for (int i : intervals) {
                if (Math.abs((long) i - wantedInterval) < Math.abs((long) best - wantedInterval)) {
                    best = i;
                }
            }
        }
        return new int[] {fmt, index, best};
    }

    /**
     * The 34-byte probe/commit control for a format, frame index and interval. For MJPEG
     * dwMaxVideoFrameSize is the uncompressed size, a bound no frame of the encoder reaches
     * ({@link #startFrame} re-encodes coarser in the unlikely case one would).
     */
    static byte[] probe(int formatIndex, int frameIndex, int frameInterval) {
        return probe(formatIndex, frameIndex, frameInterval, false);
    }

    /**
     * The probe/commit control; for an isochronous camera dwMaxPayloadTransferSize is the bytes a
     * microframe must carry ({@link #isoPayloadSize}), by which the host picks the alternate setting.
     */
    static byte[] probe(int formatIndex, int frameIndex, int frameInterval, boolean iso) {
        return probe(formatIndex, frameIndex, frameInterval, iso, false);
    }

    /** The probe/commit control of a high-speed or SuperSpeed camera. */
    static byte[] probe(int formatIndex, int frameIndex, int frameInterval, boolean iso, boolean superSpeed) {
        byte[] p = new byte[PROBE_LENGTH];
        UvcDescriptors.put16(p, 0, 1);                       // bmHint: dwFrameInterval fixed
        p[2] = (byte) formatIndex;
        p[3] = (byte) frameIndex;
        UvcDescriptors.put32(p, 4, frameInterval);
        UvcDescriptors.put32(p, 18, UvcDescriptors.sizes(formatIndex)[frameIndex - 1].bytes());
        UvcDescriptors.put32(p, 22, iso ? isoPayloadSize(formatIndex, frameIndex, frameInterval, superSpeed) : PAYLOAD);
        UvcDescriptors.put32(p, 26, PayloadHeader.CLOCK_HZ); // dwClockFrequency
        p[30] = 3;                                           // bmFramingInfo: FID and EOF are used
        p[31] = 0;                                           // bPreferedVersion, bMinVersion, bMaxVersion:
        p[32] = 0;                                           // payload format version 1.0
        p[33] = 0;
        return p;
    }

    /**
     * The bytes per microframe (8000 a second at high speed) a stream needs: the frame rate times
     * the frame size (for MJPEG a quarter of the uncompressed size, a bound the encoder's quality
     * 80 stays well under for camera-like pictures; a bigger frame just takes longer), plus a
     * payload header per microframe, at most what the largest alternate setting moves.
     */
    static int isoPayloadSize(int formatIndex, int frameIndex, int frameInterval) {
        return isoPayloadSize(formatIndex, frameIndex, frameInterval, false);
    }

    /**
     * The bytes per service interval a stream needs: per microframe at high speed, per millisecond
     * (the SuperSpeed alternate settings' interval, 1000 a second) at SuperSpeed.
     */
    static int isoPayloadSize(int formatIndex, int frameIndex, int frameInterval, boolean superSpeed) {
        long bytes = UvcDescriptors.sizes(formatIndex)[frameIndex - 1].bytes();
        if (formatIndex == UvcDescriptors.FORMAT_MJPEG) {
            bytes /= 4;
        }
        long perSecond = bytes * 10_000_000L / Math.max(1, frameInterval);
        int intervals = superSpeed ? 1000 : 8000;
        long perInterval = (perSecond + intervals - 1) / intervals + PayloadHeader.LENGTH;
        return (int) Math.min(perInterval, UvcDescriptors.isoBytes(UvcDescriptors.ISO_MAX_PACKET.length, superSpeed));
    }

    private void commit(int formatIndex, int index, int frameInterval) {
        stop();
        format = formatIndex;
        frameIndex = index;
        interval = frameInterval;
        streamStart = ctx.executor().clock().nanos();
        frameNo = 0;
        fid = 0;
    }

    private void control(UsbTransfer t, UsbSetup s, boolean brightness) {
        int min = brightness ? -64 : 0;
        int max = brightness ? 64 : 200;
        int def = brightness ? 0 : 100;
        int cur = brightness ? this.brightness : this.contrast;
        switch (s.request()) {
            case SET_CUR -> {
                if (t.buffer().length < 2) {
                    t.complete(UsbStatus.STALL, 0);
                    return;
                }
                int v = (short) ((t.buffer()[0] & 0xFF) | t.buffer()[1] << 8);
                if (!brightness) {
                    v &= 0xFFFF;
                }
                if (v < min || v > max) {
                    t.complete(UsbStatus.STALL, 0);
                    return;
                }
                if (brightness) {
                    this.brightness = v;
                } else {
                    this.contrast = v;
                }
                source.adjust(this.brightness, this.contrast);
                t.complete(UsbStatus.OK, 2);
            }
            case GET_CUR -> reply(t, le16(cur));
            case GET_MIN -> reply(t, le16(min));
            case GET_MAX -> reply(t, le16(max));
            case GET_RES -> reply(t, le16(1));
            case GET_DEF -> reply(t, le16(def));
            case GET_LEN -> reply(t, le16(2));
            case GET_INFO -> reply(t, new byte[] {3});
            default -> t.complete(UsbStatus.STALL, 0);
        }
    }

    // ---- streaming ----

    @Override
    protected void dataTransfer(UsbTransfer t) {
        if (t.type() == UsbEndpointType.ISOCHRONOUS) {
            isoPacket(t);
            return;
        }
        if (iso || t.endpoint() != UvcDescriptors.EP_IN || !t.in() || frameIndex == 0
                || t.buffer().length <= PayloadHeader.LENGTH || waiting != null) {
            t.complete(UsbStatus.STALL, 0);
            return;
        }
        if (frame == null) {
            long due = due();
            if (ctx.executor().clock().nanos() < due) {
                waiting = t;                                 // NAK until the frame is due
                timer.armAt(due);
                return;
            }
            if (!startFrame()) {
                waiting = t;                                 // NAK until the encoder has it
                return;
            }
        }
        payload(t);
    }

    /** When the frame being sent (or the next one) is due: {@code frameNo} intervals after the commit. */
    private long due() {
        return streamStart + frameNo * interval * 100L;
    }

    /**
     * One isochronous IN packet of the microframe the controller scheduled it for
     * ({@link UsbTransfer#frame()}, which is also the packet's time here): the next payload
     * of the frame being sent (a header and as much of the frame as the alternate setting's
     * bandwidth and the host's buffer allow), or, between frames, a header alone with the last
     * frame's FID (a zero-length packet before the first frame). A frame starts in the first
     * packet after it is due; an MJPEG frame once the encoder has it. Isochronous endpoints never
     * stall: without a stream (alternate setting 0, nothing committed) the packet is empty.
     */
    private void isoPacket(UsbTransfer t) {
        int room = Math.min(t.buffer().length, UvcDescriptors.isoBytes(alternate(1), superSpeed));
        if (!iso || !t.in() || t.endpoint() != UvcDescriptors.EP_IN || frameIndex == 0
                || room <= PayloadHeader.LENGTH) {
            t.complete(UsbStatus.OK, 0);
            return;
        }
        long now = t.frame() * 125_000;                      // the packet's microframe (the controller may batch them)
        if (frame == null && !encoding && now >= due()) {
            startFrame();
        }
        if (frame == null) {
            if (frameNo == 0) {
                t.complete(UsbStatus.OK, 0);
            } else {
                PayloadHeader.write(t.buffer(), fid ^ 1, false, due() - interval * 100L, now);
                t.complete(UsbStatus.OK, PayloadHeader.LENGTH);
            }
            return;
        }
        payload(t, room, now);
    }

    private void frameDue() {
        UsbTransfer t = waiting;
        if (t == null || t.done() || frameIndex == 0) {
            waiting = null;
            return;
        }
        if (frame == null && !startFrame()) {
            return;                                          // still waiting, for the encoder now
        }
        waiting = null;
        payload(t);
    }

    /** Takes the due frame from the source: true when it is ready, false while it is being encoded. */
    private boolean startFrame() {
        if (encoding) {
            return false;
        }
        UvcDescriptors.FrameSize size = UvcDescriptors.sizes(format)[frameIndex - 1];
        byte[] yuyv = new byte[size.bytes()];
        try {
            source.frame(frameNo, size.width(), size.height(), yuyv);
        } catch (RuntimeException e) {
            if (!sourceFailed) {
                sourceFailed = true;
                ctx.log().warn("video source failed at frame {} (sending what it left; logged once): {}", frameNo,
                        e.toString());
            }
        }
        if (format != UvcDescriptors.FORMAT_MJPEG) {
            frame = yuyv;
            offset = 0;
            return true;
        }
        encoding = true;
        int gen = generation;
        long n = frameNo;
        try {
            encoder().execute(() -> {
                byte[] j;
                try {
                    j = mjpeg(yuyv, size, n);
                } catch (RuntimeException e) {
                    ctx.log().warn("MJPEG encoding of frame {} failed (an empty frame is sent): {}", n, e.toString());
                    j = new byte[0];
                }
                byte[] result = j;
                try {
                    ctx.executor().execute(() -> encoded(gen, result));
                } catch (IllegalStateException e) {
                    // the machine has stopped: nobody waits for the frame
                }
            });
        } catch (RejectedExecutionException e) {
            encoding = false;                                // unrealized: no more frames
            frame = new byte[0];
            offset = 0;
            return true;
        }
        return false;
    }

    /** On the machine thread: an MJPEG frame is ready; a transfer waiting for it gets its first payload. */
    private void encoded(int gen, byte[] jpegFrame) {
        if (gen != generation || frameIndex == 0) {
            return;                                          // the stream stopped or was committed again
        }
        encoding = false;
        frame = jpegFrame;
        offset = 0;
        UsbTransfer t = waiting;
        waiting = null;
        if (t != null && !t.done()) {
            payload(t);
        }
    }

    private Executor encoder() {
        if (encoder == null) {
            ownEncoder = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().daemon()
                    .name("usb-video-mjpeg-" + ctx.id()).unstarted(r));
            encoder = ownEncoder;
        }
        return encoder;
    }

    /** On the encoder thread (one at a time): the JPEG of frame {@code n}. */
    private byte[] mjpeg(byte[] yuyv, UvcDescriptors.FrameSize size, long n) {
        String comment = "machina frame " + n;
        byte[] j = jpeg.encode(yuyv, size.width(), size.height(), comment);
        if (j.length > size.bytes()) {
            j = new JpegEncoder(10).encode(yuyv, size.width(), size.height(), comment);
        }
        return j;
    }

    /** A bulk payload: at most {@value #PAYLOAD} bytes. */
    private void payload(UsbTransfer t) {
        payload(t, Math.min(t.buffer().length, PAYLOAD), ctx.executor().clock().nanos());
    }

    /** The next payload of the frame, {@code limit} bytes at most with its header, sent at {@code now}. */
    private void payload(UsbTransfer t, int limit, long now) {
        byte[] b = t.buffer();
        int n = Math.min(limit - PayloadHeader.LENGTH, frame.length - offset);
        boolean eof = offset + n == frame.length;
        PayloadHeader.write(b, fid, eof, due(), now);
        System.arraycopy(frame, offset, b, PayloadHeader.LENGTH, n);
        offset += n;
        if (eof) {
            frame = null;
            frameNo++;
            fid ^= 1;
        }
        t.complete(UsbStatus.OK, n + PayloadHeader.LENGTH);
    }

    /** The committed format index (1 YUYV, 2 MJPEG), 0 before a commit. */
    int format() {
        return frameIndex == 0 ? 0 : format;
    }

    long framesSent() {
        return frameNo;
    }

    private static int u32(byte[] b, int at) {
        return (b[at] & 0xFF) | (b[at + 1] & 0xFF) << 8 | (b[at + 2] & 0xFF) << 16 | (b[at + 3] & 0xFF) << 24;
    }

    private static byte[] le16(int v) {
        return new byte[] {(byte) v, (byte) (v >> 8)};
    }
}
