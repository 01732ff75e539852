package org.machina.devices.usb.video.v4l2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.machina.devices.usb.video.v4l2.V4l2Abi.offset;

import org.junit.jupiter.api.Test;

/**
 * The structure layouts and ioctl numbers against values worked out by hand from the V4L2
 * documentation's field tables (LP64) and the asm-generic {@code _IOC} encoding:
 * {@code dir << 30 | size << 16 | 'V' << 8 | nr}, with _IOR = 2, _IOW = 1, _IOWR = 3.
 */
class V4l2AbiTest {
    @Test
    void structureSizesAreThoseOf64BitLinux() {
        assertEquals(104, V4l2Abi.CAPABILITY.byteSize(), "v4l2_capability: 16+32+32 chars, 3 u32, reserved[3]");
        assertEquals(64, V4l2Abi.FMTDESC.byteSize(), "v4l2_fmtdesc: 3 u32, description[32], 2 u32, reserved[3]");
        assertEquals(44, V4l2Abi.FRMSIZEENUM.byteSize(), "v4l2_frmsizeenum: 3 u32, a 24-byte union, reserved[2]");
        assertEquals(48, V4l2Abi.PIX_FORMAT.byteSize(), "v4l2_pix_format: 12 u32");
        assertEquals(208, V4l2Abi.FORMAT.byteSize(), "v4l2_format: type, 4 bytes of padding, 200-byte union");
        assertEquals(204, V4l2Abi.STREAMPARM.byteSize(), "v4l2_streamparm: type and a 200-byte union");
        assertEquals(20, V4l2Abi.REQUESTBUFFERS.byteSize(), "v4l2_requestbuffers: 4 u32, flags, reserved[3]");
        assertEquals(88, V4l2Abi.BUFFER.byteSize(), "v4l2_buffer with a 16-byte timeval and an 8-byte union m");
        assertEquals(52, V4l2Abi.FRMIVALENUM.byteSize(), "v4l2_frmivalenum: 5 u32, a 24-byte union of fractions, reserved[2]");
    }

    @Test
    void fieldOffsets() {
        assertEquals(80, offset(V4l2Abi.CAPABILITY, "version"));
        assertEquals(84, offset(V4l2Abi.CAPABILITY, "capabilities"));
        assertEquals(88, offset(V4l2Abi.CAPABILITY, "device_caps"));
        assertEquals(44, offset(V4l2Abi.FMTDESC, "pixelformat"));
        assertEquals(12, offset(V4l2Abi.FRMSIZEENUM, "size", "discrete", "width"));
        assertEquals(32, offset(V4l2Abi.FRMSIZEENUM, "size", "stepwise", "step_height"));
        assertEquals(20, offset(V4l2Abi.FRMIVALENUM, "interval", "discrete", "numerator"));
        assertEquals(28, offset(V4l2Abi.FRMIVALENUM, "interval", "stepwise", "max", "numerator"));
        assertEquals(8, offset(V4l2Abi.FORMAT, "fmt", "pix", "width"));
        assertEquals(16, offset(V4l2Abi.FORMAT, "fmt", "pix", "pixelformat"));
        assertEquals(24, offset(V4l2Abi.FORMAT, "fmt", "pix", "bytesperline"));
        assertEquals(28, offset(V4l2Abi.FORMAT, "fmt", "pix", "sizeimage"));
        assertEquals(4, offset(V4l2Abi.STREAMPARM, "parm", "capture", "capability"));
        assertEquals(12, offset(V4l2Abi.STREAMPARM, "parm", "capture", "timeperframe", "numerator"));
        assertEquals(16, offset(V4l2Abi.STREAMPARM, "parm", "capture", "timeperframe", "denominator"));
        assertEquals(8, offset(V4l2Abi.BUFFER, "bytesused"));
        assertEquals(24, offset(V4l2Abi.BUFFER, "timestamp"));
        assertEquals(40, offset(V4l2Abi.BUFFER, "timecode"));
        assertEquals(56, offset(V4l2Abi.BUFFER, "sequence"));
        assertEquals(60, offset(V4l2Abi.BUFFER, "memory"));
        assertEquals(64, offset(V4l2Abi.BUFFER, "m", "offset"));
        assertEquals(72, offset(V4l2Abi.BUFFER, "length"));
        assertEquals(80, offset(V4l2Abi.BUFFER, "request_fd"));
    }

    @Test
    void ioctlNumbers() {
        assertEquals(0x80685600L, V4l2Abi.VIDIOC_QUERYCAP, "_IOR('V', 0, 104 bytes)");
        assertEquals(0xC0405602L, V4l2Abi.VIDIOC_ENUM_FMT, "_IOWR('V', 2, 64 bytes)");
        assertEquals(0xC0D05604L, V4l2Abi.VIDIOC_G_FMT, "_IOWR('V', 4, 208 bytes)");
        assertEquals(0xC0D05605L, V4l2Abi.VIDIOC_S_FMT, "_IOWR('V', 5, 208 bytes)");
        assertEquals(0xC0145608L, V4l2Abi.VIDIOC_REQBUFS, "_IOWR('V', 8, 20 bytes)");
        assertEquals(0xC0585609L, V4l2Abi.VIDIOC_QUERYBUF, "_IOWR('V', 9, 88 bytes)");
        assertEquals(0xC058560FL, V4l2Abi.VIDIOC_QBUF, "_IOWR('V', 15, 88 bytes)");
        assertEquals(0xC0585611L, V4l2Abi.VIDIOC_DQBUF, "_IOWR('V', 17, 88 bytes)");
        assertEquals(0x40045612L, V4l2Abi.VIDIOC_STREAMON, "_IOW('V', 18, int)");
        assertEquals(0x40045613L, V4l2Abi.VIDIOC_STREAMOFF, "_IOW('V', 19, int)");
        assertEquals(0xC0CC5615L, V4l2Abi.VIDIOC_G_PARM, "_IOWR('V', 21, 204 bytes)");
        assertEquals(0xC0CC5616L, V4l2Abi.VIDIOC_S_PARM, "_IOWR('V', 22, 204 bytes)");
        assertEquals(0xC02C564AL, V4l2Abi.VIDIOC_ENUM_FRAMESIZES, "_IOWR('V', 74, 44 bytes)");
        assertEquals(0xC034564BL, V4l2Abi.VIDIOC_ENUM_FRAMEINTERVALS, "_IOWR('V', 75, 52 bytes)");
    }

    @Test
    void fourccs() {
        assertEquals(0x56595559, V4l2Abi.PIX_FMT_YUYV, "'Y' in the low byte");
        assertEquals(0x47504A4D, V4l2Abi.PIX_FMT_MJPEG);
        assertEquals("NV12", V4l2Abi.fourccName(V4l2Abi.fourcc("NV12")));
    }
}
