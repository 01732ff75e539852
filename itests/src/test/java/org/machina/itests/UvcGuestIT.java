package org.machina.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonObject;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.machina.devices.usb.video.mjpeg.JpegEncoder;
import org.machina.devices.usb.video.source.TestPattern;

/**
 * The {@code usb-video} camera seen by a Linux guest: the Debian i386 kernel with the test
 * initramfs (which loads {@code xhci_pci} and {@code uvcvideo}, see scripts/build-initramfs.sh) plus
 * {@code /bin/uvccap}, a V4L2 capture program compiled here from {@code uvc/uvccap.c} with
 * {@code gcc -m32 -static} and appended to the initramfs as a second cpio archive. The machine:
 * {@code -usb -device usb-video,source=pattern}. Checked: {@code uvcvideo} binds and makes
 * {@code /dev/video0}; the driver lists YUYV and MJPEG with their sizes; captures of YUYV 160x120
 * and 640x480 and MJPEG 320x240 and 1280x720, where every frame's frame number (the pattern's
 * stripe for YUYV, the JPEG comment for MJPEG) appears once, follows uvcvideo's V4L2 sequence
 * number one for one (buffers may be dequeued out of order: the driver copies payloads in a work
 * queue), and its FNV-1a hash equals that of the
 * frame the host computes for that number (the same {@link TestPattern}, and for MJPEG the same
 * {@link JpegEncoder}); one MJPEG frame is copied to the host with {@code od} and decoded there
 * with javax.imageio, its stripe giving its number. A second camera on port 2,
 * {@code source=file,path=clip.y4m} (a 5-frame clip written here), delivers frames whose hashes are
 * those of the clip's frames, looping. A third camera on port 4, {@code speed=super}, is a USB 3
 * camera on the controller's SuperSpeed root port (Linux's bus 2): its 640x480 YUYV frames, over
 * isochronous packet trains of a millisecond, are checked the same way. Hot-plugged on port 3: a
 * bulk pattern camera, then a {@code source=process} camera running the host's ffmpeg testsrc
 * (its frames checked against ffmpeg's own raw rendering). Frame rates are printed
 * (guest clock and host wall time).
 *
 * <p>Not in the default suite (a boot and its captures: about 3 minutes with the translator, 8-12
 * with the interpreter): skipped unless
 * {@code -Dmachina.uvcGuest=true}; run it with
 * {@code mvn -pl itests verify -Dit.test=UvcGuestIT -Dmachina.uvcGuest=true} after
 * {@code mvn install -DskipTests} and {@code scripts/build-initramfs.sh}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 40, unit = TimeUnit.MINUTES)
class UvcGuestIT {
    private static final long BOOT_TIMEOUT_S = Long.getLong("machina.bootTimeout", 1200);
    private static final long CAPTURE_TIMEOUT_S = 900;
    private static final Pattern FRAME = Pattern.compile(
            "FRAME (\\d+) seq=(\\d+) bytes=(\\d+) num=(-?\\d+) fnv=([0-9a-f]{8})( error)?");
    private static final Pattern DONE = Pattern.compile("DONE frames=(\\d+) seconds=([0-9.]+) fps=([0-9.]+)");
    /** What uvccap -s prints of the streaming interface in sysfs while it streams: alternate setting, endpoint type, size. */
    private static final Pattern ALT = Pattern.compile("ALT (\\d+) (\\S*) ?([0-9a-f]*)");

    private static final int CLIP_FRAMES = 5;

    private static GuestConsole guest;
    private static Path clip;
    private static Path qmpSocket;
    /** The test's work directory (host side). */
    private static Path work;
    /** /dev/videoN of the pattern camera (port 1) and of the file camera (port 2), from sysfs. */
    private static String patternCamera = "/dev/video0";
    private static String fileCamera;
    /** /dev/videoN of the SuperSpeed pattern camera (port 4: USB device 2-4). */
    private static String superSpeedCamera;
    private static final List<String> RESULTS = new ArrayList<>();

    @BeforeAll
    @Timeout(value = 40, unit = TimeUnit.MINUTES)
    static void boot() throws Exception {
        Assumptions.assumeTrue(Boolean.getBoolean("machina.uvcGuest"),
                "UvcGuestIT boots a Linux guest (about 3 minutes): run with -Dmachina.uvcGuest=true");
        GuestFiles files = GuestFiles.locate("uvc-guest");
        Path root = files.root(), kernel = files.kernel(), initramfs = files.initramfs();
        Path out = files.out();
        work = out;

        // the capture program, static i386, into an extra cpio archive appended to the initramfs
        Path src = out.resolve("uvccap.c");
        try (var in = UvcGuestIT.class.getResourceAsStream("/uvc/uvccap.c")) {
            Files.copy(in, src);
        }
        Path bin = out.resolve("uvccap");
        host(out, "gcc", "-m32", "-march=i686", "-static", "-O2", "-s", "-o", bin.toString(), src.toString());
        Path extra = out.resolve("uvccap.cpio.gz");
        host(out, Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                root.resolve("tools/initramfs/src/main/java/org/machina/tools/initramfs/MkInitramfs.java").toString(),
                extra.toString(), "--dir", "bin", "--file", "bin/uvccap=" + bin);
        Path combined = out.resolve("initramfs.cpio.gz");
        Files.write(combined, Files.readAllBytes(initramfs));
        Files.write(combined, Files.readAllBytes(extra), java.nio.file.StandardOpenOption.APPEND);

        qmpSocket = out.resolve("qmp.sock");
        clip = out.resolve("clip.y4m");
        Files.write(clip, y4mClip(160, 120, CLIP_FRAMES));

        Path launcher = Path.of(System.getProperty("machina.bundles")).getParent().resolve("lib/launcher-0.1.0-SNAPSHOT.jar");
        assertTrue(Files.isRegularFile(launcher), "built distribution missing: " + launcher);
        guest = GuestConsole.boot(launcher, out, List.of("-machine", "pc", "-cpu", "pentium3", "-m", "256",
                "-kernel", kernel.toString(), "-initrd", combined.toString(),
                "-append", "console=ttyS0 panic=-1 clocksource=hpet " + GuestConsole.FAST_BOOT, "-nographic",
                "-usb", "-device", "usb-video,id=cam0,port=1,source=pattern",
                "-device", "usb-video,id=cam1,port=2,source=file,transfer=bulk,path=" + clip,
                "-device", "usb-video,id=cam3,port=4,source=pattern,speed=super",
                "-qmp", "unix:" + qmpSocket + ",server=on,wait=off"), BOOT_TIMEOUT_S);
        assertEquals(0, guest.shell("dmesg -n 4", 300).status(), "dmesg -n 4");
    }

    @AfterAll
    static void powerOff() throws Exception {
        RESULTS.forEach(r -> System.out.println("UvcGuestIT: " + r));
        if (guest != null) {
            System.out.println("UvcGuestIT: poweroff status " + guest.powerOff(180));
        }
    }

    @Test
    @Order(1)
    void uvcvideoBindsAndListsBothFormats() throws Exception {
        assertTrue(!guest.bootLog().contains("init: cannot load module"),
                "init loaded every module:\n" + GuestConsole.tail(guest.bootLog(), 3000));
        GuestConsole.Output mods = guest.shell("grep -e '^uvcvideo ' -e '^videodev ' /proc/modules | cut -d' ' -f1", 300);
        assertEquals(List.of("videodev", "uvcvideo"), mods.lines().stream().filter(l -> !l.isBlank()).sorted(
                Comparator.reverseOrder()).toList(), "modules loaded: " + mods);
        GuestConsole.Output found = guest.shell(
                "dmesg | sed 's/^\\[[ 0-9.]*\\] //' | grep -i -e 'Found UVC' -e 'uvcvideo'; ls -l /sys/class/video4linux/", 300);
        assertEquals(0, found.status(), found.toString());
        assertTrue(found.text().contains("usb 1-1: Found UVC 1.10 device Machina USB camera")
                && found.text().contains("usb 1-2: Found UVC 1.10 device Machina USB camera")
                && found.text().contains("usb 2-4: Found UVC 1.10 device Machina USB camera"),
                "uvcvideo found the three cameras (2-4 on the SuperSpeed bus): " + found);
        // video0 -> ../../devices/pci0000:00/.../usb1/1-1/1-1:1.0/video4linux/video0 (each camera also has a metadata node)
        Matcher node = Pattern.compile("(video\\d+) -> \\S*/(1-[12]|2-4):1\\.\\d+/video4linux/").matcher(found.text());
        fileCamera = null;
        patternCamera = null;
        superSpeedCamera = null;
        while (node.find()) {
            String dev = "/dev/" + node.group(1);
            if (node.group(2).equals("1-1") && (patternCamera == null || dev.compareTo(patternCamera) < 0)) {
                patternCamera = dev;
            } else if (node.group(2).equals("1-2") && (fileCamera == null || dev.compareTo(fileCamera) < 0)) {
                fileCamera = dev;
            } else if (node.group(2).equals("2-4") && (superSpeedCamera == null || dev.compareTo(superSpeedCamera) < 0)) {
                superSpeedCamera = dev;
            }
        }
        assertTrue(patternCamera != null && fileCamera != null && superSpeedCamera != null, "a video node per camera: " + found);
        GuestConsole.Output list = guest.shell("uvccap " + patternCamera + " yuyv 160 120 1", 300);
        assertEquals(0, list.status(), list.toString());
        assertTrue(list.text().contains("CAP driver=uvcvideo"), list.toString());
        assertTrue(list.text().contains("FMT YUYV 160x120 320x240 640x480\n"), "YUYV sizes: " + list);
        assertTrue(list.text().contains("FMT MJPG 160x120 320x240 640x480 1280x720\n"), "MJPEG sizes: " + list);
    }

    @Test
    @Order(2)
    void yuyv160x120FramesAreThePattern() throws Exception {
        capture(patternCamera, "1-1", true, "yuyv", 160, 120, 30, false);
    }

    @Test
    @Order(3)
    void yuyv640x480FramesAreThePattern() throws Exception {
        capture(patternCamera, "1-1", true, "yuyv", 640, 480, 30, false);
    }

    @Test
    @Order(4)
    void mjpeg320x240FramesAreThePatternEncoded() throws Exception {
        capture(patternCamera, "1-1", true, "mjpg", 320, 240, 30, true);
    }

    @Test
    @Order(5)
    void mjpeg1280x720FramesAreThePatternEncoded() throws Exception {
        capture(patternCamera, "1-1", true, "mjpg", 1280, 720, 15, false);
    }

    /** The SuperSpeed camera: Linux reads its BOS and endpoint companions and streams 24 KiB a millisecond. */
    @Test
    @Order(6)
    void yuyv640x480OverSuperSpeedFramesAreThePattern() throws Exception {
        GuestConsole.Output speed = guest.shell("cat /sys/bus/usb/devices/2-4/speed /sys/bus/usb/devices/2-4/version", 300);
        assertTrue(speed.text().contains("5000") && speed.text().contains("3.00"),
                "the camera on port 4 runs at 5000 Mb/s, USB 3.00: " + speed);
        capture(superSpeedCamera, "2-4", true, "yuyv", 640, 480, 30, false);
    }

    @Test
    @Order(7)
    void theFileCameraLoopsTheY4mClip() throws Exception {
        GuestConsole.Output r = guest.shell(captureCommand("1-2", fileCamera + " yuyv 160 120 12"), CAPTURE_TIMEOUT_S);
        assertEquals(0, r.status(), r.toString());
        assertTrue(r.text().contains("ALT 0 Bulk"), "transfer=bulk: the file camera streams over its bulk endpoint: " + r);
        List<String> expected = new ArrayList<>();
        try (var source = org.machina.devices.usb.video.source.Y4mSource.open(clip)) {
            byte[] f = new byte[160 * 120 * 2];
            for (int n = 0; n < CLIP_FRAMES; n++) {
                source.frame(n, 160, 120, f);
                expected.add(String.format("%08x", fnv(f)));
            }
        }
        List<Integer> order = new ArrayList<>();
        for (String line : r.lines()) {
            Matcher m = FRAME.matcher(line);
            if (m.find()) {
                int k = expected.indexOf(m.group(5));
                assertTrue(k >= 0, "a frame of the clip: " + line + " (clip frames " + expected + ")");
                order.add(k);
            }
        }
        assertEquals(12, order.size(), r.toString());
        assertTrue(order.stream().distinct().count() >= 3, "the clip plays: " + order);
        RESULTS.add("file camera (" + fileCamera + "): 12 frames, clip frames in order " + order);
    }

    /**
     * Hot-plug: QMP {@code device_add usb-video,id=cam2,port=3,transfer=bulk} into the running guest;
     * xhci_pci sees the connect on port 3, uvcvideo binds and makes a new video node, which
     * captures YUYV and MJPEG pattern frames over bulk (each checked as above); QMP
     * {@code device_del cam2} takes it out and the node goes away.
     */
    @Test
    @Order(8)
    void aHotPluggedBulkCameraCapturesAndGoesAwayOnDeviceDel() throws Exception {
        JsonObject dev = new JsonObject();
        dev.addProperty("driver", "usb-video");
        dev.addProperty("id", "cam2");
        dev.addProperty("port", "3");
        dev.addProperty("transfer", "bulk");
        String hot = plugOnPort3(dev);
        capture(hot, "1-3", false, "yuyv", 160, 120, 10, false);
        capture(hot, "1-3", false, "mjpg", 320, 240, 10, false);
        unplug("cam2", hot);
        RESULTS.add("hot-plug: device_add usb-video,port=3,transfer=bulk became " + hot
                + " (captured YUYV and MJPEG), device_del removed it");
    }

    /**
     * {@code source=process} with a real ffmpeg on the host: a camera hot-plugged on port 3 runs
     * {@code ffmpeg -re ... testsrc ... -vf loop=loop=-1:size=60 -f yuv4mpegpipe -pix_fmt yuv422p -}
     * (testsrc's first 60 frames, looped, live at 30 fps); every 320x240 YUYV frame the guest
     * captures has the FNV-1a hash of one of those 60 frames as ffmpeg renders them to raw YUYV on
     * the host ({@code -vf format=yuv422p -pix_fmt yuyv422}). Skipped when ffmpeg is not installed.
     */
    @Test
    @Order(9)
    void aProcessCameraShowsFfmpegsTestsrc() throws Exception {
        Assumptions.assumeTrue(ffmpegRuns(), "ffmpeg is not installed on the host (apt-get install ffmpeg)");
        Path raw = work.resolve("testsrc.raw");
        String input = "-f lavfi -i testsrc=size=320x240:rate=30";
        host(work, "/bin/sh", "-c", "ffmpeg -loglevel error -y " + input
                + " -frames:v 60 -vf format=yuv422p -f rawvideo -pix_fmt yuyv422 '" + raw + "'");
        byte[] all = Files.readAllBytes(raw);
        int size = 320 * 240 * 2;
        assertEquals(60 * size, all.length, "ffmpeg's 60 reference frames");
        List<String> expected = new ArrayList<>();
        for (int f = 0; f < 60; f++) {
            expected.add(String.format("%08x", fnv(java.util.Arrays.copyOfRange(all, f * size, (f + 1) * size))));
        }
        assertEquals(60, expected.stream().distinct().count(), "testsrc's 60 frames differ: " + expected);

        JsonObject dev = new JsonObject();
        dev.addProperty("driver", "usb-video");
        dev.addProperty("id", "cam4");
        dev.addProperty("port", "3");
        dev.addProperty("transfer", "bulk");
        dev.addProperty("source", "process");
        dev.addProperty("command", "ffmpeg -loglevel error -re " + input
                + " -vf loop=loop=-1:size=60 -f yuv4mpegpipe -pix_fmt yuv422p -");
        String hot = plugOnPort3(dev);
        GuestConsole.Output r = guest.shell(captureCommand("1-3", hot + " yuyv 320 240 12"), CAPTURE_TIMEOUT_S);
        assertEquals(0, r.status(), r.toString());
        List<Integer> order = new ArrayList<>();
        for (String line : r.lines()) {
            Matcher m = FRAME.matcher(line);
            if (m.find()) {
                int k = expected.indexOf(m.group(5));
                assertTrue(k >= 0, "a frame of ffmpeg's testsrc: " + line);
                order.add(k);
            }
        }
        assertEquals(12, order.size(), r.toString());
        assertTrue(order.stream().distinct().count() >= 2, "the live stream moves: " + order);
        unplug("cam4", hot);
        RESULTS.add("process camera (" + hot + ", ffmpeg testsrc): 12 frames, each one of ffmpeg's own, testsrc frames " + order);
    }

    private static boolean ffmpegRuns() throws InterruptedException {
        try {
            Process p = new ProcessBuilder("ffmpeg", "-version").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /** QMP device_add of {@code dev} (on port 3); returns the guest's video node for USB device 1-3. */
    private static String plugOnPort3(JsonObject dev) throws Exception {
        assertEquals(0, guest.shell("dmesg -c > /dev/null", 300).status(), "dmesg -c: only this plug's messages");
        try (QmpTestClient qmp = QmpTestClient.connect(qmpSocket)) {
            JsonObject added = qmp.execute("device_add", dev);
            assertTrue(added.has("return"), "device_add usb-video: " + added);
        }
        GuestConsole.Output found = guest.shell("i=0; while [ $i -lt 120 ] && ! ls -l /sys/class/video4linux/ | grep -q '/1-3:1'; do"
                + " sleep 1; i=$((i+1)); done; ls -l /sys/class/video4linux/; dmesg | sed 's/^\\[[ 0-9.]*\\] //' | grep '1-3'", 600);
        Matcher node = Pattern.compile("(video\\d+) -> \\S*/1-3:1\\.\\d+/video4linux/").matcher(found.text());
        String hot = null;
        while (node.find()) {
            String d = "/dev/" + node.group(1);
            if (hot == null || d.compareTo(hot) < 0) {
                hot = d;
            }
        }
        assertTrue(hot != null, "the guest made a video node for the hot-plugged camera: " + found);
        assertTrue(found.text().contains("usb 1-3: Found UVC 1.10 device Machina USB camera"), found.toString());
        return hot;
    }

    /** QMP device_del {@code id}; its node {@code hot} goes away and the boot cameras stay. */
    private static void unplug(String id, String hot) throws Exception {
        try (QmpTestClient qmp = QmpTestClient.connect(qmpSocket)) {
            JsonObject args = new JsonObject();
            args.addProperty("id", id);
            JsonObject r = qmp.execute("device_del", args);
            assertTrue(r.has("return"), "device_del " + id + ": " + r);
        }
        GuestConsole.Output gone = guest.shell("i=0; while [ -e " + hot + " ] && [ $i -lt 60 ]; do sleep 1; i=$((i+1)); done;"
                + " ls /sys/class/video4linux/; dmesg | sed 's/^\\[[ 0-9.]*\\] //' | grep 'USB disconnect'; [ ! -e " + hot + " ]", 600);
        assertEquals(0, gone.status(), hot + " went away after device_del: " + gone);
        assertTrue(gone.text().contains("usb 1-3: USB disconnect"), gone.toString());
        GuestConsole.Output still = guest.shell("ls " + patternCamera + " " + fileCamera, 300);
        assertEquals(0, still.status(), "the other cameras stay: " + still);
    }

    /**
     * The guest command that captures with uvccap on a camera whose USB device is {@code usbDevice}
     * (1-N). uvccap prints "ALT a type wMaxPacketSize" of the streaming interface 1 from sysfs
     * ({@code -s}) itself, once its first frame is dequeued: uvcvideo selects the alternate setting
     * at STREAMON and goes back to 0 at STREAMOFF, so only the capture program knows that the
     * stream runs while it reads (a shell polling beside a capture of one second of guest time read
     * the setting in one moment and found the endpoint files gone the next, issue 19). The first
     * line of /proc/stat before and after tells where the guest's CPU went (printed, not asserted).
     */
    private static String captureCommand(String usbDevice, String args) {
        return "S=/sys/bus/usb/devices/" + usbDevice + ":1.1; head -1 /proc/stat; uvccap -s $S " + args
                + "; R=$?; head -1 /proc/stat; [ $R -eq 0 ]";
    }

    /** A YUV4MPEG2 clip (4:2:0): luma ramps that move 23 pixels a frame, chroma that changes per frame. */
    private static byte[] y4mClip(int w, int h, int frames) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(("YUV4MPEG2 W" + w + " H" + h + " F25:1 Ip A1:1 C420jpeg\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        for (int f = 0; f < frames; f++) {
            b.writeBytes("FRAME\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    b.write(16 + (x + 2 * y + 23 * f) % 220);
                }
            }
            for (int i = 0; i < w * h / 4; i++) {
                b.write(64 + 30 * f);
            }
            for (int i = 0; i < w * h / 4; i++) {
                b.write(200 - 20 * f);
            }
        }
        return b.toByteArray();
    }

    /** Captures in the guest and checks every frame against the host's own rendering of its number. */
    private static void capture(String camera, String usbDevice, boolean iso, String format, int w, int h, int frames,
            boolean decodeOnHost) throws Exception {
        String dump = "/tmp/frame1." + format;
        GuestConsole.Output r = guest.shell(captureCommand(usbDevice, camera + " " + format + " " + w + " " + h + " "
                + frames + " " + dump), CAPTURE_TIMEOUT_S);
        assertEquals(0, r.status(), format + " " + w + "x" + h + ": " + r);
        Matcher alt = ALT.matcher(r.text());
        assertTrue(alt.find(), "the streaming interface's alternate setting: " + r);
        String how;
        if (iso) {
            assertTrue(Integer.parseInt(alt.group(1)) > 0 && alt.group(2).equals("Isoc"),
                    "streams over an isochronous alternate setting: " + alt.group());
            how = "iso alt " + alt.group(1) + " (wMaxPacketSize 0x" + alt.group(3) + ")";
        } else {
            assertEquals("0 Bulk", alt.group(1) + " " + alt.group(2), "streams over the bulk endpoint: " + alt.group());
            how = "bulk";
        }
        assertTrue(r.text().contains("SET " + (format.equals("yuyv") ? "YUYV" : "MJPG") + " " + w + "x" + h), r.toString());
        JpegEncoder encoder = new JpegEncoder(80);
        TestPattern pattern = new TestPattern();
        byte[] yuyv = new byte[w * h * 2];
        long previous = -1;
        long first = Long.MAX_VALUE;
        long last = -1;
        Long offset = null;
        java.util.Set<Long> numbers = new java.util.HashSet<>();
        int seen = 0;
        int outOfOrder = 0;
        long frame1 = -1;
        for (String line : r.lines()) {
            Matcher m = FRAME.matcher(line);
            if (!m.find()) {
                continue;
            }
            int index = Integer.parseInt(m.group(1));
            long seq = Long.parseLong(m.group(2));
            long num = Long.parseLong(m.group(4));
            assertTrue(m.group(6) == null, "buffer flagged as an error: " + line);
            // uvcvideo copies payloads in a work queue, so buffers may be dequeued out of order; its
            // sequence number counts every frame that started (dropped ones too): the camera's
            // number must follow it one for one
            assertTrue(numbers.add(num), "each frame once: " + line);
            if (offset == null) {
                offset = num - seq;
            }
            assertEquals(offset.longValue(), num - seq, "the frame number follows uvcvideo's sequence: " + line);
            if (num < previous) {
                outOfOrder++;
            }
            previous = num;
            first = Math.min(first, num);
            last = Math.max(last, num);
            pattern.frame(num, w, h, yuyv);
            byte[] expected = format.equals("yuyv") ? yuyv : encoder.encode(yuyv, w, h, "machina frame " + num);
            assertEquals(expected.length, Integer.parseInt(m.group(3)), "size of " + line);
            assertEquals(String.format("%08x", fnv(expected)), m.group(5), "content (FNV-1a) of " + line);
            if (index == 1) {
                frame1 = num;
            }
            seen++;
        }
        assertEquals(frames, seen, "frames captured: " + r);
        long skipped = last - first + 1 - seen;
        Matcher done = DONE.matcher(r.text());
        assertTrue(done.find(), r.toString());
        double wall = (r.endNanos() - r.startNanos()) / 1e9;
        double guestSeconds = Double.parseDouble(done.group(2));
        // the camera numbers every frame it sends; frames the driver got while uvccap held every buffer
        // were dropped by uvcvideo: last - first + 1 frames crossed the bus in the capture's time
        String result = String.format("%s %s %dx%d over %s: uvccap got %d frames at %.2f fps (guest clock, %.3f s; host wall "
                + "%.1f s incl. setup); the camera sent frames %d..%d, %.2f fps over USB; %d dropped by uvcvideo "
                + "(no free buffer); %d dequeued out of order", camera, format, w, h, how, frames, Double.parseDouble(done.group(3)),
                guestSeconds, wall, first, last, (last - first + 1) / guestSeconds, skipped, outOfOrder);
        RESULTS.add(result);
        System.out.println("UvcGuestIT: " + result);
        if (decodeOnHost) {
            GuestConsole.Output od = guest.shell("od -An -v -tx1 " + dump, 600);
            assertEquals(0, od.status(), od.toString());
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            for (String tok : od.text().trim().split("\\s+")) {
                if (tok.matches("[0-9a-f]{2}")) {
                    b.write(Integer.parseInt(tok, 16));
                }
            }
            Raster raster = decode(b.toByteArray());
            assertEquals(w, raster.getWidth());
            assertEquals(h, raster.getHeight());
            long decoded = TestPattern.stripe(x -> raster.getSample(x, TestPattern.STRIPE_READ_ROW, 0));
            assertEquals(frame1, decoded, "the guest's second MJPEG frame, decoded on the host, shows its number");
        }
    }

    private static Raster decode(byte[] jpeg) throws Exception {
        ImageReader reader = ImageIO.getImageReadersByFormatName("jpeg").next();
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(jpeg))) {
            reader.setInput(in);
            return reader.readRaster(0, null);
        } finally {
            reader.dispose();
        }
    }

    /** FNV-1a, 32 bits (as uvccap.c computes it). */
    static int fnv(byte[] data) {
        int h = 0x811C9DC5;
        for (byte b : data) {
            h ^= b & 0xFF;
            h *= 0x01000193;
        }
        return h;
    }

    private static void host(Path dir, String... cmd) throws Exception {
        Path log = Files.createTempFile(dir, "host-", ".txt");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(String.join(" ", cmd) + " did not finish: " + Files.readString(log));
        }
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ": " + Files.readString(log)
                + (cmd[0].equals("gcc") ? "\n(scripts/install-deps.sh installs gcc-multilib for -m32)" : ""));
    }

}
