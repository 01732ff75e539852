package org.machina.nbd;

import java.io.IOException;
import org.machina.api.block.BlockNode;

/**
 * NBD {@code qemu:allocation-depth}: for a range, which file of the backing chain holds it: 1 the node
 * itself, 2 its backing file, ..., 0 none (reads are zeros).
 */
final class AllocationDepth {
    private AllocationDepth() {
    }

    /** {length, depth} of the run starting at {@code offset} (at most {@code length} bytes). */
    static long[] at(BlockNode node, long offset, long length) throws IOException {
        if (node instanceof TunedNode t) {
            return at(t.node(), t.offset() + offset, length);
        }
        int depth = 1;
        for (BlockNode n = node; n != null && offset < n.size(); n = n.backing(), depth++) {
            BlockNode.Allocation a = n.allocation(offset, Math.min(length, n.size() - offset)); // a backing file may be smaller
            if (a.length() <= 0) {
                break;
            }
            if (a.here()) {
                return new long[] {a.length(), depth};
            }
            length = a.length();
        }
        return new long[] {length, 0};
    }
}
