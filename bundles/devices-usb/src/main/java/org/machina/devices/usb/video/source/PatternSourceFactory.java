package org.machina.devices.usb.video.source;

import java.util.Map;
import org.machina.api.video.VideoSource;
import org.machina.api.video.VideoSourceFactory;
import org.osgi.service.component.annotations.Component;

/** {@code source=pattern}: the {@link TestPattern}. Takes no options. */
@Component(service = VideoSourceFactory.class, property = VideoSourceFactory.NAME_PROPERTY + "=" + PatternSourceFactory.NAME)
public final class PatternSourceFactory implements VideoSourceFactory {
    public static final String NAME = "pattern";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "synthetic colour bars with the frame number drawn and encoded in a stripe (the default)";
    }

    @Override
    public VideoSource open(Map<String, String> options) {
        return new TestPattern();
    }
}
