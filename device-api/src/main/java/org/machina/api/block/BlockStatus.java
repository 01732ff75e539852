package org.machina.api.block;

/**
 * Status of a range of a block node (NBD {@code base:allocation}).
 *
 * @param length bytes from the queried offset that share this status
 * @param hole the range is not allocated in this node or its backing chain
 * @param zero the range reads as zeros
 */
public record BlockStatus(long length, boolean hole, boolean zero) {
}
