package org.machina.nbd;

import org.machina.api.block.BlockNode;

/** One export: a name, the node, whether writes are refused, and a description for clients. */
record NbdExport(String name, BlockNode node, boolean readOnly, String description) {
}
