package org.machina.api.monitor;

import java.util.Map;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A QMP command, published as a service with {@code machina.name} = {@link #name()} (whiteboard):
 * any bundle can add commands to every monitor. Arguments arrive as a JSON tree ({@code Map},
 * {@code List}, {@code String}, {@code Number}, {@code Boolean}); the result must be such a tree
 * too (or a record of plain values), and becomes the QMP {@code return} value.
 */
@ConsumerType
public interface MonitorCommand {
    String name();

    /** One line for {@code query-commands} and {@code help}. */
    default String description() {
        return "";
    }

    Object execute(CommandContext context, Map<String, Object> arguments) throws MonitorException;
}
