package org.machina.devices.usb.video.source;

import java.io.IOException;
import java.util.Map;
import org.machina.api.video.VideoSource;
import org.machina.api.video.VideoSourceFactory;
import org.osgi.service.component.annotations.Component;

/**
 * {@code source=v4l2[,device=/dev/videoN]}: a host camera (or any V4L2 capture device) on Linux,
 * opened through FFM ioctls ({@link V4l2Source}); {@code /dev/video0} without {@code device=}.
 */
@Component(service = VideoSourceFactory.class, property = VideoSourceFactory.NAME_PROPERTY + "=" + V4l2SourceFactory.NAME)
public final class V4l2SourceFactory implements VideoSourceFactory {
    public static final String NAME = "v4l2";
    static final String DEFAULT_DEVICE = "/dev/video0";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "a host V4L2 capture device on Linux, YUYV or MJPEG, newest frame shown (device=/dev/videoN, default /dev/video0)";
    }

    @Override
    public VideoSource open(Map<String, String> options) throws IOException {
        String device = options.getOrDefault("device", "");
        if (device.isEmpty()) {
            device = DEFAULT_DEVICE;
        }
        try {
            return V4l2Source.open(device);
        } catch (UnsupportedOperationException e) {
            throw new IOException("source=v4l2 (" + device + "): " + e.getMessage(), e);
        }
    }
}
