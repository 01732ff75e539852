package org.machina.api.video;

import java.io.IOException;
import java.util.Map;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A kind of video source, registered as an OSGi service with {@link #NAME_PROPERTY} set to its
 * {@link #name()}; a camera device picks it by that name ({@code source=NAME}) and opens one
 * source per camera.
 */
@ConsumerType
public interface VideoSourceFactory {
    /** The service property that carries {@link #name()}. */
    String NAME_PROPERTY = "machina.video.source";

    /** The name users type after {@code source=} (lower case, no commas). */
    String name();

    /** One line for {@code -device usb-video,help}. */
    String description();

    /**
     * Opens a source for one camera. {@code options} holds the camera's source options that were
     * given (today {@code path}, {@code command} and {@code device}); a missing or bad option fails with a
     * message that names it.
     */
    VideoSource open(Map<String, String> options) throws IOException;
}
