package org.machina.devices.usb.video.source;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.machina.api.video.VideoSource;
import org.machina.api.video.VideoSourceFactory;
import org.osgi.service.component.annotations.Component;

/**
 * {@code source=file,path=FILE}: a video file played in a loop. Today YUV4MPEG2 ({@link Y4mSource});
 * other files are refused with a message naming the formats that are read.
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
        return "a YUV4MPEG2 (.y4m) file played in a loop (path=FILE)";
    }

    @Override
    public VideoSource open(Map<String, String> options) throws IOException {
        String path = options.getOrDefault("path", "");
        if (path.isEmpty()) {
            throw new IOException("source=file needs path=FILE (a .y4m file)");
        }
        return Y4mSource.open(Path.of(path));
    }
}
