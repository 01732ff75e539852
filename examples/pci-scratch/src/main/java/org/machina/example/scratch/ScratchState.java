package org.machina.example.scratch;

/**
 * State of a pci-scratch function, version 1.
 *
 * @param config the 256-byte configuration space (BAR address, command register)
 * @param scratch the scratch register
 * @param writes writes to the scratch register since reset
 */
public record ScratchState(byte[] config, int scratch, int writes) {
}
