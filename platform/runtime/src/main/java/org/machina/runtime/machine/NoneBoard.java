package org.machina.runtime.machine;

import java.util.List;
import org.machina.api.board.Board;
import org.machina.api.board.BoardContext;
import org.machina.api.board.BoardType;
import org.machina.api.device.PropertySpec;
import org.machina.api.memory.MemoryRegion;

/**
 * The built-in empty board (QEMU's {@code -machine none}): RAM at address 0 and nothing else.
 * Useful for device tests and for integrators who wire everything in the description.
 */
final class NoneBoard implements BoardType {
    static final String NAME = "none";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "empty board: RAM at 0, no default devices";
    }

    @Override
    public List<PropertySpec> properties() {
        return List.of();
    }

    @Override
    public String defaultCpuType() {
        return "x86";
    }

    @Override
    public String defaultCpuModel() {
        return "";
    }

    @Override
    public Board build(BoardContext context) {
        context.memory().map(0, new MemoryRegion.Ram("ram", context.allocateRam("ram", context.ramSize())));
        return () -> { };
    }
}
