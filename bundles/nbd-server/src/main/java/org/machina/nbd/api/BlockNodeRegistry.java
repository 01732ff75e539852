package org.machina.nbd.api;

import java.util.Optional;
import java.util.Set;
import org.machina.api.block.BlockNode;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * Finds the block nodes of a running machine by node name, for the NBD monitor commands. Provided by
 * whoever owns the nodes (the machine runtime).
 */
@ConsumerType
public interface BlockNodeRegistry {
    Optional<BlockNode> find(String nodeName);

    Set<String> names();
}
