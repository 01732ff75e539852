package org.machina.devices.usb.video.v4l2;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.machina.devices.usb.video.v4l2.V4l2Abi.BUFFER;
import static org.machina.devices.usb.video.v4l2.V4l2Abi.BUF_TYPE_VIDEO_CAPTURE;
import static org.machina.devices.usb.video.v4l2.V4l2Abi.CAPABILITY;
import static org.machina.devices.usb.video.v4l2.V4l2Abi.FMTDESC;
import static org.machina.devices.usb.video.v4l2.V4l2Abi.FORMAT;
import static org.machina.devices.usb.video.v4l2.V4l2Abi.FRMSIZEENUM;
import static org.machina.devices.usb.video.v4l2.V4l2Abi.MEMORY_MMAP;
import static org.machina.devices.usb.video.v4l2.V4l2Abi.REQUESTBUFFERS;
import static org.machina.devices.usb.video.v4l2.V4l2Abi.STREAMPARM;
import static org.machina.devices.usb.video.v4l2.V4l2Abi.offset;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.machina.host.posix.ErrnoException;
import org.machina.host.posix.FfmLibc;
import org.machina.host.posix.Libc;

/**
 * A host V4L2 video capture device ({@code /dev/videoN}) driven with the streaming I/O method of
 * the V4L2 specification: VIDIOC_QUERYCAP, VIDIOC_ENUM_FMT, VIDIOC_ENUM_FRAMESIZES and
 * VIDIOC_ENUM_FRAMEINTERVALS when opened; VIDIOC_S_FMT and VIDIOC_S_PARM to configure; VIDIOC_REQBUFS, VIDIOC_QUERYBUF and mmap
 * for the buffers, VIDIOC_QBUF/VIDIOC_DQBUF and VIDIOC_STREAMON/STREAMOFF to stream; the
 * descriptor is non-blocking and poll(2) waits for frames. Single-planar capture only.
 */
public final class V4l2Device implements CaptureDevice {
    /** Buffers asked for: enough for the driver to fill one while the capture thread reads another. */
    static final int BUFFERS = 4;
    /** Largest buffer mapped (a 4K frame in YUYV is 16 MiB). */
    static final long MAX_BUFFER = 256L << 20;
    /** Bound on enumeration loops, against a driver that never says EINVAL. */
    private static final int MAX_ENUM = 256;

    /** What VIDIOC_QUERYCAP says; {@code caps} are the device node's (device_caps when given). */
    public record Capability(String driver, String card, String busInfo, int capabilities, int caps) {
        /** Decodes a struct v4l2_capability. */
        public static Capability decode(MemorySegment c) {
            int all = c.get(JAVA_INT, offset(CAPABILITY, "capabilities"));
            int node = (all & V4l2Abi.CAP_DEVICE_CAPS) != 0 ? c.get(JAVA_INT, offset(CAPABILITY, "device_caps")) : all;
            return new Capability(string(c, offset(CAPABILITY, "driver"), 16), string(c, offset(CAPABILITY, "card"), 32),
                    string(c, offset(CAPABILITY, "bus_info"), 32), all, node);
        }

        /** Why this node cannot be a camera's source, or null if it can. */
        public String unusable() {
            if ((caps & V4l2Abi.CAP_VIDEO_CAPTURE) == 0) {
                return (caps & V4l2Abi.CAP_VIDEO_CAPTURE_MPLANE) != 0
                        ? "is a multi-planar capture device, which this source does not support"
                        : String.format("is not a video capture device (device caps 0x%08x)", caps);
            }
            if ((caps & V4l2Abi.CAP_STREAMING) == 0) {
                return "does not support streaming I/O (mmap buffers)";
            }
            return null;
        }
    }

    private final Libc libc;
    private final String path;
    private final int fd;
    private final Capability capability;
    private final List<PixelFormat> formats;
    private MemorySegment[] mappings = new MemorySegment[0];
    private boolean streaming;
    private boolean closed;

    private V4l2Device(Libc libc, String path, int fd, Capability capability, List<PixelFormat> formats) {
        this.libc = libc;
        this.path = path;
        this.fd = fd;
        this.capability = capability;
        this.formats = formats;
    }

    /**
     * Opens {@code path} and checks that it is a single-planar streaming capture device; fails with
     * a message naming it otherwise (no such file, not a V4L2 device, not a capture device).
     */
    public static V4l2Device open(String path) throws IOException {
        V4l2Abi.checkHost();
        return open(FfmLibc.get(), path);
    }

