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
 * (the camera's negotiated interval paces the stream). Formats as {@link Y4mFormat} reads them.
 * The file is indexed when opened (its frame offsets) and read one frame at a time; a frame that
 * cannot be read (the file shrank) is logged by the caller's exception and shown black.
 */
public final class Y4mSource implements VideoSource {
    private final FileChannel file;
    private final Y4mFormat format;
    private final long[] offsets;
    private final byte[] planes;
    private int loaded = -1;

    private Y4mSource(FileChannel file, Y4mFormat format, long[] offsets) {
        this.file = file;
        this.format = format;
        this.offsets = offsets;
        this.planes = new byte[format.frameBytes];
    }

    /** Opens and indexes a Y4M file; fails with a message naming the file if it is not one. */
    public static Y4mSource open(Path path) throws IOException {
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
        try {
            long size = ch.size();
            String header = line(ch, 0, path);
            Y4mFormat format = Y4mFormat.parse(header, path.toString());
            List<Long> frames = new ArrayList<>();
            long at = header.length() + 1;
            while (at < size) {
                String fh = line(ch, at, path);
                if (!fh.startsWith("FRAME")) {
                    throw new IOException(path + ": no FRAME header at byte " + at);
                }
                long data = at + fh.length() + 1;
                if (data + format.frameBytes > size) {
                    break;                                  // a truncated last frame is dropped
                }
                frames.add(data);
                at = data + format.frameBytes;
            }
            if (frames.isEmpty()) {
                throw new IOException(path + ": no complete frame");
            }
            return new Y4mSource(ch, format, frames.stream().mapToLong(Long::longValue).toArray());
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
                Y4mFormat.blank(yuyv);
                throw new UncheckedIOException(e);
            }
            loaded = index;
        }
        format.toYuyv(planes, outWidth, outHeight, yuyv);
    }

    @Override
    public void close() {
        try {
            file.close();
        } catch (IOException e) {
            // nothing left to release
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
