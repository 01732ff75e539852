package org.machina.devices.usb.video.v4l2;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.StructLayout;

/**
 * The parts of the V4L2 user-space API ({@code linux/videodev2.h}, as the kernel's "Video for
 * Linux API" documentation describes each structure field by field) that single-planar mmap
 * capture needs, laid out for 64-bit Linux (LP64: {@code long} and pointers 8 bytes, a
 * {@code struct timeval} two longs), and the ioctl request numbers in the asm-generic encoding
 * (x86-64, arm64, riscv64): direction in bits 30-31 (1 write, 2 read), the argument size in bits
 * 16-29, the type {@code 'V'} in bits 8-15, the number in bits 0-7. Other encodings (PowerPC,
 * MIPS, SPARC) and 32-bit layouts are refused by {@link #checkHost()}.
 */
public final class V4l2Abi {
    private V4l2Abi() {
    }

    private static MemoryLayout chars(int n, String name) {
        return MemoryLayout.sequenceLayout(n, JAVA_BYTE).withName(name);
    }

    private static MemoryLayout u32s(int n, String name) {
        return MemoryLayout.sequenceLayout(n, JAVA_INT).withName(name);
    }

    private static MemoryLayout u32(String name) {
        return JAVA_INT.withName(name);
    }

    /** struct v4l2_capability (VIDIOC_QUERYCAP). */
    public static final StructLayout CAPABILITY = MemoryLayout.structLayout(
            chars(16, "driver"), chars(32, "card"), chars(32, "bus_info"), u32("version"), u32("capabilities"),
            u32("device_caps"), u32s(3, "reserved"));

    /** struct v4l2_fmtdesc (VIDIOC_ENUM_FMT). */
    public static final StructLayout FMTDESC = MemoryLayout.structLayout(
            u32("index"), u32("type"), u32("flags"), chars(32, "description"), u32("pixelformat"), u32("mbus_code"),
            u32s(3, "reserved"));

    /** struct v4l2_frmsizeenum (VIDIOC_ENUM_FRAMESIZES): a discrete size or a stepwise range. */
    public static final StructLayout FRMSIZEENUM = MemoryLayout.structLayout(
            u32("index"), u32("pixel_format"), u32("type"),
            MemoryLayout.unionLayout(
                    MemoryLayout.structLayout(u32("width"), u32("height")).withName("discrete"),
                    MemoryLayout.structLayout(u32("min_width"), u32("max_width"), u32("step_width"),
                            u32("min_height"), u32("max_height"), u32("step_height")).withName("stepwise")).withName("size"),
            u32s(2, "reserved"));

    private static MemoryLayout fract(String name) {
        return MemoryLayout.structLayout(u32("numerator"), u32("denominator")).withName(name);
    }

    /** struct v4l2_frmivalenum (VIDIOC_ENUM_FRAMEINTERVALS): a discrete interval or a stepwise range, in seconds. */
    public static final StructLayout FRMIVALENUM = MemoryLayout.structLayout(
            u32("index"), u32("pixel_format"), u32("width"), u32("height"), u32("type"),
            MemoryLayout.unionLayout(fract("discrete"),
                    MemoryLayout.structLayout(fract("min"), fract("max"), fract("step")).withName("stepwise")).withName("interval"),
            u32s(2, "reserved"));

    /** struct v4l2_pix_format (the single-planar member of v4l2_format's union). */
    public static final StructLayout PIX_FORMAT = MemoryLayout.structLayout(
            u32("width"), u32("height"), u32("pixelformat"), u32("field"), u32("bytesperline"), u32("sizeimage"),
            u32("colorspace"), u32("priv"), u32("flags"), u32("ycbcr_enc"), u32("quantization"), u32("xfer_func"));

    /**
     * struct v4l2_format (VIDIOC_G_FMT/S_FMT): the type, then a 200-byte union whose other members
     * (struct v4l2_window) hold pointers, so on LP64 it starts at byte 8.
     */
    public static final StructLayout FORMAT = MemoryLayout.structLayout(
            u32("type"), MemoryLayout.paddingLayout(4),
            MemoryLayout.unionLayout(PIX_FORMAT.withName("pix"), chars(200, "raw_data")).withName("fmt"));