    /** {@link #open(String)} through {@code libc}. */
    static V4l2Device open(Libc libc, String path) throws IOException {
        int fd;
        try {
            fd = libc.open(path, Libc.O_RDWR | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
        } catch (ErrnoException e) {
            throw new IOException(path + ": cannot open it (" + e.getMessage() + ")", e);
        }
        try {
            Capability cap;
            try (Arena a = Arena.ofConfined()) {
                MemorySegment c = a.allocate(CAPABILITY);
                libc.ioctl(fd, V4l2Abi.VIDIOC_QUERYCAP, c, "VIDIOC_QUERYCAP");
                cap = Capability.decode(c);
            } catch (ErrnoException e) {
                throw new IOException(path + ": not a V4L2 device (" + e.getMessage() + ")", e);
            }
            String why = cap.unusable();
            if (why != null) {
                throw new IOException(path + " ('" + cap.card() + "', driver " + cap.driver() + ") " + why);
            }
            return new V4l2Device(libc, path, fd, cap, enumerate(libc, fd, path));
        } catch (IOException | RuntimeException e) {
            libc.close(fd);
            throw e;
        }
    }

    private static List<PixelFormat> enumerate(Libc libc, int fd, String path) throws IOException {
        List<PixelFormat> out = new ArrayList<>();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment d = a.allocate(FMTDESC);
            for (int i = 0; i < MAX_ENUM; i++) {
                d.fill((byte) 0);
                d.set(JAVA_INT, offset(FMTDESC, "index"), i);
                d.set(JAVA_INT, offset(FMTDESC, "type"), BUF_TYPE_VIDEO_CAPTURE);
                try {
                    libc.ioctl(fd, V4l2Abi.VIDIOC_ENUM_FMT, d, "VIDIOC_ENUM_FMT");
                } catch (ErrnoException e) {
                    if (e.errno() == ErrnoException.EINVAL) {
                        break;                                      // the end of the list
                    }
                    throw new IOException(path + ": " + e.getMessage(), e);
                }
                int fourcc = d.get(JAVA_INT, offset(FMTDESC, "pixelformat"));
                FrameSizes sizes = frameSizes(libc, fd, fourcc, a);
                Map<FrameSizes.Size, Double> fastest = new HashMap<>();
                for (FrameSizes.Size s : sizes.discrete()) {
                    double fps = fastest(libc, fd, fourcc, s, a);
                    if (fps > 0) {
                        fastest.put(s, fps);
                    }
                }
                out.add(new PixelFormat(fourcc, string(d, offset(FMTDESC, "description"), 32),
                        (d.get(JAVA_INT, offset(FMTDESC, "flags")) & V4l2Abi.FMT_FLAG_COMPRESSED) != 0, sizes, fastest));
            }
        }
        return List.copyOf(out);
    }

    private static FrameSizes frameSizes(Libc libc, int fd, int fourcc, Arena a) {
        MemorySegment e = a.allocate(FRMSIZEENUM);
        List<FrameSizes.Size> sizes = new ArrayList<>();
        for (int i = 0; i < MAX_ENUM; i++) {
            e.fill((byte) 0);
            e.set(JAVA_INT, offset(FRMSIZEENUM, "index"), i);
            e.set(JAVA_INT, offset(FRMSIZEENUM, "pixel_format"), fourcc);
            try {
                libc.ioctl(fd, V4l2Abi.VIDIOC_ENUM_FRAMESIZES, e, "VIDIOC_ENUM_FRAMESIZES");
            } catch (ErrnoException x) {
                break;                                              // EINVAL: the end; others: sizes unknown
            }
            FrameSizes range = decodeFrameSize(e, sizes);
            if (range != null) {
                return range;
            }
        }
        if (sizes.isEmpty()) {                                      // no enumeration: S_FMT adjusts
            return FrameSizes.range(new FrameSizes.Size(1, 1), new FrameSizes.Size(8192, 8192), new FrameSizes.Size(1, 1));
        }
        return FrameSizes.of(sizes);
    }

