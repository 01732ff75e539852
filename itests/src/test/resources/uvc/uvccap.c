/*
 * uvccap: a minimal V4L2 capture program for UvcGuestIT, compiled by the test with
 * `gcc -m32 -static` and run in the i386 guest (busybox has no capture tool).
 *
 *   uvccap [-q] [-s SYSFSDIR] DEVICE yuyv|mjpg WIDTH HEIGHT FRAMES [DUMPFILE]
 *
 * Prints the driver and card (VIDIOC_QUERYCAP), every format with its frame sizes
 * (VIDIOC_ENUM_FMT, VIDIOC_ENUM_FRAMESIZES), sets the format (VIDIOC_S_FMT) and 30 fps
 * (VIDIOC_S_PARM), maps 4 buffers (VIDIOC_REQBUFS, VIDIOC_QUERYBUF, mmap), streams
 * (VIDIOC_QBUF, VIDIOC_STREAMON, VIDIOC_DQBUF) and prints one line per frame:
 *   FRAME i seq=S bytes=N num=K fnv=XXXXXXXX
 * where num is the frame number the camera put into the frame (YUYV: the test pattern's stripe,
 * row 4, 32 cells of 4 pixels, luma > 128 = 1, bit 31 first; MJPEG: the "machina frame K" COM
 * segment; -1 if absent) and fnv the FNV-1a 32-bit hash of the frame's bytesused bytes. At the end
 * "DONE frames=F seconds=T" (CLOCK_MONOTONIC, guest time). The second frame is written to
 * DUMPFILE if given. With -s, SYSFSDIR is the USB streaming interface's sysfs directory
 * (/sys/bus/usb/devices/B-P:1.1): once the first frame is dequeued (the stream runs: the
 * alternate setting and its endpoint files were made by STREAMON), its alternate setting and
 * endpoint 0x81's type and wMaxPacketSize are printed as "ALT a type size" (empty when absent).
 * Read here rather than by a shell beside the capture, which cannot know that the stream still
 * runs between two reads. Any failure prints "FAIL what: errno text" and exits 1.
 * With -q (quick: scripts/bench/uvc-bench.sh) frames are not hashed (fnv=- is printed): only the
 * frame number is read, so the capture program costs the guest next to nothing per frame and what
 * is measured is the delivery (USB, xhci_hcd, uvcvideo, vb2); it also prints "STREAM t=S" (the
 * CLOCK_MONOTONIC time before VIDIOC_STREAMON) and, at the end of each FRAME line, " t=S", the
 * buffer's timestamp (uvcvideo's, CLOCK_MONOTONIC), so that the wait for the first frame and the
 * steady rate after it can be told apart.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/videodev2.h>

#define NBUF 4

static int fd;

/* The first line of sysfs file dir/name into out (without the newline), "" if it cannot be read. */
static void sysfs(const char *dir, const char *name, char *out, size_t size) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    out[0] = 0;
    FILE *f = fopen(path, "r");
    if (f) {
        if (!fgets(out, (int) size, f)) {
            out[0] = 0;
        }
        fclose(f);
    }
    out[strcspn(out, "\n")] = 0;
}

static void xioctl(unsigned long req, void *arg, const char *what) {
    int r;
    do {
        r = ioctl(fd, req, arg);
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
        printf("FAIL %s: %d %s\n", what, errno, strerror(errno));
        exit(1);
    }
}

static void fourcc(unsigned int f, char *out) {
    out[0] = f & 0xFF; out[1] = (f >> 8) & 0xFF; out[2] = (f >> 16) & 0xFF; out[3] = (f >> 24) & 0xFF; out[4] = 0;
}

static unsigned int fnv(const unsigned char *p, unsigned int n) {
    unsigned int h = 0x811C9DC5u;
    for (unsigned int i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x01000193u;
    }
    return h;
}

