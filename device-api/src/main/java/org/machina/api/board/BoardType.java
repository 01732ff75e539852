package org.machina.api.board;

import java.util.List;
import org.machina.api.device.PropertySpec;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A kind of machine (e.g. {@code pc}), published with {@code machina.name}. A board builds the
 * fixed part of a machine (RAM, chipset, default devices, firmware loading) through its
 * {@link BoardContext}; devices listed in the description are added by the runtime after it.
 */
@ConsumerType
public interface BoardType {
    String name();

    String description();

    /** Board options accepted in the description's {@code "board"} section (besides memory and cpu). */
    List<PropertySpec> properties();

    /** The CPU type and model used when the description names none, e.g. {@code "x86", "pentium3"}. */
    String defaultCpuType();

    String defaultCpuModel();

    /** Builds the machine's fixed parts; returns the board instance that loads firmware at reset. */
    Board build(BoardContext context);
}