    /** The most frames a second the device lists for a format and size (VIDIOC_ENUM_FRAMEINTERVALS), 0 if unknown. */
    private static double fastest(Libc libc, int fd, int fourcc, FrameSizes.Size size, Arena a) {
        MemorySegment e = a.allocate(V4l2Abi.FRMIVALENUM);
        double best = 0;
        for (int i = 0; i < MAX_ENUM; i++) {
            e.fill((byte) 0);
            e.set(JAVA_INT, offset(V4l2Abi.FRMIVALENUM, "index"), i);
            e.set(JAVA_INT, offset(V4l2Abi.FRMIVALENUM, "pixel_format"), fourcc);
            e.set(JAVA_INT, offset(V4l2Abi.FRMIVALENUM, "width"), size.width());
            e.set(JAVA_INT, offset(V4l2Abi.FRMIVALENUM, "height"), size.height());
            try {
                libc.ioctl(fd, V4l2Abi.VIDIOC_ENUM_FRAMEINTERVALS, e, "VIDIOC_ENUM_FRAMEINTERVALS");
            } catch (ErrnoException x) {
                break;
            }
            boolean discrete = e.get(JAVA_INT, offset(V4l2Abi.FRMIVALENUM, "type")) == V4l2Abi.FRMIVAL_TYPE_DISCRETE;
            best = Math.max(best, decodeFps(e));
            if (!discrete) {
                break;
            }
        }
        return best;
    }

    /**
     * The frames a second of one struct v4l2_frmivalenum: of its discrete interval, or of the
     * shortest interval of a stepwise or continuous range (0 for a zero numerator or denominator).
     */
    public static double decodeFps(MemorySegment e) {
        boolean discrete = e.get(JAVA_INT, offset(V4l2Abi.FRMIVALENUM, "type")) == V4l2Abi.FRMIVAL_TYPE_DISCRETE;
        String member = discrete ? "discrete" : "stepwise";
        long num = discrete ? e.get(JAVA_INT, offset(V4l2Abi.FRMIVALENUM, "interval", member, "numerator")) & 0xFFFFFFFFL
                : e.get(JAVA_INT, offset(V4l2Abi.FRMIVALENUM, "interval", member, "min", "numerator")) & 0xFFFFFFFFL;
        long den = discrete ? e.get(JAVA_INT, offset(V4l2Abi.FRMIVALENUM, "interval", member, "denominator")) & 0xFFFFFFFFL
                : e.get(JAVA_INT, offset(V4l2Abi.FRMIVALENUM, "interval", member, "min", "denominator")) & 0xFFFFFFFFL;
        return num == 0 || den == 0 ? 0 : (double) den / num;
    }

    /** Decodes one struct v4l2_frmsizeenum: a discrete size goes to {@code sizes}, a range is returned. */
    public static FrameSizes decodeFrameSize(MemorySegment e, List<FrameSizes.Size> sizes) {
        int type = e.get(JAVA_INT, offset(FRMSIZEENUM, "type"));
        if (type == V4l2Abi.FRMSIZE_TYPE_DISCRETE) {
            sizes.add(new FrameSizes.Size(e.get(JAVA_INT, offset(FRMSIZEENUM, "size", "discrete", "width")),
                    e.get(JAVA_INT, offset(FRMSIZEENUM, "size", "discrete", "height"))));
            return null;
        }
        boolean continuous = type == V4l2Abi.FRMSIZE_TYPE_CONTINUOUS;
        return FrameSizes.range(
                new FrameSizes.Size(e.get(JAVA_INT, offset(FRMSIZEENUM, "size", "stepwise", "min_width")),
                        e.get(JAVA_INT, offset(FRMSIZEENUM, "size", "stepwise", "min_height"))),
                new FrameSizes.Size(e.get(JAVA_INT, offset(FRMSIZEENUM, "size", "stepwise", "max_width")),
                        e.get(JAVA_INT, offset(FRMSIZEENUM, "size", "stepwise", "max_height"))),
                continuous ? new FrameSizes.Size(1, 1)
                        : new FrameSizes.Size(e.get(JAVA_INT, offset(FRMSIZEENUM, "size", "stepwise", "step_width")),
                        e.get(JAVA_INT, offset(FRMSIZEENUM, "size", "stepwise", "step_height"))));
    }

    public Capability capability() {
        return capability;
    }

    @Override
    public String name() {
        return path;
    }

    @Override
    public List<PixelFormat> formats() {
        return formats;
    }