    /** struct v4l2_captureparm. */
    public static final StructLayout CAPTUREPARM = MemoryLayout.structLayout(
            u32("capability"), u32("capturemode"),
            MemoryLayout.structLayout(u32("numerator"), u32("denominator")).withName("timeperframe"),
            u32("extendedmode"), u32("readbuffers"), u32s(4, "reserved"));

    /** struct v4l2_streamparm (VIDIOC_G_PARM/S_PARM). */
    public static final StructLayout STREAMPARM = MemoryLayout.structLayout(
            u32("type"), MemoryLayout.unionLayout(CAPTUREPARM.withName("capture"), chars(200, "raw_data")).withName("parm"));

    /** struct v4l2_requestbuffers (VIDIOC_REQBUFS). */
    public static final StructLayout REQUESTBUFFERS = MemoryLayout.structLayout(
            u32("count"), u32("type"), u32("memory"), u32("capabilities"), JAVA_BYTE.withName("flags"),
            chars(3, "reserved"));

    /** struct v4l2_buffer (VIDIOC_QUERYBUF/QBUF/DQBUF), LP64: timeval of two longs, an 8-byte union m. */
    public static final StructLayout BUFFER = MemoryLayout.structLayout(
            u32("index"), u32("type"), u32("bytesused"), u32("flags"), u32("field"), MemoryLayout.paddingLayout(4),
            MemoryLayout.structLayout(JAVA_LONG.withName("tv_sec"), JAVA_LONG.withName("tv_usec")).withName("timestamp"),
            MemoryLayout.structLayout(u32("type"), u32("flags"), JAVA_BYTE.withName("frames"),
                    JAVA_BYTE.withName("seconds"), JAVA_BYTE.withName("minutes"), JAVA_BYTE.withName("hours"),
                    chars(4, "userbits")).withName("timecode"),
            u32("sequence"), u32("memory"),
            MemoryLayout.unionLayout(u32("offset"), JAVA_LONG.withName("userptr"), ADDRESS.withName("planes"),
                    JAVA_INT.withName("fd")).withName("m"),
            u32("length"), u32("reserved2"), u32("request_fd"), MemoryLayout.paddingLayout(4));

    private static final int IOC_WRITE = 1;
    private static final int IOC_READ = 2;

    /** An asm-generic ioctl request number {@code _IOC(dir, 'V', nr, size)}. */
    static long ioc(int dir, int nr, long size) {
        if (size >= 1 << 14) {
            throw new IllegalArgumentException("an ioctl argument of " + size + " bytes does not fit 14 bits");
        }
        return (long) dir << 30 | size << 16 | 'V' << 8 | nr;
    }

    public static final long VIDIOC_QUERYCAP = ioc(IOC_READ, 0, CAPABILITY.byteSize());
    public static final long VIDIOC_ENUM_FMT = ioc(IOC_READ | IOC_WRITE, 2, FMTDESC.byteSize());
    public static final long VIDIOC_G_FMT = ioc(IOC_READ | IOC_WRITE, 4, FORMAT.byteSize());
    public static final long VIDIOC_S_FMT = ioc(IOC_READ | IOC_WRITE, 5, FORMAT.byteSize());
    public static final long VIDIOC_REQBUFS = ioc(IOC_READ | IOC_WRITE, 8, REQUESTBUFFERS.byteSize());
    public static final long VIDIOC_QUERYBUF = ioc(IOC_READ | IOC_WRITE, 9, BUFFER.byteSize());
    public static final long VIDIOC_QBUF = ioc(IOC_READ | IOC_WRITE, 15, BUFFER.byteSize());
    public static final long VIDIOC_DQBUF = ioc(IOC_READ | IOC_WRITE, 17, BUFFER.byteSize());
    public static final long VIDIOC_STREAMON = ioc(IOC_WRITE, 18, JAVA_INT.byteSize());
    public static final long VIDIOC_STREAMOFF = ioc(IOC_WRITE, 19, JAVA_INT.byteSize());
    public static final long VIDIOC_G_PARM = ioc(IOC_READ | IOC_WRITE, 21, STREAMPARM.byteSize());
    public static final long VIDIOC_S_PARM = ioc(IOC_READ | IOC_WRITE, 22, STREAMPARM.byteSize());
    public static final long VIDIOC_ENUM_FRAMESIZES = ioc(IOC_READ | IOC_WRITE, 74, FRMSIZEENUM.byteSize());
    public static final long VIDIOC_ENUM_FRAMEINTERVALS = ioc(IOC_READ | IOC_WRITE, 75, FRMIVALENUM.byteSize());

