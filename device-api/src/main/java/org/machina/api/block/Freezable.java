package org.machina.api.block;

import java.io.IOException;
import org.osgi.annotation.versioning.ProviderType;

/**
 * A node that hands out point-in-time views of itself while writes go on (copy-before-write): the
 * block layer's raw and qcow2 nodes, and so every machine drive. Used for frozen NBD exports.
 *
 * @since 1.1
 */
@ProviderType
public interface Freezable {
    /**
     * A read-only node with the contents this node has now. From now on every write, discard or
     * write-zeroes on this node first copies the data it replaces into the view's temporary overlay.
     * Closing the view stops the copying and deletes the overlay; it does not close this node.
     */
    BlockNode freeze(String viewName) throws IOException;
}