    @Override
    public Mode configure(int fourcc, int width, int height, int fps) throws IOException {
        stop();
        Mode mode;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment f = a.allocate(FORMAT);
            f.set(JAVA_INT, offset(FORMAT, "type"), BUF_TYPE_VIDEO_CAPTURE);
            f.set(JAVA_INT, offset(FORMAT, "fmt", "pix", "width"), width);
            f.set(JAVA_INT, offset(FORMAT, "fmt", "pix", "height"), height);
            f.set(JAVA_INT, offset(FORMAT, "fmt", "pix", "pixelformat"), fourcc);
            f.set(JAVA_INT, offset(FORMAT, "fmt", "pix", "field"), V4l2Abi.FIELD_NONE);
            call(V4l2Abi.VIDIOC_S_FMT, f, "VIDIOC_S_FMT");
            mode = decodeMode(f);
            if (mode.fourcc() != fourcc) {
                throw new IOException(path + ": asked for " + V4l2Abi.fourccName(fourcc) + ", the driver chose "
                        + V4l2Abi.fourccName(mode.fourcc()));
            }
            MemorySegment p = a.allocate(STREAMPARM);
            p.set(JAVA_INT, offset(STREAMPARM, "type"), BUF_TYPE_VIDEO_CAPTURE);
            try {
                libc.ioctl(fd, V4l2Abi.VIDIOC_G_PARM, p, "VIDIOC_G_PARM");
                if ((p.get(JAVA_INT, offset(STREAMPARM, "parm", "capture", "capability")) & V4l2Abi.CAP_TIMEPERFRAME) != 0) {
                    p.set(JAVA_INT, offset(STREAMPARM, "parm", "capture", "timeperframe", "numerator"), 1);
                    p.set(JAVA_INT, offset(STREAMPARM, "parm", "capture", "timeperframe", "denominator"), fps);
                    libc.ioctl(fd, V4l2Abi.VIDIOC_S_PARM, p, "VIDIOC_S_PARM");
                }
            } catch (ErrnoException e) {
                // the frame rate stays the driver's: the camera still takes the newest frame
            }
        }
        return mode;
    }

    /** Decodes the single-planar part of a struct v4l2_format. */
    public static Mode decodeMode(MemorySegment f) {
        return new Mode(f.get(JAVA_INT, offset(FORMAT, "fmt", "pix", "pixelformat")),
                f.get(JAVA_INT, offset(FORMAT, "fmt", "pix", "width")), f.get(JAVA_INT, offset(FORMAT, "fmt", "pix", "height")),
                f.get(JAVA_INT, offset(FORMAT, "fmt", "pix", "bytesperline")),
                f.get(JAVA_INT, offset(FORMAT, "fmt", "pix", "sizeimage")));
    }

    @Override
    public void start() throws IOException {
        stop();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment r = a.allocate(REQUESTBUFFERS);
            r.set(JAVA_INT, offset(REQUESTBUFFERS, "count"), BUFFERS);
            r.set(JAVA_INT, offset(REQUESTBUFFERS, "type"), BUF_TYPE_VIDEO_CAPTURE);
            r.set(JAVA_INT, offset(REQUESTBUFFERS, "memory"), MEMORY_MMAP);
            call(V4l2Abi.VIDIOC_REQBUFS, r, "VIDIOC_REQBUFS");
            int count = r.get(JAVA_INT, offset(REQUESTBUFFERS, "count"));
            if (count < 1) {
                throw new IOException(path + ": VIDIOC_REQBUFS granted no buffers");
            }
            mappings = new MemorySegment[Math.min(count, 32)];
            MemorySegment b = a.allocate(BUFFER);
            for (int i = 0; i < mappings.length; i++) {
                buffer(b, i);
                call(V4l2Abi.VIDIOC_QUERYBUF, b, "VIDIOC_QUERYBUF");
                long length = b.get(JAVA_INT, offset(BUFFER, "length")) & 0xFFFFFFFFL;
                long at = b.get(JAVA_INT, offset(BUFFER, "m", "offset")) & 0xFFFFFFFFL;
                if (length == 0 || length > MAX_BUFFER) {
                    throw new IOException(path + ": VIDIOC_QUERYBUF gave buffer " + i + " a length of " + length + " bytes");
                }
                try {
                    mappings[i] = libc.mmap(fd, length, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED, at);
                } catch (ErrnoException e) {
                    throw new IOException(path + ": buffer " + i + ": " + e.getMessage(), e);
                }
            }
            for (int i = 0; i < mappings.length; i++) {
                buffer(b, i);
                call(V4l2Abi.VIDIOC_QBUF, b, "VIDIOC_QBUF");
            }
            MemorySegment type = a.allocateFrom(JAVA_INT, BUF_TYPE_VIDEO_CAPTURE);
            call(V4l2Abi.VIDIOC_STREAMON, type, "VIDIOC_STREAMON");
            streaming = true;
        } catch (IOException | RuntimeException e) {
            release();
            throw e;
        }
    }

    private static void buffer(MemorySegment b, int index) {
        b.fill((byte) 0);
        b.set(JAVA_INT, offset(BUFFER, "index"), index);
        b.set(JAVA_INT, offset(BUFFER, "type"), BUF_TYPE_VIDEO_CAPTURE);
        b.set(JAVA_INT, offset(BUFFER, "memory"), MEMORY_MMAP);
    }

    @Override
    public boolean await(int millis) throws IOException {
        int revents;
        try {
            revents = libc.poll(fd, Libc.POLLIN, millis);
        } catch (ErrnoException e) {
            throw new IOException(path + ": " + e.getMessage(), e);
        }
        if ((revents & Libc.POLLNVAL) != 0) {
            throw new IOException(path + ": the descriptor is no longer valid");
        }
        return revents != 0;
    }

    @Override
    public boolean take(FrameSink sink) throws IOException {
        if (!streaming) {
            return false;
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment b = a.allocate(BUFFER);
            b.set(JAVA_INT, offset(BUFFER, "type"), BUF_TYPE_VIDEO_CAPTURE);
            b.set(JAVA_INT, offset(BUFFER, "memory"), MEMORY_MMAP);
            try {
                libc.ioctl(fd, V4l2Abi.VIDIOC_DQBUF, b, "VIDIOC_DQBUF");
            } catch (ErrnoException e) {
                if (e.errno() == ErrnoException.EAGAIN) {
                    return false;
                }
                throw new IOException(path + ": " + e.getMessage(), e);
            }
            int index = b.get(JAVA_INT, offset(BUFFER, "index"));
            if (index < 0 || index >= mappings.length) {
                throw new IOException(path + ": VIDIOC_DQBUF returned buffer " + index + " of " + mappings.length);
            }
            long used = Math.min(b.get(JAVA_INT, offset(BUFFER, "bytesused")) & 0xFFFFFFFFL, mappings[index].byteSize());
            try {
                sink.frame(mappings[index].asSlice(0, used), b.get(JAVA_INT, offset(BUFFER, "sequence")) & 0xFFFFFFFFL,
                        (b.get(JAVA_INT, offset(BUFFER, "flags")) & V4l2Abi.BUF_FLAG_ERROR) != 0);
            } finally {
                buffer(b, index);
                call(V4l2Abi.VIDIOC_QBUF, b, "VIDIOC_QBUF");
            }
            return true;
        }
    }

    @Override
    public void stop() {
        if (streaming) {
            streaming = false;
            try (Arena a = Arena.ofConfined()) {
                libc.ioctl(fd, V4l2Abi.VIDIOC_STREAMOFF, a.allocateFrom(JAVA_INT, BUF_TYPE_VIDEO_CAPTURE), "VIDIOC_STREAMOFF");
            } catch (ErrnoException e) {
                // a device that went away: the buffers are released below all the same
            }
        }
        release();
    }

    private void release() {
        streaming = false;
        if (mappings.length == 0) {
            return;
        }
        for (MemorySegment m : mappings) {
            if (m != null) {
                try {
                    libc.munmap(m);
                } catch (ErrnoException e) {
                    // not a mapping any more: nothing to release
                }
            }
        }
        mappings = new MemorySegment[0];
        try (Arena a = Arena.ofConfined()) {
            MemorySegment r = a.allocate(REQUESTBUFFERS);
            r.set(JAVA_INT, offset(REQUESTBUFFERS, "type"), BUF_TYPE_VIDEO_CAPTURE);
            r.set(JAVA_INT, offset(REQUESTBUFFERS, "memory"), MEMORY_MMAP);
            libc.ioctl(fd, V4l2Abi.VIDIOC_REQBUFS, r, "VIDIOC_REQBUFS");   // count 0 frees the driver's buffers
        } catch (ErrnoException e) {
            // the device went away
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            stop();
            libc.close(fd);
        }
    }

    private void call(long request, MemorySegment arg, String name) throws IOException {
        try {
            libc.ioctl(fd, request, arg, name);
        } catch (ErrnoException e) {
            throw new IOException(path + ": " + e.getMessage(), e);
        }
    }

    static String string(MemorySegment s, long at, int max) {
        byte[] b = new byte[max];
        MemorySegment.copy(s, java.lang.foreign.ValueLayout.JAVA_BYTE, at, b, 0, max);
        int n = 0;
        while (n < max && b[n] != 0) {
            n++;
        }
        return new String(b, 0, n, StandardCharsets.UTF_8);
    }
}
