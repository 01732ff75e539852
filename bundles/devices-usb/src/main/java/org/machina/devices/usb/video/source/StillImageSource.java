package org.machina.devices.usb.video.source;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.machina.api.video.VideoSource;

/**
 * A still picture shown as every frame: PNG, BMP or GIF (javax.imageio) or a binary PPM/PGM
 * ({@link Ppm}); a JPEG file goes to {@link MjpegFileSource}. Read and decoded once when opened;
 * the YUYV of the last size asked for is kept.
 */
public final class StillImageSource implements VideoSource {
    /** Larger files are refused rather than read into memory. */
    static final long MAX_BYTES = 256L << 20;
    private final RgbPicture picture;
    private byte[] cached;
    private int cachedWidth;
    private int cachedHeight;

    StillImageSource(RgbPicture picture) {
        this.picture = picture;
    }

    /** Reads the picture; fails naming the file when it is none of the formats read. */
    public static StillImageSource open(Path path) throws IOException {
        if (Files.size(path) > MAX_BYTES) {
            throw new IOException(path + ": a picture file of more than " + (MAX_BYTES >> 20) + " MiB");
        }
        byte[] data = Files.readAllBytes(path);
        if (Ppm.is(data)) {
            return new StillImageSource(Ppm.read(data, path.toString()));
        }
        BufferedImage image;
        try {
            image = ImageIO.read(new ByteArrayInputStream(data));
        } catch (IOException | RuntimeException e) {
            throw new IOException(path + ": the picture does not decode: " + e.getMessage(), e);
        }
        if (image == null) {
            throw new IOException(path + ": not a YUV4MPEG2, JPEG/MJPEG, PNG, BMP, GIF or binary PPM/PGM file");
        }
        return new StillImageSource(RgbPicture.of(image));
    }

    @Override
    public void frame(long n, int outWidth, int outHeight, byte[] yuyv) {
        if (cached == null || cachedWidth != outWidth || cachedHeight != outHeight) {
            cached = new byte[outWidth * outHeight * 2];
            picture.toYuyv(outWidth, outHeight, cached);
            cachedWidth = outWidth;
            cachedHeight = outHeight;
        }
        System.arraycopy(cached, 0, yuyv, 0, Math.min(cached.length, yuyv.length));
    }
}
