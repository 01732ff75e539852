package org.machina.monitor;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.machina.api.monitor.MonitorCommand;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The monitor commands currently available, by name. Filled from the whiteboard as command
 * services come and go; every server looks commands up here on each {@code execute}, so a
 * bundle installed while clients are connected adds its commands at once.
 */
public final class CommandRegistry {
    private static final Logger LOG = LoggerFactory.getLogger(CommandRegistry.class);

    private final ConcurrentMap<String, MonitorCommand> commands = new ConcurrentHashMap<>();

    /** Adds a command; a second command with a taken name is ignored (and logged). */
    public void add(MonitorCommand command) {
        String name = command.name();
        MonitorCommand previous = commands.putIfAbsent(name, command);
        if (previous != null && previous != command) {
            LOG.warn("monitor command '{}' from {} ignored: the name is already taken by {}", name,
                    command.getClass().getName(), previous.getClass().getName());
        }
    }

    /** Removes a command if it is the one registered under its name. */
    public void remove(MonitorCommand command) {
        commands.remove(command.name(), command);
    }

    public Optional<MonitorCommand> find(String name) {
        return Optional.ofNullable(commands.get(name));
    }

    /** All commands, sorted by name. */
    public List<MonitorCommand> all() {
        return commands.values().stream().sorted((a, b) -> a.name().compareTo(b.name())).toList();
    }
}
