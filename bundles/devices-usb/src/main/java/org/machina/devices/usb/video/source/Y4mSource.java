package org.machina.devices.usb.video.source;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.machina.api.video.VideoSource;

/**
 * A YUV4MPEG2 file ({@code .y4m}, as written by {@code ffmpeg -f yuv4mpegpipe}) played in a loop:
 * camera frame {@code n} is file frame {@code n mod count}, whatever the file's own frame rate
 * (the camera's negotiated interval paces the stream). Colour spaces 420jpeg, 420mpeg2, 420paldv,
 * 420 (the default), 422, 444 and mono, 8 bits; interlacing and aspect ratio are ignored. Frames
 * are scaled to the negotiated size by nearest neighbour. The file is indexed when opened (its
 * frame offsets) and read one frame at a time; a frame that cannot be read (the file shrank) is
 * logged by the caller's exception and shown black.
 */
public final class Y4mSource implements VideoSource {
    enum Chroma { C420, C422, C444, MONO }

    private final FileChannel file;
    private final int width;
    private final int height;
    private final Chroma chroma;
    private final int chromaWidth;
    private final int chromaHeight;
    private final int frameBytes;
    private final long[] offsets;
    private final byte[] planes;
    private int loaded = -1;

    private Y4mSource(FileChannel file, int width, int height, Chroma chroma, long[] offsets) {
        this.file = file;
        this.width = width;
        this.height = height;
        this.chroma = chroma;
        this.chromaWidth = chroma == Chroma.C444 ? width : (width + 1) / 2;
        this.chromaHeight = chroma == Chroma.C420 ? (height + 1) / 2 : height;
        this.frameBytes = width * height + (chroma == Chroma.MONO ? 0 : 2 * chromaWidth * chromaHeight);
        this.offsets = offsets;
        this.planes = new byte[frameBytes];
    }

    /** Opens and indexes a Y4M file; fails with a message naming the file if it is not one. */
    public static Y4mSource open(Path path) throws IOException {
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
        try {
            long size = ch.size();
            String header = line(ch, 0, path);
            if (!header.startsWith("YUV4MPEG2 ")) {
                throw new IOException(path + ": not a YUV4MPEG2 file (no 'YUV4MPEG2 ' signature)");
            }
            int w = 0;
            int h = 0;
            Chroma c = Chroma.C420;
            for (String p : header.substring(10).trim().split(" +")) {
                if (p.isEmpty()) {
                    continue;
                }
                String v = p.substring(1);
                switch (p.charAt(0)) {
                    case 'W' -> w = parse(v, path, "width");
                    case 'H' -> h = parse(v, path, "height");
                    case 'C' -> c = switch (v) {
                        case "420jpeg", "420mpeg2", "420paldv", "420" -> Chroma.C420;
                        case "422" -> Chroma.C422;
                        case "444" -> Chroma.C444;
                        case "mono" -> Chroma.MONO;
                        default -> throw new IOException(path + ": colour space C" + v
                                + " not supported (420jpeg, 420mpeg2, 420paldv, 420, 422, 444, mono)");
                    };
                    default -> { }                          // F, I, A, X: not needed
                }
            }
            if (w <= 0 || h <= 0 || w > 8192 || h > 8192) {
                throw new IOException(path + ": bad or missing size W" + w + " H" + h);
            }
            Y4mSource probe = new Y4mSource(ch, w, h, c, new long[0]);
            List<Long> frames = new ArrayList<>();
            long at = header.length() + 1;
            while (at < size) {
                String fh = line(ch, at, path);
                if (!fh.startsWith("FRAME")) {
                    throw new IOException(path + ": no FRAME header at byte " + at);
                }
                long data = at + fh.length() + 1;
                if (data + probe.frameBytes > size) {
                    break;                                  // a truncated last frame is dropped
                }
                frames.add(data);
                at = data + probe.frameBytes;
            }
            if (frames.isEmpty()) {
                throw new IOException(path + ": no complete frame");
            }
            return new Y4mSource(ch, w, h, c, frames.stream().mapToLong(Long::longValue).toArray());
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    int frames() {
        return offsets.length;
    }

    @Override
    public void frame(long n, int outWidth, int outHeight, byte[] yuyv) {
        int index = (int) Math.floorMod(n, (long) offsets.length);
        if (index != loaded) {
            try {
                ByteBuffer b = ByteBuffer.wrap(planes);
                long at = offsets[index];
                while (b.hasRemaining()) {
                    if (file.read(b, at + b.position()) < 0) {
                        throw new IOException("the file ended inside frame " + index);
                    }
                }
            } catch (IOException e) {
                loaded = -1;
                blank(yuyv);
                throw new UncheckedIOException(e);
            }
            loaded = index;
        }
        int uBase = width * height;
        int vBase = uBase + chromaWidth * chromaHeight;
        for (int y = 0; y < outHeight; y++) {
            int sy = (int) ((long) y * height / outHeight);
            int cy = chroma == Chroma.C420 ? sy / 2 : sy;
            int row = y * outWidth * 2;
            for (int x = 0; x < outWidth; x++) {
                int sx = (int) ((long) x * width / outWidth);
                yuyv[row + 2 * x] = planes[sy * width + sx];
                if ((x & 1) == 0) {
                    byte u = (byte) 128;
                    byte v = (byte) 128;
                    if (chroma != Chroma.MONO) {
                        int cx = chroma == Chroma.C444 ? sx : sx / 2;
                        u = planes[uBase + cy * chromaWidth + cx];
                        v = planes[vBase + cy * chromaWidth + cx];
                    }
                    yuyv[row + 2 * x + 1] = u;
                    if (x + 1 < outWidth) {
                        yuyv[row + 2 * x + 3] = v;
                    }
                }
            }
        }
    }

    private static void blank(byte[] yuyv) {
        for (int i = 0; i < yuyv.length; i += 2) {
            yuyv[i] = 16;
            yuyv[i + 1] = (byte) 128;
        }
    }

    @Override
    public void close() {
        try {
            file.close();
        } catch (IOException e) {
            // nothing left to release
        }
    }

    private static int parse(String v, Path path, String what) throws IOException {
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IOException(path + ": bad " + what + " '" + v + "'");
        }
    }

    /** The text of the header line at {@code at} (up to 256 bytes, without the newline). */
    private static String line(FileChannel ch, long at, Path path) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(256);
        ch.read(b, at);
        for (int i = 0; i < b.position(); i++) {
            if (b.get(i) == '\n') {
                return new String(b.array(), 0, i, StandardCharsets.US_ASCII);
            }
        }
        throw new IOException(path + ": no header line ending within 256 bytes at byte " + at);
    }
}