    // device capabilities (struct v4l2_capability)
    public static final int CAP_VIDEO_CAPTURE = 0x00000001;
    public static final int CAP_VIDEO_CAPTURE_MPLANE = 0x00001000;
    public static final int CAP_STREAMING = 0x04000000;
    public static final int CAP_DEVICE_CAPS = 0x80000000;
    /** enum v4l2_buf_type V4L2_BUF_TYPE_VIDEO_CAPTURE. */
    public static final int BUF_TYPE_VIDEO_CAPTURE = 1;
    /** enum v4l2_memory V4L2_MEMORY_MMAP. */
    public static final int MEMORY_MMAP = 1;
    /** enum v4l2_field V4L2_FIELD_NONE (progressive). */
    public static final int FIELD_NONE = 1;
    /** v4l2_fmtdesc flag V4L2_FMT_FLAG_COMPRESSED. */
    public static final int FMT_FLAG_COMPRESSED = 1;
    /** enum v4l2_frmsizetypes. */
    public static final int FRMSIZE_TYPE_DISCRETE = 1;
    public static final int FRMSIZE_TYPE_CONTINUOUS = 2;
    public static final int FRMSIZE_TYPE_STEPWISE = 3;
    /** enum v4l2_frmivaltypes V4L2_FRMIVAL_TYPE_DISCRETE (continuous and stepwise use the stepwise member). */
    public static final int FRMIVAL_TYPE_DISCRETE = 1;
    /** v4l2_captureparm capability V4L2_CAP_TIMEPERFRAME. */
    public static final int CAP_TIMEPERFRAME = 0x1000;
    /** v4l2_buffer flag V4L2_BUF_FLAG_ERROR: the frame may be corrupted. */
    public static final int BUF_FLAG_ERROR = 0x40;

    /** A four-character code as v4l2_fourcc() packs it (first character in the low byte). */
    public static int fourcc(String code) {
        if (code.length() != 4) {
            throw new IllegalArgumentException("a fourcc has 4 characters: '" + code + "'");
        }
        return code.charAt(0) | code.charAt(1) << 8 | code.charAt(2) << 16 | code.charAt(3) << 24;
    }

    /** The four characters of a fourcc (unprintable bytes as '?'). */
    public static String fourccName(int code) {
        StringBuilder b = new StringBuilder(4);
        for (int i = 0; i < 4; i++) {
            int c = code >>> 8 * i & 0xFF;
            b.append(c >= 0x20 && c < 0x7F ? (char) c : '?');
        }
        return b.toString().trim();
    }

    public static final int PIX_FMT_YUYV = fourcc("YUYV");
    public static final int PIX_FMT_MJPEG = fourcc("MJPG");
    public static final int PIX_FMT_JPEG = fourcc("JPEG");

    /** Byte offset of a field, e.g. {@code offset(BUFFER, "m", "offset")}. */
    public static long offset(MemoryLayout layout, String... path) {
        PathElement[] p = new PathElement[path.length];
        for (int i = 0; i < path.length; i++) {
            p[i] = PathElement.groupElement(path[i]);
        }
        return layout.byteOffset(p);
    }

    /** Fails, saying why, unless this is a 64-bit Linux with the asm-generic ioctl encoding. */
    public static void checkHost() {
        String os = System.getProperty("os.name", "");
        String arch = System.getProperty("os.arch", "");
        if (!os.equals("Linux")) {
            throw new UnsupportedOperationException("V4L2 capture exists on Linux only (this is " + os
                    + "); use source=process with ffmpeg -f avfoundation/dshow instead");
        }
        if (!(arch.equals("amd64") || arch.equals("x86_64") || arch.equals("aarch64") || arch.equals("riscv64"))
                || ADDRESS.byteSize() != 8) {
            throw new UnsupportedOperationException("V4L2 capture is built for 64-bit Linux with the asm-generic ioctl "
                    + "encoding (x86-64, arm64, riscv64), not " + arch + "; use source=process with ffmpeg -f v4l2");
        }
    }
}
