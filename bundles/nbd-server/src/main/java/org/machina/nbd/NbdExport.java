package org.machina.nbd;

import org.machina.api.block.BlockNode;

/**
 * One export: a name, the node, whether writes are refused, a description for clients, and whether the
 * {@code qemu:allocation-depth} context is offered (a standalone server's {@code -A}).
 */
record NbdExport(String name, BlockNode node, boolean readOnly, String description, boolean allocationDepth) {
    NbdExport(String name, BlockNode node, boolean readOnly, String description) {
        this(name, node, readOnly, description, false);
    }
}
