/**
 * Virtio building blocks shared by the virtio device bundles: the split virtqueue
 * ({@link org.machina.virtio.SplitVirtqueue}) in the legacy layout, with every guest-supplied index,
 * length and address checked.
 */
@Version("1.0.0")
@Export
package org.machina.virtio;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
