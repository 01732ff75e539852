package org.machina.devices.usb.video.source;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.machina.api.video.VideoSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A live source: a command (run by {@code /bin/sh -c}) writes a YUV4MPEG2 stream to its standard
 * output, for example {@code ffmpeg -f v4l2 -i /dev/video0 -f yuv4mpegpipe -pix_fmt yuv422p -},
 * or {@code gst-launch-1.0 ... ! y4menc ! fdsink} on a host whose camera Machina cannot open
 * itself. A reader thread keeps the newest complete frame; the camera is handed that one for
 * whatever frame number it asks (black until the first frame arrives). When the stream ends or is
 * malformed the reader logs why and stops, and the camera keeps showing the last frame. Closing
 * the source ends the command (and its children) and the reader.
 */
public final class ProcessSource implements VideoSource {
    private static final Logger LOG = LoggerFactory.getLogger(ProcessSource.class);
    /** Longest FRAME line accepted (it may carry parameters). */
    private static final int MAX_LINE = 256;

    private final String command;
    private final Process process;
    private final Thread reader;
    private final Object lock = new Object();
    private Y4mFormat format;
    private byte[] latest;
    private long framesRead;
    private volatile boolean closing;

    private ProcessSource(String command, Process process) {
        this.command = command;
        this.process = process;
        this.reader = Thread.ofPlatform().daemon().name("video-process-source").unstarted(this::read);
    }

    /** Starts {@code command}; frames are read as they come. */
    public static ProcessSource start(String command) throws IOException {
        Process p = new ProcessBuilder(List.of("/bin/sh", "-c", command))
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        ProcessSource s = new ProcessSource(command, p);
        s.reader.start();
        return s;
    }

    private void read() {
        try (InputStream in = new BufferedInputStream(process.getInputStream(), 1 << 16)) {
            String header = line(in);
            if (header == null) {
                throw new IOException("the command wrote nothing");
            }
            Y4mFormat f = Y4mFormat.parse(header, "the output of '" + command + "'");
            synchronized (lock) {
                format = f;
            }
            byte[] back = new byte[f.frameBytes];
            while (!closing) {
                String fh = line(in);
                if (fh == null) {
                    break;
                }
                if (!fh.startsWith("FRAME")) {
                    throw new IOException("no FRAME header after frame " + framesRead);
                }
                if (in.readNBytes(back, 0, back.length) < back.length) {
                    break;                                  // the stream ended inside a frame
                }
                synchronized (lock) {
                    byte[] shown = latest;
                    latest = back;
                    framesRead++;
                    back = shown != null ? shown : new byte[f.frameBytes];
                }
            }
            if (!closing) {
                LOG.warn("video source '{}' ended after {} frames; the last one stays", command, framesRead);
            }
        } catch (IOException e) {
            if (!closing) {
                LOG.warn("video source '{}' stopped after {} frames: {}", command, framesRead, e.getMessage());
            }
        }
    }

    /** One header line without its newline; null at the end of the stream. */
    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                return null;
            }
            if (b.size() >= MAX_LINE) {
                throw new IOException("no header line ending within " + MAX_LINE + " bytes");
            }
            b.write(c);
        }
        return b.toString(StandardCharsets.US_ASCII);
    }

    /** Frames read so far. */
    public long framesRead() {
        synchronized (lock) {
            return framesRead;
        }
    }

    @Override
    public void frame(long n, int width, int height, byte[] yuyv) {
        synchronized (lock) {
            if (latest == null) {
                Y4mFormat.blank(yuyv);
            } else {
                format.toYuyv(latest, width, height, yuyv);
            }
        }
    }

    @Override
    public void close() {
        closing = true;
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        try {
            if (!process.waitFor(2, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            }
            reader.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
