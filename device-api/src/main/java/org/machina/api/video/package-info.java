/**
 * Where a camera's frames come from: {@link org.machina.api.video.VideoSourceFactory} services,
 * each under a name a user picks with a camera's {@code source=} property (for example
 * {@code -device usb-video,source=pattern}), open {@link org.machina.api.video.VideoSource}s that
 * fill frames in YUYV. A third-party bundle adds a source by registering a factory.
 */
@Version("1.0.0")
@Export
package org.machina.api.video;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
