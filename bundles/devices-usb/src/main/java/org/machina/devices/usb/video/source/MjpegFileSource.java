package org.machina.devices.usb.video.source;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import org.machina.api.video.VideoSource;

/**
 * An MJPEG file (JPEG pictures one after the other: {@code ffmpeg -i in.mp4 -f mjpeg out.mjpeg},
 * or a single {@code .jpg}, which is then a still shown as every frame) played in a loop: camera
 * frame {@code n} is picture {@code n mod count}, scaled to the size the guest picked. The file is
 * mapped and indexed when opened ({@link JpegIndex}); a picture is decoded by javax.imageio when
 * it is first shown (baseline and progressive JPEG, any subsampling) and kept while it is shown.
 */
public final class MjpegFileSource implements VideoSource {
    private final Path path;
    private final MappedByteBuffer data;
    private final List<JpegIndex.Span> pictures;
    private int decodedIndex = -1;
    private RgbPicture decoded;

    private MjpegFileSource(Path path, MappedByteBuffer data, List<JpegIndex.Span> pictures) {
        this.path = path;
        this.data = data;
        this.pictures = pictures;
    }

    /** Opens and indexes the file; fails naming it when it holds no complete JPEG picture. */
    public static MjpegFileSource open(Path path) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            if (ch.size() > Integer.MAX_VALUE) {
                throw new IOException(path + ": an MJPEG file of more than 2 GiB");
            }
            MappedByteBuffer map = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size());
            List<JpegIndex.Span> found = JpegIndex.scan(map);
            if (found.isEmpty()) {
                throw new IOException(path + ": no complete JPEG picture (SOI .. EOI) at its start");
            }
            MjpegFileSource s = new MjpegFileSource(path, map, found);
            s.picture(0);                                    // the first picture must decode
            return s;
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    int pictures() {
        return pictures.size();
    }

    @Override
    public void frame(long n, int outWidth, int outHeight, byte[] yuyv) {
        picture((int) Math.floorMod(n, (long) pictures.size())).toYuyv(outWidth, outHeight, yuyv);
    }

    private RgbPicture picture(int index) {
        if (index != decodedIndex) {
            JpegIndex.Span s = pictures.get(index);
            byte[] jpeg = new byte[s.end() - s.start()];
            data.get(s.start(), jpeg);
            BufferedImage image;
            try {
                image = ImageIO.read(new ByteArrayInputStream(jpeg));
            } catch (IOException | RuntimeException e) {
                throw new UncheckedIOException(new IOException(path + ": picture " + index + " does not decode: " + e, e));
            }
            if (image == null) {
                throw new UncheckedIOException(new IOException(path + ": picture " + index + " is not a JPEG javax.imageio reads"));
            }
            decoded = RgbPicture.of(image);
            decodedIndex = index;
        }
        return decoded;
    }
}