static long long stripe(const unsigned char *f, unsigned int width, unsigned int bytes) {
    unsigned long long v = 0;
    if (bytes < (5 * width) * 2) {
        return -1;
    }
    for (int i = 0; i < 32; i++) {
        unsigned int x = i * 4 + 2;
        v = v << 1 | (f[(4 * width + x) * 2] > 128 ? 1 : 0);
    }
    return (long long) v;
}

static long long comment(const unsigned char *f, unsigned int n) {
    static const char tag[] = "machina frame ";
    for (unsigned int i = 0; i + 4 + sizeof tag < n; i++) {
        if (f[i] == 0xFF && f[i + 1] == 0xFE && memcmp(f + i + 4, tag, sizeof tag - 1) == 0) {
            long long v = 0;
            for (unsigned int j = i + 4 + sizeof tag - 1; j < n && f[j] >= '0' && f[j] <= '9'; j++) {
                v = v * 10 + (f[j] - '0');
            }
            return v;
        }
        if (f[i] == 0xFF && f[i + 1] == 0xDA) {
            break;                                  /* start of scan: no comment before it */
        }
    }
    return -1;
}

int main(int argc, char **argv) {
    const char *iface = NULL;
    int quick = 0;
    if (argc > 1 && strcmp(argv[1], "-q") == 0) {
        quick = 1;
        argv++;
        argc--;
    }
    if (argc > 2 && strcmp(argv[1], "-s") == 0) {
        iface = argv[2];
        argv += 2;
        argc -= 2;
    }
    if (argc < 6) {
        printf("usage: uvccap [-q] [-s SYSFSDIR] DEVICE yuyv|mjpg WIDTH HEIGHT FRAMES [DUMPFILE]\n");
        return 2;
    }
    int mjpg = strcmp(argv[2], "mjpg") == 0;
    unsigned int width = atoi(argv[3]), height = atoi(argv[4]);
    int frames = atoi(argv[5]);
    fd = open(argv[1], O_RDWR);
    if (fd < 0) {
        printf("FAIL open %s: %d %s\n", argv[1], errno, strerror(errno));
        return 1;
    }
    struct v4l2_capability cap;
    memset(&cap, 0, sizeof cap);
    xioctl(VIDIOC_QUERYCAP, &cap, "VIDIOC_QUERYCAP");
    printf("CAP driver=%s card=%s caps=%08x\n", cap.driver, cap.card, cap.device_caps);
    if (!(cap.device_caps & V4L2_CAP_VIDEO_CAPTURE) || !(cap.device_caps & V4L2_CAP_STREAMING)) {
        printf("FAIL no capture/streaming capability\n");
        return 1;
    }
    for (unsigned int i = 0;; i++) {
        struct v4l2_fmtdesc d;
        memset(&d, 0, sizeof d);
        d.index = i;
        d.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        if (ioctl(fd, VIDIOC_ENUM_FMT, &d) < 0) {
            break;
        }
        char cc[5];
        fourcc(d.pixelformat, cc);
        printf("FMT %s", cc);
        for (unsigned int j = 0;; j++) {
            struct v4l2_frmsizeenum s;
            memset(&s, 0, sizeof s);
            s.index = j;
            s.pixel_format = d.pixelformat;
            if (ioctl(fd, VIDIOC_ENUM_FRAMESIZES, &s) < 0 || s.type != V4L2_FRMSIZE_TYPE_DISCRETE) {
                break;
            }
            printf(" %ux%u", s.discrete.width, s.discrete.height);
        }
        printf("\n");
    }
    struct v4l2_format fmt;
    memset(&fmt, 0, sizeof fmt);
    fmt.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    fmt.fmt.pix.width = width;
    fmt.fmt.pix.height = height;
    fmt.fmt.pix.pixelformat = mjpg ? V4L2_PIX_FMT_MJPEG : V4L2_PIX_FMT_YUYV;
    fmt.fmt.pix.field = V4L2_FIELD_NONE;
    xioctl(VIDIOC_S_FMT, &fmt, "VIDIOC_S_FMT");
    char cc[5];
    fourcc(fmt.fmt.pix.pixelformat, cc);
    printf("SET %s %ux%u sizeimage=%u\n", cc, fmt.fmt.pix.width, fmt.fmt.pix.height, fmt.fmt.pix.sizeimage);
    width = fmt.fmt.pix.width;
    struct v4l2_streamparm parm;
    memset(&parm, 0, sizeof parm);
    parm.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    parm.parm.capture.timeperframe.numerator = 1;
    parm.parm.capture.timeperframe.denominator = 30;
    xioctl(VIDIOC_S_PARM, &parm, "VIDIOC_S_PARM");
    printf("PARM %u/%u\n", parm.parm.capture.timeperframe.numerator, parm.parm.capture.timeperframe.denominator);

    struct v4l2_requestbuffers req;
    memset(&req, 0, sizeof req);
    req.count = NBUF;
    req.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    req.memory = V4L2_MEMORY_MMAP;
    xioctl(VIDIOC_REQBUFS, &req, "VIDIOC_REQBUFS");
    void *mem[NBUF];
    unsigned int len[NBUF];
    for (unsigned int i = 0; i < req.count && i < NBUF; i++) {
        struct v4l2_buffer b;
        memset(&b, 0, sizeof b);
        b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        b.memory = V4L2_MEMORY_MMAP;
        b.index = i;
        xioctl(VIDIOC_QUERYBUF, &b, "VIDIOC_QUERYBUF");
        len[i] = b.length;
        mem[i] = mmap(NULL, b.length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, b.m.offset);
        if (mem[i] == MAP_FAILED) {
            printf("FAIL mmap: %d %s\n", errno, strerror(errno));
            return 1;
        }
        xioctl(VIDIOC_QBUF, &b, "VIDIOC_QBUF");
    }
    int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    xioctl(VIDIOC_STREAMON, &type, "VIDIOC_STREAMON");
    if (quick) {
        printf("STREAM t=%ld.%06ld\n", (long) t0.tv_sec, t0.tv_nsec / 1000);
    }
    for (int i = 0; i < frames; i++) {
        struct v4l2_buffer b;
        memset(&b, 0, sizeof b);
        b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        b.memory = V4L2_MEMORY_MMAP;
        xioctl(VIDIOC_DQBUF, &b, "VIDIOC_DQBUF");
        if (i == 0 && iface) {
            char alt[32], type[32], size[32];
            sysfs(iface, "bAlternateSetting", alt, sizeof alt);
            sysfs(iface, "ep_81/type", type, sizeof type);
            sysfs(iface, "ep_81/wMaxPacketSize", size, sizeof size);
            printf("ALT %s %s %s\n", alt + strspn(alt, " "), type, size);
        }
        const unsigned char *f = mem[b.index];
        unsigned int n = b.bytesused <= len[b.index] ? b.bytesused : len[b.index];
        long long num = mjpg ? comment(f, n) : stripe(f, width, n);
        if (quick) {
            printf("FRAME %d seq=%u bytes=%u num=%lld fnv=-%s t=%ld.%06ld\n", i, b.sequence, n, num,
                   (b.flags & V4L2_BUF_FLAG_ERROR) ? " error" : "", (long) b.timestamp.tv_sec,
                   (long) b.timestamp.tv_usec);
        } else {
            printf("FRAME %d seq=%u bytes=%u num=%lld fnv=%08x%s\n", i, b.sequence, n, num, fnv(f, n),
                   (b.flags & V4L2_BUF_FLAG_ERROR) ? " error" : "");
        }
        if (i == 1 && argc > 6) {
            FILE *out = fopen(argv[6], "wb");
            if (out) {
                fwrite(f, 1, n, out);
                fclose(out);
            }
        }
        xioctl(VIDIOC_QBUF, &b, "VIDIOC_QBUF");
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    xioctl(VIDIOC_STREAMOFF, &type, "VIDIOC_STREAMOFF");
    double s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("DONE frames=%d seconds=%.3f fps=%.2f\n", frames, s, frames / s);
    return 0;
}
