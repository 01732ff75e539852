package org.machina.devices.usb.video.source;

import java.io.IOException;
import java.util.Map;
import org.machina.api.video.VideoSource;
import org.machina.api.video.VideoSourceFactory;
import org.osgi.service.component.annotations.Component;

/**
 * {@code source=process,command=CMD}: frames from a command's standard output in YUV4MPEG2
 * ({@link ProcessSource}), so a host camera Machina cannot open itself (macOS, Windows, or a
 * pipeline) reaches the guest through {@code ffmpeg} or {@code gst-launch-1.0}.
 */
@Component(service = VideoSourceFactory.class, property = VideoSourceFactory.NAME_PROPERTY + "=" + ProcessSourceFactory.NAME)
public final class ProcessSourceFactory implements VideoSourceFactory {
    public static final String NAME = "process";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "the YUV4MPEG2 stream a command writes to stdout, newest frame shown (command=CMD)";
    }

    @Override
    public VideoSource open(Map<String, String> options) throws IOException {
        String command = options.getOrDefault("command", "");
        if (command.isBlank()) {
            throw new IOException("source=process needs command=CMD (a shell command writing YUV4MPEG2 to stdout,"
                    + " e.g. ffmpeg ... -f yuv4mpegpipe -)");
        }
        return ProcessSource.start(command);
    }
}
