package org.machina.devices.usb.video.source;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.machina.api.video.VideoSource;
import org.machina.api.video.VideoSourceFactory;
import org.osgi.service.component.annotations.Component;

/**
 * {@code source=file,path=FILE}: a video file played in a loop, or a still picture, told apart by
 * their first bytes: YUV4MPEG2 ({@link Y4mSource}), JPEG pictures one after the other (an MJPEG
 * stream or one {@code .jpg}: {@link MjpegFileSource}), or a PNG, BMP, GIF or binary PPM/PGM still
 * ({@link StillImageSource}); other files are refused with a message naming the formats read.
 */
@Component(service = VideoSourceFactory.class, property = VideoSourceFactory.NAME_PROPERTY + "=" + FileSourceFactory.NAME)
public final class FileSourceFactory implements VideoSourceFactory {
    public static final String NAME = "file";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "a YUV4MPEG2 (.y4m) or MJPEG file played in a loop, or a still JPEG/PNG/BMP/GIF/PPM picture (path=FILE)";
    }

    @Override
    public VideoSource open(Map<String, String> options) throws IOException {
        String path = options.getOrDefault("path", "");
        if (path.isEmpty()) {
            throw new IOException("source=file needs path=FILE (a .y4m, .mjpeg, .jpg, .png or .ppm file)");
        }
        Path file = Path.of(path);
        byte[] head = new byte[9];
        int n;
        try (InputStream in = Files.newInputStream(file)) {
            n = in.readNBytes(head, 0, head.length);
        }
        if (n == 9 && new String(head, StandardCharsets.US_ASCII).equals("YUV4MPEG2")) {
            return Y4mSource.open(file);
        }
        if (n >= 2 && (head[0] & 0xFF) == 0xFF && (head[1] & 0xFF) == 0xD8) {
            return MjpegFileSource.open(file);
        }
        return StillImageSource.open(file);
    }
}
